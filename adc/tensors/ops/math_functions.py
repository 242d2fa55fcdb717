"""Elementwise math functions beyond arithmetic: tests for nan/inf, nan_to_num, log2/log10/
exp2, asin/acos/atan2, hypot, logaddexp, xlogy, sgn/signbit, frac, degrees and radians, logit,
fmax/fmin.

Stage: tensor front end; the invariants are the package's (ops/__init__.py). Each function is
a composition of adc.numpy calls (so it serves traced values, and its derivatives of every
order are the composition's); where the textbook formula has a branch with a 0/0 or inf/inf,
the composition picks the well-conditioned form with `where` and feeds the unused branch a
safe operand, so no nan reaches a gradient that torch gives as a number.
"""
from __future__ import annotations

import math

import numpy as np

from ... import numpy as anp
from .. import dtypes
from ..dispatch import op
from ..tensor import Tensor, apply
from .common import _name
from .elementwise import _elementwise, _piecewise, _sign, _unary


def _isnan(x):
    return anp.not_equal(x, x)


def _isinf(x):
    return anp.equal(anp.abs(x), np.inf)


isnan = _unary("isnan", "IsNan", _isnan, floating=False)
isinf = _unary("isinf", "IsInf", _isinf, floating=False)
isfinite = _unary("isfinite", "IsFinite", anp.isfinite, floating=False)


def _signbit(x):
    """x < 0, -0.0 included (1 / -0.0 is -inf)."""
    return anp.logical_or(anp.less(x, 0), anp.less(anp.divide(1.0, x), 0))


signbit = _unary("signbit", "Signbit", _signbit, floating=False)
sgn = _unary("sgn", "Sgn", _sign, floating=False)


def _log2(x):
    return anp.divide(anp.log(x), math.log(2.0))


def _log10(x):
    return anp.divide(anp.log(x), math.log(10.0))


def _exp2(x):
    return anp.power(2.0, x)


def _asin(x):
    # the half-angle form: well conditioned up to |x| = 1, where it gives +-pi/2
    return anp.multiply(2.0, anp.arctan(anp.divide(x, anp.add(1.0, anp.sqrt(
        anp.subtract(1.0, anp.multiply(x, x)))))))


def _acos(x):
    return anp.subtract(np.pi / 2, _asin(x))


def _rad2deg(x):
    return anp.multiply(x, 180.0 / np.pi)


def _deg2rad(x):
    return anp.multiply(x, np.pi / 180.0)


log2 = _unary("log2", "Log2", _log2, inplace=True)
log10 = _unary("log10", "Log10", _log10, inplace=True)
exp2 = _unary("exp2", "Exp2", _exp2, inplace=True)
asin = _unary("asin", "Asin", _asin, inplace=True, alias="arcsin")
acos = _unary("acos", "Acos", _acos, inplace=True, alias="arccos")
rad2deg = _unary("rad2deg", "Rad2Deg", _rad2deg, inplace=True)
deg2rad = _unary("deg2rad", "Deg2Rad", _deg2rad, inplace=True)


def _atan2(y, x):
    """arctan(y / x) where |y| <= |x| and pi/2 - arctan(x / y) elsewhere (each ratio at most 1
    in size, so neither divides by zero unless both are), turned by +-pi into the quadrant of
    (x, y) from the signs of x and y (-0.0 counted negative, as atan2 does)."""
    both_inf = anp.logical_and(_isinf(x), _isinf(y))
    flat = anp.less_equal(anp.abs(y), anp.abs(x))
    num = anp.where(both_inf, anp.sign(y), anp.where(flat, y, x))
    den = anp.where(both_inf, anp.sign(x), anp.where(flat, anp.where(anp.equal(x, 0), 1.0, x), y))
    t = anp.arctan(anp.divide(num, den))
    half_turn = anp.astype(anp.where(_signbit(y), -np.pi, np.pi), t.dtype)
    turned = anp.add(t, anp.where(_signbit(x), half_turn, 0.0))
    steep = anp.subtract(anp.multiply(half_turn, 0.5), t)
    return anp.where(anp.logical_or(flat, both_inf), turned, steep)


