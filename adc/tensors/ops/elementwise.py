"""Elementwise tensor ops: arithmetic, comparisons, unary math, rounding and remainders,
clamp/where/masked_fill, addcdiv/addcmul/lerp, fills, copies and dtype conversion.

Stage: tensor front end; the invariants are the package's (ops/__init__.py).
"""
from __future__ import annotations

import functools

import numpy as np

from ... import numpy as anp
from .. import dtypes
from ..dispatch import op
from ..tensor import Tensor, apply
from .common import _as_tensor, _name, _operand


@functools.cache
def _cast_then(fn):
    def cast_then(*xs, dtype):
        return fn(*[anp.astype(x, dtype) for x in xs])
    cast_then.__qualname__ = f"cast_then_{fn.__name__}"
    return cast_then


def _elementwise(name, fn, *operands, floating=False, wrap=True):
    """`fn` of the operands in their result dtype; Python ints out of an integer dtype's range
    wrap (`wrap`, torch's arithmetic) or raise (torch's checked casts)."""
    dt = dtypes.result_type(*operands)
    if floating:
        dt = dtypes.float_result(dt)
    ops = [_operand(x, dt, wrap) for x in operands]
    if not any(isinstance(x, Tensor) for x in ops):
        ops[0] = Tensor._wrap(ops[0])
    return apply(name, _cast_then(fn), ops, (("dtype", dt.char),))


def _scaled(x, alpha):
    return x if alpha == 1 else anp.multiply(x, alpha)


@op(inplace=True, out=True,
    numpy=lambda input, other, *, alpha=1: anp.add(input, _scaled(other, alpha)))
def add(input, other, *, alpha=1):
    if alpha != 1:
        other = _mul(other, alpha)
    return _elementwise(_name("Add"), anp.add, input, other)


def _refuse_bool_subtraction(input, other):
    """torch's errors: two bools, or a bool tensor and a number (or a number and a bool)."""
    kinds = [getattr(x, "dtype", None) is not None and x.dtype.kind == "b" or isinstance(x, bool)
             for x in (input, other)]
    if all(kinds):
        raise RuntimeError("Subtraction, the `-` operator, with two bool tensors is not "
                           "supported. Use the `^` or `logical_xor()` operator instead.")
    if any(kinds):
        raise RuntimeError("Subtraction, the `-` operator, with a bool tensor is not supported. "
                           "If you are trying to invert a mask, use the `~` or `logical_not()` "
                           "operator instead.")


@op(inplace=True, out=True,
    numpy=lambda input, other, *, alpha=1: anp.subtract(input, _scaled(other, alpha)))
def sub(input, other, *, alpha=1):
    _refuse_bool_subtraction(input, other)
    if alpha != 1:
        other = _mul(other, alpha)
    return _elementwise(_name("Sub"), anp.subtract, input, other)


@op(method=False,
    numpy=lambda input, other, *, alpha=1: anp.subtract(other, _scaled(input, alpha)))
def rsub(input, other, *, alpha=1):
    """other - alpha * input (torch.rsub; what `number - tensor` calls)."""
    _refuse_bool_subtraction(input, other)
    if alpha != 1:
        input = _mul(input, alpha)
    return _elementwise("RsubBackward1", anp.subtract, other, input)


def _mul(input, other):
    """mul on Tensors; add/sub/rsub scale by alpha with it (a Python number too becomes a
    Tensor, as in torch)."""
    return _elementwise(_name("Mul"), anp.multiply, input, other)


mul = op(_mul, name="mul", inplace=True, numpy=anp.multiply, out=True)


def _trunc_divide(a, b):
    """torch's trunc division: trunc(a / b) for floats; for integers the floor quotient of
    a - fmod(a, b), an exact multiple of b."""
    if any(isinstance(x, float) or np.dtype(getattr(x, "dtype", int)).kind == "f"
           for x in (a, b)):
        return anp.trunc(anp.divide(a, b))
    return anp.floor_divide(anp.subtract(a, anp.fmod(a, b)), b)


_ROUNDED_QUOTIENTS = {None: anp.divide, "floor": anp.floor_divide, "trunc": _trunc_divide}


def _numpy_div(input, other, *, rounding_mode=None):
    if rounding_mode not in _ROUNDED_QUOTIENTS:
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    return _ROUNDED_QUOTIENTS[rounding_mode](input, other)


def _integer_division(kernel, dt, divisor):
    """torch's errors: no division kernel for bools, a zero integer divisor raises."""
    if dt.kind == "b":
        raise NotImplementedError(f'"{kernel}_cpu" not implemented for \'Bool\'')
    if dt.kind in "iu" and not np.all(divisor._data if isinstance(divisor, Tensor) else divisor):
        raise RuntimeError("ZeroDivisionError")


