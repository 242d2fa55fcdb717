"""retain_graph: backward twice through the same graph; without it the second call fails
with torch's error, because the values saved for backward were freed.

    python examples/tensor_retain_graph.py
"""
import numpy as np

import adc


def run(lib):
    x = lib.tensor([1.0, 2.0, 3.0], requires_grad=True)
    y = (x.sin() * x).sum()
    y.backward(retain_graph=True)
    y.backward()  # allowed: the graph was retained
    grads = x.grad.clone()
    try:
        y.backward()
    except RuntimeError as err:
        print(f"[{lib.__name__}] third backward: RuntimeError: {str(err)[:60]}...")
    return grads


ours = run(adc)
print("x.grad after two backward calls:", ours)
try:
    import torch
except ImportError:
    print("torch not installed: no comparison")
else:
    theirs = run(torch)
    diff = float(np.max(np.abs(ours.numpy() - theirs.numpy())))
    print(f"max abs difference with torch: {diff:.3g}")
