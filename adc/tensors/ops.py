"""Tensor operations with torch's names and signatures, built on adc.numpy.

Stage: tensor front end. Invariant: each operation is a module-level function of adc.numpy
calls (so its traced graph is cached by identity) applied through `tensor.apply`; torch's
dtype rules are decided before the call (dtypes.py) and data-dependent facts (argmax
indices, boolean masks, sort orders) are computed eagerly and passed in as integer inputs,
so the graph depends only on shapes and dtypes.
"""
from __future__ import annotations

import builtins
import collections
import functools
import numbers

import numpy as np

from .. import numpy as anp
from ..numpy.linalg import norm as _anp_norm
from ..prims.index import scatter_add_p
from ..trace import bind
from . import dtypes
from .tensor import Tensor, apply

values_indices = collections.namedtuple("values_indices", ["values", "indices"])


def _as_tensor(x) -> Tensor:
    if isinstance(x, Tensor):
        return x
    from .creation import tensor

    return tensor(x)


def _operand(x, dtype):
    """Python numbers become constant arrays of the operation's dtype (not part of the key)."""
    return x if isinstance(x, Tensor) else np.asarray(x, dtype)


def _name(op: str) -> str:
    return f"{op}Backward0"


# ---- elementwise ----

@functools.cache
def _cast_then(fn):
    def op(*xs, dtype):
        return fn(*[anp.astype(x, dtype) for x in xs])
    op.__qualname__ = f"cast_then_{fn.__name__}"
    return op


def _elementwise(name, fn, *operands, floating=False, out_dtype=None):
    dt = dtypes.result_type(*operands)
    if floating:
        dt = dtypes.float_result(dt)
    ops = [_operand(x, dt) for x in operands]
    if not any(isinstance(x, Tensor) for x in ops):
        ops[0] = Tensor._wrap(ops[0])
    return apply(name, _cast_then(fn), ops, (("dtype", dt.char),))


def add(input, other, *, alpha=1):
    if alpha != 1:
        other = mul(other, alpha)
    return _elementwise(_name("Add"), anp.add, input, other)


def sub(input, other, *, alpha=1):
    if alpha != 1:
        other = mul(other, alpha)
    return _elementwise(_name("Sub"), anp.subtract, input, other)


def rsub(input, other, *, alpha=1):
    """other - alpha * input (torch.rsub; what `number - tensor` calls)."""
    if alpha != 1:
        input = mul(input, alpha)
    return _elementwise("RsubBackward1", anp.subtract, other, input)


def mul(input, other):
    return _elementwise(_name("Mul"), anp.multiply, input, other)


def div(input, other, *, rounding_mode=None):
    if rounding_mode is not None:
        raise NotImplementedError("adc: div(rounding_mode=...) is not supported; use true "
                                  "division")
    return _elementwise(_name("Div"), anp.divide, input, other, floating=True)


true_divide = divide = div
multiply, subtract = mul, sub


def pow(input, exponent):
    name = ("PowBackward2" if not isinstance(input, Tensor) else
            "PowBackward1" if isinstance(exponent, Tensor) else "PowBackward0")
    return _elementwise(name, anp.power, input, exponent)


def maximum(input, other):
    return _elementwise(_name("Maximum"), anp.maximum, input, other)


def minimum(input, other):
    return _elementwise(_name("Minimum"), anp.minimum, input, other)


def _comparison(name, fn):
    def op(input, other):
        dt = dtypes.result_type(input, other)
        return apply(name, _cast_then(fn), [_operand(x, dt) for x in (input, other)],
                     (("dtype", dt.char),))
    op.__name__ = name
    return op


eq = _comparison("eq", anp.equal)
ne = _comparison("ne", anp.not_equal)
lt = _comparison("lt", anp.less)
le = _comparison("le", anp.less_equal)
gt = _comparison("gt", anp.greater)
ge = _comparison("ge", anp.greater_equal)
logical_and = _comparison("logical_and", anp.logical_and)
logical_or = _comparison("logical_or", anp.logical_or)
greater, less, greater_equal, less_equal, not_equal = gt, lt, ge, le, ne


def _unary(torch_name, fn, floating=True):
    def op(input):
        return _elementwise(_name(torch_name), fn, input, floating=floating)
    op.__name__ = torch_name.lower()
    return op


