"""Gather and scatter-add along the middle axis of (pre, n, post) arrays."""
from numba import njit, prange


@njit(cache=True, parallel=True)
def take3(x, idx, out):
    pre, m, post = out.shape
    for i in prange(pre):
        for j in range(m):
            src = idx[j]
            for k in range(post):
                out[i, j, k] = x[i, src, k]


@njit(cache=True, parallel=True)
def scatter_add3(idx, upd, out):
    pre, m, post = upd.shape
    # Parallel over `pre` only: different j may hit the same row, so they stay sequential.
    for i in prange(pre):
        for j in range(m):
            dst = idx[j]
            for k in range(post):
                out[i, dst, k] += upd[i, j, k]
