"""Combining per-thread private accumulators (leading axis = thread) after a parallel loop."""
from numba import njit

from .scalar import maximum, minimum

__all__ = ["combine"]


@njit(cache=True)
def combine(private, kind):
    """kind: 0 sum, 1 prod, 2 max, 3 min."""
    out = private[0].copy()
    flat_out = out.reshape(-1)
    for t in range(1, private.shape[0]):
        flat = private[t].reshape(-1)
        for k in range(flat.size):
            if kind == 0:
                flat_out[k] += flat[k]
            elif kind == 1:
                flat_out[k] *= flat[k]
            elif kind == 2:
                flat_out[k] = maximum(flat_out[k], flat[k])
            else:
                flat_out[k] = minimum(flat_out[k], flat[k])
    return out


KINDS = {"sum": 0, "prod": 1, "max": 2, "min": 3}
