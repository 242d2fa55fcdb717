"""The stable ascending order along the middle axis of (pre, n, post) device arrays (NaN last,
as np.argsort(kind="stable")): one thread per line (i, k), an insertion sort of the indices
(stable: an element moves only past strictly greater ones)."""
from numba import cuda

from .launch import THREADS, blocks

__all__ = ["argsort3"]


@cuda.jit(device=True)
def _greater(a, b):
    """a sorts after b: a > b, or a is NaN and b is not."""
    return a > b or (a != a and b == b)


@cuda.jit(cache=True)
def _argsort3(x, out):
    pre, n, post = x.shape
    for j in range(cuda.grid(1), pre * post, cuda.gridsize(1)):
        i, k = j // post, j % post
        for t in range(n):
            v = x[i, t, k]
            s = t
            while s > 0 and _greater(x[i, out[i, s - 1, k], k], v):
                out[i, s, k] = out[i, s - 1, k]
                s -= 1
            out[i, s, k] = t


def argsort3(x, out):
    pre, n, post = x.shape
    if pre * n * post:
        _argsort3[blocks(pre * post), THREADS](x, out)
