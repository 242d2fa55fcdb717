"""Order statistics, nan-aware and running reductions, whole-tensor comparisons and counting:
median/kthvalue/mode, cummax/cummin, logcumsumexp, nansum/nanmean, std_mean/var_mean,
isclose/allclose/equal, count_nonzero, unique, bincount, histc.

Stage: tensor front end; the invariants are the package's (ops/__init__.py). Which element an
order statistic picks is computed eagerly (by a stable sort; among equal values torch leaves
the index unspecified) and taken from the input by index, so its gradient reaches that
element; counts and uniques have no gradient and are computed eagerly.
"""
from __future__ import annotations

import builtins

import numpy as np

from ... import numpy as anp
from ...numpy.ordering import nan_mask
from .. import dtypes
from ..dispatch import op
from ..tensor import Tensor, apply
from .common import _as_tensor, _axis, _dims, _name, return_type
from .reductions import _ddof, _reduce, _require_float, _take_along, sum
from .shapes import _dim

median_result, kthvalue_result, cummax_result, cummin_result, mode_result = (
    return_type(n, ["values", "indices"]) for n in ("median", "kthvalue", "cummax", "cummin",
                                                     "mode"))


def _kth_index(data, axis, k, nan_wins):
    """The index of the k-th smallest (0-based) along `axis` (nan sorts last); with
    `nan_wins`, the first nan where there is one (torch's median returns nan then)."""
    order = np.argsort(data, axis=axis, kind="stable")
    picked = np.take(order, [k], axis=axis)
    if not nan_wins or data.dtype.kind != "f":
        return picked
    nan = np.isnan(data)
    first_nan = np.expand_dims(np.argmax(nan, axis=axis), axis)
    return np.where(np.any(nan, axis=axis, keepdims=True), first_nan, picked)


def _spread(value, x, weights):
    """`value` (computed eagerly) with the gradient `weights` w.r.t. x: the added sum is exactly
    0 (0 where x is infinite; NaN only where x has a NaN, and then `value` is NaN too), so the
    value stays bit for bit. An infinite value is the weighted sum of its ties instead (each that
    infinity, so the sum is it exactly), which carries the gradient to them."""
    moved = anp.where(anp.not_equal(anp.abs(x), np.inf), anp.subtract(x, anp.stop_gradient(x)), 0)
    ties = anp.sum(anp.multiply(weights, anp.where(anp.greater(weights, 0), x, 0)))
    return anp.where(anp.equal(anp.abs(value), np.inf), ties,
                     anp.add(value, anp.sum(anp.multiply(weights, moved))))


def _order_statistic(name, result, input, dim, keepdim, k, nan_wins=False):
    d = _dim(dim, input.ndim)
    data = input._data if input.ndim else input._data.reshape(1)
    idx = _kth_index(data, d, k(data.shape[d]), nan_wins)
    values = apply(name, _take_along, [input, idx], (("axis", d), ("keepdim", keepdim)))
    return result(values, Tensor._wrap(idx.reshape(()) if not input.ndim else
                                       idx if keepdim else np.squeeze(idx, d)))