def _rounded_division(name, input, other, rounding_mode):
    if rounding_mode not in _ROUNDED_QUOTIENTS:
        raise RuntimeError("div expected rounding_mode to be one of None, 'trunc', or 'floor' "
                           f"but found '{rounding_mode}'")
    _integer_division(f"div_{rounding_mode}", dtypes.result_type(input, other), other)
    return _elementwise(name, _ROUNDED_QUOTIENTS[rounding_mode], input, other)


@op(inplace=True, numpy=_numpy_div, out=True)
def div(input, other, *, rounding_mode=None):
    if rounding_mode is None:
        return _elementwise(_name("Div"), anp.divide, input, other, floating=True)
    return _rounded_division("DivBackward2", input, other, rounding_mode)


@op(inplace=True, out=True)
def floor_divide(input, other):
    """div(rounding_mode="floor"), recorded as torch records it: a NotImplemented node, whose
    backward raises (div with floor rounding differentiates, to zero)."""
    out = _rounded_division("DivBackward2", input, other, "floor")
    if out._grad_fn is not None:
        out._grad_fn.refuse("floor_divide")
    return out


true_divide = op(div, name="true_divide")
divide = op(div, name="divide")
multiply = op(mul, name="multiply")
subtract = op(sub, name="subtract")


def _power_by_number(x, *, exponent, dtype):
    if np.dtype(dtype).kind == "b":  # bools to a bool power (torch): x ** True is x, ** False 1
        return anp.logical_or(x, not exponent)
    return anp.power(anp.astype(x, dtype), exponent)


def _integer_power(base, power):
    """torch's integer power by a tensor: a negative exponent gives 0, except for the bases 1
    and -1 (no error, unlike a negative number exponent)."""
    positive = np.power(base, np.abs(power))
    odd = (power & 1).astype(bool)
    negative = np.where(base == 1, 1, np.where(base == -1, np.where(odd, -1, 1), 0))
    return np.where(power < 0, negative, positive).astype(base.dtype)


@op(inplace=True, numpy=anp.power, out=True)
def pow(input, exponent):
    if isinstance(input, Tensor) and type(exponent) in (int, float, bool):
        # a number exponent is static, so an integer tensor to an integer power stays integer
        dt = dtypes.result_type(input, exponent)
        if dt.kind in "iu" and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        _operand(exponent, dt)  # torch checks an integer exponent against the dtype
        return apply("PowBackward0", _power_by_number, [input],
                     (("dtype", dt.char), ("exponent", exponent)))
    dt = dtypes.result_type(input, exponent)
    if dt.kind == "b":
        raise NotImplementedError('"pow" not implemented for \'Bool\'')
    if dt.kind in "iu":  # integer ** integer tensor stays integer (no gradient to record)
        base, power = (x._data.astype(dt) if isinstance(x, Tensor) else _operand(x, dt, True)
                       for x in (input, exponent))
        return Tensor._wrap(_integer_power(base, power))
    name = "PowBackward2" if not isinstance(input, Tensor) else "PowBackward1"
    return _elementwise(name, anp.power, input, exponent)


@op(numpy=anp.maximum, out=True)
def maximum(input, other):
    return _elementwise(_name("Maximum"), anp.maximum, input, other)


@op(numpy=anp.minimum, out=True)
def minimum(input, other):
    return _elementwise(_name("Minimum"), anp.minimum, input, other)


def _comparison(name, fn, *aliases):
    def comparison(input, other):
        dt = dtypes.result_type(input, other)
        return apply(name, _cast_then(fn), [_operand(x, dt, True) for x in (input, other)],
                     (("dtype", dt.char),))
    public = op(comparison, name=name, numpy=fn, out=True)
    for alias in aliases:
        op(public, name=alias, function=False)
    return public


eq = _comparison("eq", anp.equal)
ne = _comparison("ne", anp.not_equal, "not_equal")
lt = _comparison("lt", anp.less, "less")
le = _comparison("le", anp.less_equal, "less_equal")
gt = _comparison("gt", anp.greater, "greater")
ge = _comparison("ge", anp.greater_equal, "greater_equal")
logical_and = _comparison("logical_and", anp.logical_and)
logical_or = _comparison("logical_or", anp.logical_or)


