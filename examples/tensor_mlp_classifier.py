"""An MLP classifier (adc.nn.Linear, ReLU, CrossEntropyLoss) trained with adc.optim.Adam,
eagerly and as one compiled step (adc.compile), compared with the same model in torch (same
initial weights).

    python examples/tensor_mlp_classifier.py
"""
import numpy as np

import adc

rng = np.random.default_rng(1)
centers = rng.standard_normal((3, 2)) * 3
labels = rng.integers(0, 3, 300)
X = (centers[labels] + rng.standard_normal((300, 2))).astype(np.float32)


def train(lib, nn, optim, init, compile=None):
    model = nn.Sequential(nn.Linear(2, 16), nn.ReLU(), nn.Linear(16, 3))
    with lib.no_grad():
        for p, value in zip(model.parameters(), init):
            p.copy_(lib.tensor(value))
    opt = optim.Adam(model.parameters(), lr=0.05)
    loss_fn = nn.CrossEntropyLoss()
    x, y = lib.tensor(X), lib.tensor(labels)

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(model(x), y)
        loss.backward()
        opt.step()
        return loss

    if compile is not None:
        step = compile(step)  # forward, backward and the Adam update as one program
    for _ in range(60):
        loss = step(x, y)
    accuracy = (model(x).argmax(1) == y).float().mean().item()
    name = lib.__name__ + (".compile" if compile is not None else "")
    print(f"[{name}] final loss {loss.item():.4f}, training accuracy {accuracy:.3f}")
    return np.concatenate([p.detach().numpy().ravel() for p in model.parameters()])


adc.manual_seed(0)
init = [p.detach().numpy().copy() for p in adc.nn.Sequential(
    adc.nn.Linear(2, 16), adc.nn.ReLU(), adc.nn.Linear(16, 3)).parameters()]
ours = train(adc, adc.nn, adc.optim, init)
compiled = train(adc, adc.nn, adc.optim, init, adc.compile)
try:
    import torch
except ImportError:
    print("torch not installed: no comparison")
else:
    theirs = train(torch, torch.nn, torch.optim, init)
    print(f"adc.compile vs eager adc: {float(np.max(np.abs(compiled - ours))):.3g}")
    print("max abs difference with torch: "
          f"{float(max(np.max(np.abs(ours - theirs)), np.max(np.abs(compiled - theirs)))):.3g}")
