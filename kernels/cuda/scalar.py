"""The scalar helpers of kernels/scalar.py compiled as CUDA device functions (inlined at the
Numba IR level into generated kernels)."""
from numba import cuda

from ..scalar import HELPERS, compile_helpers

compile_helpers(cuda.jit(device=True, inline="always"), globals())
__all__ = list(HELPERS)
