"""Elementwise math functions beyond arithmetic: tests for nan/inf, nan_to_num, log2/log10/
exp2, asin/acos/atan2, asinh/acosh/atanh, erfc, sinc, hypot, logaddexp, xlogy, sgn/signbit,
frac, degrees and radians, logit, fmax/fmin.

Stage: tensor front end; the invariants are the package's (ops/__init__.py). Each function is
the adc.numpy function of numpy's name (adc/numpy/elementwise.py holds the math: one
primitive or a composition whose derivatives of every order are the composition's) or a
composition of adc.numpy calls, with torch's names, integer rules and grad_fn names here.
"""
from __future__ import annotations

import numpy as np

from ... import numpy as anp
from .. import dtypes
from ..dispatch import op
from ..tensor import Tensor, apply
from .common import _name
from .elementwise import _elementwise, _sign, _unary

isnan = _unary("isnan", "IsNan", anp.isnan, floating=False)
isinf = _unary("isinf", "IsInf", anp.isinf, floating=False)
isfinite = _unary("isfinite", "IsFinite", anp.isfinite, floating=False)
signbit = _unary("signbit", "Signbit", anp.signbit, floating=False)
sgn = _unary("sgn", "Sgn", _sign, floating=False, on_bool=lambda t: t.clone())
log2 = _unary("log2", "Log2", anp.log2, inplace=True)
log10 = _unary("log10", "Log10", anp.log10, inplace=True)
exp2 = _unary("exp2", "Exp2", anp.exp2, inplace=True)
asin = _unary("asin", "Asin", anp.arcsin, inplace=True, alias="arcsin")
acos = _unary("acos", "Acos", anp.arccos, inplace=True, alias="arccos")
asinh = _unary("asinh", "Asinh", anp.arcsinh, inplace=True, alias="arcsinh")
acosh = _unary("acosh", "Acosh", anp.arccosh, inplace=True, alias="arccosh")
atanh = _unary("atanh", "Atanh", anp.arctanh, inplace=True, alias="arctanh")
erfc = _unary("erfc", "Erfc", anp.erfc, inplace=True)
sinc = _unary("sinc", "Sinc", anp.sinc, inplace=True)
rad2deg = _unary("rad2deg", "Rad2Deg", anp.rad2deg, inplace=True)
deg2rad = _unary("deg2rad", "Deg2Rad", anp.deg2rad, inplace=True)


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


atan2 = _binary("atan2", "Atan2", anp.arctan2)
arctan2 = op(atan2, name="arctan2")
hypot = _binary("hypot", "Hypot", anp.hypot, integers=False)
logaddexp = _binary("logaddexp", "Logaddexp", anp.logaddexp, integers=False)
xlogy = _binary("xlogy", "Xlogy", anp.xlogy, scalar_names=True)
fmax = _binary("fmax", "Fmax", anp.fmax, floating=False)
fmin = _binary("fmin", "Fmin", anp.fmin, floating=False)


def _nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    return anp.nan_to_num(input, nan=nan, posinf=posinf, neginf=neginf)


@op(inplace=True, out=True, numpy=_nan_to_num)
def nan_to_num(input, nan=0.0, posinf=None, neginf=None):
    if input.dtype.kind != "f":
        return input.clone()
    return apply(_name("NanToNum"), _nan_to_num, [input],
                 (("nan", nan), ("posinf", posinf), ("neginf", neginf)))


def _logit(x, eps):
    if eps is not None:
        x = anp.clip(x, eps, 1.0 - eps)
    else:  # torch's gradient: NaN outside [0, 1], +inf at both 0 and -0 (x + 0 is +0)
        outside = anp.logical_or(anp.less(x, 0), anp.greater(x, 1))
        x = anp.add(x, anp.where(outside, np.nan, anp.zeros_like(x)))
    return anp.subtract(anp.log(x), anp.log1p(anp.negative(x)))


@op(inplace=True, out=True, numpy=lambda input, eps=None: _logit(input, eps))
def logit(input, eps=None):
    dt = dtypes.float_result(input.dtype)
    return apply(_name("Logit"), _logit, [input.to(dt) if dt != input.dtype else input],
                 (("eps", None if eps is None else float(eps)),))


def _frac(x):
    return anp.subtract(x, anp.trunc(x))


@op(inplace=True, out=True, numpy=_frac)
def frac(input):
    _refuse_integers("frac", input.dtype)
    return apply(_name("Frac"), _frac, [input])