exp = _unary("Exp", anp.exp)
expm1 = _unary("Expm1", anp.expm1)
log = _unary("Log", anp.log)
log1p = _unary("Log1P", anp.log1p)
sqrt = _unary("Sqrt", anp.sqrt)
sin = _unary("Sin", anp.sin)
cos = _unary("Cos", anp.cos)
tan = _unary("Tan", anp.tan)
sinh = _unary("Sinh", anp.sinh)
cosh = _unary("Cosh", anp.cosh)
tanh = _unary("Tanh", anp.tanh)
atan = arctan = _unary("Atan", anp.arctan)
sigmoid = _unary("Sigmoid", anp.sigmoid)
reciprocal = _unary("Reciprocal", anp.reciprocal)
neg = negative = _unary("Neg", anp.negative, floating=False)
abs = absolute = _unary("Abs", anp.abs, floating=False)
relu = _unary("Relu", anp.relu, floating=False)
sign = _unary("Sign", anp.sign, floating=False)
square = _unary("Pow", anp.square, floating=False)
logical_not = _unary("LogicalNot", anp.logical_not, floating=False)


def _rsqrt(x):
    return anp.reciprocal(anp.sqrt(x))


rsqrt = _unary("Rsqrt", _rsqrt)


def softplus(input, beta=1.0, threshold=20.0):
    if beta != 1.0:
        raise NotImplementedError("adc: softplus with beta != 1 is not supported")
    return _elementwise(_name("Softplus"), anp.softplus, input, floating=True)


def clamp(input, min=None, max=None):
    if min is None and max is None:
        raise RuntimeError("torch.clamp: At least one of 'min' or 'max' must not be None")
    lo = -np.inf if min is None else min
    hi = np.inf if max is None else max
    return _elementwise("ClampBackward1", anp.clip, input, lo, hi)


clip = clamp


def where(condition, input, other):
    cond = _as_tensor(condition)
    dt = dtypes.result_type(input, other)
    return apply(_name("Where"), _where, [cond, _operand(input, dt), _operand(other, dt)],
                 (("dtype", dt.char),))


def _where(c, x, y, dtype):
    return anp.where(c, anp.astype(x, dtype), anp.astype(y, dtype))


def _masked_fill(x, mask, value, dtype):
    return anp.where(mask, anp.astype(value, dtype), x)


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


def addcdiv(input, tensor1, tensor2, *, value=1):
    return _elementwise(_name("Addcdiv"), _addcdiv, input, tensor1, tensor2, value,
                        floating=True)


def addcmul(input, tensor1, tensor2, *, value=1):
    return _elementwise(_name("Addcmul"), _addcmul, input, tensor1, tensor2, value)


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


def _reduce(name, fn, input, dim, keepdim, **extra):
    """`name` is torch's grad_fn name: a string, or a pair (whole tensor, along dims)."""
    axis = _dims(dim, input.ndim)
    if not isinstance(name, str):
        name = name[0] if dim is None else name[1]
    return apply(name, fn, [input],
                 (("axis", axis), ("keepdims", keepdim)) + tuple(sorted(extra.items())))


