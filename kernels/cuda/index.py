"""Gather and scatter-add along the middle axis of (pre, n, post) device arrays, one thread
per element (grid-stride). An out-of-bounds index sets err[0] = 1 (the host raises
IndexError after the launch) and is skipped, never clamped."""
from numba import cuda

from .launch import THREADS, blocks

__all__ = ["check_index", "take3", "scatter_add3"]

OUT_OF_BOUNDS = 0  # position of the flag in the launcher's error array


@cuda.jit(cache=True)
def _take3(x, idx, out, err):
    pre, m, post = out.shape
    n = x.shape[1]
    for j in range(cuda.grid(1), pre * m * post, cuda.gridsize(1)):
        i, r = j // (m * post), j % (m * post)
        t, k = r // post, r % post
        src = idx[t]
        if src < 0 or src >= n:
            err[OUT_OF_BOUNDS] = 1
            out[i, t, k] = 0
        else:
            out[i, t, k] = x[i, src, k]


@cuda.jit(cache=True)
def _scatter_add3(idx, upd, out, err):
    pre, m, post = upd.shape
    n = out.shape[1]
    for j in range(cuda.grid(1), pre * m * post, cuda.gridsize(1)):
        i, r = j // (m * post), j % (m * post)
        t, k = r // post, r % post
        dst = idx[t]
        if dst < 0 or dst >= n:
            err[OUT_OF_BOUNDS] = 1
        else:
            cuda.atomic.add(out, (i, dst, k), upd[i, t, k])


@cuda.jit(cache=True)
def _check_index(idx, n, err):
    for j in range(cuda.grid(1), idx.size, cuda.gridsize(1)):
        if idx[j] < -n or idx[j] >= n:
            err[OUT_OF_BOUNDS] = 1


def check_index(idx, n, err):
    """Indices before normalization: -n <= i < n, else err[0] = 1."""
    _check_index[blocks(idx.size), THREADS](idx, n, err)


def take3(x, idx, out, err):
    _take3[blocks(out.size), THREADS](x, idx, out, err)


def scatter_add3(idx, upd, out, err):
    """out must be zero-filled; updates to one element from several threads are atomic."""
    _scatter_add3[blocks(upd.size), THREADS](idx, upd, out, err)