def _hypot(x, y):
    return anp.sqrt(anp.add(anp.multiply(x, x), anp.multiply(y, y)))


def _xlogy(x, y):
    """0 where x is 0 (the log's argument replaced there, so no 0 * inf reaches a gradient),
    nan where y is nan."""
    zero = anp.equal(x, 0)
    value = anp.where(zero, 0.0, anp.multiply(x, anp.log(anp.where(zero, 1.0, y))))
    return anp.where(_isnan(y), y, value)


def _fmax(x, y):
    # torch's gradient: all to x where x >= y or y is nan (no split at ties)
    return anp.where(anp.logical_or(anp.greater_equal(x, y), _isnan(y)), x, y)


def _fmin(x, y):
    return anp.where(anp.logical_or(anp.less_equal(x, y), _isnan(y)), x, y)


def _binary(name, torch_name, fn, floating=True, integers=True, scalar_names=False):
    def binary(input, other):
        if not integers:
            _refuse_integers(name, dtypes.result_type(input, other))
        suffix = ("1" if not isinstance(input, Tensor) else "2" if not isinstance(
            other, Tensor) else "0") if scalar_names else "0"
        return _elementwise(f"{torch_name}Backward{suffix}", fn, input, other,
                            floating=floating)
    return op(binary, name=name, numpy=fn, out=True)


def _refuse_integers(name, dt):
    if dt.kind != "f":
        raise NotImplementedError(
            f'"{name}_cpu" not implemented for \'{dtypes.scalar_type(dt)}\'')


atan2 = _binary("atan2", "Atan2", _atan2)
arctan2 = op(atan2, name="arctan2")
hypot = _binary("hypot", "Hypot", _hypot, integers=False)
logaddexp = _binary("logaddexp", "Logaddexp", anp.logaddexp, integers=False)
xlogy = _binary("xlogy", "Xlogy", _xlogy, scalar_names=True)
fmax = _binary("fmax", "Fmax", _fmax, floating=False)
fmin = _binary("fmin", "Fmin", _fmin, floating=False)


def _nan_to_num(x, nan, posinf, neginf):
    x = anp.where(_isnan(x), nan, x)
    return anp.where(anp.equal(x, np.inf), posinf, anp.where(anp.equal(x, -np.inf), neginf, x))


def _nan_to_num_args(dt, nan, posinf, neginf):
    big = float(np.finfo(dt).max)
    return (0.0 if nan is None else float(nan), big if posinf is None else float(posinf),
            -big if neginf is None else float(neginf))


def _numpy_nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    if np.dtype(input.dtype).kind != "f":
        return input
    return _nan_to_num(input, *_nan_to_num_args(input.dtype, nan, posinf, neginf))


@op(inplace=True, out=True, numpy=_numpy_nan_to_num)
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    if input.dtype.kind != "f":
        return input.clone()
    args = _nan_to_num_args(input.dtype, nan, posinf, neginf)
    return apply(_name("NanToNum"), _nan_to_num, [input],
                 tuple(zip(("nan", "posinf", "neginf"), args)))


def _logit(x, eps):
    if eps is not None:
        x = anp.clip(x, eps, 1.0 - eps)
    return anp.subtract(anp.log(x), anp.log1p(anp.negative(x)))


@op(inplace=True, out=True, numpy=lambda input, eps=None: _logit(input, eps))
def logit(input, eps=None):
    dt = dtypes.float_result(input.dtype)
    return apply(_name("Logit"), _logit, [input.to(dt) if dt != input.dtype else input],
                 (("eps", None if eps is None else float(eps)),))


@op(inplace=True, out=True)
def frac(input):
    _refuse_integers("frac", input.dtype)
    return _piecewise(_name("Frac"), input._data - np.trunc(input._data), [input],
                      [np.ones((), input.dtype)])
