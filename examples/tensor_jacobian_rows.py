"""A Jacobian built row by row: one backward per output element with a one-hot seed
(`autograd.grad(..., grad_outputs=seed, retain_graph=True)`).

    python examples/tensor_jacobian_rows.py
"""
import numpy as np

import adc


def jacobian(lib):
    x = lib.tensor([0.5, -1.0, 2.0], dtype=lib.float64, requires_grad=True)
    y = lib.stack([x[0] * x[1], x[1].exp(), (x * x).sum(), x[2].sin()])
    rows = []
    for i in range(y.shape[0]):
        seed = lib.zeros(y.shape[0], dtype=lib.float64)
        seed[i] = 1.0
        (row,) = lib.autograd.grad(y, x, grad_outputs=seed, retain_graph=True)
        rows.append(row.numpy())
    return np.stack(rows)


J = jacobian(adc)
print("Jacobian (4 outputs x 3 inputs):\n", J)
print("adc.jacobian of the functional API agrees:", np.allclose(J, adc.jacobian(
    lambda v: adc.numpy.stack([v[0] * v[1], adc.numpy.exp(v[1]), adc.numpy.sum(v * v),
                               adc.numpy.sin(v[2])]))(np.array([0.5, -1.0, 2.0]))))
try:
    import torch
except ImportError:
    print("torch not installed: no comparison")
else:
    print(f"max abs difference with torch: {float(np.max(np.abs(J - jacobian(torch)))):.3g}")
