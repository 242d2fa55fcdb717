"""numpy's numerical helpers on traced values: statistics (cov, corrcoef, count_nonzero and the
NaN-ignoring nansum/nanprod/nanmean/nanvar/nanstd/nanmax/nanmin), integration and differences
(trapezoid, ediff1d, gradient), polynomials (polyval, vander), convolution (convolve,
correlate), grids (meshgrid), lookup in sorted sequences (searchsorted, digitize, interp) and
the elementwise copysign, heaviside and float_power.

Stage: trace (the user namespace, `adc.numpy`). Invariant: each function takes numpy's name,
arguments, result shapes and dtypes and is a composition of adc.numpy calls, so it needs no VJP
of its own; convolutions are one gather of the sliding windows (a constant index table) and a
matrix-vector product, so their size in the graph does not grow with the kernel's length.
Lookups compare every value with every element of the sorted sequence (one fused reduction:
time len(a) * len(v), no intermediate array), so a traced sequence works too.
"""
from __future__ import annotations

import builtins

import numpy as np

from ..errors import UnsupportedError, with_location
from ..tracer import Tracer
from . import (_as_operand, _dtype_of, _normalize_axes, _promote, abs, add, astype,
               broadcast_arrays, broadcast_to, clip, concatenate, diagonal, divide, equal,
               float_operands, greater, less, less_equal, logical_not, matmul, maximum,
               multiply, ndim, negative, not_equal, pad, power, prod, ravel, reshape, shape,
               sqrt, stack, subtract, sum, swapaxes, take, where)
from . import max as _max
from . import min as _min
from .elementwise import isnan, signbit
from .joining import diff

__all__ = ["convolve", "copysign", "corrcoef", "correlate", "count_nonzero", "cov", "digitize",
           "ediff1d", "float_power", "gradient", "heaviside", "interp", "meshgrid", "nanmax",
           "nanmean", "nanmin", "nanprod", "nanstd", "nansum", "nanvar", "polyval",
           "searchsorted", "trapezoid", "vander"]


# ---- statistics ----

def count_nonzero(a, axis=None, *, keepdims=False):
    return sum(astype(not_equal(_as_operand(a), 0), np.int64), axis, keepdims=keepdims)


def _observations(m, rowvar):
    """m as numpy's cov reads it: at least 2-D, variables in rows, in float64 or wider."""
    x = _as_operand(m)
    if ndim(x) > 2:
        raise ValueError("m has more than 2 dimensions")
    x = astype(x, np.result_type(x.dtype, np.float64))
    x = reshape(x, (1, -1)) if ndim(x) < 2 else x
    return swapaxes(x, 0, 1) if not rowvar and shape(x)[0] != 1 else x


def cov(m, y=None, rowvar=True, bias=False, ddof=None, fweights=None, aweights=None, *,
        dtype=None):
    """numpy's covariance matrix (squeezed: a 0-d array for one variable); the divisor is the
    observations less ddof (1, or 0 with bias=True), 0 when that is negative."""
    if fweights is not None or aweights is not None:
        raise UnsupportedError(with_location(
            "cov: fweights and aweights are not supported on traced arrays; weight the "
            "observations explicitly"))
    x = _observations(m, rowvar)
    if y is not None:
        x = concatenate([x, astype(_observations(y, rowvar), x.dtype)], axis=0)
    if dtype is not None:
        x = astype(x, dtype)
    ddof = (0 if bias else 1) if ddof is None else ddof
    n = shape(x)[1]
    centred = subtract(x, reshape(divide(sum(x, 1), np.asarray(n, x.dtype)), (-1, 1)))
    c = divide(matmul(centred, swapaxes(centred, 0, 1)),
               np.asarray(builtins.max(n - ddof, 0), x.dtype))
    return reshape(c, ()) if shape(c) == (1, 1) else c


def corrcoef(x, y=None, rowvar=True, *, dtype=None):
    """numpy's Pearson correlation coefficients: cov over the outer product of the standard
    deviations, clipped to [-1, 1]."""
    c = cov(x, y, rowvar, dtype=dtype)
    if ndim(c) == 0:
        return divide(c, c)
    std = sqrt(diagonal(c))
    c = divide(divide(c, reshape(std, (-1, 1))), reshape(std, (1, -1)))
    return clip(c, -1, 1)