def _unary(name, torch_name, fn, floating=True, inplace=False, alias=None, on_bool=None):
    """`on_bool`: what torch does with a bool tensor instead (an exception to raise, or a
    function of the tensor), where it does not compute as on integers."""
    def unary(input):
        if on_bool is not None and input.dtype.kind == "b":
            if isinstance(on_bool, Exception):
                raise on_bool
            return on_bool(input)
        return _elementwise(_name(torch_name), fn, input, floating=floating)
    public = op(unary, name=name, inplace=inplace, numpy=fn, out=True)
    if alias is not None:
        op(public, name=alias)
    return public


def _sign(x):
    """torch's sign: 0 at nan."""
    return anp.where(anp.not_equal(x, x), 0, anp.sign(x))


def _rsqrt(x):
    return anp.reciprocal(anp.sqrt(x))


exp = _unary("exp", "Exp", anp.exp, inplace=True)
expm1 = _unary("expm1", "Expm1", anp.expm1)
log = _unary("log", "Log", anp.log, inplace=True)
log1p = _unary("log1p", "Log1P", anp.log1p)
sqrt = _unary("sqrt", "Sqrt", anp.sqrt, inplace=True)
rsqrt = _unary("rsqrt", "Rsqrt", _rsqrt)
sin = _unary("sin", "Sin", anp.sin, inplace=True)
cos = _unary("cos", "Cos", anp.cos, inplace=True)
tan = _unary("tan", "Tan", anp.tan)
sinh = _unary("sinh", "Sinh", anp.sinh)
cosh = _unary("cosh", "Cosh", anp.cosh)
tanh = _unary("tanh", "Tanh", anp.tanh, inplace=True)
atan = _unary("atan", "Atan", anp.arctan, alias="arctan")
erf = _unary("erf", "Erf", anp.erf, inplace=True)
sigmoid = _unary("sigmoid", "Sigmoid", anp.sigmoid, inplace=True)
reciprocal = _unary("reciprocal", "Reciprocal", anp.reciprocal, inplace=True)
neg = _unary("neg", "Neg", anp.negative, floating=False, inplace=True, alias="negative",
             on_bool=RuntimeError("Negation, the `-` operator, on a bool tensor is not supported. "
                                  "If you are trying to invert a mask, use the `~` or "
                                  "`logical_not()` operator instead."))
abs = _unary("abs", "Abs", anp.abs, floating=False, inplace=True, alias="absolute",
             on_bool=NotImplementedError('"abs_cpu" not implemented for \'Bool\''))
relu = _unary("relu", "Relu", anp.relu, floating=False, inplace=True,
              on_bool=RuntimeError("Boolean inputs not supported for relu"))
sign = _unary("sign", "Sign", _sign, floating=False, on_bool=lambda t: t.clone())
square = _unary("square", "Pow", anp.square, floating=False,
                on_bool=lambda t: t.to(np.dtype(np.int64)))
logical_not = _unary("logical_not", "LogicalNot", anp.logical_not, floating=False)


def _rounding(name, torch_name, fn):
    def rounding(input):
        if input.dtype.kind == "b":
            raise NotImplementedError(f'"{name}_vml_cpu" not implemented for \'Bool\'')
        if input.dtype.kind != "f":
            return input.clone()  # torch: an integer tensor rounds to itself
        return _elementwise(_name(torch_name), fn, input)
    return op(rounding, name=name, inplace=True, out=True, numpy=fn)


floor = _rounding("floor", "Floor", anp.floor)
ceil = _rounding("ceil", "Ceil", anp.ceil)
trunc = _rounding("trunc", "Trunc", anp.trunc)


def _round(x, *, decimals=0):
    return anp.round(x, decimals)


@op(inplace=True, out=True, numpy=_round)
def round(input, *, decimals=0):
    if input.dtype.kind == "b":
        raise NotImplementedError('"round_vml_cpu" not implemented for \'Bool\'')
    if decimals == 0:
        return input.clone() if input.dtype.kind != "f" else apply(
            "RoundBackward0", anp.rint, [input])
    if input.dtype.kind != "f":
        raise NotImplementedError(
            f'"round_cpu" not implemented for \'{dtypes.scalar_type(input.dtype)}\'')
    return apply("RoundBackward1", _round, [input], (("decimals", int(decimals)),))


def _remainder_op(name, torch_name, fn):
    def remainder(input, other):
        _integer_division(name, dtypes.result_type(input, other), other)
        suffix = "1" if isinstance(other, Tensor) else "0"
        return _elementwise(f"{torch_name}Backward{suffix}", fn, input, other)
    return op(remainder, name=name, inplace=True, out=True, numpy=fn)


remainder = _remainder_op("remainder", "Remainder", anp.remainder)
fmod = _remainder_op("fmod", "Fmod", anp.fmod)


