"""The stable ascending order along the middle axis of (pre, n, post) arrays (NaN last, as
np.argsort(kind="stable")): Numba's merge sort per line."""
import numpy as np
from numba import njit

__all__ = ["argsort3"]


@njit(cache=True)
def argsort3(x, out):
    pre, n, post = x.shape
    for i in range(pre):
        for k in range(post):
            out[i, :, k] = np.argsort(np.ascontiguousarray(x[i, :, k]), kind="mergesort")
