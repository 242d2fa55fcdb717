"""Gather and scatter-add along the middle axis of (pre, n, post) arrays.

Serial on purpose: a parallel=True function called from a cached generated kernel crashes
when the caller is loaded from Numba's disk cache in a new process (seen with numba 0.68);
generated kernels parallelize their own loops instead."""
from numba import njit

__all__ = ["check_index", "take3", "scatter_add3"]


@njit(cache=True)
def check_bounds(idx, low, n):
    for j in range(idx.size):
        if idx[j] < low or idx[j] >= n:
            raise IndexError("adc: an index is out of bounds (a negative index may be at most "
                             "the axis size in magnitude)")


@njit(cache=True)
def check_index(idx, n):
    """Indices before normalization: -n <= i < n."""
    check_bounds(idx, -n, n)


@njit(cache=True)
def take3(x, idx, out):
    pre, m, post = out.shape
    check_bounds(idx, 0, x.shape[1])
    for i in range(pre):
        for j in range(m):
            src = idx[j]
            for k in range(post):
                out[i, j, k] = x[i, src, k]


@njit(cache=True)
def scatter_add3(idx, upd, out):
    pre, m, post = upd.shape
    check_bounds(idx, 0, out.shape[1])
    for i in range(pre):
        for j in range(m):
            dst = idx[j]
            for k in range(post):
                out[i, dst, k] += upd[i, j, k]
