"""Helpers every tensor op module shares: operands as Tensors or constant arrays, torch's
grad_fn names, and torch's `dim` arguments as adc.numpy axes.

Stage: tensor front end. Invariant: nothing here declares an op.
"""
from __future__ import annotations

import builtins
import collections
import numbers

import numpy as np

from .. import dtypes
from ..dispatch import refuse_traced
from ..tensor import Tensor


def return_type(name: str, fields: list):
    """torch.return_types.<name>: a named tuple that prints as torch's does."""
    def __repr__(self):
        return f"torch.return_types.{name}(\n" + ",\n".join(
            f"{f}={v!r}" for f, v in zip(fields, self)) + ")"
    return type(name, (collections.namedtuple(name, fields),),
                {"__slots__": (), "__repr__": __repr__})


max_result, min_result, sort_result, topk_result = (
    return_type(n, ["values", "indices"]) for n in ("max", "min", "sort", "topk"))


def _as_tensor(x) -> Tensor:
    if isinstance(x, Tensor):
        return x
    from ..creation import tensor

    return tensor(refuse_traced(x))


def _operand(x, dtype, wrap=False):
    """Python numbers become constant arrays of the operation's dtype (not part of the key).
    An int outside an integer dtype's range wraps where torch's arithmetic casts it (`wrap`:
    uint8 + 300 adds 44) and raises torch's RuntimeError where torch checks it (fill, where,
    masked_fill, clamp's bounds, an integer power; an unsigned dtype passes down to -max)."""
    if isinstance(x, Tensor):
        return x
    x = refuse_traced(x)
    dtype = np.dtype(dtype)
    if dtype.kind in "iu" and isinstance(x, int) and not isinstance(x, bool):
        info = np.iinfo(dtype)
        if not info.min <= x <= info.max:
            if not -2 ** 63 <= x < 2 ** 63:
                raise OverflowError("int too big to convert")
            value = np.asarray(x, np.int64)
            return value.astype(dtype) if wrap else dtypes.checked_ints(value, dtype)
    return np.asarray(x, dtype)


def _name(op: str) -> str:
    return f"{op}Backward0"


def _dim(dim, ndim):
    """torch's dim check: `dim` in [-n, n) for n = max(ndim, 1), as a non-negative axis."""
    n = builtins.max(ndim, 1)
    if not -n <= dim < n:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-n}, {n - 1}], "
                         f"but got {dim})")
    return dim % n


def _dims(dim, ndim):
    """torch's `dim` (checked) as adc.numpy axes; a 0-d tensor's dim 0 / -1 is no axis at all."""
    if dim is None:
        return None
    dims = tuple(_dim(d, ndim) for d in ((dim,) if isinstance(dim, numbers.Integral) else dim))
    return tuple(sorted(dims)) if ndim else ()


def _axis(dim):
    """torch's `dim` (None, an int or a sequence) as adc.numpy's `axis`."""
    return dim if dim is None or isinstance(dim, numbers.Integral) else tuple(dim)
