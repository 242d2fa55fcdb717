"""adc.numpy's order-dependent reductions and scans, numpy's names and semantics: sort,
argsort, partition, argmax/argmin, all/any, isclose/allclose, average, ptp, median, quantile,
percentile, cumprod.

Stage: trace. Invariants: an order comes from the `argsort` primitive (stable, NaN last), so a
value picked by it (sort, median, quantiles) is taken from the input by index and its gradient
reaches that element (two elements, weighted, where a quantile interpolates); index and bool
results (argsort, argmax, any, isclose) have no gradient. The tensor layer's sort/argsort,
argmax/argmin, any/all, isclose, cumprod call these.
"""
from __future__ import annotations

import builtins
import numbers

import numpy as np

from .. import numpy as anp
from ..errors import UnsupportedError, with_location
from ..prims.sort import argsort_p
from ..tracer import Tracer, bind

__all__ = ["all", "allclose", "any", "argmax", "argmin", "argsort", "average", "cumprod",
           "isclose", "median", "partition", "percentile", "ptp", "quantile", "sort"]


def _flat_or(a, axis, what):
    """(a, axis): a raveled with axis 0 for axis None, else axis normalized."""
    (a,) = anp._promote(a)
    if axis is None:
        return anp.reshape(a, (-1,)), 0
    return a, anp._normalize_axis(axis, anp.ndim(a), what)


def _unsupported_order(order, what):
    if order is not None:
        raise UnsupportedError(with_location(f"{what}: order= (structured arrays) is not "
                                             "supported"))


def nan_mask(x):
    """Where x is NaN: not finite and not infinite (x != x is folded to False in compiled code:
    sympy's Ne(x, x) is false)."""
    return anp.logical_and(anp.logical_not(anp.isfinite(x)),
                           anp.not_equal(anp.abs(x), np.asarray(np.inf, x.dtype)))


def stable_order(a, axis, descending=False):
    """The indices that sort `a` along `axis` stably (equal elements keep their order) and NaN
    last, or with `descending`, largest (NaN) first with equal elements still in their order."""
    if anp.ndim(a) == 0:
        return np.zeros((), np.int64)
    if not descending:
        return bind(argsort_p, a, axis=axis)
    n = anp.shape(a)[axis]
    reversed_order = bind(argsort_p, anp.flip(a, axis), axis=axis)
    return anp.flip(anp.subtract(np.asarray(n - 1, np.int64), reversed_order), axis)


def argsort(a, axis=-1, kind=None, order=None, *, stable=None):
    """Always stable (any `kind`): equal elements keep their order; NaN sorts last."""
    _unsupported_order(order, "argsort")
    a, axis = _flat_or(a, axis, "argsort")
    return stable_order(a, axis)


def sort(a, axis=-1, kind=None, order=None, *, stable=None):
    _unsupported_order(order, "sort")
    a, axis = _flat_or(a, axis, "sort")
    if anp.ndim(a) == 0:
        return a
    return anp.take_along_axis(a, stable_order(a, axis), axis)


def partition(a, kth, axis=-1, kind="introselect", order=None):
    """A valid partition (the k-th element in its sorted place, none larger before it, none
    smaller after): the sorted array, which is one; numpy's other positions are in an
    unspecified order."""
    _unsupported_order(order, "partition")
    a, ax = _flat_or(a, axis, "partition")
    n = anp.shape(a)[ax]
    for k in np.atleast_1d(kth):
        if not -n <= int(k) < n:
            raise ValueError(f"kth(={int(k)}) out of bounds ({n})")
    return sort(a, ax)


def _arg_extremum(a, axis, keepdims, pick, what):
    """The first index of the extremum along `axis` (of a NaN, if there is one: numpy's)."""
    flat, nd = axis is None, anp.ndim(a)
    a, ax = _flat_or(a, axis, what)
    n = anp.shape(a)[ax]
    if n == 0:
        raise ValueError(f"attempt to get {what} of an empty sequence")
    best = pick(a, axis=ax, keepdims=True)
    hit = anp.equal(a, best)
    if a.dtype.kind == "f":
        hit = anp.logical_or(hit, anp.logical_and(nan_mask(a), nan_mask(best)))
    positions = np.arange(n).reshape((n,) + (1,) * (anp.ndim(a) - ax - 1))
    first = anp.min(anp.where(hit, positions, np.asarray(n)), axis=ax,
                    keepdims=keepdims and not flat)
    if keepdims and flat:
        first = anp.reshape(first, (1,) * nd)
    return anp.astype(first, np.int64)


