"""The scalar helpers of kernels/scalar.py compiled for the CPU (numba.njit, inlined into
generated loop bodies), with exp/log/sin/cos bound to the vectorizable kernels/vecmath.py."""
import numpy as np
from numba import njit

from ..scalar import HELPERS, MATH, compile_helpers
from ..vecmath import vcos as cos  # noqa: F401 (MATH: used by the helpers and generated code)
from ..vecmath import vexp as exp  # noqa: F401
from ..vecmath import vlog as log  # noqa: F401
from ..vecmath import vsin as sin  # noqa: F401


@njit(inline="always", cache=True)
def cfmod(a, b):  # MATH: numba has no math.fmod on the CPU
    return np.fmod(a, b)


compile_helpers(njit(inline="always", cache=True), globals())
__all__ = list(HELPERS + MATH)
