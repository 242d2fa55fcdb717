"""The user namespace: numpy names on traced (and plain) arrays, built from primitives.

Stage: trace. Invariant: every function here promotes dtypes as numpy does (Python scalars
are weak), normalizes axes and shapes, and then binds primitives; composite operations
(mean, var, logsumexp, softmax, ...) are compositions, so they need no VJP of their own.
With plain numpy inputs the same functions evaluate eagerly.
"""
from __future__ import annotations

import builtins
import numbers

import numpy as np

from ..errors import ShapeError, UnsupportedError, with_location
from ..prims import elementwise as E
from ..prims import lax
from ..prims.base import broadcast_shapes
from ..prims.index import scatter_add_p
from ..prims.linalg import matmul_p
from ..prims.reduce import cumsum_p, reduce_max_p, reduce_min_p, reduce_prod_p, reduce_sum_p
from ..prims.select import convert_p, stop_gradient_p, where_p
from ..prims.shape import broadcast_to_p, concatenate_p, pad_p, transpose_p
from ..tracer import Tracer, bind

ndarray = np.ndarray
pi, e, inf, nan, newaxis = np.pi, np.e, np.inf, np.nan, None
float32, float64, int32, int64, bool_ = np.float32, np.float64, np.int32, np.int64, np.bool_
zeros, ones, full, eye, identity, arange, empty = (
    np.zeros, np.ones, np.full, np.eye, np.identity, np.arange, np.empty)


# ---- dtypes ----

def _is_scalar(x) -> bool:
    return isinstance(x, (numbers.Number, np.bool_)) and not isinstance(x, np.ndarray)


def _dtype_of(x):
    return x.dtype if isinstance(x, (Tracer, np.ndarray, np.generic)) else None


def _as_operand(x):
    if isinstance(x, (Tracer, np.ndarray)) or _is_scalar(x):
        return x
    if isinstance(x, (list, tuple)):
        from .creation import asarray  # a nest holding traced values is stacked

        return asarray(x)
    raise UnsupportedError(with_location(f"cannot use a {type(x).__name__} as an array operand"))


def astype(x, dtype):
    dtype = np.dtype(dtype)
    if isinstance(x, Tracer):
        return x if x.dtype == dtype else bind(convert_p, x, dtype=dtype)
    return np.asarray(x, dtype=dtype)


def _promote(*args, to_float=False):
    args = [_as_operand(a) for a in args]
    strong = [d for d in map(_dtype_of, args) if d is not None]
    weak = [a for a in args if _dtype_of(a) is None]
    dtype = np.result_type(*strong, *weak)
    if to_float and dtype.kind in "biu":
        dtype = np.dtype(np.float64)
    return [astype(a, dtype) for a in args]


def float_operands(*args, divide=False):
    """The operands of a floating-point ufunc cast as numpy's loops take them: bools and
    integers to the narrowest float holding them (int16 -> float32; int32, int64 -> float64;
    `divide`: always float64). Where numpy's loop is float16 (bools, 8-bit integers) adc, which
    computes in no float16, takes float64."""
    args = [_as_operand(a) for a in args]
    strong = [d for d in map(_dtype_of, args) if d is not None]
    dtype = np.result_type(*strong, *[a for a in args if _dtype_of(a) is None])
    if dtype.kind in "biu":
        dtype = np.promote_types(dtype, np.float16)
        if divide or dtype == np.float16:
            dtype = np.dtype(np.float64)
    return [astype(a, dtype) for a in args]


def apply_elementwise(prim, *args):
    if prim.bool_out or prim.exact:
        return bind(prim, *_promote(*args))
    return bind(prim, *float_operands(*args, divide=prim is E.div_p))


def _elementwise(prim):
    def fn(*args):
        return apply_elementwise(prim, *args)

    fn.__name__ = prim.name
    return fn


