"""`adc.numpy.linalg`: inv, solve and the 2-norm on traced arrays.

Stage: trace. Invariant: a 1-D right-hand side of solve is treated as a vector (numpy 2
semantics) by reshaping around the rank >= 2 `solve` primitive.
"""
from __future__ import annotations

import numpy as np

from .. import numpy as anp
from ..errors import UnsupportedError, with_location
from ..prims.linalg import inv_p, solve_p
from ..tracer import bind


def inv(a):
    (a,) = anp._promote(a, to_float=True)
    return bind(inv_p, a)


def solve(a, b):
    a, b = anp._promote(a, b, to_float=True)
    if anp.ndim(b) == 1:
        return anp.reshape(bind(solve_p, a, anp.reshape(b, (-1, 1))), (-1,))
    return bind(solve_p, a, b)


def norm(x, ord=None, axis=None, keepdims=False):
    """The 2-norm (Frobenius for matrices); gradient 0 at the origin, as in torch."""
    if ord not in (None, 2, "fro") or (ord == 2 and (axis is None and anp.ndim(x) > 1 or
                                                     isinstance(axis, tuple))):
        raise UnsupportedError(with_location(f"linalg.norm: ord={ord!r}; only the 2-norm "
                                             "(Frobenius for matrices) is supported"))
    (x,) = anp._promote(x, to_float=True)
    s = anp.sum(x * x, axis=axis, keepdims=keepdims)
    is_zero = anp.equal(s, 0)
    safe = anp.where(is_zero, np.ones((), s.dtype), s)
    return anp.where(is_zero, np.zeros((), s.dtype), anp.sqrt(safe))
