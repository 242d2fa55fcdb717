"""Tensor API walk-through: backward(), gradient accumulation, zero_grad, as in torch.

    python examples/tensor_backward_basics.py
"""
import numpy as np

import adc


def walk(lib):
    x = lib.tensor([[2.0, 3.0], [4.0, 5.0]], requires_grad=True)
    y = x + 2
    z = y * y * 3
    out = z.mean()
    out.backward(retain_graph=True)
    print(f"[{lib.__name__}] out = {out.item():.4f}  grad_fn = {out.grad_fn.name()}")
    print(f"[{lib.__name__}] x.grad after out.backward():\n{x.grad}")
    first = x.grad.clone()
    z.backward(lib.ones_like(z))  # a non-scalar output needs a seed
    print(f"[{lib.__name__}] x.grad accumulated after z.backward(ones):\n{x.grad}")
    second = x.grad.clone()
    x.grad.zero_()
    return [first, second, x.grad]


ours = walk(adc)
try:
    import torch
except ImportError:
    print("torch not installed: no comparison")
else:
    theirs = walk(torch)
    diff = max(float(np.max(np.abs(a.numpy() - t.numpy()))) for a, t in zip(ours, theirs))
    print(f"max abs difference with torch: {diff:.3g}")