negative = _elementwise(E.neg_p)
add, subtract, multiply = _elementwise(E.add_p), _elementwise(E.sub_p), _elementwise(E.mul_p)
divide = true_divide = _elementwise(E.div_p)
exp, log, log1p, expm1 = map(_elementwise, (E.exp_p, E.log_p, E.log1p_p, E.expm1_p))
sqrt, sin, cos, tan = map(_elementwise, (E.sqrt_p, E.sin_p, E.cos_p, E.tan_p))
tanh, arctan, sinh, cosh = map(_elementwise, (E.tanh_p, E.arctan_p, E.sinh_p, E.cosh_p))
erf = _elementwise(E.erf_p)
abs = absolute = _elementwise(E.abs_p)
sign, sigmoid, softplus, relu = map(_elementwise, (E.sign_p, E.sigmoid_p, E.softplus_p, E.relu_p))
silu, xlogy = _elementwise(E.silu_p), _elementwise(E.xlogy_p)  # torch's (and scipy's xlogy)
maximum, minimum, logaddexp = map(_elementwise, (E.maximum_p, E.minimum_p, E.logaddexp_p))
less, less_equal, greater = map(_elementwise, (E.less_p, E.less_equal_p, E.greater_p))
greater_equal, equal, not_equal = map(_elementwise, (E.greater_equal_p, E.equal_p, E.not_equal_p))
logical_and, logical_or = _elementwise(E.logical_and_p), _elementwise(E.logical_or_p)
logical_not = _elementwise(E.logical_not_p)


def positive(x):
    return x


def square(x):
    x = _as_operand(x)
    if _dtype_of(x) == np.bool_:  # numpy has no bool loop for square: its int8 one runs
        x = astype(x, np.int8)
    return multiply(x, x)


def reciprocal(x):
    x = _as_operand(x)
    if _dtype_of(x) is not None and x.dtype.kind in "biu":
        raise UnsupportedError(with_location(
            f"reciprocal of {x.dtype.name}: numpy's integer reciprocal truncates (1 // x, "
            "undefined at 0); write 1.0 / x, or convert first, e.g. x.astype(np.float64)"))
    (x,) = _promote(x, to_float=True)
    return divide(np.ones((), x.dtype), x)


def power(x, y):
    if _is_scalar(y) or (isinstance(y, np.ndarray) and y.ndim == 0):
        if isinstance(y, (np.ndarray, np.generic)) and _dtype_of(x) is not None:
            x = astype(x, np.result_type(x.dtype, y.dtype))  # numpy's scalars are not weak
        y = y.item() if isinstance(y, (np.ndarray, np.generic)) else y  # an int stays an int
        y = float(y) if not isinstance(y, numbers.Integral) else int(y)
        if isinstance(y, int) and _dtype_of(x) == np.bool_:
            x = astype(x, np.int64)  # numpy: a bool array and a Python int give int64
        (x,) = _promote(x, to_float=not isinstance(y, int) or y < 0)
        if y == 0.5:
            return sqrt(x)
        if y == 1:
            return x
        if y == 2:
            return x * x
        return bind(E.pow_scalar_p, x, exponent=y)
    x, y = _as_operand(x), _as_operand(y)
    if np.result_type(*[_dtype_of(v) or v for v in (x, y)]).kind in "biu":
        raise UnsupportedError(with_location(
            "power of integers with an array exponent: numpy computes it in integers, adc "
            "computes integer powers only for a constant exponent (x ** 3); convert to floats "
            "first, e.g. np.power(x.astype(np.float64), y)"))
    return apply_elementwise(E.pow_p, x, y)


def _extreme(dtype, high):
    """The bound that clips nothing: +-inf, or an integer dtype's largest/smallest value."""
    if dtype.kind == "f":
        return np.asarray(np.inf if high else -np.inf, dtype)
    if dtype.kind == "b":
        return np.asarray(high, dtype)
    info = np.iinfo(dtype)
    return np.asarray(info.max if high else info.min, dtype)


def clip(x, a_min=None, a_max=None):
    """numpy's clip in the dtype of x and the given bounds (an integer array clipped by
    integers stays integer); a missing bound clips nothing."""
    given = [b for b in (a_min, a_max) if b is not None]
    x, *given = _promote(x, *given)
    lo = given.pop(0) if a_min is not None else _extreme(x.dtype, False)
    hi = given.pop(0) if a_max is not None else _extreme(x.dtype, True)
    return apply_elementwise(E.clip_p, x, lo, hi)


