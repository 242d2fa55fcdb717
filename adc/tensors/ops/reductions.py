"""Reductions and their relatives: sum/mean/prod, any/all, var/std, cumsum/cumprod, logsumexp,
max/min (with indices), argmax/argmin, topk, sort/argsort, softmax/log_softmax.

Stage: tensor front end; the invariants are the package's (ops/__init__.py).
"""
from __future__ import annotations

import builtins
import numbers

import numpy as np

from ... import numpy as anp
from ...errors import UnsupportedError, with_location
from ...numpy.ordering import stable_order
from .. import dtypes
from ..dispatch import op
from ..tensor import Tensor, apply
from .common import _axis, _dims, _name, max_result, min_result, sort_result, topk_result
from .elementwise import maximum, minimum
from .shapes import _dim


def _cast(x, dtype):
    return x if dtype is None else anp.astype(x, dtype)


def _reduce(name, fn, input, dim, keepdim, **extra):
    """`name` is torch's grad_fn name: a string, or a pair (whole tensor, along dims)."""
    axis = _dims(dim, input.ndim)
    if not isinstance(name, str):
        name = name[0] if dim is None else name[1]
    return apply(name, fn, [input],
                 (("axis", axis), ("keepdims", keepdim)) + tuple(sorted(extra.items())))


@op(out=True, numpy=lambda input, dim=None, keepdim=False, *, dtype=None: anp.sum(
    input, axis=_axis(dim), dtype=dtype, keepdims=keepdim))
