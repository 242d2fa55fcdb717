"""Tensor operations with torch's names and signatures, built on adc.numpy.

Stage: tensor front end. Invariants: each operation is declared once, with `@op` (dispatch.py):
that table is the only list of the functions, methods and in-place methods, and it holds the
op's numpy form for inputs that are not Tensors. On Tensors each operation is a module-level
function of adc.numpy calls (so its traced graph is cached by identity) applied through
`tensor.apply`; torch's dtype rules are decided before the call (dtypes.py) and
data-dependent facts (argmax indices, boolean masks, sort orders) are computed eagerly and
passed in as integer inputs, so the graph depends only on shapes and dtypes.
"""
from __future__ import annotations

import builtins
import collections
import functools
import numbers

import numpy as np

from .. import numpy as anp
from ..errors import UnsupportedError, with_location
from ..numpy.linalg import norm as _anp_norm
from . import dtypes
from .dispatch import function_names, op, refuse_traced
from .index_keys import (getitem_traced, index_put_traced, masked_select_traced, positions,
                         rebuild_key, split_key)
from .tensor import Tensor, apply

values_indices = collections.namedtuple("values_indices", ["values", "indices"])


def _as_tensor(x) -> Tensor:
    if isinstance(x, Tensor):
        return x
    from .creation import tensor

    return tensor(refuse_traced(x))


def _operand(x, dtype):
    """Python numbers become constant arrays of the operation's dtype (not part of the key)."""
    return x if isinstance(x, Tensor) else np.asarray(refuse_traced(x), dtype)


def _name(op: str) -> str:
    return f"{op}Backward0"


# ---- elementwise ----

@functools.cache
def _cast_then(fn):
    def cast_then(*xs, dtype):
        return fn(*[anp.astype(x, dtype) for x in xs])
    cast_then.__qualname__ = f"cast_then_{fn.__name__}"
    return cast_then


def _elementwise(name, fn, *operands, floating=False):
    dt = dtypes.result_type(*operands)
    if floating:
        dt = dtypes.float_result(dt)
    ops = [_operand(x, dt) for x in operands]
    if not any(isinstance(x, Tensor) for x in ops):
        ops[0] = Tensor._wrap(ops[0])
    return apply(name, _cast_then(fn), ops, (("dtype", dt.char),))


def _scaled(x, alpha):
    return x if alpha == 1 else anp.multiply(x, alpha)


@op(inplace=True, numpy=lambda input, other, *, alpha=1: anp.add(input, _scaled(other, alpha)))
def add(input, other, *, alpha=1):
    if alpha != 1:
        other = _mul(other, alpha)
    return _elementwise(_name("Add"), anp.add, input, other)


@op(inplace=True,
    numpy=lambda input, other, *, alpha=1: anp.subtract(input, _scaled(other, alpha)))
def sub(input, other, *, alpha=1):
    if alpha != 1:
        other = _mul(other, alpha)
    return _elementwise(_name("Sub"), anp.subtract, input, other)


@op(method=False,
    numpy=lambda input, other, *, alpha=1: anp.subtract(other, _scaled(input, alpha)))
def rsub(input, other, *, alpha=1):
    """other - alpha * input (torch.rsub; what `number - tensor` calls)."""
    if alpha != 1:
        input = _mul(input, alpha)
    return _elementwise("RsubBackward1", anp.subtract, other, input)


def _mul(input, other):
    """mul on Tensors; add/sub/rsub scale by alpha with it (a Python number too becomes a
    Tensor, as in torch)."""
    return _elementwise(_name("Mul"), anp.multiply, input, other)


mul = op(_mul, name="mul", inplace=True, numpy=anp.multiply)


def _true_division(rounding_mode):
    if rounding_mode is not None:
        raise NotImplementedError("adc: div(rounding_mode=...) is not supported; use true "
                                  "division")


def _numpy_div(input, other, *, rounding_mode=None):
    _true_division(rounding_mode)
    return anp.divide(input, other)


@op(inplace=True, numpy=_numpy_div)
def div(input, other, *, rounding_mode=None):
    _true_division(rounding_mode)
    return _elementwise(_name("Div"), anp.divide, input, other, floating=True)


true_divide = op(div, name="true_divide")
divide = op(div, name="divide", function=False)
multiply = op(mul, name="multiply", function=False)
subtract = op(sub, name="subtract", function=False)


