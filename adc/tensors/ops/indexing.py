"""Indexing tensor ops: getitem, index_put, gather/take/take_along_dim, scatter,
scatter_add/index_add (accumulating), index_fill, masked_scatter, index_select, masked_select,
nonzero.

Stage: tensor front end; the invariants are the package's (ops/__init__.py).
"""
from __future__ import annotations

import builtins

import numpy as np

from ... import numpy as anp
from ...prims.index import scatter_add_p
from ...tracer import bind
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


def _scatter_positions(input, dim, index):
    """The flat positions of `input` that scatter(dim, index) writes, in `index`'s shape."""
    d = dim % builtins.max(input.ndim, 1)

    def select(grid):
        coords = list(np.indices(index.shape, sparse=True))
        coords[d] = index
        return grid[tuple(coords)]
    return positions(input.shape, select)


def _scatter_source(src, index):
    if isinstance(src, Tensor):
        return getitem(src, tuple(slice(0, n) for n in index.shape))
    return src


@op(inplace=True)
def scatter(input, dim, index, src=None, *, value=None):
    index = _as_tensor(index)._data
    pos, mask = _scatter_positions(input, dim, index)
    src = _scatter_source(value if src is None else src, index)
    return _write("Scatter", input, _operand(src, input.dtype), pos, mask)


def _accumulated(x, vals, pos):
    """x with `vals` added at the flat positions `pos` (repeated positions add up)."""
    flat = anp.reshape(anp.broadcast_to(anp.astype(vals, x.dtype), pos.shape), -1)
    placed = bind(scatter_add_p, pos.reshape(-1), flat, axis=0, size=int(np.prod(anp.shape(x))))
    return anp.add(x, anp.reshape(placed, anp.shape(x)))


def _accumulate(name, input, vals, pos):
    return apply(_name(name), _accumulated, [input, _operand(vals, input.dtype), pos])


@op(inplace=True)
def scatter_add(input, dim, index, src):
    index = _as_tensor(index)._data
    pos, _ = _scatter_positions(input, dim, index)
    return _accumulate("ScatterAdd", input, _scatter_source(src, index), pos)


def _index_positions(input, dim, index, error):
    """The flat positions of the slices index[i] of `input` along `dim`, stacked along it."""
    d = dim % builtins.max(input.ndim, 1)
    index = _as_tensor(index)._data.astype(np.int64).reshape(-1)
    n = input.shape[d] if input.ndim else 1
    if index.size and not (-n <= index.min() and index.max() < n):
        bad = index[(index < -n) | (index >= n)][0]
        raise error(f"index {bad} is out of bounds for dimension {d} with size {n}")
    return positions(input.shape, lambda grid: np.take(grid, index, axis=d))


@op(inplace=True)
def index_add(input, dim, index, source, *, alpha=1):
    pos, _ = _index_positions(input, dim, index, RuntimeError)
    if alpha != 1:
        source = source * alpha
    return _accumulate("IndexAdd", input, source, pos)


@op(inplace=True)
def index_fill(input, dim, index, value):
    pos, mask = _index_positions(input, dim, index, IndexError)
    return _write("IndexFill", input, _operand(value, input.dtype), pos, mask)


@op(inplace=True)
def masked_scatter(input, mask, source):
    mask = np.broadcast_to(_as_tensor(mask)._data, input.shape)
    pos, mask = positions(input.shape, lambda grid: grid[mask])
    if source.numel() < pos.size:
        raise RuntimeError("masked_scatter: expected source to have at least as many elements "
                           f"as the ones selected by the mask ({pos.size}), got "
                           f"{source.numel()}")
    return _write("MaskedScatter", input, getitem(source.reshape(-1), slice(0, pos.size)), pos,
                  mask)


def _take(x, index):
    return anp.take(anp.reshape(x, -1), index)


@op
def take(input, index):
    index = _as_tensor(index)._data.astype(np.int64)
    n = input.numel()
    if index.size and not (-n <= index.min() and index.max() < n):
        bad = index[(index < -n) | (index >= n)].reshape(-1)[0]
        raise IndexError(f"out of range: tried to access index {bad} on a tensor of {n} "
                         "elements.")
    return apply(_name("Take"), _take, [input, index % builtins.max(n, 1)])


@op
def take_along_dim(input, indices, dim=None):
    indices = _as_tensor(indices)
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    d = dim % builtins.max(input.ndim, 1)
    shape = list(np.broadcast_shapes(*[tuple(t.shape[:d]) + (1,) + tuple(t.shape[d + 1:])
                                       for t in (input, indices)]))
    expanded = [t.expand(shape[:d] + [t.shape[d]] + shape[d + 1:]) for t in (input, indices)]
    return gather(expanded[0], d, expanded[1])


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