def sum(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    elif input.dtype.kind in "biu":
        input = input.to(dtypes.int64)
    return _reduce(("SumBackward0", "SumBackward1"), anp.sum, input, dim, keepdim)


def _require_float(input, op):
    if input.dtype.kind != "f":
        raise RuntimeError(f"{op}(): could not infer output dtype. Input dtype must be either "
                           f"a floating point or complex dtype. Got: {input.dtype}")


def mean(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    _require_float(input, "mean")
    return _reduce(("MeanBackward0", "MeanBackward1"), anp.mean, input, dim, keepdim)


def prod(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    return _reduce(("ProdBackward0", "ProdBackward1"), anp.prod, input, dim, keepdim)


def _variance(fn):
    def op(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
        _require_float(input, fn.__name__)
        ddof = correction if correction is not None else (
            0 if unbiased is False else 1)
        return _reduce(_name(fn.__name__.capitalize()), fn, input, dim, keepdim, ddof=ddof)
    op.__name__ = fn.__name__
    return op


var = _variance(anp.var)
std = _variance(anp.std)


def logsumexp(input, dim, keepdim=False):
    return _reduce(_name("Logsumexp"), anp.logsumexp, input, dim, keepdim)


def norm(input, p="fro", dim=None, keepdim=False):
    if p not in ("fro", 2, 2.0):
        raise NotImplementedError(f"adc: norm(p={p!r}) is not supported; only the 2-norm")
    return apply(_name("LinalgVectorNorm"), _anp_norm, [input],
                 (("axis", None if dim is None else _dims(dim, input.ndim)),
                  ("keepdims", keepdim)))


def amax(input, dim=(), keepdim=False):
    return _reduce(_name("Amax"), anp.amax, input, dim if dim != () else None, keepdim)


def amin(input, dim=(), keepdim=False):
    return _reduce(_name("Amin"), anp.amin, input, dim if dim != () else None, keepdim)


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


def max(input, dim=None, keepdim=False):
    if isinstance(dim, Tensor):
        return maximum(input, dim)
    if dim is None:
        return _reduce("MaxBackward1", anp.amax, input, None, False)
    return _selected(input, dim, keepdim, np.argmax, _name("Max"))


def min(input, dim=None, keepdim=False):
    if isinstance(dim, Tensor):
        return minimum(input, dim)
    if dim is None:
        return _reduce("MinBackward1", anp.amin, input, None, False)
    return _selected(input, dim, keepdim, np.argmin, _name("Min"))


def argmax(input, dim=None, keepdim=False):
    if dim is None:
        return Tensor._wrap(np.asarray(np.argmax(input._data), np.int64))
    return max(input, dim, keepdim).indices


def argmin(input, dim=None, keepdim=False):
    if dim is None:
        return Tensor._wrap(np.asarray(np.argmin(input._data), np.int64))
    return min(input, dim, keepdim).indices


def topk(input, k, dim=-1, largest=True, sorted=True):
    d = dim % builtins.max(input.ndim, 1)
    if not 0 <= k <= input.shape[d]:
        raise RuntimeError("selected index k out of range")
    order = np.argsort(-input._data if largest else input._data, axis=d, kind="stable")
    idx = np.take(order, np.arange(k), axis=d)
    values = apply(_name("Topk"), _take_along, [input, idx], (("axis", d), ("keepdim", True)))
    return values_indices(values, Tensor._wrap(idx))


def softmax(input, dim, dtype=None):
    return apply(_name("Softmax"), anp.softmax, [_float(input, dtype)],
                 (("axis", dim % builtins.max(input.ndim, 1)),))


def log_softmax(input, dim, dtype=None):
    return apply(_name("LogSoftmax"), anp.log_softmax, [_float(input, dtype)],
                 (("axis", dim % builtins.max(input.ndim, 1)),))


def _float(input, dtype):
    return input.to(dtype) if dtype is not None else input.to(dtypes.float_result(input.dtype))


# ---- linear algebra ----

def _same_dtype(a, b, op):
    if a.dtype != b.dtype:
        raise RuntimeError(f"{op}: expected both operands to have the same dtype, but got "
                           f"{a.dtype} and {b.dtype}")


def matmul(input, other):
    _same_dtype(input, other, "matmul")
    if input.ndim == 0 or other.ndim == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                           f"{input.ndim}D and {other.ndim}D")
    name = {(1, 1): "Dot", (2, 1): "Mv", (2, 2): "Mm", (3, 3): "Bmm"}.get(
        (input.ndim, other.ndim), "Matmul")
    return apply(_name(name), anp.matmul, [input, other])


def _checked(op, ranks):
    def checked(input, other):
        if (input.ndim, other.ndim) != ranks:
            raise RuntimeError(f"{op}: expected {ranks[0]}-D and {ranks[1]}-D tensors, got "
                               f"{input.ndim}-D and {other.ndim}-D")
        return matmul(input, other)
    checked.__name__ = op
    return checked


mm = _checked("mm", (2, 2))
bmm = _checked("bmm", (3, 3))
mv = _checked("mv", (2, 1))
dot = _checked("dot", (1, 1))


def outer(input, vec2):
    return mul(unsqueeze(input, 1), vec2)


# ---- shapes (views where torch returns views) ----

def _shape_args(shape):
    if len(shape) == 1 and not isinstance(shape[0], numbers.Integral):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _reshape(x, shape):
    return anp.reshape(x, shape)


def reshape(input, *shape):
    return apply(_name("View"), _reshape, [input], (("shape", _shape_args(shape)),),
                 view=input.is_contiguous())


def view(input, *shape):
    if not input.is_contiguous():
        raise RuntimeError("view size is not compatible with input tensor's size and stride "
                           "(at least one dimension spans across two contiguous subspaces). "
                           "Use .reshape(...) instead.")
    return reshape(input, *shape)


def flatten(input, start_dim=0, end_dim=-1):
    nd = builtins.max(input.ndim, 1)
    s, e = start_dim % nd, end_dim % nd
    shape = input.shape[:s] + (-1,) + input.shape[e + 1:] if input.ndim else (1,)
    return reshape(input, shape)


def unsqueeze(input, dim):
    return apply(_name("Unsqueeze"), anp.expand_dims, [input],
                 (("axis", dim % (input.ndim + 1)),), view=True)


def squeeze(input, dim=None):
    if dim is not None:
        d = dim % builtins.max(input.ndim, 1)
        if input.ndim == 0 or input.shape[d] != 1:
            return input.view(input.shape)
        dims = (d,)
    else:
        dims = tuple(i for i, n in enumerate(input.shape) if n == 1)
    return apply(_name("Squeeze"), anp.squeeze, [input], (("axis", dims),), view=True)


def permute(input, *dims):
    dims = tuple(d % input.ndim for d in _shape_args(dims))
    return apply(_name("Permute"), anp.transpose, [input], (("axes", dims),), view=True)


def transpose(input, dim0, dim1):
    axes = list(range(input.ndim))
    if input.ndim:
        d0, d1 = dim0 % input.ndim, dim1 % input.ndim
        axes[d0], axes[d1] = axes[d1], axes[d0]
    return apply(_name("Transpose"), anp.transpose, [input], (("axes", tuple(axes)),), view=True)


swapaxes = transpose


def t(input):
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.ndim}D")
    if input.ndim < 2:
        return input.view(input.shape)
    return apply(_name("T"), anp.transpose, [input], (("axes", (1, 0)),), view=True)


def expand(input, *sizes):
    sizes = _shape_args(sizes)
    lead = len(sizes) - input.ndim
    shape = tuple(input.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return apply(_name("Expand"), anp.broadcast_to, [input], (("shp", shape),), view=True)


def expand_as(input, other):
    return expand(input, other.shape)


def broadcast_to(input, size):
    return expand(input, size)


def repeat(input, *sizes):
    return apply(_name("Repeat"), anp.tile, [input], (("reps", _shape_args(sizes)),))


def flip(input, dims):
    return apply(_name("Flip"), anp.flip, [input], (("axis", _dims(dims, input.ndim)),))


def _identity(x):
    return x


def clone(input):
    return apply(_name("Clone"), _identity, [input])


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
    def op(*xs, axis, dtype):
        return fn([anp.astype(x, dtype) for x in xs], axis=axis)
    return op


def cat(tensors, dim=0):
    return _join("Cat", anp.concatenate, tensors, dim)


concatenate = cat


def stack(tensors, dim=0):
    return _join("Stack", anp.stack, tensors, dim)


# ---- indexing ----

def _index_key(key):
    """Split an index into a static pattern and the integer index arrays it contains."""
    key = key if isinstance(key, tuple) else (key,)
    pattern, arrays = [], []
    for k in key:
        if isinstance(k, (Tensor, np.ndarray, list)):
            a = k._data if isinstance(k, Tensor) else np.asarray(k)
            if a.dtype == np.bool_:
                for part in np.nonzero(a):
                    pattern.append(("array", len(arrays)))
                    arrays.append(part)
                continue
            if a.dtype.kind not in "iu":
                raise IndexError("tensors used as indices must be long, int, byte or bool "
                                 f"tensors (got {a.dtype})")
            pattern.append(("array", len(arrays)))
            arrays.append(a.astype(np.int64))
        elif isinstance(k, slice):
            pattern.append(("slice", k.start, k.stop, k.step))
        elif k is None or k is Ellipsis:
            pattern.append(k)
        elif isinstance(k, numbers.Integral):
            pattern.append(int(k))
        else:
            raise IndexError(f"adc: unsupported index {k!r}; use ints, slices, None, ..., or "
                             "integer/bool tensors")
    return tuple(pattern), arrays


def _rebuild(pattern, arrays):
    return tuple(slice(p[1], p[2], p[3]) if isinstance(p, tuple) and p[0] == "slice" else
                 arrays[p[1]] if isinstance(p, tuple) else p for p in pattern)


def _getitem(x, *arrays, pattern):
    return anp.getitem(x, _rebuild(pattern, arrays))


def getitem(input, key):
    pattern, arrays = _index_key(key)
    basic = not arrays
    name = ("Select" if basic and any(isinstance(p, int) for p in pattern) else
            "Slice" if basic else "Index")
    return apply(_name(name), _getitem, [input, *arrays], (("pattern", pattern),), view=basic)


def _index_put(x, vals, pos, mask, vshape):
    flat = anp.reshape(anp.broadcast_to(anp.astype(vals, x.dtype), vshape), -1)
    placed = bind(scatter_add_p, pos, flat, axis=0, size=int(np.prod(anp.shape(x))))
    return anp.where(mask, anp.reshape(placed, anp.shape(x)), x)


def _positions(shape, select) -> tuple:
    """Flat positions chosen by `select(index_grid)`, and the mask of the chosen elements."""
    grid = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
    pos = np.asarray(select(grid), np.int64)
    mask = np.zeros(int(np.prod(shape)), np.bool_)
    mask[pos.reshape(-1)] = True
    return pos, mask.reshape(shape)


def index_put(input, key, value):
    pattern, arrays = _index_key(key)
    pos, mask = _positions(input.shape, lambda g: g[_rebuild(pattern, arrays)])
    value = value if isinstance(value, Tensor) else np.asarray(value, input.dtype)
    return apply(_name("IndexPut"), _index_put, [input, value, pos.reshape(-1), mask],
                 (("vshape", pos.shape),))


def gather(input, dim, index):
    return apply(_name("Gather"), anp.take_along_axis, [input, _as_tensor(index)],
                 (("axis", dim % builtins.max(input.ndim, 1)),))


def scatter(input, dim, index, src=None, *, value=None):
    index = _as_tensor(index)._data
    d = dim % builtins.max(input.ndim, 1)

    def select(grid):
        coords = list(np.indices(index.shape, sparse=True))
        coords[d] = index
        return grid[tuple(coords)]

    pos, mask = _positions(input.shape, select)
    if src is None:
        src = value
    if isinstance(src, Tensor):
        src = getitem(src, tuple(slice(0, n) for n in index.shape))
    else:
        src = np.asarray(src, input.dtype)
    return apply(_name("Scatter"), _index_put, [input, src, pos.reshape(-1), mask],
                 (("vshape", pos.shape),))


def index_select(input, dim, index):
    return apply(_name("IndexSelect"), anp.take, [input, _as_tensor(index)._data.astype(np.int64)],
                 (("axis", dim % builtins.max(input.ndim, 1)),))


def masked_select(input, mask):
    mask = _as_tensor(mask)._data
    shape = np.broadcast_shapes(input.shape, mask.shape)
    idx = np.flatnonzero(np.broadcast_to(mask, shape))
    return apply(_name("MaskedSelect"), _masked_select, [input, idx], (("shape", shape),))


def _masked_select(x, idx, shape):
    return anp.take(anp.reshape(anp.broadcast_to(x, shape), -1), idx)


def nonzero(input, *, as_tuple=False):
    found = np.nonzero(input._data)
    if as_tuple:
        return tuple(Tensor._wrap(a.astype(np.int64)) for a in found)
    return Tensor._wrap(np.stack(found, axis=1).astype(np.int64) if found else
                        np.zeros((1, 0), np.int64))


__all__ = ["add", "sub", "rsub", "mul", "div", "true_divide", "pow", "maximum", "minimum", "eq",
           "ne", "lt", "le", "gt", "ge", "logical_and", "logical_or", "logical_not", "exp",
           "expm1", "log", "log1p", "sqrt", "rsqrt", "sin", "cos", "tan", "sinh", "cosh", "tanh",
           "atan", "sigmoid", "reciprocal", "neg", "abs", "relu", "sign", "square", "clamp",
           "clip", "where", "masked_fill", "addcdiv", "addcmul", "lerp", "sum", "mean", "prod",
           "var", "std", "logsumexp", "norm", "amax", "amin", "max", "min", "argmax", "argmin",
           "topk", "softmax", "log_softmax", "matmul", "mm", "bmm", "mv", "dot", "outer",
           "reshape", "flatten", "unsqueeze", "squeeze", "permute", "transpose", "t", "cat",
           "concatenate", "stack", "flip", "clone", "gather", "scatter", "index_select",
           "masked_select", "nonzero"]
