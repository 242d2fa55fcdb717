"""The scalar helpers of kernels/scalar.py compiled as CUDA device functions (inlined at the
Numba IR level into generated kernels), with exp/log/sin/cos from math (libdevice)."""
from math import cos, exp, log, sin  # noqa: F401 (MATH: used by the helpers and generated code)
from math import fmod as cfmod  # noqa: F401

from numba import cuda

from ..scalar import HELPERS, MATH, compile_helpers

compile_helpers(cuda.jit(device=True, inline="always"), globals())
__all__ = list(HELPERS + MATH)
