"""A numeric gradient check on tensors: backward() against central finite differences in
float64 (what torch.autograd.gradcheck does), and against torch.

    python examples/tensor_gradcheck.py
"""
import numpy as np

import adc


def f(lib, x, w):
    return (lib.softmax(x @ w, 1) * lib.log1p(x.abs()).sum(1, keepdim=True)).sum()


rng = np.random.default_rng(2)
X, W = rng.standard_normal((4, 3)), rng.standard_normal((3, 5))
x = adc.tensor(X, requires_grad=True)
w = adc.tensor(W, requires_grad=True)
f(adc, x, w).backward()

eps, worst = 1e-6, 0.0
for arg, grad in ((X, x.grad.numpy()), (W, w.grad.numpy())):
    for idx in np.ndindex(arg.shape):
        old = arg[idx]
        arg[idx] = old + eps
        up = f(adc, adc.tensor(X), adc.tensor(W)).item()
        arg[idx] = old - eps
        down = f(adc, adc.tensor(X), adc.tensor(W)).item()
        arg[idx] = old
        worst = max(worst, abs((up - down) / (2 * eps) - grad[idx]))
print(f"max abs difference with finite differences: {worst:.3g}")
try:
    import torch
except ImportError:
    print("torch not installed: no comparison")
else:
    tx = torch.tensor(X, requires_grad=True)
    tw = torch.tensor(W, requires_grad=True)
    f(torch, tx, tw).backward()
    diff = max(float(np.max(np.abs(x.grad.numpy() - tx.grad.numpy()))),
               float(np.max(np.abs(w.grad.numpy() - tw.grad.numpy()))))
    print(f"max abs difference with torch: {diff:.3g}")