def argmax(a, axis=None, out=None, *, keepdims=False):
    return _arg_extremum(a, axis, keepdims, anp.max, "argmax")


def argmin(a, axis=None, out=None, *, keepdims=False):
    return _arg_extremum(a, axis, keepdims, anp.min, "argmin")


def any(a, axis=None, out=None, keepdims=False):
    return anp.greater(anp.sum(anp.not_equal(a, 0), axis=axis, keepdims=keepdims), 0)


def all(a, axis=None, out=None, keepdims=False):
    return anp.equal(anp.sum(anp.equal(a, 0), axis=axis, keepdims=keepdims), 0)


def isclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """numpy's: |a - b| <= atol + rtol |b| where b is finite, or a == b (equal infinities);
    integers are compared as floats."""
    a, b = anp._promote(a, b, to_float=True)
    close = anp.less_equal(anp.abs(anp.subtract(a, b)),
                           anp.add(atol, anp.multiply(rtol, anp.abs(b))))
    result = anp.logical_or(anp.logical_and(close, anp.isfinite(b)), anp.equal(a, b))
    if equal_nan:
        result = anp.logical_or(result, anp.logical_and(nan_mask(a), nan_mask(b)))
    return result


def allclose(a, b, rtol=1e-05, atol=1e-08, equal_nan=False):
    """A Python bool on arrays (numpy's), a traced 0-d bool on traced values."""
    result = all(isclose(a, b, rtol, atol, equal_nan))
    return result if isinstance(result, Tracer) else builtins.bool(result)


def average(a, axis=None, weights=None, returned=False, *, keepdims=False):
    """The mean, or sum(a * w) / sum(w) along `axis` with `weights` of a's shape (or 1-D along
    one axis); with `returned`, also the sum of the weights (broadcast to the result)."""
    if weights is None:
        (a,) = anp._promote(a, to_float=True)
        avg = anp.mean(a, axis=axis, keepdims=keepdims)
        size = int(np.prod(anp.shape(a)))
        count = size // builtins.max(int(np.prod(anp.shape(avg))), 1) if size else 0
        scale = anp.broadcast_to(np.asarray(count, avg.dtype), anp.shape(avg))
        return (avg, scale) if returned else avg
    a, w = anp._promote(a, weights, to_float=True)
    if anp.shape(w) != anp.shape(a):
        if axis is None:
            raise TypeError("Axis must be specified when shapes of a and weights differ.")
        if anp.ndim(w) != 1:
            raise TypeError("1D weights expected when shapes of a and weights differ.")
        ax = anp._normalize_axis(axis, anp.ndim(a), "average")
        if anp.shape(w)[0] != anp.shape(a)[ax]:
            raise ValueError("Length of weights not compatible with specified axis.")
        w = anp.reshape(w, (-1,) + (1,) * (anp.ndim(a) - ax - 1))
        w = anp.broadcast_to(w, anp.shape(a))
    total = anp.sum(w, axis=axis, keepdims=keepdims)
    if not isinstance(total, Tracer) and np.any(np.asarray(total) == 0):
        raise ZeroDivisionError("Weights sum to zero, can't be normalized")
    avg = anp.divide(anp.sum(anp.multiply(a, w), axis=axis, keepdims=keepdims), total)
    return (avg, anp.broadcast_to(total, anp.shape(avg))) if returned else avg


def ptp(a, axis=None, out=None, keepdims=False):
    return anp.subtract(anp.max(a, axis=axis, keepdims=keepdims),
                        anp.min(a, axis=axis, keepdims=keepdims))


def cumprod(a, axis=None, dtype=None):
    """Each prefix product as a product over a lower-triangular (n, n) arrangement of the axis
    (there is no scan-product primitive; the gradient of `prod` handles zeros); integers
    narrower than 64 bits (and bools) accumulate in int64 or uint64, as numpy's."""
    a, axis = _flat_or(a, axis, "cumprod")
    a = anp.astype(a, anp.accumulation_dtype(a.dtype, dtype))
    x = anp.moveaxis(a, axis, -1)
    n = anp.shape(x)[-1]
    if x.dtype.kind == "f":
        # torch's gradient: none reaches the elements after a line's first zero (each product
        # holding one holds the zero too: 0, also where another factor is infinite)
        zero = anp.astype(anp.equal(x, 0), np.int64)
        after_zero = anp.greater(anp.subtract(anp.cumsum(zero, axis=-1), zero), 0)
        x = anp.where(after_zero, anp.stop_gradient(x), x)
    rows = anp.broadcast_to(anp.expand_dims(x, -2), anp.shape(x)[:-1] + (n, n))
    below = np.tril(np.ones((n, n), bool))
    out = anp.prod(anp.where(below, rows, np.ones((), x.dtype)), axis=-1)
    return anp.moveaxis(out, -1, axis)