def _nan_filled(a, fill):
    (a,) = _promote(a)
    if a.dtype.kind != "f":  # no NaN to skip
        return a, None
    nan = isnan(a)
    return where(nan, np.asarray(fill, a.dtype), a), nan


def nansum(a, axis=None, dtype=None, keepdims=False):
    return sum(_nan_filled(a, 0)[0], axis, dtype=dtype, keepdims=keepdims)


def nanprod(a, axis=None, dtype=None, keepdims=False):
    return prod(_nan_filled(a, 1)[0], axis, dtype=dtype, keepdims=keepdims)


def _count(a, nan, axis, keepdims):
    """The number of non-NaN elements along `axis`, in a's float dtype."""
    kept = np.ones(shape(a), bool) if nan is None else logical_not(nan)
    return sum(kept, axis, dtype=a.dtype, keepdims=keepdims)


def nanmean(a, axis=None, dtype=None, keepdims=False):
    """The mean of the non-NaN elements; NaN for an all-NaN slice (numpy warns there)."""
    (a,) = float_operands(_as_operand(a), divide=True) if dtype is None else (
        astype(_as_operand(a), dtype),)
    filled, nan = _nan_filled(a, 0)
    return divide(sum(filled, axis, keepdims=keepdims), _count(a, nan, axis, keepdims))


def nanvar(a, axis=None, dtype=None, ddof=0, keepdims=False):
    (a,) = float_operands(_as_operand(a), divide=True) if dtype is None else (
        astype(_as_operand(a), dtype),)
    filled, nan = _nan_filled(a, 0)
    mean = divide(sum(filled, axis, keepdims=True), _count(a, nan, axis, True))
    d = subtract(filled, mean)  # finite where a is NaN, so no NaN reaches the gradient
    d2 = multiply(d, d) if nan is None else where(nan, np.zeros((), a.dtype), multiply(d, d))
    count = subtract(_count(a, nan, axis, keepdims), np.asarray(ddof, a.dtype))
    return divide(sum(d2, axis, keepdims=keepdims), maximum(count, np.zeros((), a.dtype)))


def nanstd(a, axis=None, dtype=None, ddof=0, keepdims=False):
    return sqrt(nanvar(a, axis, dtype, ddof, keepdims))


def _nan_extremum(reduce, fill, a, axis, keepdims):
    """max/min of the non-NaN elements; NaN for an all-NaN slice (numpy warns there)."""
    filled, nan = _nan_filled(a, fill)
    out = reduce(filled, axis, keepdims=keepdims)
    if nan is None:
        return out
    all_nan = equal(_count(filled, nan, axis, keepdims), 0)
    return where(all_nan, np.asarray(np.nan, out.dtype), out)


def nanmax(a, axis=None, keepdims=False):
    return _nan_extremum(_max, -np.inf, a, axis, keepdims)


def nanmin(a, axis=None, keepdims=False):
    return _nan_extremum(_min, np.inf, a, axis, keepdims)


# ---- integration and differences ----

def trapezoid(y, x=None, dx=1.0, axis=-1):
    """The trapezoidal rule along `axis`, with sample points `x` (1-D along the axis, or y's
    shape) or a constant spacing dx."""
    y = _as_operand(y)
    (axis,) = _normalize_axes(axis, ndim(y), "trapezoid")
    n = shape(y)[axis]
    if x is None:
        d = dx
    else:
        x = _as_operand(x)
        if ndim(x) == 1:
            d = reshape(diff(x), tuple(-1 if i == axis else 1 for i in range(ndim(y))))
        else:
            d = diff(x, axis=axis)
    ends = [take(y, np.arange(1, n), axis=axis), take(y, np.arange(0, n - 1), axis=axis)]
    return sum(divide(multiply(d, add(*ends)), 2.0), axis)


def ediff1d(ary, to_end=None, to_begin=None):
    parts = [diff(ravel(ary))]
    if to_begin is not None:
        parts.insert(0, ravel(to_begin))
    if to_end is not None:
        parts.append(ravel(to_end))
    return concatenate(parts) if len(parts) > 1 else parts[0]


def _along(f, axis, start, stop):
    return take(f, np.arange(start, stop + shape(f)[axis] if stop <= 0 else stop), axis=axis)


