"""numpy's elementwise functions beyond the arithmetic core: logarithms and powers of 2 and 10,
inverse trigonometric and hyperbolic functions, arctan2/hypot/sinc, angle conversions,
fabs/fmax/fmin, nan_to_num, real/imag, erfc, rounding and remainders.

Stage: trace (the user namespace, `adc.numpy`). Invariant: each function takes numpy's name,
arguments and result dtype (integers and bools as numpy gives them: floor of an integer array
is that array, rint of it float64, remainder of integers integers) and is either one
primitive or a composition of adc.numpy calls, so its derivatives of every order are the
composition's. Where a textbook formula has a 0/0 or an overflow, the composition feeds the
unused branch of a `where` a safe operand, so no nan reaches a gradient that is a number.
"""
from __future__ import annotations

import builtins
import math

import numpy as np

from ..errors import UnsupportedError, with_location
from ..prims import elementwise as E
from ..tracer import Tracer, bind
from . import (_as_operand, _dtype_of, _elementwise, _promote, add, arctan, astype, divide,
               equal, float_operands, greater_equal, less, less_equal, log, logaddexp,
               logical_or, multiply, not_equal, power, sin, sqrt, subtract, where)
from . import abs as _abs

__all__ = ["erfc", "arcsinh", "arccosh", "arctanh", "isnan", "isinf", "signbit", "log2",
           "log10", "exp2", "logaddexp2", "arcsin", "arccos", "arctan2", "hypot", "sinc",
           "deg2rad", "rad2deg", "radians", "degrees", "fabs", "fmax", "fmin", "nan_to_num",
           "real", "imag", "floor", "ceil", "trunc", "fix", "rint", "round", "around",
           "remainder", "mod", "fmod", "floor_divide", "divmod"]

erfc = _elementwise(E.erfc_p)
arcsinh, arccosh, arctanh = map(_elementwise, (E.arcsinh_p, E.arccosh_p, E.arctanh_p))


def _floats(*xs):
    return float_operands(*xs)


def isnan(x):
    return not_equal(x, x)


def isinf(x):
    return equal(_abs(x), np.inf)


def signbit(x):
    """x < 0, -0.0 included (1 / -0.0 is -inf)."""
    (x,) = _floats(x)
    return logical_or(less(x, 0), less(divide(1.0, x), 0))


def log2(x):
    return divide(log(x), math.log(2.0))


def log10(x):
    return divide(log(x), math.log(10.0))


def exp2(x):
    return power(2.0, *_floats(x))


def logaddexp2(x1, x2):
    x1, x2 = _floats(x1, x2)
    return divide(logaddexp(multiply(x1, math.log(2.0)), multiply(x2, math.log(2.0))),
                  math.log(2.0))


def arcsin(x):
    # the half-angle form: well conditioned up to |x| = 1, where it gives +-pi/2
    (x,) = _floats(x)
    return multiply(2.0, arctan(divide(x, add(1.0, sqrt(subtract(1.0, multiply(x, x)))))))


def arccos(x):
    return subtract(np.pi / 2, arcsin(x))


arctan2 = _elementwise(E.arctan2_p)


hypot = _elementwise(E.hypot_p)


def sinc(x):
    """sin(pi x) / (pi x), 1 where pi x**2 is 0 (x 0 or so small that the quotient is 1), and
    its derivative 0 there (torch's; the quotient's would be 0 / 0). numpy's sinc is Python
    code, not a ufunc: integers of every width become float64."""
    (x,) = _promote(x, to_float=True)
    zero = equal(multiply(multiply(x, x), np.pi), 0)
    px = multiply(where(zero, 1.0, x), np.pi)
    return where(zero, 1.0, divide(sin(px), px))


def rad2deg(x):
    return multiply(*_floats(x), 180.0 / np.pi)


def deg2rad(x):
    return multiply(*_floats(x), np.pi / 180.0)


degrees, radians = rad2deg, deg2rad


def fabs(x):
    return _abs(*_floats(x))


