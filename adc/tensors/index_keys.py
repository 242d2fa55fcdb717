"""Index keys of tensor indexing: torch's keys split into a static pattern and integer arrays.

Stage: tensor front end. Invariant: the pattern (ints, slices, None, Ellipsis, and the place of
each index array) is hashable and becomes part of an operation's cache key; the index arrays
(bool masks expanded to their nonzero positions) are int64 inputs of the traced graph, so the
graph depends only on shapes.
"""
from __future__ import annotations

import numbers

import numpy as np

from .tensor import Tensor


def split_key(key):
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


def rebuild_key(pattern, arrays):
    return tuple(slice(p[1], p[2], p[3]) if isinstance(p, tuple) and p[0] == "slice" else
                 arrays[p[1]] if isinstance(p, tuple) else p for p in pattern)


def positions(shape, select) -> tuple:
    """Flat positions chosen by `select(index_grid)`, and the mask of the chosen elements."""
    grid = np.arange(int(np.prod(shape)), dtype=np.int64).reshape(shape)
    pos = np.asarray(select(grid), np.int64)
    mask = np.zeros(int(np.prod(shape)), np.bool_)
    mask[pos.reshape(-1)] = True
    return pos, mask.reshape(shape)
