"""Running sums along the middle axis of (pre, n, post) arrays, in numpy's order (each
element adds to the previous partial sum), so results match np.cumsum bit for bit."""
from numba import njit

__all__ = ["cumsum3"]


@njit(cache=True)
def cumsum3(x, out):
    pre, n, post = x.shape
    if n == 0:
        return
    for i in range(pre):
        for k in range(post):
            out[i, 0, k] = x[i, 0, k]
        for j in range(1, n):
            for k in range(post):
                out[i, j, k] = out[i, j - 1, k] + x[i, j, k]