def _power_by_number(x, *, exponent, dtype):
    return anp.power(anp.astype(x, dtype), exponent)


@op(inplace=True, numpy=anp.power)
def pow(input, exponent):
    if isinstance(input, Tensor) and type(exponent) in (int, float):
        # a number exponent is static, so an integer tensor to an integer power stays integer
        dt = dtypes.result_type(input, exponent)
        if dt.kind in "iu" and exponent < 0:
            raise RuntimeError("Integers to negative integer powers are not allowed.")
        return apply("PowBackward0", _power_by_number, [input],
                     (("dtype", dt.char), ("exponent", exponent)))
    name = "PowBackward2" if not isinstance(input, Tensor) else "PowBackward1"
    return _elementwise(name, anp.power, input, exponent)


@op(numpy=anp.maximum)
def maximum(input, other):
    return _elementwise(_name("Maximum"), anp.maximum, input, other)


@op(numpy=anp.minimum)
def minimum(input, other):
    return _elementwise(_name("Minimum"), anp.minimum, input, other)


def _comparison(name, fn, *aliases):
    def comparison(input, other):
        dt = dtypes.result_type(input, other)
        return apply(name, _cast_then(fn), [_operand(x, dt) for x in (input, other)],
                     (("dtype", dt.char),))
    public = op(comparison, name=name, numpy=fn)
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


def _unary(name, torch_name, fn, floating=True, inplace=False, alias=None):
    def unary(input):
        return _elementwise(_name(torch_name), fn, input, floating=floating)
    public = op(unary, name=name, inplace=inplace, numpy=fn)
    if alias is not None:
        op(public, name=alias, function=False)
    return public


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
sigmoid = _unary("sigmoid", "Sigmoid", anp.sigmoid, inplace=True)
reciprocal = _unary("reciprocal", "Reciprocal", anp.reciprocal, inplace=True)
neg = _unary("neg", "Neg", anp.negative, floating=False, inplace=True, alias="negative")
abs = _unary("abs", "Abs", anp.abs, floating=False, inplace=True, alias="absolute")
relu = _unary("relu", "Relu", anp.relu, floating=False, inplace=True)
sign = _unary("sign", "Sign", anp.sign, floating=False)
square = _unary("square", "Pow", anp.square, floating=False)
logical_not = _unary("logical_not", "LogicalNot", anp.logical_not, floating=False)


@op(function=False)
def softplus(input, beta=1.0, threshold=20.0):
    if beta != 1.0:
        raise NotImplementedError("adc: softplus with beta != 1 is not supported")
    return _elementwise(_name("Softplus"), anp.softplus, input, floating=True)


