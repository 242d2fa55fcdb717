"""Checking traced indices before they are used (gathers and scatter-adds themselves run
inside generated loop nests, which read and update at the indexed positions directly)."""
from numba import njit

__all__ = ["check_index"]


@njit(cache=True)
def check_index(idx, n):
    """Indices before normalization: -n <= i < n."""
    for j in range(idx.size):
        if idx[j] < -n or idx[j] >= n:
            raise IndexError("adc: an index is out of bounds (a negative index may be at most "
                             "the axis size in magnitude)")
