"""Linear regression trained with adc.optim.SGD on tensors, eagerly and as one compiled step
(adc.compile: forward, backward and the SGD update traced into one program), next to the same
loop in torch.

    python examples/tensor_linear_regression.py
"""
import numpy as np

import adc

rng = np.random.default_rng(0)
X = rng.standard_normal((256, 3)).astype(np.float32)
true_w = np.array([[2.0], [-1.0], [0.5]], np.float32)
Y = X @ true_w + 0.3 + 0.01 * rng.standard_normal((256, 1)).astype(np.float32)


def train(lib, optim, compile=None):
    w = lib.zeros(3, 1, requires_grad=True)
    b = lib.zeros(1, requires_grad=True)
    x, y = lib.tensor(X), lib.tensor(Y)
    opt = optim.SGD([w, b], lr=0.1, momentum=0.5)

    def step(x, y):
        opt.zero_grad()
        loss = ((x @ w + b - y) ** 2).mean()
        loss.backward()
        opt.step()
        return loss

    if compile is not None:
        step = compile(step)  # the first call runs eagerly, the second compiles
    for _ in range(100):
        loss = step(x, y)
    name = lib.__name__ + (".compile" if compile is not None else "")
    print(f"[{name}] loss {loss.item():.6f}  w {w.detach().numpy().ravel()}  "
          f"b {b.item():.4f}")
    return np.concatenate([w.detach().numpy().ravel(), b.detach().numpy()])


ours = train(adc, adc.optim)
compiled = train(adc, adc.optim, adc.compile)
try:
    import torch
except ImportError:
    print("torch not installed: no comparison")
else:
    theirs = train(torch, torch.optim)
    print(f"adc.compile vs eager adc: {float(np.max(np.abs(compiled - ours))):.3g}")
    print("max abs difference with torch: "
          f"{float(max(np.max(np.abs(ours - theirs)), np.max(np.abs(compiled - theirs)))):.3g}")
