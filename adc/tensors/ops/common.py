"""Helpers every tensor op module shares: operands as Tensors or constant arrays, torch's
grad_fn names, and torch's `dim` arguments as adc.numpy axes.

Stage: tensor front end. Invariant: nothing here declares an op.
"""
from __future__ import annotations

import builtins
import collections
import numbers

import numpy as np

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


def _operand(x, dtype):
    """Python numbers become constant arrays of the operation's dtype (not part of the key)."""
    return x if isinstance(x, Tensor) else np.asarray(refuse_traced(x), dtype)


def _name(op: str) -> str:
    return f"{op}Backward0"


def _dims(dim, ndim):
    if dim is None:
        return None
    dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
    return tuple(sorted(d % builtins.max(ndim, 1) for d in dims))


def _axis(dim):
    """torch's `dim` (None, an int or a sequence) as adc.numpy's `axis`."""
    return dim if dim is None or isinstance(dim, numbers.Integral) else tuple(dim)
