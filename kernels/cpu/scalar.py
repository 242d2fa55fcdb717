"""The scalar helpers of kernels/scalar.py compiled for the CPU (numba.njit, inlined into
generated loop bodies)."""
from numba import njit

from ..scalar import HELPERS, compile_helpers

compile_helpers(njit(inline="always", cache=True), globals())
__all__ = list(HELPERS)