def sum(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    elif input.dtype.kind in "biu":
        input = input.to(dtypes.int64)
    # in the dtype chosen here (numpy would widen a requested int8 to int64)
    return _reduce(("SumBackward0", "SumBackward1"), anp.sum, input, dim, keepdim,
                   dtype=input.dtype)


def _require_float(input, what):
    if input.dtype.kind != "f":
        raise RuntimeError(f"{what}(): could not infer output dtype. Input dtype must be either "
                           f"a floating point or complex dtype. Got: {dtypes.scalar_type(input.dtype)}")


@op(out=True, numpy=lambda input, dim=None, keepdim=False, *, dtype=None: anp.mean(
    _cast(input, dtype), axis=_axis(dim), keepdims=keepdim))
def mean(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    _require_float(input, "mean")
    return _reduce(("MeanBackward0", "MeanBackward1"), anp.mean, input, dim, keepdim)


@op(out=True, numpy=lambda input, dim=None, keepdim=False, *, dtype=None: anp.prod(
    input, axis=_axis(dim), dtype=dtype, keepdims=keepdim))
def prod(input, dim=None, keepdim=False, *, dtype=None):
    if dtype is not None:
        input = input.to(dtype)
    elif input.dtype.kind in "biu":  # torch multiplies bools and integers as int64
        input = input.to(dtypes.int64)
    return _reduce(("ProdBackward0", "ProdBackward1"), anp.prod, input, dim, keepdim,
                   dtype=input.dtype)


def _ddof(unbiased, correction):
    return correction if correction is not None else (0 if unbiased is False else 1)


def _variance(fn):
    def variance(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
        _require_float(input, fn.__name__)
        return _reduce(_name(fn.__name__.capitalize()), fn, input, dim, keepdim,
                       ddof=_ddof(unbiased, correction))

    def numpy_form(input, dim=None, unbiased=None, keepdim=False, *, correction=None):
        return fn(input, axis=_axis(dim), ddof=_ddof(unbiased, correction), keepdims=keepdim)
    return op(variance, name=fn.__name__, numpy=numpy_form, out=True)


var = _variance(anp.var)
std = _variance(anp.std)


def _logical_reduction(fn):
    def reduction(input, dim=None, keepdim=False):
        return _reduce("", fn, input, dim, keepdim)
    return op(reduction, name=fn.__name__, out=True,
              numpy=lambda input, dim=None, keepdim=False: fn(input, _axis(dim), keepdims=keepdim))


any = _logical_reduction(anp.any)
all = _logical_reduction(anp.all)


def _cumsum(x, axis):
    """adc.numpy's cumsum in the input's dtype (numpy widens int32), keeping a 0-d input 0-d
    (torch's rules)."""
    return anp.reshape(anp.cumsum(x, axis, x.dtype), anp.shape(x))


def _cumprod(x, axis):
    """adc.numpy's cumprod in the input's dtype, keeping a 0-d input 0-d (torch's rules)."""
    return x if anp.ndim(x) == 0 else anp.cumprod(x, axis, x.dtype)


def _scan(name, fn, input, dim, dtype):
    n = builtins.max(input.ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    if dtype is not None:
        input = input.to(dtype)
    elif input.dtype.kind in "biu":
        input = input.to(dtypes.int64)
    return apply(name, fn, [input], (("axis", dim % n),))


@op(numpy=lambda input, dim, *, dtype=None: anp.cumsum(input, dim, dtype), out=True,
    inplace=True, inplace_dtype=True)
def cumsum(input, dim, *, dtype=None):
    return _scan("CumsumBackward0", _cumsum, input, dim, dtype)


@op(numpy=lambda input, dim, *, dtype=None: _cumprod(_cast(input, dtype), dim), out=True,
    inplace=True, inplace_dtype=True)
def cumprod(input, dim, *, dtype=None):
    return _scan("CumprodBackward0", _cumprod, input, dim, dtype)


@op(out=True, numpy=lambda input, dim, keepdim=False: anp.logsumexp(
    input, axis=_axis(dim), keepdims=keepdim))
def logsumexp(input, dim, keepdim=False):
    input = input.to(dtypes.float_result(input.dtype))  # integers: the default float dtype
    return _reduce(_name("Logsumexp"), anp.logsumexp, input, dim, keepdim)


def _nonempty(name, input, dim):
    """torch's errors for a max/min-like reduction over nothing."""
    if dim is None or dim == ():
        if input.numel() == 0:
            if name.startswith("arg"):
                raise IndexError(f"{name}(): Expected reduction dim to be specified for "
                                 "input.numel() == 0.")
            raise RuntimeError(f"{name}(): Expected reduction dim to be specified for "
                               "input.numel() == 0. Specify the reduction dim with the 'dim' "
                               "argument.")
        return
    for d in (dim,) if isinstance(dim, numbers.Integral) else dim:
        if input.ndim and input.shape[_dim(d, input.ndim)] == 0:
            shown = d % input.ndim if name.startswith("arg") else d  # as torch prints it
            raise IndexError(f"{name}(): Expected reduction dim {shown} to have non-zero size.")


def _extremum(name, fn):
    def extremum(input, dim=(), keepdim=False):
        _nonempty(name, input, dim)
        return _reduce(_name(name.capitalize()), fn, input, dim if dim != () else None, keepdim)

    def numpy_form(input, dim=(), keepdim=False):
        return fn(input, axis=_axis(dim if dim != () else None), keepdims=keepdim)
    return op(extremum, name=name, numpy=numpy_form, out=True)


amax = _extremum("amax", anp.amax)
amin = _extremum("amin", anp.amin)


def _selected(input, dim, keepdim, pick, name, result):
    d = _dim(dim, input.ndim)
    data = input._data if input.ndim else input._data.reshape(1)
    idx = np.expand_dims(pick(data, axis=d), d)
    values = apply(name, _take_along, [input, idx], (("axis", d), ("keepdim", keepdim)))
    indices = Tensor._wrap(idx if keepdim else np.squeeze(idx, d))
    return result(values, indices)


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
    _nonempty("max", input, dim)
    if dim is None:
        return _reduce("MaxBackward1", anp.amax, input, None, False)
    return _selected(input, dim, keepdim, np.argmax, _name("Max"), max_result)


@op(numpy=_numpy_selected("min", anp.min, anp.minimum))
def min(input, dim=None, keepdim=False):
    if isinstance(dim, Tensor):
        return minimum(input, dim)
    _nonempty("min", input, dim)
    if dim is None:
        return _reduce("MinBackward1", anp.amin, input, None, False)
    return _selected(input, dim, keepdim, np.argmin, _name("Min"), min_result)


def _no_bools(name, input):
    if input.dtype.kind == "b":
        raise RuntimeError(f"{name}(): does not support bool input")


def _arg_extremum(input, dim, keepdim, fn):
    """The first index of the extremum (of a NaN, if any: torch's and numpy's)."""
    if dim is not None and anp.ndim(input) == 0:
        _dim(dim, 0)
        return np.zeros((), np.int64)
    return fn(input, None if dim is None else _dim(dim, anp.ndim(input)), keepdims=keepdim)


@op(numpy=lambda input, dim=None, keepdim=False: _arg_extremum(input, dim, keepdim, anp.argmax))
def argmax(input, dim=None, keepdim=False):
    _nonempty("argmax", input, dim)
    _no_bools("argmax", input)
    return apply("", _arg_extremum, [input], (("dim", dim), ("fn", anp.argmax),
                                              ("keepdim", keepdim)))


@op(numpy=lambda input, dim=None, keepdim=False: _arg_extremum(input, dim, keepdim, anp.argmin))
def argmin(input, dim=None, keepdim=False):
    _nonempty("argmin", input, dim)
    _no_bools("argmin", input)
    return apply("", _arg_extremum, [input], (("dim", dim), ("fn", anp.argmin),
                                              ("keepdim", keepdim)))


@op
def topk(input, k, dim=-1, largest=True, sorted=True):
    """The k largest (smallest) along `dim`, NaN the largest, in order; of a 0-d tensor, for k
    of 0 or 1, the element itself (torch's)."""
    if input.dtype.kind == "b":
        raise RuntimeError("topk does not support bool dtypes on CPU")
    d = _dim(dim, input.ndim)
    if not 0 <= k <= (input.shape[d] if input.ndim else 1):
        raise RuntimeError("selected index k out of range")
    if not input.ndim:
        return topk_result(apply(_name("Topk"), _take_along, [input, np.zeros((), np.int64)],
                                 (("axis", 0), ("keepdim", True))),
                           Tensor._wrap(np.zeros((), np.int64)))
    data = input._data
    if largest:  # stable descending: ascending of the reversed line, reversed back
        n = data.shape[d]
        order = np.flip(n - 1 - np.argsort(np.flip(data, d), axis=d, kind="stable"), d)
    else:
        order = np.argsort(data, axis=d, kind="stable")
    idx = np.take(order, np.arange(k), axis=d)
    values = apply(_name("Topk"), _take_along, [input, idx], (("axis", d), ("keepdim", True)))
    return topk_result(values, Tensor._wrap(idx))


def _sorted(x, axis, descending):
    """(values, indices) of adc.numpy's stable order along `axis` (NaN the largest, as torch's;
    equal elements keep their order: torch's CPU sort keeps theirs, stable=True or not)."""
    if anp.ndim(x) == 0:
        return x, np.zeros((), np.int64)
    order = stable_order(x, axis, descending)
    return anp.take_along_axis(x, order, axis), order


def _sort_axis(input, dim):
    return _dim(dim, anp.ndim(input))


@op(numpy=lambda input, dim=-1, descending=False, *, stable=None: sort_result(
    *_sorted(input, _sort_axis(input, dim), descending)))
def sort(input, dim=-1, descending=False, *, stable=None):
    name = "SortBackward0" if stable is None else "SortBackward1"
    return sort_result(*apply(name, _sorted, [input], (("axis", _sort_axis(input, dim)),
                                                       ("descending", descending))))


@op(numpy=lambda input, dim=-1, descending=False, *, stable=None: _sorted(
    input, _sort_axis(input, dim), descending)[1])
def argsort(input, dim=-1, descending=False, *, stable=None):
    return sort(input, dim, descending, stable=stable).indices


@op(numpy=lambda input, dim, dtype=None: anp.softmax(_cast(input, dtype), axis=dim))
def softmax(input, dim, dtype=None):
    return apply(_name("Softmax"), anp.softmax, [_float(input, dtype, "softmax")],
                 (("axis", _dims(dim, input.ndim)),))


@op(numpy=lambda input, dim, dtype=None: anp.log_softmax(_cast(input, dtype), axis=dim))
def log_softmax(input, dim, dtype=None):
    return apply(_name("LogSoftmax"), anp.log_softmax, [_float(input, dtype, "log_softmax")],
                 (("axis", _dims(dim, input.ndim)),))


def _float(input, dtype, kernel):
    if dtype is None and input.dtype.kind != "f":
        raise NotImplementedError(f'"{kernel}_lastdim_kernel_impl" not implemented for '
                                  f"'{dtypes.scalar_type(input.dtype)}'")
    return input.to(dtype) if dtype is not None else input.to(dtypes.float_result(input.dtype))
