"""Tensor creation with torch's names: tensor, zeros, ones, ..., rand, randn, from_numpy.

Stage: tensor front end. Invariants: dtypes follow torch (Python floats → the default dtype,
float32 unless changed; ints → int64; numpy arrays keep theirs); `from_numpy` shares memory,
`tensor` copies. Random numbers come from adc's own generator (`manual_seed`): they are
reproducible but not torch's bit streams.
"""
from __future__ import annotations

import builtins
import math
import numbers

import numpy as np

from ..errors import GraphBreakError, with_location
from . import dtypes
from .tensor import Tensor, _check_device, step_trace

_rng = [np.random.default_rng()]


def manual_seed(seed: int) -> None:
    _rng[0] = np.random.default_rng(seed)


def _drawing() -> np.random.Generator:
    """The generator for a random draw; refused while adc.compile traces (the program would
    repeat the draws it made while tracing on every call)."""
    if step_trace() is not None:
        raise GraphBreakError(with_location(
            "a random draw (adc.rand/randn/randint/randperm, dropout) inside a function "
            "compiled by adc.compile: the compiled program would repeat the same numbers on "
            "every call. Draw outside the compiled function and pass the tensor in"))
    return _rng[0]


def generator() -> np.random.Generator:
    """adc's random generator (reseeded by `manual_seed`)."""
    return _rng[0]


def _finish(array, dtype, requires_grad, device=None) -> Tensor:
    if device is not None:
        _check_device(device)
    t = Tensor._wrap(np.asarray(array, dtype=dtype, order="C"))
    if requires_grad:
        t._set_requires_grad(True, "Only Tensors of floating point and complex dtype can "
                                   "require gradients")
    return t


def _infer_dtype(data) -> np.dtype:
    if isinstance(data, Tensor):
        return data.dtype
    if isinstance(data, (np.ndarray, np.generic)):
        return data.dtype
    flat = np.asarray(data, dtype=object).reshape(-1)
    if flat.size == 0:
        return dtypes.get_default_dtype()
    kinds = {dtypes.scalar_dtype(x.item() if isinstance(x, np.generic) else x).kind
             for x in flat}
    return dtypes.get_default_dtype() if "f" in kinds else (
        dtypes.int64 if "i" in kinds else dtypes.bool_)


