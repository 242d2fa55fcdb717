"""Hooks on an intermediate tensor: see the gradient flowing through it, replace it (here:
clip it), retain it, and remove the hook.

    python examples/tensor_hooks.py
"""
import numpy as np

import adc


def run(lib):
    x = lib.tensor([0.5, 1.0, 1.5, 2.0], requires_grad=True)
    h = x * x
    h.retain_grad()
    seen = []
    handle = h.register_hook(lambda g: (seen.append(g.clone()), g.clamp(-1.0, 1.0))[1])
    loss = (h.exp() * 0.5).sum()
    loss.backward()
    print(f"[{lib.__name__}] gradient seen by the hook: {seen[0]}")
    print(f"[{lib.__name__}] h.grad (after the hook's clipping): {h.grad}")
    print(f"[{lib.__name__}] x.grad: {x.grad}")
    handle.remove()
    return [seen[0], h.grad, x.grad]


ours = run(adc)
try:
    import torch
except ImportError:
    print("torch not installed: no comparison")
else:
    theirs = run(torch)
    diff = max(float(np.max(np.abs(a.numpy() - t.numpy()))) for a, t in zip(ours, theirs))
    print(f"max abs difference with torch: {diff:.3g}")