def fmax(x1, x2):
    # torch's gradient: all to x1 where x1 >= x2 or x2 is nan (no split at ties)
    x1, x2 = _promote(x1, x2)
    return where(logical_or(greater_equal(x1, x2), isnan(x2)), x1, x2)


def fmin(x1, x2):
    x1, x2 = _promote(x1, x2)
    return where(logical_or(less_equal(x1, x2), isnan(x2)), x1, x2)


def nan_to_num(x, copy=True, nan=0.0, posinf=None, neginf=None):
    """nan, +inf and -inf replaced (by 0 and the dtype's largest finite values by default);
    integers and bools returned as they are."""
    x = _as_operand(x)
    if not isinstance(x, Tracer):
        return np.nan_to_num(x, copy=copy, nan=nan, posinf=posinf, neginf=neginf)
    if x.dtype.kind != "f":
        return x
    big = float(np.finfo(x.dtype).max)
    hi, lo = (big if posinf is None else posinf), (-big if neginf is None else neginf)
    x = where(isnan(x), nan, x)
    return where(equal(x, np.inf), hi, where(equal(x, -np.inf), lo, x))


def real(val):
    """The real part: a real array itself (adc has no complex dtype)."""
    return _as_operand(val)


def imag(val):
    """The imaginary part of a real array: zeros of its shape and dtype (no gradient)."""
    val = _as_operand(val)
    return np.zeros(np.shape(val) if not isinstance(val, Tracer) else val.shape,
                    _dtype_of(val) or np.result_type(val))


def _numpy_dtype(fn, *dtypes):
    """The result dtype numpy gives `fn` of arrays of `dtypes`."""
    with np.errstate(all="ignore"):
        return fn(*[np.ones((), d) for d in dtypes]).dtype


def _rounding(prim):
    def fn(x):
        x = _as_operand(x)
        if not isinstance(x, Tracer):
            return prim.impl(np.asarray(x))
        dtype = _numpy_dtype(prim.impl, x.dtype)
        if x.dtype.kind != "f" and dtype == x.dtype:
            return x  # an integer is its own floor, ceil, trunc
        if dtype.itemsize < 4:  # numpy's float16 for bools and small integers: adc has none
            dtype = np.dtype(np.float64)
        return bind(prim, astype(x, dtype))

    fn.__name__ = prim.name
    return fn


floor, ceil, trunc, rint = map(_rounding, (E.floor_p, E.ceil_p, E.trunc_p, E.rint_p))
fix = trunc


def round(a, decimals=0, out=None):
    """numpy's round: half to even; with `decimals`, numpy's (and torch's) formula in the
    array's dtype: rint(a * 10**decimals) / 10**decimals (decimals < 0: by 10**-decimals)."""
    if out is not None:
        raise UnsupportedError(with_location("round: out= is not supported"))
    a = _as_operand(a)
    if not isinstance(a, Tracer):
        return np.round(a, decimals)
    if a.dtype.kind == "b":
        a = astype(a, np.float64)  # numpy's float16; adc has none
    if a.dtype.kind != "f":
        if decimals >= 0:
            return a
        raise UnsupportedError(with_location(
            f"round: decimals={decimals} of a traced {a.dtype} array (numpy rounds integers to "
            "tens in integer arithmetic); convert it to a float dtype first"))
    if decimals == 0:
        return rint(a)
    ten = np.asarray(10.0 ** builtins.abs(decimals), a.dtype)
    return divide(rint(multiply(a, ten)), ten) if decimals > 0 else \
        multiply(rint(divide(a, ten)), ten)


around = round


def _division(prim):
    def fn(x1, x2):
        x1, x2 = _promote(x1, x2)
        if isinstance(x1, Tracer) or isinstance(x2, Tracer):
            dtype = _numpy_dtype(prim.impl, _dtype_of(x1), _dtype_of(x2))
            return bind(prim, astype(x1, dtype), astype(x2, dtype))
        return prim.impl(x1, x2)

    fn.__name__ = prim.name
    return fn


remainder = mod = _division(E.remainder_p)
fmod = _division(E.fmod_p)
floor_divide = _division(E.floor_divide_p)


def divmod(x1, x2):
    return floor_divide(x1, x2), remainder(x1, x2)
