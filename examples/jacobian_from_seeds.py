"""The full Jacobian of a 2-output function built row by row from VJPs with basis seeds
(torch's y.backward(gradient=e_i)), compared with adc.jacobian and the exact Jacobian.

    python examples/jacobian_from_seeds.py
"""
import numpy as np

import adc
import adc.numpy as anp


def f(x):
    return anp.stack([x[0] * x[1], anp.sin(x[0]) + x[1] ** 2])


x = np.array([0.7, -1.5])
out, vjp_fn = adc.vjp(f, x)
rows = []
for seed in np.eye(2):
    (row,) = vjp_fn(seed)
    print("seed", seed, "-> row", row)
    rows.append(row)
J = np.stack(rows)
exact = np.array([[x[1], x[0]], [np.cos(x[0]), 2 * x[1]]])
print("f(x) =", out)
print("Jacobian from seeds:\n", J)
print("adc.jacobian:\n", adc.jacobian(f)(x))
print("max |J - exact| =", np.max(np.abs(J - exact)))

# A seed-weighted VJP is v^T J
v = np.array([0.5, -2.0])
(vjp,) = vjp_fn(v)
print("v^T J with v =", v, "->", vjp, "(v @ J =", v @ J, ")")

try:
    import torch
except ImportError:
    print("torch is not installed: skipped the comparison with torch")
else:
    def f_t(x):
        return torch.stack([x[0] * x[1], torch.sin(x[0]) + x[1] ** 2])

    J_t = torch.autograd.functional.jacobian(f_t, torch.tensor(x)).numpy()
    xt = torch.tensor(x, requires_grad=True)
    f_t(xt).backward(gradient=torch.tensor(v))
    diff = max(np.max(np.abs(J - J_t)), np.max(np.abs(vjp - xt.grad.numpy())))
    print(f"max abs difference with torch: {diff:.3e}")
    assert diff < 1e-12