def tensor(data, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    """A new tensor holding a copy of `data` (nested lists, numbers, numpy arrays)."""
    if isinstance(data, Tensor):
        data = data._data
    dtype = dtypes.as_dtype(dtype) or _infer_dtype(data)
    try:
        array = np.array(data, dtype=dtype, copy=True)
    except OverflowError:  # an int outside the dtype: torch's checked cast decides
        if np.dtype(dtype).kind not in "iu":
            raise
        array = dtypes.checked_ints(np.array(data, np.int64), np.dtype(dtype),
                                    np.dtype(dtype).name)
    return _finish(array, dtype, requires_grad, device)


def as_tensor(data, dtype=None, device=None) -> Tensor:
    if isinstance(data, Tensor) and (dtype is None or np.dtype(dtype) == data.dtype):
        return data
    if isinstance(data, np.ndarray) and (dtype is None or np.dtype(dtype) == data.dtype):
        return from_numpy(data)
    return tensor(data, dtype=dtype, device=device)


def from_numpy(array: np.ndarray) -> Tensor:
    """A tensor sharing memory with `array` (writes through both ways)."""
    if not isinstance(array, np.ndarray):
        raise TypeError(f"expected np.ndarray (got {type(array).__name__})")
    return Tensor._wrap(array)


def _size(size) -> tuple:
    if len(size) == 1 and not isinstance(size[0], numbers.Integral):
        size = tuple(size[0])
    return tuple(int(s) for s in size)


def _filled(fill):
    def make(*size, dtype=None, device=None, requires_grad=False):
        dtype = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
        return _finish(np.full(_size(size), fill, dtype), dtype, requires_grad, device)
    return make


zeros = _filled(0)
ones = _filled(1)
empty = _filled(0)


def full(size, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype = dtypes.as_dtype(dtype) or dtypes.scalar_dtype(fill_value)
    if np.dtype(dtype).kind in "iu" and isinstance(fill_value, int) \
            and not isinstance(fill_value, bool):
        fill_value = dtypes.checked_ints(np.asarray(fill_value, np.int64), np.dtype(dtype))
    return _finish(np.full(_size((size,)), fill_value, dtype), dtype, requires_grad, device)


def eye(n, m=None, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    dtype = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
    return _finish(np.eye(n, m, dtype=dtype), dtype, requires_grad, device)


def arange(start, end=None, step=1, *, dtype=None, device=None, requires_grad=False):
    if end is None:
        start, end = 0, start
    if step == 0:
        raise RuntimeError("step must be nonzero")
    if dtype is None:
        dtype = dtypes.result_type(start, end, step)
    dtype = np.dtype(dtype)
    if dtype.kind != "f":
        return _finish(np.arange(start, end, step, dtype=dtype), dtype, requires_grad, device)
    # start + i * step in extended precision (double where numpy has no longer type), rounded
    # once to the dtype: no accumulated drift, so arange(-8, 8, 0.1)[80] is torch's 4.4e-16
    # (its kernel fuses the multiply-add), not -7.6e-6. Elsewhere torch's float32 values come
    # from its vectorized kernel and may differ from these by one ulp.
    n = builtins.max(0, math.ceil((float(end) - float(start)) / float(step)))
    wide = np.longdouble
    data = (wide(start) + np.arange(n, dtype=wide) * wide(step)).astype(dtype)
    return _finish(data, dtype, requires_grad, device)


def linspace(start, end, steps, *, dtype=None, device=None, requires_grad=False):
    dtype = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
    return _finish(np.linspace(start, end, steps, dtype=dtype), dtype, requires_grad, device)


def _random(draw):
    def make(*size, dtype=None, device=None, requires_grad=False):
        dtype = dtypes.as_dtype(dtype) or dtypes.get_default_dtype()
        return _finish(draw(_drawing(), _size(size)), dtype, requires_grad, device)
    return make


rand = _random(lambda g, s: g.random(s))
randn = _random(lambda g, s: g.standard_normal(s))


def normal(mean=0.0, std=1.0, size=None, *, dtype=None, requires_grad=False) -> Tensor:
    mean_a = mean._data if isinstance(mean, Tensor) else mean
    std_a = std._data if isinstance(std, Tensor) else std
    shape = _size((size,)) if size is not None else np.broadcast_shapes(np.shape(mean_a),
                                                                           np.shape(std_a))
    dtype = dtypes.as_dtype(dtype) or (mean.dtype if isinstance(mean, Tensor) else
                                       dtypes.get_default_dtype())
    return _finish(_drawing().normal(mean_a, std_a, shape), dtype, requires_grad)


def randint(low, high=None, size=(), *, dtype=None) -> Tensor:
    if high is None:
        low, high = 0, low
    dtype = dtypes.as_dtype(dtype) or dtypes.int64
    return _finish(_drawing().integers(low, high, _size((size,))), dtype, False)


def randperm(n, *, dtype=None) -> Tensor:
    dtype = dtypes.as_dtype(dtype) or dtypes.int64
    return _finish(_drawing().permutation(n), dtype, False)


def _like(make):
    def like(input, *, dtype=None, device=None, requires_grad=False):
        return make(*input.shape, dtype=dtype or input.dtype, device=device,
                    requires_grad=requires_grad)
    return like


zeros_like = _like(zeros)
ones_like = _like(ones)
empty_like = _like(empty)
rand_like = _like(rand)
randn_like = _like(randn)


def full_like(input, fill_value, *, dtype=None, device=None, requires_grad=False) -> Tensor:
    return full(input.shape, fill_value, dtype=dtype or input.dtype, device=device,
                requires_grad=requires_grad)


__all__ = ["tensor", "as_tensor", "from_numpy", "zeros", "ones", "full", "empty", "eye", "arange",
           "linspace", "rand", "randn", "normal", "randint", "randperm", "manual_seed",
           "zeros_like", "ones_like", "full_like", "empty_like", "rand_like", "randn_like"]
