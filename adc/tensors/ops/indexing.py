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
from ...tracer import Tracer, bind
from .. import dtypes
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
from .shapes import _dim


def getitem(input, key):
    pattern, arrays = split_key(key)
    if arrays or any(isinstance(p, int) for p in pattern):
        _check_key(input.shape, rebuild_key(pattern, arrays))
    basic = not arrays
    name = ("Select" if basic and any(isinstance(p, int) for p in pattern) else
            "Slice" if basic else "Index")
    return apply(_name(name), getitem_traced, [input, *arrays], (("pattern", pattern),), view=basic)


def _check_key(shape, key):
    """torch's IndexError for an index outside its dimension (numpy's check, on a view of no
    memory; adc.numpy's own error is a ShapeError)."""
    try:
        np.broadcast_to(np.False_, shape)[key]
    except IndexError as e:
        raise IndexError(str(e).replace("axis", "dimension")) from None


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
    return apply(name, index_put_traced, operands, (("vshape", pos.shape),))


@op(function=False, inplace=True)
def index_put(input, key, value):
    pattern, arrays = split_key(key)
    pos, mask = positions(input.shape, lambda g: g[rebuild_key(pattern, arrays)])
    return _write(_name("IndexPut"), input, _operand(value, input.dtype), pos, mask)


class OutOfBoundsError(IndexError, RuntimeError):
    """An index outside its dimension: torch raises RuntimeError here, numpy (and adc's traced
    indices) IndexError; either catches it."""


def _index_dtype(name, index, allowed="iu"):
    if index.dtype.kind not in allowed:
        raise RuntimeError(f"{name}(): Expected dtype int32/int64 for index")


def _check_range(index, d, n, low=0):
    """torch's bounds check of a concrete index along dimension `d` of size `n`."""
    bad = index[(index < low) | (index >= n)]
    if bad.size:
        raise OutOfBoundsError(f"index {bad.reshape(-1)[0]} is out of bounds for dimension {d} "
                                f"with size {n}")


def _gather_shapes(shape, ishape, dim):
    """torch.gather's rule: index has input's number of dimensions (a 0-d one counts as 1-d)
    and is no larger than input off `dim`; it picks from input's leading block."""
    d = _dim(dim, len(shape))
    if builtins.max(len(ishape), 1) != builtins.max(len(shape), 1):
        raise RuntimeError("Index tensor must have the same number of dimensions as input tensor")
    for k in range(len(shape)):
        if k != d and ishape[k] > shape[k]:
            raise RuntimeError(f"Size does not match at dimension {k} expected index "
                               f"{list(ishape)} to be no larger than self {list(shape)} apart "
                               f"from dimension {d}")
    return d


def _gather(input, index, axis):
    """torch.gather on adc.numpy arrays (traced or not): the block of `input` that `index`
    covers off `axis`, picked along it (take_along_axis, whose VJP scatter-adds into the block;
    the slice pads that back to input's shape)."""
    ishape = anp.shape(index)
    if anp.ndim(input) == 0:
        return anp.reshape(anp.take_along_axis(anp.reshape(input, (1,)),
                                               anp.reshape(index, (-1,)), 0), ishape)
    if not ishape:
        index = anp.reshape(index, (1,))
    block = anp.getitem(input, tuple(slice(None) if k == axis else slice(0, n)
                                     for k, n in enumerate(anp.shape(index))))
    return anp.reshape(anp.take_along_axis(block, index, axis), ishape)


def _gather_numpy(input, dim, index):
    index = index if isinstance(index, Tracer) else np.asarray(index)
    _index_dtype("gather", index)
    return _gather(input, index, _gather_shapes(anp.shape(input), anp.shape(index), dim))


@op(numpy=_gather_numpy, out=True)
def gather(input, dim, index):
    index = _as_tensor(index)
    _index_dtype("gather", index._data)
    d = _gather_shapes(input.shape, index.shape, dim)
    _check_range(index._data, d, input.shape[d] if input.ndim else 1)
    return apply(_name("Gather"), _gather, [input, index], (("axis", d),))


def _scatter_positions(input, dim, index, src, name):
    """The flat positions of `input` that scatter(dim, index) writes, in `index`'s shape, after
    torch's checks of `index` against `input` and a tensor `src`."""
    _index_dtype(name, index)
    shape, nd = tuple(input.shape), builtins.max(input.ndim, 1)
    d = _dim(dim, input.ndim)
    if builtins.max(index.ndim, 1) != nd:
        raise RuntimeError("Index tensor must have the same number of dimensions as self tensor")
    if isinstance(src, Tensor):
        if builtins.max(src.ndim, 1) != nd:
            raise RuntimeError("Index tensor must have the same number of dimensions as src "
                               "tensor")
        if src.dtype != input.dtype:
            raise RuntimeError(f"{name}(): Expected self.dtype to be equal to src.dtype")
    index = index.reshape(index.shape or (1,))
    sizes = shape or (1,)
    if any(n > sizes[k] for k, n in enumerate(index.shape) if k != d) or (
            isinstance(src, Tensor) and any(n > m for n, m in zip(index.shape,
                                                                  tuple(src.shape) or (1,)))):
        also = (f" and to be no larger size than src {list(src.shape)}"
                if isinstance(src, Tensor) else "")
        raise RuntimeError(f"Expected index {list(index.shape)} to be no larger than self "
                           f"{list(shape)} apart from dimension {d}{also}")
    _check_range(index, d, sizes[d])

    def select(grid):
        coords = list(np.indices(index.shape, sparse=True))
        coords[d] = index
        return grid.reshape(sizes)[tuple(coords)]
    return positions(shape, select)