def _gradient_along(f, axis, h, edge_order):
    """numpy's second-order central differences inside, one-sided ones (of `edge_order`) at
    the ends; h a scalar spacing or the axis's coordinates."""
    n = shape(f)[axis]
    if n < edge_order + 1:
        raise ValueError("Shape of array too small to calculate a numerical gradient, at least "
                         "(edge_order + 1) elements are required.")
    lo, hi = _along(f, axis, 0, 1), _along(f, axis, n - 1, n)
    if ndim(h) == 0:  # uniform spacing: numpy's formulas, operation for operation
        twice = h * 2.0 if isinstance(h, (int, float)) else multiply(h, 2.0)  # a Python h: weak
        inner = divide(subtract(_along(f, axis, 2, 0), _along(f, axis, 0, -2)), twice)
        if edge_order == 1:
            first = divide(subtract(_along(f, axis, 1, 2), lo), h)
            last = divide(subtract(hi, _along(f, axis, n - 2, n - 1)), h)
        else:
            f1, f2 = _along(f, axis, 1, 2), _along(f, axis, 2, 3)
            first = divide(add(subtract(multiply(lo, -1.5), multiply(f1, -2.0)),
                               multiply(f2, -0.5)), h)
            g1, g2 = _along(f, axis, n - 2, n - 1), _along(f, axis, n - 3, n - 2)
            last = divide(add(subtract(multiply(hi, 1.5), multiply(g1, 2.0)), multiply(g2, 0.5)),
                          h)
        return concatenate([first, inner, last], axis=axis)
    if shape(h) != (n,):
        raise ValueError("when 1d, distances must match the length of the corresponding "
                         "dimension")
    dx = diff(h)
    view = tuple(-1 if i == axis else 1 for i in range(ndim(f)))

    def coefficient(c):
        return reshape(c, view) if ndim(c) else c
    d1, d2 = take(dx, np.arange(n - 2)), take(dx, np.arange(1, n - 1))
    a = coefficient(divide(negative(d2), multiply(d1, add(d1, d2))))
    b = coefficient(divide(subtract(d2, d1), multiply(d1, d2)))
    c = coefficient(divide(d1, multiply(d2, add(d1, d2))))
    inner = add(add(multiply(a, _along(f, axis, 0, -2)), multiply(b, _along(f, axis, 1, -1))),
                multiply(c, _along(f, axis, 2, 0)))
    if edge_order == 1:
        first = divide(subtract(_along(f, axis, 1, 2), lo), take(dx, 0))
        last = divide(subtract(hi, _along(f, axis, n - 2, n - 1)), take(dx, n - 2))
    else:
        e1, e2 = take(dx, 0), take(dx, 1)
        first = add(add(multiply(divide(negative(add(multiply(e1, 2.0), e2)),
                                        multiply(e1, add(e1, e2))), lo),
                        multiply(divide(add(e1, e2), multiply(e1, e2)), _along(f, axis, 1, 2))),
                    multiply(divide(negative(e1), multiply(e2, add(e1, e2))),
                             _along(f, axis, 2, 3)))
        e1, e2 = take(dx, n - 3), take(dx, n - 2)
        last = add(add(multiply(divide(e2, multiply(e1, add(e1, e2))),
                                _along(f, axis, n - 3, n - 2)),
                       multiply(divide(negative(add(e2, e1)), multiply(e1, e2)),
                                _along(f, axis, n - 2, n - 1))),
                   multiply(divide(add(multiply(e2, 2.0), e1), multiply(e2, add(e1, e2))), hi))
    return concatenate([first, inner, last], axis=axis)


def gradient(f, *varargs, axis=None, edge_order=1):
    """numpy's gradient: one array per axis (a tuple for several, the array for one), with
    spacings given as one scalar, one per axis, or coordinate arrays."""
    (f,) = _promote(f)
    if f.dtype.kind in "biu":
        f = astype(f, np.float64)
    axes = _normalize_axes(axis, ndim(f), "gradient")
    if edge_order not in (1, 2):
        raise ValueError("'edge_order' greater than 2 not supported")
    if not varargs:
        spacing = [1.0] * len(axes)
    elif len(varargs) == 1 and ndim(varargs[0]) == 0:
        spacing = list(varargs) * len(axes)
    elif len(varargs) == len(axes):
        spacing = list(varargs)
    else:
        raise TypeError("invalid number of arguments")
    spacing = [h if ndim(h) == 0 and not hasattr(h, "dtype") else _as_operand(h)
               for h in spacing]
    out = tuple(_gradient_along(f, ax, h, edge_order) for ax, h in zip(axes, spacing))
    return out[0] if len(out) == 1 else out