def _quantile_q(q, what):
    if isinstance(q, Tracer):
        raise UnsupportedError(with_location(f"{what}: a traced q; pass q as numbers or a "
                                             "numpy array"))
    q = np.asarray(q, np.float64)
    if np.any((q < 0) | (q > 1)) or np.any(np.isnan(q)):
        raise ValueError("Quantiles must be in the range [0, 1]")
    return q


def _lines(a, axis, what):
    """a (float) with the reduced axes moved to the end and merged: (..., n)."""
    (a,) = anp._promote(a, to_float=True)
    nd = anp.ndim(a)
    axes = tuple(range(nd)) if axis is None else tuple(sorted(
        anp._normalize_axis(x, nd, what) for x in ((axis,) if isinstance(
            axis, numbers.Integral) else axis)))
    kept = [i for i in range(nd) if i not in axes]
    moved = anp.transpose(a, kept + list(axes))
    shape = anp.shape(moved)
    return anp.reshape(moved, tuple(shape[:len(kept)]) + (-1,)), axes, nd


def _kept(value, axes, nd, extra):
    """The reduced result with keepdims: length-1 axes back where `axes` were."""
    shape = list(anp.shape(value))
    lead, rest = shape[:extra], shape[extra:]
    out, it = [], iter(rest)
    for i in range(nd):
        out.append(1 if i in axes else next(it))
    return anp.reshape(value, tuple(lead) + tuple(out))


def _with_nan(value, ordered):
    """NaN where a line holds one (it sorts last), as numpy's median and quantiles."""
    last = anp.take(ordered, [anp.shape(ordered)[-1] - 1], axis=-1)[..., 0]
    return anp.where(nan_mask(last), np.asarray(np.nan, value.dtype), value)


def quantile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
             keepdims=False):
    """numpy's linear method: at virtual index q (n - 1) between the sorted elements below and
    above, interpolated as numpy's _lerp; the gradient reaches those two elements."""
    if method != "linear":
        raise UnsupportedError(with_location(f"quantile: method={method!r}; only 'linear' "
                                             "(the default) is supported"))
    q = _quantile_q(q, "quantile")
    lines, axes, nd = _lines(a, axis, "quantile")
    n = anp.shape(lines)[-1]
    if n == 0:
        raise IndexError("quantile of an empty array")
    ordered = sort(lines, -1)
    position = q.reshape(-1) * (n - 1)
    lo = np.floor(position).astype(np.int64)
    hi = np.minimum(lo + 1, n - 1)
    t = (position - lo).astype(lines.dtype)
    below = anp.moveaxis(anp.take(ordered, lo, axis=-1), -1, 0)
    above = anp.moveaxis(anp.take(ordered, hi, axis=-1), -1, 0)
    t = t.reshape((-1,) + (1,) * (anp.ndim(below) - 1))
    diff = anp.subtract(above, below)
    value = anp.where(t >= 0.5, anp.subtract(above, anp.multiply(diff, 1 - t)),
                      anp.add(below, anp.multiply(diff, t)))
    value = _with_nan(value, ordered)
    if keepdims:
        value = _kept(value, axes, nd, 1)
    return anp.reshape(value, q.shape + tuple(anp.shape(value)[1:]))


def percentile(a, q, axis=None, out=None, overwrite_input=False, method="linear",
               keepdims=False):
    return quantile(a, np.true_divide(_percent(q), 100), axis, out, overwrite_input, method,
                    keepdims)


def _percent(q):
    if isinstance(q, Tracer):
        raise UnsupportedError(with_location("percentile: a traced q; pass q as numbers or a "
                                             "numpy array"))
    q = np.asarray(q, np.float64)
    if np.any((q < 0) | (q > 100)):
        raise ValueError("Percentiles must be in the range [0, 100]")
    return q


def median(a, axis=None, out=None, overwrite_input=False, keepdims=False):
    """The middle element, or the mean of the two middle ones (numpy's, not torch's lower
    median); its gradient goes to them (1/2 each)."""
    lines, axes, nd = _lines(a, axis, "median")
    n = anp.shape(lines)[-1]
    if n == 0:
        raise IndexError("median of an empty array")
    ordered = sort(lines, -1)
    middle = anp.take(ordered, sorted({(n - 1) // 2, n // 2}), axis=-1)
    value = anp.mean(middle, axis=-1)
    value = _with_nan(value, ordered)
    return _kept(value, axes, nd, 0) if keepdims else value
