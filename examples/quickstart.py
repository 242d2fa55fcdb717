"""Quickstart: the gradient of a numpy-style function, a vector-Jacobian product with a seed,
and the IR adc traces.

    python examples/quickstart.py
"""
import numpy as np

import adc
import adc.numpy as anp


def f(x):
    return anp.sum(anp.sin(x) * anp.exp(-x * x / 2))


def matmul(x, y):
    return x @ y


x = np.linspace(-1.0, 1.0, 5)
df = adc.grad(f)
g = df(x)
exact = (np.cos(x) - x * np.sin(x)) * np.exp(-x * x / 2)
print("x            =", x)
print("grad f(x)    =", g)
print("max |grad - exact| =", np.max(np.abs(g - exact)))

# A VJP: like torch's (a @ b).backward(gradient=seed)
a = np.array([[1.0, 2.0, 3.0]])
b = np.array([[0.5, -1.0], [2.0, 0.25], [-3.0, 4.0]])
seed = np.array([[1.0, 0.0]])
out, vjp_fn = adc.vjp(matmul, a, b)
ga, gb = vjp_fn(seed)
print("a @ b        =", out)
print("vjp seed", seed.tolist(), "-> d/da =", ga.tolist(), " d/db =", gb.tolist())

print("IR of f:")
print(adc.make_ir(f)(x))
print("IR of grad f:")
print(adc.make_ir(df)(x))

try:
    import torch
except ImportError:
    print("torch is not installed: skipped the comparison with torch")
else:
    xt = torch.tensor(x, requires_grad=True)
    (torch.sin(xt) * torch.exp(-xt * xt / 2)).sum().backward()
    at, bt = torch.tensor(a, requires_grad=True), torch.tensor(b, requires_grad=True)
    (at @ bt).backward(gradient=torch.tensor(seed))
    diff = max(np.max(np.abs(g - xt.grad.numpy())), np.max(np.abs(ga - at.grad.numpy())),
               np.max(np.abs(gb - bt.grad.numpy())))
    print(f"max abs difference with torch: {diff:.3e}")
    assert diff < 1e-12
