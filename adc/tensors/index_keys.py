"""Index keys of tensor indexing: torch's keys split into a static pattern and integer arrays,
and the traced functions that gather and write with them.

Stage: tensor front end. Invariant: the pattern (ints, slices, None, Ellipsis, and the place of
each index array) is hashable and becomes part of an operation's cache key; the index arrays
(bool masks expanded to their nonzero positions) are int64 inputs of the traced graph, so the
graph depends only on shapes.
"""
from __future__ import annotations

import numbers

import numpy as np

from .. import numpy as anp
from ..prims.index import scatter_add_p
from ..tracer import bind
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


def getitem_traced(x, *arrays, pattern):
    return anp.getitem(x, rebuild_key(pattern, arrays))


def index_put_traced(x, vals, pos, mask, *keep, vshape):
    """x with the values written at the flat positions `pos` (a value of extra leading size-1
    axes is taken without them, as torch assigns); `keep` lists the entries that land last
    where positions repeat (only those are written)."""
    lead = anp.ndim(vals) - len(vshape)
    if lead > 0 and all(d == 1 for d in anp.shape(vals)[:lead]):
        vals = anp.reshape(vals, anp.shape(vals)[lead:])
    flat = anp.reshape(anp.broadcast_to(anp.astype(vals, x.dtype), vshape), -1)
    if keep:
        flat = anp.take(flat, keep[0])
    placed = bind(scatter_add_p, pos, flat, axis=0, size=int(np.prod(anp.shape(x))))
    return anp.where(mask, anp.reshape(placed, anp.shape(x)), x)


def masked_select_traced(x, idx, shape):
    return anp.take(anp.reshape(anp.broadcast_to(x, shape), -1), idx)