def _scatter_source(src, index):
    """The block of a tensor `src` that `index` covers (src may be larger, as in torch)."""
    if isinstance(src, Tensor):
        if src.ndim == 0:
            return src
        return getitem(src, tuple(slice(0, n) for n in (index.shape or (1,))))
    return src


@op(inplace=True)
def scatter(input, dim, index, src=None, *, value=None):
    index = _as_tensor(index)._data
    src = value if src is None else src
    pos, mask = _scatter_positions(input, dim, index, src, "scatter")
    name = "ScatterBackward0" if isinstance(src, Tensor) else "ScatterBackward1"
    return _write(name, input, _operand(_scatter_source(src, index), input.dtype), pos, mask)


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
    pos, _ = _scatter_positions(input, dim, index, src, "scatter_add")
    return _accumulate("ScatterAdd", input, _scatter_source(src, index), pos)


def _index_positions(input, dim, index):
    """The flat positions of the slices index[i] of `input` along `dim`, stacked along it."""
    d = _dim(dim, input.ndim)
    index = _as_tensor(index)._data.astype(np.int64).reshape(-1)
    n = input.shape[d] if input.ndim else 1
    _check_range(index, d, n, low=-n)
    return positions(input.shape, lambda grid: np.take(grid, index, axis=d))


@op(inplace=True)
def index_add(input, dim, index, source, *, alpha=1):
    pos, _ = _index_positions(input, dim, index)
    if alpha != 1:
        source = source * alpha
    return _accumulate("IndexAdd", input, source, pos)


@op(inplace=True)
def index_fill(input, dim, index, value):
    pos, mask = _index_positions(input, dim, index)
    return _write(_name("IndexFill"), input, _operand(value, input.dtype), pos, mask)


@op(inplace=True)
def masked_scatter(input, mask, source):
    mask = np.broadcast_to(_as_tensor(mask)._data, input.shape)
    pos, mask = positions(input.shape, lambda grid: grid[mask])
    if source.numel() < pos.size:
        raise RuntimeError("masked_scatter: expected source to have at least as many elements "
                           f"as the ones selected by the mask ({pos.size}), got "
                           f"{source.numel()}")
    return _write(_name("MaskedScatter"), input,
                  getitem(source.reshape(-1), slice(0, pos.size)), pos, mask)


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
    """torch.take_along_dim: `indices` and `input` broadcast against each other off `dim`
    (unlike gather), and negative indices count from the end along `dim` (not without one:
    torch gathers from the flattened input then)."""
    indices = _as_tensor(indices)
    if indices._data.dtype != np.int64:
        raise RuntimeError("torch.take_along_dim(): dtype of indices should be Long but got "
                           f"{dtypes.scalar_type(indices._data.dtype)}")
    if dim is None:
        return gather(input.reshape(-1), 0, indices.reshape(-1))
    if indices.ndim != input.ndim:
        raise RuntimeError("torch.take_along_dim(): input and indices should have the same "
                           f"number of dimensions, but got {input.ndim} dimensions for input, "
                           f"and {indices.ndim} dimensions for indices")
    d = _dim(dim, input.ndim)
    off = [tuple(t.shape[:d]) + (1,) + tuple(t.shape[d + 1:]) for t in (input, indices)]
    for k, (a, b) in enumerate(zip(*off)):
        if a != b and 1 not in (a, b):
            raise RuntimeError(f"The size of tensor a ({a}) must match the size of tensor b "
                               f"({b}) at non-singleton dimension {k}")
    shape = list(np.broadcast_shapes(*off))
    expanded = [t.expand(shape[:d] + [t.shape[d]] + shape[d + 1:]) for t in (input, indices)]
    n = input.shape[d] if input.ndim else 1
    idx = expanded[1]._data
    return gather(expanded[0], d, np.where(idx < 0, idx + n, idx))


@op(numpy=lambda input, dim, index: anp.take(input, index, axis=dim), out=True)
def index_select(input, dim, index):
    return apply(_name("IndexSelect"), anp.take, [input, _as_tensor(index)._data.astype(np.int64)],
                 (("axis", _dim(dim, input.ndim)),))


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