@op(function=False)
def softplus(input, beta=1.0, threshold=20.0):
    if beta != 1.0:
        raise NotImplementedError("adc: softplus with beta != 1 is not supported")
    return _elementwise(_name("Softplus"), anp.softplus, input, floating=True)


@op(inplace=True, numpy=lambda input, min=None, max=None: anp.clip(input, min, max), out=True)
def clamp(input, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    _refuse_bool_clamp(input, min, max)
    if min is None:  # one bound: the dtype is the input's and that bound's (torch's)
        return _elementwise("ClampBackward1", _clamp_max, input, max, wrap=False)
    if max is None:
        return _elementwise("ClampBackward1", _clamp_min, input, min, wrap=False)
    return _elementwise("ClampBackward1", anp.clip, input, min, max, wrap=False)


def _refuse_bool_clamp(input, lo, hi):
    """torch's errors for a bool result: its kernels take bools only for one tensor bound."""
    bounds = [b for b in (lo, hi) if b is not None]
    if dtypes.result_type(input, *bounds).kind != "b":
        return
    tensors = [isinstance(b, Tensor) for b in bounds]
    if len(bounds) == 1 and tensors[0]:
        return
    kernel = ("clamp" if all(tensors) else "clamp_scalar") if len(bounds) == 2 else \
        ("clamp_min_scalar" if lo is not None else "clamp_max_scalar")
    raise NotImplementedError(f'"{kernel}_cpu" not implemented for \'Bool\'')


def _clamp_max(x, hi):  # clip's gradient: it passes at the bound, as torch's clamp
    return anp.clip(x, None, hi)


def _clamp_min(x, lo):
    return anp.clip(x, lo, None)


clip = op(clamp, name="clip", inplace=True)


@op(method=False, numpy=lambda condition, input, other: anp.where(condition, input, other),
    out=True)
def where(condition, input, other):
    cond = _as_tensor(condition)
    dt = dtypes.result_type(input, other)
    return apply(_name("Where"), _where, [cond, _operand(input, dt), _operand(other, dt)],
                 (("dtype", dt.char),))


def _where(c, x, y, dtype):
    return anp.where(c, anp.astype(x, dtype), anp.astype(y, dtype))


def _masked_fill(x, mask, value, dtype):
    return anp.where(mask, anp.astype(value, dtype), x)


@op(inplace=True, numpy=lambda input, mask, value: anp.where(mask, value, input))
def masked_fill(input, mask, value):
    return apply(_name("MaskedFill"), _masked_fill,
                 [input, _as_tensor(mask), _operand(value, input.dtype)],
                 (("dtype", input.dtype.char),))


def _addcdiv(x, a, b, value):
    return x + value * (a / b)


def _addcmul(x, a, b, value):
    return x + value * (a * b)


def _lerp(x, end, weight):
    return x + weight * (end - x)


@op(inplace=True, out=True, numpy=lambda input, tensor1, tensor2, *, value=1: _addcdiv(
    input, tensor1, tensor2, value))
def addcdiv(input, tensor1, tensor2, *, value=1):
    return _elementwise(_name("Addcdiv"), _addcdiv, input, tensor1, tensor2, value,
                        floating=True)


@op(inplace=True, out=True, numpy=lambda input, tensor1, tensor2, *, value=1: _addcmul(
    input, tensor1, tensor2, value))
def addcmul(input, tensor1, tensor2, *, value=1):
    return _elementwise(_name("Addcmul"), _addcmul, input, tensor1, tensor2, value)


@op(inplace=True, numpy=_lerp, out=True)
def lerp(input, end, weight):
    dt = dtypes.result_type(input, end)
    if dt.kind != "f":
        raise NotImplementedError(f'"lerp_kernel_scalar" not implemented for '
                                  f"'{dtypes.scalar_type(dt)}'")
    return _elementwise(_name("Lerp"), _lerp, input, end, weight)


def _fill(x, value):
    return anp.broadcast_to(anp.astype(value, x.dtype), anp.shape(x))


def full_of(input, value):
    """A tensor like `input` filled with `value` (gradient zero w.r.t. `input`)."""
    return apply("FillBackward0", _fill, [input, _operand(value, input.dtype)])


def copy_from(input, src):
    """`src` broadcast and cast into `input`'s shape and dtype (torch's copy_)."""
    return apply("CopyBackwards", _fill, [input, _operand(src, input.dtype)])


def to_dtype(input, dtype):
    return apply("ToCopyBackward0", anp.astype, [input], (("dtype", np.dtype(dtype).char),))