# ---- lookup in sorted sequences ----

def searchsorted(a, v, side="left", sorter=None):
    """Insertion points of v in the sorted 1-D a (int64): how many elements of a are below
    (side 'left') or at most (side 'right') each value."""
    if sorter is not None:
        a = take(a, sorter)
    a, v = _as_operand(a), _as_operand(v)
    if ndim(a) != 1:
        raise ValueError("object too deep for desired array")
    if side not in ("left", "right"):
        raise ValueError(f"side must be 'left' or 'right' (got {side!r})")
    below = (less if side == "left" else less_equal)(a, reshape(v, shape(v) + (1,)))
    return sum(astype(below, np.int64), axis=-1)


def digitize(x, bins, right=False):
    """The index of the bin of each x: bins increasing or decreasing (numpy checks which from
    the bins' values, so they must not be traced)."""
    if isinstance(bins, Tracer):
        raise UnsupportedError(with_location(
            "digitize: traced bins; numpy reads their order from their values, so pass them as "
            "a numpy array (or use searchsorted for increasing bins)"))
    edges = np.asarray(bins)
    if edges.ndim != 1:
        raise ValueError("object too deep for desired array")
    increasing = edges.size < 2 or bool(np.all(edges[1:] >= edges[:-1]))
    if not increasing and not np.all(edges[1:] <= edges[:-1]):
        raise ValueError("bins must be monotonically increasing or decreasing")
    side = "left" if right else "right"
    if increasing:
        return searchsorted(edges, x, side)
    return subtract(edges.size, searchsorted(edges[::-1], x, side))


def interp(x, xp, fp, left=None, right=None, period=None):
    """numpy's piecewise-linear interpolation of the points (xp, fp), xp increasing; left and
    right (default fp[0], fp[-1]) outside. The gradient is the segment's slope (in x) and the
    interpolation weights (in fp)."""
    if period is not None:
        raise UnsupportedError(with_location("interp: period= is not supported on traced "
                                             "arrays; wrap x into one period first"))
    x, xp, fp = (_as_operand(v) for v in (x, xp, fp))
    xp, fp = (astype(v, np.result_type(_dtype_of(v) or np.float64, np.float64)) for v in (xp, fp))
    x = astype(x, np.float64)
    if ndim(xp) != 1 or ndim(fp) != 1 or shape(xp) != shape(fp):
        raise ValueError("fp and xp are not of the same length.")
    n = shape(xp)[0]
    if not n:
        raise ValueError("array of sample points is empty")
    if n == 1:
        value = broadcast_to(take(fp, 0), shape(x))
    else:
        j = clip(subtract(searchsorted(xp, x, "right"), 1), 0, n - 2)
        x0, x1, f0, f1 = take(xp, j), take(xp, add(j, 1)), take(fp, j), take(fp, add(j, 1))
        slope = divide(subtract(f1, f0), subtract(x1, x0))
        value = add(multiply(slope, subtract(x, x0)), f0)
        value = where(equal(x, x1), f1, value)  # numpy's: the right end of a segment exactly
    low = take(fp, 0) if left is None else left
    high = take(fp, n - 1) if right is None else right
    value = where(less(x, take(xp, 0)), low, value)
    return where(greater(x, take(xp, n - 1)), high, value)


# ---- polynomials ----

def polyval(p, x):
    """Horner's rule: p[0] * x**(n-1) + ... + p[n-1], p's coefficients highest power first."""
    p, x = _as_operand(p), _as_operand(x)
    if ndim(p) != 1:
        raise UnsupportedError(with_location(
            f"polyval: coefficients of shape {shape(p)}; a 1-D sequence is supported"))
    y = multiply(x, 0)
    for i in range(shape(p)[0]):
        y = add(multiply(y, x), take(p, i))
    return y


