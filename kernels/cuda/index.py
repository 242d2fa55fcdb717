"""Checking traced indices on the device, one thread per element (grid-stride): an
out-of-bounds index sets err[0] = 1 (the host raises IndexError after the launch). Gathers
and scatter-adds themselves run inside generated loop nests."""
from numba import cuda

from .launch import THREADS, blocks

__all__ = ["check_index"]

OUT_OF_BOUNDS = 0  # position of the flag in the launcher's error array


@cuda.jit(cache=True)
def _check_index(idx, n, err):
    for j in range(cuda.grid(1), idx.size, cuda.gridsize(1)):
        if idx[j] < -n or idx[j] >= n:
            err[OUT_OF_BOUNDS] = 1


def check_index(idx, n, err):
    """Indices before normalization: -n <= i < n, else err[0] = 1."""
    _check_index[blocks(idx.size), THREADS](idx, n, err)