def isfinite(x):
    return less(abs(x), np.inf)


def where(condition, x=None, y=None):
    if x is None or y is None:
        raise UnsupportedError(with_location(
            "where(condition) with one argument returns data-dependent indices; pass both "
            "branches: where(condition, x, y)"))
    condition = _as_operand(condition)
    if _dtype_of(condition) != np.dtype(bool):
        condition = not_equal(condition, 0)
    return bind(where_p, condition, *_promote(x, y))


def stop_gradient(x):
    return bind(stop_gradient_p, x) if isinstance(x, Tracer) else x


# ---- shapes ----

def shape(x):
    return tuple(np.shape(x)) if not isinstance(x, Tracer) else x.shape


def ndim(x):
    return len(shape(x))


def _normalize_axis(axis, nd, op="axis"):
    """numpy's axis check: a 0-d array has no axis (torch's dim 0 / -1 of a 0-d tensor is the
    tensor layer's to translate)."""
    if not -nd <= axis < nd:
        raise ShapeError(with_location(f"{op}: axis {axis} is out of bounds for an array of "
                                       f"dimension {nd}"))
    return axis % nd


def _normalize_axes(axis, nd, op="axis", ufunc=False):
    """Sorted non-negative axes. With `ufunc` (numpy's reductions by a ufunc: sum, prod, max,
    min; scipy's logsumexp and softmax), an int axis 0 or -1 of a 0-d array is no axis, as
    numpy takes it; a tuple naming it, and every other function, raise."""
    if axis is None:
        return tuple(range(nd))
    if ufunc and nd == 0 and isinstance(axis, numbers.Integral) and axis in (0, -1):
        return ()
    axes = axis if isinstance(axis, (tuple, list)) else (axis,)
    norm = tuple(sorted(_normalize_axis(int(a), nd, op) for a in axes))
    if len(set(norm)) != len(norm):
        raise ShapeError(with_location(f"{op}: repeated axis in {axis}"))
    return norm


def _order(order, op):
    """'C' or 'F'; 'A' and 'K' read a traced array (always C-ordered) as 'C'."""
    if order not in ("C", "F", "A", "K"):
        raise ValueError(f"{op}: order must be one of 'C', 'F', 'A', or 'K' (got {order!r})")
    return "F" if order == "F" else "C"