@op(inplace=True, numpy=lambda input, min=None, max=None: anp.clip(input, min, max))
def clamp(input, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    lo = -np.inf if min is None else min
    hi = np.inf if max is None else max
    return _elementwise("ClampBackward1", anp.clip, input, lo, hi)


clip = op(clamp, name="clip", inplace=True)


@op(method=False, numpy=lambda condition, input, other: anp.where(condition, input, other))
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


@op(inplace=True, numpy=lambda input, tensor1, tensor2, *, value=1: _addcdiv(
    input, tensor1, tensor2, value))
def addcdiv(input, tensor1, tensor2, *, value=1):
    return _elementwise(_name("Addcdiv"), _addcdiv, input, tensor1, tensor2, value,
                        floating=True)


@op(inplace=True, numpy=lambda input, tensor1, tensor2, *, value=1: _addcmul(
    input, tensor1, tensor2, value))
def addcmul(input, tensor1, tensor2, *, value=1):
    return _elementwise(_name("Addcmul"), _addcmul, input, tensor1, tensor2, value)


@op(inplace=True, numpy=_lerp)
def lerp(input, end, weight):
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


# ---- reductions ----

def _dims(dim, ndim):
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
    return tuple(sorted(d % builtins.max(ndim, 1) for d in dims))


def _axis(dim):
    """torch's `dim` (None, an int or a sequence) as adc.numpy's `axis`."""
    return dim if dim is None or isinstance(dim, numbers.Integral) else tuple(dim)


def _cast(x, dtype):
    return x if dtype is None else anp.astype(x, dtype)


def _reduce(name, fn, input, dim, keepdim, **extra):
    """`name` is torch's grad_fn name: a string, or a pair (whole tensor, along dims)."""
    axis = _dims(dim, input.ndim)
    if not isinstance(name, str):
        name = name[0] if dim is None else name[1]
    return apply(name, fn, [input],
                 (("axis", axis), ("keepdims", keepdim)) + tuple(sorted(extra.items())))


@op(numpy=lambda input, dim=None, keepdim=False, *, dtype=None: anp.sum(
    input, axis=_axis(dim), dtype=dtype, keepdims=keepdim))
def sum(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    elif input.dtype.kind in "biu":
        input = input.to(dtypes.int64)
    return _reduce(("SumBackward0", "SumBackward1"), anp.sum, input, dim, keepdim)


def _require_float(input, what):
    if input.dtype.kind != "f":
        raise RuntimeError(f"{what}(): could not infer output dtype. Input dtype must be either "
                           f"a floating point or complex dtype. Got: {input.dtype}")


@op(numpy=lambda input, dim=None, keepdim=False, *, dtype=None: anp.mean(
    _cast(input, dtype), axis=_axis(dim), keepdims=keepdim))
def mean(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    _require_float(input, "mean")
    return _reduce(("MeanBackward0", "MeanBackward1"), anp.mean, input, dim, keepdim)


@op(numpy=lambda input, dim=None, keepdim=False, *, dtype=None: anp.prod(
    _cast(input, dtype), axis=_axis(dim), keepdims=keepdim))
def prod(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    return _reduce(("ProdBackward0", "ProdBackward1"), anp.prod, input, dim, keepdim)


def _ddof(unbiased, correction):
    return correction if correction is not None else (0 if unbiased is False else 1)


def _variance(fn):
    def variance(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
        _require_float(input, fn.__name__)
        return _reduce(_name(fn.__name__.capitalize()), fn, input, dim, keepdim,
                       ddof=_ddof(unbiased, correction))

    def numpy_form(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return fn(input, axis=_axis(dim), ddof=_ddof(unbiased, correction), keepdims=keepdim)
    return op(variance, name=fn.__name__, numpy=numpy_form)


var = _variance(anp.var)
std = _variance(anp.std)


def _cumsum(x, axis):
    """adc.numpy's cumsum, keeping a 0-d input 0-d (torch's rule)."""
    return anp.reshape(anp.cumsum(x, axis), anp.shape(x))


@op(numpy=lambda input, dim, *, dtype=None: anp.cumsum(input, dim, dtype))
def cumsum(input, dim, *, dtype=None):
    n = builtins.max(input.ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    if dtype is not None:
        input = input.to(dtype)
    elif input.dtype.kind in "biu":
        input = input.to(dtypes.int64)
    return apply("CumsumBackward0", _cumsum, [input], (("axis", dim % n),))


@op(numpy=lambda input, dim, keepdim=False: anp.logsumexp(input, axis=_axis(dim),
                                                         keepdims=keepdim))
def logsumexp(input, dim, keepdim=False):
    return _reduce(_name("Logsumexp"), anp.logsumexp, input, dim, keepdim)


def _two_norm(p):
    if p not in ("fro", 2, 2.0):
        raise NotImplementedError(f"adc: norm(p={p!r}) is not supported; only the 2-norm")


def _numpy_norm(input, p="fro", dim=None, keepdim=False):
    _two_norm(p)
    return anp.linalg.norm(input, axis=_axis(dim), keepdims=keepdim)


@op(numpy=_numpy_norm)
def norm(input, p="fro", dim=None, keepdim=False):
    _two_norm(p)
    return apply(_name("LinalgVectorNorm"), anp.linalg.norm, [input],
                 (("axis", None if dim is None else _dims(dim, input.ndim)),
                  ("keepdims", keepdim)))


def _extremum(name, fn):
    def extremum(input, dim=(), keepdim=False):
        return _reduce(_name(name.capitalize()), fn, input, dim if dim != () else None, keepdim)

    def numpy_form(input, dim=(), keepdim=False):
        return fn(input, axis=_axis(dim if dim != () else None), keepdims=keepdim)
    return op(extremum, name=name, numpy=numpy_form)


amax = _extremum("amax", anp.amax)
amin = _extremum("amin", anp.amin)


def _selected(input, dim, keepdim, pick, name):
    d = dim % builtins.max(input.ndim, 1)
    data = input._data if input.ndim else input._data.reshape(1)
    idx = np.expand_dims(pick(data, axis=d), d)
    values = apply(name, _take_along, [input, idx], (("axis", d), ("keepdim", keepdim)))
    indices = Tensor._wrap(idx if keepdim else np.squeeze(idx, d))
    return values_indices(values, indices)


def _take_along(x, idx, axis, keepdim):
    if anp.ndim(x) == 0:
        return x
    out = anp.take_along_axis(x, idx, axis)
    return out if keepdim else anp.squeeze(out, axis)


def _numpy_selected(name, whole, pairwise):
    """max/min without Tensors: the whole reduction, or the elementwise one against `dim`
    given as an array; along an int `dim` torch also returns indices, which need argmax."""
    def numpy_form(input, dim=None, keepdim=False):
        if dim is None:
            return whole(input)
        if isinstance(dim, numbers.Integral):
            raise UnsupportedError(with_location(
                f"adc.{name}(input, dim) returns values and indices; the indices have no "
                f"adc.numpy form. Inside adc.grad use adc.numpy.{name}(x, axis=dim)"))
        return pairwise(input, dim)
    return numpy_form


@op(numpy=_numpy_selected("max", anp.max, anp.maximum))
def max(input, dim=None, keepdim=False):
    if isinstance(dim, Tensor):
        return maximum(input, dim)
    if dim is None:
        return _reduce("MaxBackward1", anp.amax, input, None, False)
    return _selected(input, dim, keepdim, np.argmax, _name("Max"))


@op(numpy=_numpy_selected("min", anp.min, anp.minimum))
def min(input, dim=None, keepdim=False):
    if isinstance(dim, Tensor):
        return minimum(input, dim)
    if dim is None:
        return _reduce("MinBackward1", anp.amin, input, None, False)
    return _selected(input, dim, keepdim, np.argmin, _name("Min"))


@op
def argmax(input, dim=None, keepdim=False):
    if dim is None:
        return Tensor._wrap(np.asarray(np.argmax(input._data), np.int64))
    return max(input, dim, keepdim).indices


@op
def argmin(input, dim=None, keepdim=False):
    if dim is None:
        return Tensor._wrap(np.asarray(np.argmin(input._data), np.int64))
    return min(input, dim, keepdim).indices


@op
def topk(input, k, dim=-1, largest=True, sorted=True):
    d = dim % builtins.max(input.ndim, 1)
    if not 0 <= k <= input.shape[d]:
        raise RuntimeError("selected index k out of range")
    order = np.argsort(-input._data if largest else input._data, axis=d, kind="stable")
    idx = np.take(order, np.arange(k), axis=d)
    values = apply(_name("Topk"), _take_along, [input, idx], (("axis", d), ("keepdim", True)))
    return values_indices(values, Tensor._wrap(idx))


@op(numpy=lambda input, dim, dtype=None: anp.softmax(_cast(input, dtype), axis=dim))
def softmax(input, dim, dtype=None):
    return apply(_name("Softmax"), anp.softmax, [_float(input, dtype)],
                 (("axis", dim % builtins.max(input.ndim, 1)),))


@op(numpy=lambda input, dim, dtype=None: anp.log_softmax(_cast(input, dtype), axis=dim))
def log_softmax(input, dim, dtype=None):
    return apply(_name("LogSoftmax"), anp.log_softmax, [_float(input, dtype)],
                 (("axis", dim % builtins.max(input.ndim, 1)),))


def _float(input, dtype):
    return input.to(dtype) if dtype is not None else input.to(dtypes.float_result(input.dtype))


# ---- linear algebra ----

def _same_dtype(a, b, what):
    if a.dtype != b.dtype:
        raise RuntimeError(f"{what}: expected both operands to have the same dtype, but got "
                           f"{a.dtype} and {b.dtype}")


@op(numpy=anp.matmul)
def matmul(input, other):
    _same_dtype(input, refuse_traced(other), "matmul")
    if input.ndim == 0 or other.ndim == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                           f"{input.ndim}D and {other.ndim}D")
    name = {(1, 1): "Dot", (2, 1): "Mv", (2, 2): "Mm", (3, 3): "Bmm"}.get(
        (input.ndim, other.ndim), "Matmul")
    return apply(_name(name), anp.matmul, [input, other])


def _checked(name, ranks):
    def checked(input, other):
        if (input.ndim, other.ndim) != ranks:
            raise RuntimeError(f"{name}: expected {ranks[0]}-D and {ranks[1]}-D tensors, got "
                               f"{input.ndim}-D and {other.ndim}-D")
        return matmul(input, other)
    return op(checked, name=name, composite=True)


mm = _checked("mm", (2, 2))
bmm = _checked("bmm", (3, 3))
mv = _checked("mv", (2, 1))
dot = _checked("dot", (1, 1))


@op(composite=True)
def outer(input, vec2):
    return mul(unsqueeze(input, 1), vec2)


# ---- shapes (views where torch returns views) ----

def _shape_args(shape):
    if len(shape) == 1 and not isinstance(shape[0], numbers.Integral):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _reshape(x, shape):
    return anp.reshape(x, shape)


@op(numpy=lambda input, *shape: anp.reshape(input, _shape_args(shape)))
def reshape(input, *shape):
    return apply(_name("View"), _reshape, [input], (("shape", _shape_args(shape)),),
                 view=input.is_contiguous())


@op(function=False)
def view(input, *shape):
    if not input.is_contiguous():
        raise RuntimeError("view size is not compatible with input tensor's size and stride "
                           "(at least one dimension spans across two contiguous subspaces). "
                           "Use .reshape(...) instead.")
    return reshape(input, *shape)


@op(composite=True)
def flatten(input, start_dim=0, end_dim=-1):
    nd = builtins.max(input.ndim, 1)
    s, e = start_dim % nd, end_dim % nd
    shape = input.shape[:s] + (-1,) + input.shape[e + 1:] if input.ndim else (1,)
    return reshape(input, shape)


@op(numpy=anp.expand_dims)
def unsqueeze(input, dim):
    return apply(_name("Unsqueeze"), anp.expand_dims, [input],
                 (("axis", dim % (input.ndim + 1)),), view=True)


def _numpy_squeeze(input, dim=None):
    """torch's squeeze(dim) leaves a dimension that is not 1 in place; numpy's refuses it."""
    if dim is not None and (anp.ndim(input) == 0 or anp.shape(input)[dim] != 1):
        return input
    return anp.squeeze(input, dim)


@op(numpy=_numpy_squeeze)
def squeeze(input, dim=None):
    if dim is not None:
        d = dim % builtins.max(input.ndim, 1)
        if input.ndim == 0 or input.shape[d] != 1:
            return input.view(input.shape)
        dims = (d,)
    else:
        dims = tuple(i for i, n in enumerate(input.shape) if n == 1)
    return apply(_name("Squeeze"), anp.squeeze, [input], (("axis", dims),), view=True)


@op(numpy=lambda input, *dims: anp.transpose(input, _shape_args(dims)))
def permute(input, *dims):
    dims = tuple(d % input.ndim for d in _shape_args(dims))
    return apply(_name("Permute"), anp.transpose, [input], (("axes", dims),), view=True)


@op(numpy=anp.swapaxes)
def transpose(input, dim0, dim1):
    axes = list(range(input.ndim))
    if input.ndim:
        d0, d1 = dim0 % input.ndim, dim1 % input.ndim
        axes[d0], axes[d1] = axes[d1], axes[d0]
    return apply(_name("Transpose"), anp.transpose, [input], (("axes", tuple(axes)),), view=True)


swapaxes = op(transpose, name="swapaxes", function=False)


@op(numpy=anp.transpose)
def t(input):
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.ndim}D")
    if input.ndim < 2:
        return input.view(input.shape)
    return apply(_name("T"), anp.transpose, [input], (("axes", (1, 0)),), view=True)


@op(function=False)
def expand(input, *sizes):
    sizes = _shape_args(sizes)
    lead = len(sizes) - input.ndim
    shape = tuple(input.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return apply(_name("Expand"), anp.broadcast_to, [input], (("shp", shape),), view=True)


@op(function=False)
def expand_as(input, other):
    return expand(input, other.shape)


@op(function=False)
def broadcast_to(input, size):
    return expand(input, size)


@op(function=False)
def repeat(input, *sizes):
    return apply(_name("Repeat"), anp.tile, [input], (("reps", _shape_args(sizes)),))


@op(numpy=lambda input, dims: anp.flip(input, _axis(dims)))
def flip(input, dims):
    return apply(_name("Flip"), anp.flip, [input], (("axis", _dims(dims, input.ndim)),))


def _identity(x):
    return x


@op
def clone(input):
    return apply(_name("Clone"), _identity, [input])


@op(function=False)
def contiguous(input):
    return input if input.is_contiguous() else clone(input)


def _join(name, fn, tensors, dim):
    tensors = [_as_tensor(x) for x in tensors]
    if not tensors:
        raise RuntimeError(f"{name.lower()}(): expected a non-empty list of Tensors")
    dt = dtypes.result_type(*tensors)
    return apply(_name(name), _joined(fn), tensors, (("axis", dim), ("dtype", dt.char)))


@functools.cache
def _joined(fn):
    def joined(*xs, axis, dtype):
        return fn([anp.astype(x, dtype) for x in xs], axis=axis)
    return joined


@op(method=False, numpy=lambda tensors, dim=0: anp.concatenate(list(tensors), dim))
def cat(tensors, dim=0):
    return _join("Cat", anp.concatenate, tensors, dim)


concatenate = op(cat, name="concatenate", method=False)


@op(method=False, numpy=lambda tensors, dim=0: anp.stack(list(tensors), dim))
def stack(tensors, dim=0):
    return _join("Stack", anp.stack, tensors, dim)


# ---- indexing ----

def getitem(input, key):
    pattern, arrays = split_key(key)
    basic = not arrays
    name = ("Select" if basic and any(isinstance(p, int) for p in pattern) else
            "Slice" if basic else "Index")
    return apply(_name(name), getitem_traced, [input, *arrays], (("pattern", pattern),), view=basic)


def _write(name, input, value, pos, mask):
    """Write `value` at the element positions `pos` of `input`: where positions repeat, the
    last write wins (torch's CPU order; torch documents the order as undefined), and only it
    receives a gradient (what the function computes depends on no other)."""
    flat = pos.reshape(-1)
    _, first_from_end = np.unique(flat[::-1], return_index=True)
    operands = [input, value, flat, mask]
    if len(first_from_end) < len(flat):
        keep = np.sort(len(flat) - 1 - first_from_end)
        operands = [input, value, flat[keep], mask, keep]
    return apply(_name(name), index_put_traced, operands, (("vshape", pos.shape),))


@op(function=False, inplace=True)
def index_put(input, key, value):
    pattern, arrays = split_key(key)
    pos, mask = positions(input.shape, lambda g: g[rebuild_key(pattern, arrays)])
    return _write("IndexPut", input, _operand(value, input.dtype), pos, mask)


@op(numpy=lambda input, dim, index: anp.take_along_axis(input, index, dim))
def gather(input, dim, index):
    return apply(_name("Gather"), anp.take_along_axis, [input, _as_tensor(index)],
                 (("axis", dim % builtins.max(input.ndim, 1)),))


@op(inplace=True)
def scatter(input, dim, index, src=None, *, value=None):
    index = _as_tensor(index)._data
    d = dim % builtins.max(input.ndim, 1)

    def select(grid):
        coords = list(np.indices(index.shape, sparse=True))
        coords[d] = index
        return grid[tuple(coords)]

    pos, mask = positions(input.shape, select)
    if src is None:
        src = value
    if isinstance(src, Tensor):
        src = getitem(src, tuple(slice(0, n) for n in index.shape))
    else:
        src = _operand(src, input.dtype)
    return _write("Scatter", input, src, pos, mask)


@op(numpy=lambda input, dim, index: anp.take(input, index, axis=dim))
def index_select(input, dim, index):
    return apply(_name("IndexSelect"), anp.take, [input, _as_tensor(index)._data.astype(np.int64)],
                 (("axis", dim % builtins.max(input.ndim, 1)),))


@op
def masked_select(input, mask):
    mask = _as_tensor(mask)._data
    shape = np.broadcast_shapes(input.shape, mask.shape)
    idx = np.flatnonzero(np.broadcast_to(mask, shape))
    return apply(_name("MaskedSelect"), masked_select_traced, [input, idx], (("shape", shape),))


@op
def nonzero(input, *, as_tuple=False):
    found = np.nonzero(input._data)
    if as_tuple:
        return tuple(Tensor._wrap(a.astype(np.int64)) for a in found)
    return Tensor._wrap(np.stack(found, axis=1).astype(np.int64) if found else
                        np.zeros((1, 0), np.int64))


__all__ = function_names()