@op
def median(input, dim=None, keepdim=False):
    """The lower median (torch's): the ((n - 1) // 2)-th smallest; of no elements NaN (the
    smallest integer)."""
    _no_bools(input, "median_cpu" if dim is None else "median_out")
    if dim is None:  # torch spreads the gradient evenly over the elements equal to it
        data = input._data.reshape(-1)
        value = data[_kth_index(data, 0, (data.size - 1) // 2, True)[0]] if data.size else \
            np.asarray(np.nan if data.dtype.kind == "f" else np.iinfo(data.dtype).min, data.dtype)
        if data.dtype.kind != "f":
            return Tensor._wrap(np.asarray(value))
        ties = np.isnan(input._data) if np.isnan(value) else input._data == value
        return apply("MedianBackward0", _spread,
                     [np.asarray(value), input, (ties / builtins.max(ties.sum(), 1)).astype(
                         data.dtype)])
    return _order_statistic("MedianBackward1", median_result, input, dim, keepdim,
                            lambda n: (n - 1) // 2, nan_wins=True)


def _no_bools(input, kernel):
    if input.dtype.kind == "b":
        raise NotImplementedError(f'"{kernel}" not implemented for \'Bool\'')


def _mode_index(data, axis):
    """torch.mode's pick along `axis`: the most frequent value (the smallest among equally
    frequent ones) at the last of its positions."""
    x = np.moveaxis(data, axis, -1)
    lines = x.reshape(-1, x.shape[-1])
    picked = np.empty(lines.shape[0], np.int64)
    for r, line in enumerate(lines):
        values, counts = np.unique(line, return_counts=True)
        best = values[np.argmax(counts)]  # np.unique sorts: the first maximum is the smallest
        picked[r] = np.flatnonzero(line == best)[-1]
    return np.expand_dims(picked.reshape(x.shape[:-1]), axis)


@op
def mode(input, dim=-1, keepdim=False):
    d = _dim(dim, input.ndim)
    data = input._data if input.ndim else input._data.reshape(1)
    idx = _mode_index(data, d)
    values = apply("ModeBackward0", _take_along, [input, idx], (("axis", d), ("keepdim", keepdim)))
    if not input.ndim:
        idx = idx.reshape(())
    elif not keepdim:
        idx = np.squeeze(idx, d)
    return mode_result(values, Tensor._wrap(idx))


@op
def kthvalue(input, k, dim=-1, keepdim=False):
    _no_bools(input, "kthvalue_cpu")
    n = input.shape[_dim(dim, input.ndim)] if input.ndim else 1
    if not 1 <= k <= n:
        raise RuntimeError(f"kthvalue(): selected number k out of range for dimension {dim}")
    return _order_statistic("KthvalueBackward0", kthvalue_result, input, dim, keepdim,
                            lambda _: k - 1)


def _running_index(data, axis, better):
    """The index of the running extremum along `axis`: a later element takes over when it is
    nan or `better` than (or equal to) the current one, which is not nan (torch's rule)."""
    x = np.moveaxis(data, axis, 0)
    idx = np.zeros(x.shape, np.int64)
    best = x[0].copy()
    for j in range(1, x.shape[0]):
        take = np.isnan(x[j]) | (~np.isnan(best) & better(x[j], best)) if x.dtype.kind == "f" \
            else better(x[j], best)
        idx[j] = np.where(take, j, idx[j - 1])
        best = np.where(take, x[j], best)
    return np.moveaxis(idx, 0, axis)


def _running(name, torch_name, better, result):
    def running(input, dim):
        d = _dim(dim, input.ndim)
        data = input._data if input.ndim else input._data.reshape(1)
        idx = _running_index(data, d, better) if data.size else np.zeros(data.shape, np.int64)
        values = apply(_name(torch_name), _take_along, [input, idx.reshape(input.shape)],
                       (("axis", d), ("keepdim", True))) if input.ndim else input.clone()
        return result(values, Tensor._wrap(idx.reshape(input.shape)))
    return op(running, name=name)


cummax = _running("cummax", "Cummax", np.greater_equal, cummax_result)
cummin = _running("cummin", "Cummin", np.less_equal, cummin_result)


def _logcumsumexp(x, axis):
    if anp.ndim(x) == 0:
        return x
    top = anp.stop_gradient(anp.amax(x, axis=axis, keepdims=True))
    top = anp.where(anp.isfinite(top), top, 0.0)
    return anp.add(anp.log(anp.cumsum(anp.exp(anp.subtract(x, top)), axis)), top)


@op(numpy=_logcumsumexp, out=True)
def logcumsumexp(input, dim):
    if input.dtype.kind != "f":
        raise NotImplementedError(
            f'"logcumsumexp_out_cpu" not implemented for \'{dtypes.scalar_type(input.dtype)}\'')
    return apply(_name("Logcumsumexp"), _logcumsumexp, [input],
                 (("axis", _dim(dim, input.ndim)),))


def _nansum(x, axis, keepdims):
    return anp.sum(anp.where(nan_mask(x), 0, x), axis=axis, keepdims=keepdims)


@op(out=True, numpy=lambda input, dim=None, keepdim=False, *, dtype=None: _nansum(
    input if dtype is None else anp.astype(input, dtype), _axis(dim), keepdim))
def nansum(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.kind != "f":
        return sum(input, dim, keepdim)
    return _reduce(_name("Nansum"), _nansum, input, dim, keepdim)


@op(out=True)
def nanmean(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    if input.dtype.kind != "f":
        raise RuntimeError("nanmean(): expected input to have floating point or complex dtype "
                           f"but got {dtypes.scalar_type(input.dtype)}")
    present = sum(Tensor._wrap(~np.isnan(input._data)), dim, keepdim)
    return nansum(input, dim, keepdim) / present


def _moments(spread):
    def moments(x, axis, keepdims, ddof):
        return (spread(x, axis=axis, ddof=ddof, keepdims=keepdims),
                anp.mean(x, axis=axis, keepdims=keepdims))
    moments.__qualname__ = f"moments_{spread.__name__}"
    return moments


def _with_mean(name, torch_name, spread):
    fn = _moments(spread)

    def with_mean(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
        _require_float(input, name)
        return tuple(_reduce(torch_name, fn, input, dim, keepdim,
                             ddof=_ddof(unbiased, correction)))

    def numpy_form(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return fn(input, _axis(dim), keepdim, _ddof(unbiased, correction))
    return op(with_mean, name=name, method=False, numpy=numpy_form)


std_mean = _with_mean("std_mean", "StdMeanBackward0", anp.std)
var_mean = _with_mean("var_mean", "VarMeanBackward0", anp.var)


@op(numpy=anp.isclose)
def isclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    other = _as_tensor(other)
    if input.dtype != other.dtype:
        raise RuntimeError(f"{input.dtype} did not match {other.dtype}")
    return apply("", anp.isclose, [input, other], (("atol", atol), ("equal_nan", equal_nan),
                                                   ("rtol", rtol)))


@op(numpy=anp.allclose)
def allclose(input, other, rtol=1e-05, atol=1e-08, equal_nan=False):
    return builtins.bool(isclose(input, other, rtol, atol, equal_nan)._data.all())


@op
def equal(input, other):
    other = _as_tensor(other)
    return input.shape == other.shape and builtins.bool(np.all(input._data == other._data))


@op
def count_nonzero(input, dim=None):
    axis = _dims(dim, input.ndim)
    return Tensor._wrap(np.asarray(np.count_nonzero(input._data, axis=axis), np.int64))


@op
def unique(input, sorted=True, return_inverse=False, return_counts=False, dim=None):
    """Always sorted (torch's CPU unique sorts also when `sorted=False`)."""
    values, inverse, counts = np.unique(input._data, return_inverse=True, return_counts=True,
                                        axis=None if dim is None else _dim(dim, input.ndim))
    out = [Tensor._wrap(values)]
    if return_inverse:
        shape = input.shape if dim is None else (input.shape[_dim(dim, input.ndim)],)
        out.append(Tensor._wrap(inverse.reshape(shape).astype(np.int64)))
    if return_counts:
        out.append(Tensor._wrap(counts.astype(np.int64)))
    return out[0] if len(out) == 1 else tuple(out)


@op
def bincount(input, weights=None, minlength=0):
    data = input._data
    if data.ndim != 1 or data.dtype.kind not in "iu" or (data.size and data.min() < 0):
        raise RuntimeError("bincount only supports 1-d non-negative integral inputs.")
    if weights is None:
        return Tensor._wrap(np.bincount(data, minlength=minlength).astype(np.int64))
    w = _as_tensor(weights)._data
    dt = w.dtype if w.dtype.kind == "f" else np.dtype(np.float64)
    return Tensor._wrap(np.bincount(data, w, minlength).astype(dt))


@op(out=True)
def histc(input, bins=100, min=0, max=0):
    data = input._data
    if data.dtype.kind != "f":
        raise NotImplementedError(
            f'"histogram_cpu" not implemented for \'{dtypes.scalar_type(data.dtype)}\'')
    lo, hi = float(min), float(max)
    if lo == hi and data.size:
        lo, hi = float(data.min()), float(data.max())
    if lo == hi:
        lo, hi = lo - 1, hi + 1
    inside = data[(data >= lo) & (data <= hi)]
    # torch's bin: (x - min) * bins / (max - min), in the tensor's dtype; max in the last bin
    pos = ((inside - data.dtype.type(lo)) * data.dtype.type(bins) /
           data.dtype.type(hi - lo)).astype(np.int64)
    counts = np.bincount(np.minimum(pos, bins - 1), minlength=bins)
    return Tensor._wrap(counts.astype(data.dtype))
