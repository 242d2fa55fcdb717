"""no_grad and detach: computing without recording, and cutting a value out of the graph
(here a stop-gradient "target" in a fixed-point style loss).

    python examples/tensor_no_grad_detach.py
"""
import numpy as np

import adc


def run(lib):
    w = lib.tensor([1.0, -2.0, 0.5], requires_grad=True)
    with lib.no_grad():
        frozen = w * 10
    print(f"[{lib.__name__}] under no_grad: requires_grad={frozen.requires_grad}")
    y = w.tanh()
    target = (y * 2).detach()  # treated as a constant
    loss = ((y - target) ** 2).sum()
    loss.backward()
    print(f"[{lib.__name__}] w.grad with a detached target: {w.grad}")
    return [frozen, w.grad]


ours = run(adc)
try:
    import torch
except ImportError:
    print("torch not installed: no comparison")
else:
    theirs = run(torch)
    diff = max(float(np.max(np.abs(a.detach().numpy() - t.detach().numpy())))
               for a, t in zip(ours, theirs))
    print(f"max abs difference with torch: {diff:.3g}")