def vander(x, N=None, increasing=False):
    """Columns x**(N-1), ..., x**0 (increasing: x**0 first), in numpy's dtype (promoted with
    int64)."""
    x = _as_operand(x)
    if ndim(x) != 1:
        raise ValueError("x must be a one-dimensional array or sequence.")
    n = shape(x)[0] if N is None else int(N)
    x = astype(x, np.promote_types(x.dtype, np.int64))
    columns = [broadcast_to(np.ones((), x.dtype), shape(x))]
    for _ in range(1, n):
        columns.append(multiply(columns[-1], x))
    return stack(columns if increasing else columns[::-1], axis=1) if n else reshape(
        x, (shape(x)[0], 0))


# ---- convolution ----

def _correlate_valid(a, v, lo, hi):
    """out[k] = sum_j a_padded[k + j] v[j], a padded with lo and hi zeros; a at least as long
    as v."""
    a = pad(a, (lo, hi)) if lo or hi else a
    m = shape(v)[0]
    count = shape(a)[0] - m + 1
    windows = take(a, np.arange(count)[:, None] + np.arange(m)[None, :])
    return matmul(windows, v)


def correlate(a, v, mode="valid"):
    """numpy's cross-correlation of two 1-D sequences: c[k] = sum_n a[n + k] v[n]."""
    a, v = _promote(a, v)
    if ndim(a) != 1 or ndim(v) != 1:
        raise ValueError("object too deep for desired array")
    n, m = shape(a)[0], shape(v)[0]
    if not n or not m:
        raise ValueError(f"{'v' if not m else 'a'} cannot be empty")
    if m > n:  # numpy swaps the operands and reverses the result
        return take(correlate(v, a, mode), np.arange(_length(m, n, mode) - 1, -1, -1))
    if mode == "valid":
        return _correlate_valid(a, v, 0, 0)
    if mode == "same":
        return _correlate_valid(a, v, m // 2, m - m // 2 - 1)
    if mode == "full":
        return _correlate_valid(a, v, m - 1, m - 1)
    raise ValueError(f"mode must be one of 'valid', 'same', or 'full' (got {mode!r})")


def _length(n, m, mode):
    return {"valid": n - m + 1, "same": n, "full": n + m - 1}[mode]


def convolve(a, v, mode="full"):
    """numpy's discrete linear convolution of two 1-D sequences."""
    a, v = _promote(a, v)
    if ndim(a) != 1 or ndim(v) != 1:
        raise ValueError("object too deep for desired array")
    if not shape(a)[0]:
        raise ValueError("a cannot be empty")
    if not shape(v)[0]:
        raise ValueError("v cannot be empty")
    if shape(v)[0] > shape(a)[0]:
        a, v = v, a
    return correlate(a, take(v, np.arange(shape(v)[0] - 1, -1, -1)), mode)


# ---- grids ----

def meshgrid(*xi, copy=True, sparse=False, indexing="xy"):
    """numpy's coordinate grids (a tuple): 'xy' indexing swaps the first two axes."""
    if indexing not in ("xy", "ij"):
        raise ValueError("Valid values for `indexing` are 'xy' and 'ij'.")
    nd = len(xi)
    ones = (1,) * nd
    out = [reshape(ravel(x), ones[:i] + (-1,) + ones[i + 1:]) for i, x in enumerate(xi)]
    if indexing == "xy" and nd > 1:
        out[0] = reshape(out[0], (1, -1) + ones[2:])
        out[1] = reshape(out[1], (-1, 1) + ones[2:])
    return tuple(out) if sparse else tuple(broadcast_arrays(*out))


# ---- elementwise ----

def copysign(x1, x2):
    """|x1| with the sign (the sign bit: -0.0 and -nan count as negative) of x2."""
    x1, x2 = float_operands(x1, x2)
    magnitude = abs(x1)
    return where(signbit(x2), negative(magnitude), magnitude)


def heaviside(x1, x2):
    """0 where x1 < 0, x2 where x1 == 0, 1 where x1 > 0, NaN where x1 is NaN."""
    x1, x2 = float_operands(x1, x2)
    zero, one = np.zeros((), x1.dtype), np.ones((), x1.dtype)
    step = where(less(x1, 0), zero, where(equal(x1, 0), x2, one))
    return where(isnan(x1), np.asarray(np.nan, x1.dtype), step)


def float_power(x1, x2):
    """x1 ** x2 computed in float64 (numpy's float_power; float32 inputs too)."""
    x1, x2 = (astype(x, np.result_type(_dtype_of(x) or np.float64, np.float64))
              for x in map(_as_operand, (x1, x2)))
    return power(x1, x2)