def reshape(x, *newshape, order="C"):
    if _order(order, "reshape") == "F":  # Fortran order: the C reshape of the reversed axes
        return transpose(reshape(transpose(x), *reversed(shape(reshape(x, *newshape)))))
    shp = newshape[0] if len(newshape) == 1 and not _is_scalar(newshape[0]) else newshape
    shp = tuple(int(s) for s in (shp if isinstance(shp, (tuple, list)) else (shp,)))
    x = _as_operand(x)
    size = int(np.prod(shape(x), dtype=np.int64))
    if shp.count(-1) > 1:
        raise ShapeError(with_location(f"reshape: can only specify one unknown dimension in {shp}"))
    if -1 in shp:
        known = int(np.prod([s for s in shp if s != -1], dtype=np.int64))
        if known == 0 or size % known:
            raise ShapeError(with_location(f"reshape: cannot reshape {shape(x)} into {shp}"))
        shp = tuple(size // known if s == -1 else s for s in shp)
    if int(np.prod(shp, dtype=np.int64)) != size:
        raise ShapeError(with_location(f"reshape: cannot reshape array of shape {shape(x)} "
                                       f"({size} elements) into shape {shp}"))
    return lax.reshape(x, shp) if isinstance(x, Tracer) else np.reshape(x, shp)


def ravel(x, order="C"):
    return reshape(transpose(x) if _order(order, "ravel") == "F" else x, -1)


def transpose(x, axes=None):
    nd = ndim(x)
    perm = tuple(reversed(range(nd))) if axes is None else tuple(
        _normalize_axis(int(a), nd, "transpose") for a in axes)
    if sorted(perm) != list(range(nd)):
        raise ShapeError(with_location(f"transpose: axes {axes} is not a permutation of {nd} axes"))
    if perm == tuple(range(nd)):
        return x
    return bind(transpose_p, x, perm=perm)


def swapaxes(x, axis1, axis2):
    nd = ndim(x)
    perm = list(range(nd))
    a, b = _normalize_axis(axis1, nd, "swapaxes"), _normalize_axis(axis2, nd, "swapaxes")
    perm[a], perm[b] = perm[b], perm[a]
    return transpose(x, perm)


def moveaxis(x, source, destination):
    nd = ndim(x)
    src = [_normalize_axis(s, nd, "moveaxis") for s in np.atleast_1d(source)]
    dst = [_normalize_axis(d, nd, "moveaxis") for d in np.atleast_1d(destination)]
    order = [i for i in range(nd) if i not in src]
    for d, s in sorted(zip(dst, src)):
        order.insert(d, s)
    return transpose(x, order)


def expand_dims(x, axis):
    nd = ndim(x) + len(axis if isinstance(axis, (tuple, list)) else (axis,))
    axes = _normalize_axes(axis, nd, "expand_dims")
    dims = iter(shape(x))
    return reshape(x, tuple(1 if i in axes else next(dims) for i in range(nd)))


def squeeze(x, axis=None):
    shp = shape(x)
    axes = tuple(i for i, d in enumerate(shp) if d == 1) if axis is None else \
        _normalize_axes(axis, len(shp), "squeeze")
    if builtins.any(shp[a] != 1 for a in axes):
        raise ShapeError(with_location(f"squeeze: cannot select an axis of size != 1 from {shp}"))
    return reshape(x, tuple(d for i, d in enumerate(shp) if i not in axes))


def broadcast_to(x, shp):
    shp = tuple(shp) if isinstance(shp, (tuple, list)) else (shp,)
    if shape(x) == shp:
        return x
    return bind(broadcast_to_p, x, shape=shp)


def concatenate(arrays, axis=0):
    arrays = _promote(*arrays)
    if axis is None:
        arrays, axis = [ravel(a) for a in arrays], 0
    nd = ndim(arrays[0])
    if nd == 0:
        raise ShapeError(with_location("concatenate: zero-dimensional arrays cannot be "
                                       "concatenated"))
    axis = _normalize_axis(axis, nd, "concatenate")
    if len(arrays) == 1:
        return arrays[0]
    return bind(concatenate_p, *arrays, axis=axis)


def stack(arrays, axis=0):
    shapes = {shape(a) for a in arrays}
    if len(shapes) != 1:
        raise ShapeError(with_location(f"stack: all input arrays must have the same shape, got "
                                       f"{sorted(shapes)}"))
    axis = _normalize_axis(axis, len(next(iter(shapes))) + 1, "stack")
    return concatenate([expand_dims(a, axis) for a in arrays], axis)


def flip(x, axis=None):
    return lax.rev(x, _normalize_axes(axis, ndim(x), "flip"))


def repeat(x, repeats, axis=None):
    if axis is None:
        x, axis = ravel(x), 0
    shp = shape(x)
    axis = _normalize_axis(axis, len(shp), "repeat")
    if isinstance(repeats, numbers.Integral):
        expanded = expand_dims(x, axis + 1)
        target = shp[:axis + 1] + (int(repeats),) + shp[axis + 1:]
        return reshape(broadcast_to(expanded, target),
                       shp[:axis] + (shp[axis] * int(repeats),) + shp[axis + 1:])
    index = np.repeat(np.arange(shp[axis]), np.asarray(repeats))
    return take(x, index, axis=axis)


def tile(x, reps):
    reps = (reps,) if isinstance(reps, numbers.Integral) else tuple(reps)
    shp = shape(x)
    nd = builtins.max(len(shp), len(reps))
    shp = (1,) * (nd - len(shp)) + shp
    reps = (1,) * (nd - len(reps)) + reps
    x = reshape(x, tuple(v for d in shp for v in (1, d)))
    x = broadcast_to(x, tuple(v for r, d in zip(reps, shp) for v in (r, d)))
    return reshape(x, tuple(r * d for r, d in zip(reps, shp)))


def _pad_source(n, lo, hi, mode):
    """For each position of an axis padded by (lo, hi), the position of x it copies."""
    i = np.arange(-lo, n + hi)
    if mode == "edge":
        return np.clip(i, 0, n - 1)
    if mode == "wrap":
        return i % n
    if mode == "reflect":  # mirrored about the edge elements: period 2n - 2
        if n == 1:
            return np.zeros_like(i)
        j = i % (2 * n - 2)
        return np.where(j < n, j, 2 * n - 2 - j)
    j = i % (2 * n)  # symmetric: mirrored with the edge elements repeated, period 2n
    return np.where(j < n, j, 2 * n - 1 - j)


PAD_MODES = ("constant", "edge", "wrap", "reflect", "symmetric")


def pad(x, pad_width, mode="constant", constant_values=0):
    """numpy's pad: a constant (the pad primitive), or positions of x gathered for 'edge',
    'wrap', 'reflect' and 'symmetric' (whose gradient adds up where a position is copied)."""
    if mode not in PAD_MODES:
        raise UnsupportedError(with_location(
            f"pad: mode={mode!r}; adc supports {', '.join(map(repr, PAD_MODES))}"))
    nd = ndim(x)
    widths = np.broadcast_to(np.asarray(pad_width, dtype=np.int64), (nd, 2))
    if (widths < 0).any():
        raise ShapeError(with_location(f"pad: negative pad widths {pad_width}"))
    if mode != "constant":
        for axis, (lo, hi) in enumerate(widths):
            n = shape(x)[axis]
            if (lo or hi) and not n:
                raise ValueError(f"can't extend empty axis {axis} using modes other than "
                                 "'constant' or 'empty'")
            if lo or hi:
                x = take(x, _pad_source(n, int(lo), int(hi), mode), axis=axis)
        return x
    x, value = _promote(x, constant_values)
    return bind(pad_p, x, value, lo=tuple(int(w) for w in widths[:, 0]),
                hi=tuple(int(w) for w in widths[:, 1]), interior=(0,) * nd)


# ---- reductions ----

def _reduce(prim, x, axis, keepdims, op):
    x = _as_operand(x)
    shp = shape(x)
    axes = _normalize_axes(axis, len(shp), op, ufunc=True)
    out = prim.bind(x, axes=axes) if isinstance(x, Tracer) else prim.impl(np.asarray(x), axes=axes)
    if keepdims:
        out = reshape(out, tuple(1 if i in axes else d for i, d in enumerate(shp)))
    return out


def accumulation_dtype(dtype, requested=None):
    """The dtype numpy's sum, prod, cumsum and cumprod accumulate in: `requested`, else bools
    and integers narrower than 64 bits widen (int64; unsigned: uint64), so they do not wrap."""
    return np.dtype(requested) if requested is not None else np.sum(np.zeros(1, dtype)).dtype


def _accumulating(x, dtype):
    (x,) = _promote(x)
    return astype(x, accumulation_dtype(x.dtype, dtype))


def _masked(x, where_, fill):
    """x where the mask holds, else `fill` (the reduction's identity), broadcast as numpy's
    `where=` argument."""
    if where_ is True:
        return x
    x = _as_operand(x)
    return where(where_, x, np.asarray(fill, x.dtype))


def _with_initial(out, initial, combine):
    return out if initial is None else combine(out, initial)


def sum(x, axis=None, dtype=None, keepdims=False, initial=None, where=True):
    x = _masked(_accumulating(x, dtype), where, 0)
    return _with_initial(_reduce(reduce_sum_p, x, axis, keepdims, "sum"), initial, add)


def prod(x, axis=None, dtype=None, keepdims=False, initial=None, where=True):
    x = _masked(_accumulating(x, dtype), where, 1)
    return _with_initial(_reduce(reduce_prod_p, x, axis, keepdims, "prod"), initial, multiply)


def cumsum(x, axis=None, dtype=None):
    """numpy's cumsum: the running sum along `axis` (of the flattened array when None, or 0-d);
    bools and integers accumulate in numpy's accumulation dtype (int64, uint64)."""
    x = _as_operand(x)
    x = x if isinstance(x, Tracer) else np.asarray(x)
    if axis is None or ndim(x) == 0:
        x, axis = ravel(x), 0
    axis = _normalize_axis(axis, ndim(x), "cumsum")
    x = astype(x, accumulation_dtype(x.dtype, dtype))
    return bind(cumsum_p, x, axis=axis)


def _nonempty(x, axis, op):
    axes = _normalize_axes(axis, ndim(x), op, ufunc=True)
    if builtins.any(shape(x)[a] == 0 for a in axes):
        raise ShapeError(with_location(f"{op}: zero-size reduction over axes {axes} of {shape(x)}"))


def _extremum(prim, x, axis, keepdims, initial, where_, op, ufunc, combine):
    """max/min: numpy needs `initial` for a `where=` mask or an empty reduction (the mask's
    excluded elements become the initial value)."""
    x = _as_operand(x)
    if initial is None:
        if where_ is not True:
            raise ValueError(f"reduction operation '{ufunc}' does not have an identity, so to "
                             "use a where mask one has to specify 'initial'")
        _nonempty(x, axis, op)
        return _reduce(prim, x, axis, keepdims, op)
    (x,) = _promote(x)
    initial = np.asarray(initial, x.dtype)  # numpy casts it to the array's dtype
    if not builtins.all(shape(x)):  # empty: the initial value, in the result's shape
        axes = _normalize_axes(axis, ndim(x), op, ufunc=True)
        kept = [1 if i in axes else d for i, d in enumerate(shape(x)) if keepdims or i not in axes]
        return broadcast_to(initial, tuple(kept))
    return combine(_reduce(prim, _masked(x, where_, initial), axis, keepdims, op), initial)


def max(x, axis=None, keepdims=False, initial=None, where=True):
    return _extremum(reduce_max_p, x, axis, keepdims, initial, where, "max", "maximum", maximum)


def min(x, axis=None, keepdims=False, initial=None, where=True):
    return _extremum(reduce_min_p, x, axis, keepdims, initial, where, "min", "minimum", minimum)


amax, amin = max, min


def _count(x, axis):
    return int(np.prod([shape(x)[a] for a in _normalize_axes(axis, ndim(x))], dtype=np.int64))


def mean(x, axis=None, dtype=None, keepdims=False, *, where=True):
    (x,) = _promote(x, to_float=True) if dtype is None else (astype(_as_operand(x), dtype),)
    axis = _normalize_axes(axis, ndim(x), "mean")
    if where is True:
        return sum(x, axis, keepdims=keepdims) / _count(x, axis)
    count = sum(broadcast_to(where, shape(x)), axis, dtype=x.dtype, keepdims=keepdims)
    return sum(x, axis, keepdims=keepdims, where=where) / count


def var(x, axis=None, ddof=0, keepdims=False):
    (x,) = _promote(x, to_float=True)
    axis = _normalize_axes(axis, ndim(x), "var")
    d = x - mean(x, axis, keepdims=True)
    return sum(d * d, axis, keepdims=keepdims) / builtins.max(_count(x, axis) - ddof, 0)


def std(x, axis=None, ddof=0, keepdims=False):
    # torch's convention: the gradient is 0 where the variance is 0 (sqrt's derivative is
    # infinite there). The inner where keeps sqrt's derivative finite so 0 * it stays 0; NaN
    # variances are not 0, so they still give NaN.
    v = var(x, _normalize_axes(axis, ndim(x), "std"), ddof=ddof, keepdims=keepdims)
    zero = equal(v, 0)
    return where(zero, np.zeros((), _dtype_of(v)), sqrt(where(zero, np.ones((), _dtype_of(v)), v)))


def _shift(x, axes):
    """The constant subtracted before exp (the max along `axes`, kept): 0 over an empty axis,
    where there is no max and the sum of exps is 0 (logsumexp -inf, softmax empty)."""
    if builtins.any(shape(x)[a] == 0 for a in axes):
        return np.zeros(tuple(1 if i in axes else d for i, d in enumerate(shape(x))), x.dtype)
    return stop_gradient(max(x, axes, keepdims=True))


def _logsumexp(x, axes):
    m = _shift(x, axes)
    m = where(isfinite(m), m, np.zeros((), x.dtype))
    return log(sum(exp(x - m), axes, keepdims=True)) + m


def logsumexp(x, axis=None, keepdims=False):
    (x,) = _promote(x, to_float=True)
    axes = _normalize_axes(axis, ndim(x), "logsumexp", ufunc=True)
    out = _logsumexp(x, axes)
    return out if keepdims else squeeze(out, axes)


def softmax(x, axis=-1):
    (x,) = _promote(x, to_float=True)
    axes = _normalize_axes(axis, ndim(x), "softmax", ufunc=True)
    z = exp(x - _shift(x, axes))
    return z / sum(z, axes, keepdims=True)


def log_softmax(x, axis=-1):
    """(x - max) - log(sum(exp(x - max))), as torch and jax.nn compute it: NaN along a line
    whose max is infinite, as softmax is there."""
    (x,) = _promote(x, to_float=True)
    axes = _normalize_axes(axis, ndim(x), "log_softmax", ufunc=True)
    shifted = x - _shift(x, axes)
    return shifted - log(sum(exp(shifted), axes, keepdims=True))


def linspace(start, stop, num=50, endpoint=True, retstep=False, dtype=None, axis=0):
    """numpy's linspace, also with traced endpoints (numpy's formula: start + i * step, the
    last value exactly `stop` when `endpoint`)."""
    if not isinstance(start, Tracer) and not isinstance(stop, Tracer):
        return np.linspace(start, stop, num, endpoint, retstep, dtype, axis)
    num = int(num)
    if num < 0:
        raise ShapeError(with_location(f"linspace: number of samples, {num}, must be "
                                       "non-negative"))
    if dtype is not None and np.dtype(dtype).kind != "f":
        raise UnsupportedError(with_location(
            f"linspace: dtype={np.dtype(dtype).name} with traced endpoints (the result is "
            "rounded down, which has no gradient); use a floating dtype"))
    start, stop = _promote(start, stop, to_float=True)
    start, stop = broadcast_arrays(start, stop)
    div = num - 1 if endpoint else num
    step = (stop - start) / builtins.max(div, 1)
    steps = np.arange(num, dtype=_dtype_of(start)).reshape((num,) + (1,) * ndim(start))
    y = steps * step + start
    if endpoint and num > 1:
        y = concatenate([y[:-1], expand_dims(stop, 0)], axis=0)
    y = moveaxis(y, 0, axis) if axis != 0 else y
    y = y if dtype is None else astype(y, dtype)
    return (y, step if div > 0 else step * np.nan) if retstep else y


def broadcast_arrays(*args):
    shp = broadcast_shapes(*[shape(a) for a in args])
    return tuple(broadcast_to(a, shp) for a in args)


def zeros_like(x, dtype=None):
    return np.zeros(shape(x), dtype or _dtype_of(_as_operand(x)))


def ones_like(x, dtype=None):
    return np.ones(shape(x), dtype or _dtype_of(_as_operand(x)))


def full_like(x, fill_value, dtype=None):
    return np.full(shape(x), fill_value, dtype or _dtype_of(_as_operand(x)))


empty_like = zeros_like


def matmul(a, b):
    a, b = _promote(a, b)
    if ndim(a) == 0 or ndim(b) == 0:
        raise ShapeError(with_location(f"matmul: scalar operands {shape(a)} and {shape(b)} are "
                                       "not allowed; use * for scaling"))
    inner = (shape(a)[-1], shape(b)[-2] if ndim(b) > 1 else shape(b)[0])
    if inner[0] != inner[1]:
        raise ShapeError(with_location(
            f"matmul: shapes {shape(a)} and {shape(b)} are not aligned: the first's last axis "
            f"has {inner[0]} elements, the second's {'only' if ndim(b) == 1 else 'second-to-last'}"
            f" axis {inner[1]}"))
    squeeze_axes = []
    if ndim(a) == 1:
        a = reshape(a, (1, shape(a)[0]))
        squeeze_axes.append(-2)
    if ndim(b) == 1:
        b = reshape(b, (shape(b)[0], 1))
        squeeze_axes.append(-1)
    out = bind(matmul_p, a, b)
    return squeeze(out, tuple(squeeze_axes)) if squeeze_axes else out


def dot(a, b):
    if ndim(a) == 0 or ndim(b) == 0:
        return multiply(a, b)
    if ndim(b) > 2:  # a's last axis with b's second-to-last
        return linalg.tensordot(a, b, ([-1], [-2]))
    return matmul(a, b)


def vdot(a, b):
    return sum(ravel(a) * ravel(b))


def inner(a, b):
    """numpy's inner: the last axes contracted, result shape a.shape[:-1] + b.shape[:-1]."""
    if ndim(a) == 0 or ndim(b) == 0:
        return multiply(a, b)
    (a, b), (sa, sb) = _promote(a, b), (shape(a), shape(b))
    if sa[-1] != sb[-1]:
        raise ShapeError(with_location(f"inner: shapes {sa} and {sb} are not aligned: the last "
                                       f"axes differ ({sa[-1]} != {sb[-1]})"))
    if len(sa) == len(sb) == 1:
        return sum(multiply(a, b))
    prod = matmul(reshape(a, (-1, sa[-1])), transpose(reshape(b, (-1, sb[-1]))))
    return reshape(prod, sa[:-1] + sb[:-1])


def outer(a, b):
    return reshape(a, (-1, 1)) * reshape(b, (1, -1))


def diagonal(x, offset=0, axis1=0, axis2=1):
    nd = ndim(x)
    x = moveaxis(x, (axis1, axis2), (nd - 2, nd - 1))
    n, m = shape(x)[-2:]
    rows = np.arange(builtins.max(0, -offset), builtins.min(n, m - offset))
    flat = reshape(x, shape(x)[:-2] + (n * m,))
    return take(flat, rows * m + rows + offset, axis=-1)


def trace(x, offset=0, axis1=0, axis2=1):
    return sum(diagonal(x, offset, axis1, axis2), axis=-1)


def diag(v, k=0):
    if ndim(v) == 2:
        return diagonal(v, k)
    if ndim(v) != 1:
        raise ShapeError(with_location(f"diag: input must be 1-D or 2-D, got {shape(v)}"))
    n = shape(v)[0] + builtins.abs(k)
    pos = np.arange(shape(v)[0])
    flat_index = (pos + builtins.max(0, -k)) * n + pos + builtins.max(0, k)
    return reshape(bind(scatter_add_p, flat_index, v, axis=0, size=n * n), (n, n))


def _tri(x, k, lower):
    n, m = shape(x)[-2:]
    mask = np.tril(np.ones((n, m), bool), k) if lower else np.triu(np.ones((n, m), bool), k)
    return where(mask, x, zeros_like(x))


def tril(x, k=0):
    return _tri(x, k, True)


def triu(x, k=0):
    return _tri(x, k, False)


from . import linalg  # noqa: E402,F401  (adc.numpy.linalg)
from .linalg import tensordot  # noqa: E402,F401
from .einsum import einsum  # noqa: E402,F401
from .ordering import *  # noqa: E402,F401,F403  (sort, median, argmax, any, cumprod, ...)
from . import nn  # noqa: E402,F401  (adc.numpy.nn)
from .indexing import getitem, take, take_along_axis  # noqa: E402,F401
from .elementwise import *  # noqa: E402,F401,F403  (numpy's further elementwise functions)
from .joining import *  # noqa: E402,F401,F403  (joining, splitting, rearranging)
from .creation import *  # noqa: E402,F401,F403  (array/asarray of traced nests)
from .numerical import *  # noqa: E402,F401,F403  (cov, nanmean, trapezoid, convolve, ...)
from .tracer_methods import install as _install  # noqa: E402

_install(Tracer, globals())
