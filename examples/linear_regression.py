"""Linear regression trained by plain SGD on the mean absolute error (MAE) loss,
mean |X w + b - y|, with gradients from adc; the same loop in torch for comparison.

    python examples/linear_regression.py
"""
import numpy as np

import adc
import adc.numpy as anp

rng = np.random.default_rng(0)
X = rng.standard_normal((64, 3))
w_true, b_true = np.array([2.0, -3.0, 0.5]), 1.0
y = X @ w_true + b_true + 0.1 * rng.standard_normal(64)


def mae(w, b, X, y):
    return anp.mean(anp.abs(X @ w + b - y))


loss_and_grads = adc.value_and_grad(mae, argnums=(0, 1))
lr, steps = 0.1, 200
w, b = np.zeros(3), np.zeros(())
history = []
for step in range(steps):
    loss, (gw, gb) = loss_and_grads(w, b, X, y)
    w, b = w - lr * gw, b - lr * gb
    history.append((float(loss), gw, gb))
    if step % 40 == 0 or step == steps - 1:
        print(f"step {step:3d}  loss {float(loss):.5f}  w {np.round(w, 3)}  b {float(b):.3f}")
print("true w", w_true, "true b", b_true)

try:
    import torch
except ImportError:
    print("torch is not installed: skipped the comparison with torch")
else:
    Xt, yt = torch.tensor(X), torch.tensor(y)
    wt = torch.zeros(3, dtype=torch.float64, requires_grad=True)
    bt = torch.zeros((), dtype=torch.float64, requires_grad=True)
    diff = 0.0
    for loss_adc, gw, gb in history:
        loss_t = (Xt @ wt + bt - yt).abs().mean()
        loss_t.backward()
        diff = max(diff, abs(loss_adc - loss_t.item()), np.max(np.abs(gw - wt.grad.numpy())),
                   abs(float(gb) - bt.grad.item()))
        with torch.no_grad():
            wt -= lr * wt.grad
            bt -= lr * bt.grad
        wt.grad, bt.grad = None, None
    diff = max(diff, np.max(np.abs(w - wt.detach().numpy())), abs(float(b) - bt.item()))
    print(f"max abs difference with torch: {diff:.3e}")
    assert diff < 1e-9
