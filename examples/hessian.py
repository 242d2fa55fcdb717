"""Second derivatives: adc.hessian (the Jacobian of the gradient, through the IR) and a
gradient of a gradient, compared with torch.autograd.functional.hessian and create_graph=True.

    python examples/hessian.py
"""
import numpy as np

import adc
import adc.numpy as anp


def f(x):
    return anp.sum(x ** 3) * anp.sin(x[0]) + x[1] * x[2] + anp.exp(x[0] * x[2])


x = np.array([0.3, -0.8, 1.2])
H = adc.hessian(f)(x)
print("x =", x)
print("Hessian of f:\n", H)
print("symmetric:", np.allclose(H, H.T))


def g(s):
    return s ** 3 * anp.sin(s)


d2g = adc.grad(adc.grad(g))
s = 0.5
exact = 6 * s * np.sin(s) + 6 * s ** 2 * np.cos(s) - s ** 3 * np.sin(s)
print(f"d2/ds2 s^3 sin(s) at {s}: {float(d2g(s)):.12f} (exact {exact:.12f})")

try:
    import torch
except ImportError:
    print("torch is not installed: skipped the comparison with torch")
else:
    def f_t(x):
        return (x ** 3).sum() * torch.sin(x[0]) + x[1] * x[2] + torch.exp(x[0] * x[2])

    H_t = torch.autograd.functional.hessian(f_t, torch.tensor(x)).numpy()
    st = torch.tensor(s, dtype=torch.float64, requires_grad=True)
    (g1,) = torch.autograd.grad(st ** 3 * torch.sin(st), st, create_graph=True)
    (g2,) = torch.autograd.grad(g1, st)
    diff = max(np.max(np.abs(H - H_t)), abs(float(d2g(s)) - g2.item()))
    print(f"max abs difference with torch: {diff:.3e}")
    assert diff < 1e-10
