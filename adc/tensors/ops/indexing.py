"""Indexing tensor ops: getitem, index_put, gather, scatter, index_select,
masked_select, nonzero.

Stage: tensor front end; the invariants are the package's (ops/__init__.py).
"""
from __future__ import annotations

import builtins

import numpy as np

from ... import numpy as anp
from ..dispatch import op
from ..index_keys import (
    getitem_traced,
    index_put_traced,
    masked_select_traced,
    positions,
    rebuild_key,
    split_key,
)
from ..tensor import Tensor, apply
from .common import _as_tensor, _name, _operand


def getitem(input, key):
    pattern, arrays = split_key(key)
    basic = not arrays
    name = ("Select" if basic and any(isinstance(p, int) for p in pattern) else
            "Slice" if basic else "Index")
    return apply(_name(name), getitem_traced, [input, *arrays], (("pattern", pattern),), view=basic)


def _write(name, input, value, pos, mask):
    """Write `value` at the element positions `pos` of `input`: where positions repeat, the
    last write wins (torch's CPU order; torch documents the order as undefined), and only it
    receives a gradient (what the function computes depends on no other)."""
    flat = pos.reshape(-1)
    _, first_from_end = np.unique(flat[::-1], return_index=True)
    operands = [input, value, flat, mask]
    if len(first_from_end) < len(flat):
        keep = np.sort(len(flat) - 1 - first_from_end)
        operands = [input, value, flat[keep], mask, keep]
    return apply(_name(name), index_put_traced, operands, (("vshape", pos.shape),))


@op(function=False, inplace=True)
def index_put(input, key, value):
    pattern, arrays = split_key(key)
    pos, mask = positions(input.shape, lambda g: g[rebuild_key(pattern, arrays)])
    return _write("IndexPut", input, _operand(value, input.dtype), pos, mask)


@op(numpy=lambda input, dim, index: anp.take_along_axis(input, index, dim), out=True)
def gather(input, dim, index):
    return apply(_name("Gather"), anp.take_along_axis, [input, _as_tensor(index)],
                 (("axis", dim % builtins.max(input.ndim, 1)),))


@op(inplace=True)
def scatter(input, dim, index, src=None, *, value=None):
    index = _as_tensor(index)._data
    d = dim % builtins.max(input.ndim, 1)

    def select(grid):
        coords = list(np.indices(index.shape, sparse=True))
        coords[d] = index
        return grid[tuple(coords)]

    pos, mask = positions(input.shape, select)
    if src is None:
        src = value
    if isinstance(src, Tensor):
        src = getitem(src, tuple(slice(0, n) for n in index.shape))
    else:
        src = _operand(src, input.dtype)
    return _write("Scatter", input, src, pos, mask)


@op(numpy=lambda input, dim, index: anp.take(input, index, axis=dim), out=True)
def index_select(input, dim, index):
    return apply(_name("IndexSelect"), anp.take, [input, _as_tensor(index)._data.astype(np.int64)],
                 (("axis", dim % builtins.max(input.ndim, 1)),))


@op
def masked_select(input, mask):
    mask = _as_tensor(mask)._data
    shape = np.broadcast_shapes(input.shape, mask.shape)
    idx = np.flatnonzero(np.broadcast_to(mask, shape))
    return apply(_name("MaskedSelect"), masked_select_traced, [input, idx], (("shape", shape),))


@op
def nonzero(input, *, as_tuple=False):
    found = np.nonzero(input._data)
    if as_tuple:
        return tuple(Tensor._wrap(a.astype(np.int64)) for a in found)
    return Tensor._wrap(np.stack(found, axis=1).astype(np.int64) if found else
                        np.zeros((1, 0), np.int64))
