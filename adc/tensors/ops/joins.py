"""Joining, tiling and rearranging tensors, built on the shape and indexing ops: hstack/vstack/
dstack/column_stack, meshgrid, broadcast_tensors, tile, repeat_interleave, flipud/fliplr,
rot90, tensor_split, diff.

Stage: tensor front end; the invariants are the package's (ops/__init__.py). Each op here is
a composition of the public shape and indexing ops, so it serves every input they serve, and
torch's grad_fn names follow from the op that makes each result.
"""
from __future__ import annotations

import builtins
import numbers
import warnings

import numpy as np

from ... import numpy as anp
from .. import dtypes
from ..dispatch import op
from ..tensor import Tensor, apply
from .common import _as_tensor, _name
from .indexing import index_select
from .shapes import _dim, _shape_args, _split, cat, expand, flip, repeat, reshape


def _atleast(t, ndim):
    """torch's atleast_{1,2,3}d shapes: (n,) becomes (1, n) and then (1, n, 1)."""
    t = _as_tensor(t)
    if t.ndim >= ndim:
        return t
    return reshape(t, {0: (1,) * ndim, 1: (1, t.numel(), 1)[:ndim], 2: (*t.shape, 1)}[t.ndim])


@op(method=False, composite=True)
def hstack(tensors):
    tensors = [_atleast(t, 1) for t in tensors]
    return cat(tensors, 0 if tensors and tensors[0].ndim == 1 else 1)


@op(method=False, composite=True)
def vstack(tensors):
    return cat([_atleast(t, 2) for t in tensors], 0)


@op(method=False, composite=True)
def dstack(tensors):
    return cat([_atleast(t, 3) for t in tensors], 2)


@op(method=False, composite=True)
def column_stack(tensors):
    tensors = [_as_tensor(t) for t in tensors]
    return cat([reshape(t, (t.numel(), 1)) if t.ndim <= 1 else t for t in tensors], 1)


def _tensors(tensors):
    """torch's `*tensors` functions also take one list of them."""
    if len(tensors) == 1 and isinstance(tensors[0], (list, tuple)):
        tensors = tensors[0]
    return [_as_tensor(t) for t in tensors]


@op(method=False, composite=True)
def broadcast_tensors(*tensors):
    tensors = _tensors(tensors)
    shape = np.broadcast_shapes(*[tuple(t.shape) for t in tensors])
    return tuple(t if tuple(t.shape) == shape else expand(t, shape) for t in tensors)


@op(method=False, composite=True)
def meshgrid(*tensors, indexing=None):
    if indexing is None:
        warnings.warn("torch.meshgrid: in an upcoming release, it will be required to pass the "
                      "indexing argument.", UserWarning, stacklevel=2)
        indexing = "ij"
    if indexing not in ("ij", "xy"):
        raise RuntimeError(f"torch.meshgrid: indexing must be one of \"xy\" or \"ij\", but "
                           f"received: {indexing}")
    tensors = _tensors(tensors)
    if any(t.ndim > 1 for t in tensors):
        raise RuntimeError("torch.meshgrid: Expected 0D or 1D tensor in the tensor list")
    swap = indexing == "xy" and len(tensors) >= 2
    if swap:
        tensors[0], tensors[1] = tensors[1], tensors[0]
    shape = tuple(t.numel() for t in tensors)
    grids = [expand(reshape(t, tuple(-1 if j == i else 1 for j in range(len(shape)))), shape)
             for i, t in enumerate(tensors)]
    if swap:
        grids[0], grids[1] = grids[1], grids[0]
    return tuple(grids)


@op(composite=True)
def tile(input, *dims):
    dims = _shape_args(dims)
    return repeat(input, (1,) * (input.ndim - len(dims)) + dims)


@op(composite=True)
def repeat_interleave(input, repeats=None, dim=None, *, output_size=None):
    if repeats is None:  # torch.repeat_interleave(repeats): each index repeats[i] times
        counts = _as_tensor(input)._data
        return Tensor._wrap(np.repeat(np.arange(counts.size), counts).astype(np.int64))
    if dim is None:
        input, dim = reshape(input, -1), 0
    d = _dim(dim, input.ndim)
    n = input.shape[d] if input.ndim else 1
    if isinstance(repeats, numbers.Integral):
        moved = reshape(input, (*input.shape[:d + 1], 1, *input.shape[d + 1:]))
        wide = expand(moved, (*input.shape[:d + 1], int(repeats), *input.shape[d + 1:]))
        return reshape(wide, (*input.shape[:d], n * int(repeats), *input.shape[d + 1:]))
    counts = _as_tensor(repeats)._data.reshape(-1)
    if counts.size == 1:
        counts = np.repeat(counts, n)
    if counts.size != n:
        raise RuntimeError("repeats must have the same size as input along dim, but got "
                           f"repeats.size(0) = {counts.size} and input.size({d}) = {n}")
    if counts.size and counts.min() < 0:
        raise RuntimeError("repeats can not be negative")
    return index_select(input, d, Tensor._wrap(np.repeat(np.arange(n), counts)))


@op(composite=True)
def flipud(input):
    if input.ndim < 1:
        raise RuntimeError("Input must be >= 1-d.")
    return flip(input, (0,))


@op(composite=True)
def fliplr(input):
    if input.ndim < 2:
        raise RuntimeError("Input must be >= 2-d.")
    return flip(input, (1,))


def _rot90(x, *, k, axes):
    a, b = axes
    if k == 1:
        return anp.swapaxes(anp.flip(x, b), a, b)
    if k == 2:
        return anp.flip(anp.flip(x, a), b)
    if k == 3:
        return anp.swapaxes(anp.flip(x, a), a, b)
    return anp.multiply(x, 1)


@op
def rot90(input, k=1, dims=(0, 1)):
    if len(dims) != 2:
        raise RuntimeError(f"expected total rotation dims == 2, but got dims = {len(dims)}")
    if input.ndim < 2:
        raise RuntimeError(f"expected total dims >= 2, but got total dims = {input.ndim}")
    a, b = (_dim(d, input.ndim) for d in dims)
    if a == b:
        raise RuntimeError(f"expected rotation dims to be different, but got dim0 = {dims[0]} "
                           f"and dim1 = {dims[1]}")
    return apply(_name("Rot90"), _rot90, [input], (("axes", (a, b)), ("k", k % 4)))


@op(composite=True)
def tensor_split(input, indices_or_sections, dim=0):
    d = _dim(dim, input.ndim)
    n = input.shape[d]
    spec = indices_or_sections
    if isinstance(spec, Tensor):
        spec = spec.item() if spec.ndim == 0 else spec.tolist()
    if isinstance(spec, numbers.Integral):
        if spec <= 0:
            raise RuntimeError(f"number of sections must be larger than 0, got {spec}")
        sizes = [n // spec + 1] * (n % spec) + [n // spec] * (spec - n % spec)
        ends = np.cumsum(sizes).tolist()
        bounds = [(e - s, e) for s, e in zip(sizes, ends)]
    else:
        cuts = [builtins.min(builtins.max(int(i) + n if i < 0 else int(i), 0), n) for i in spec]
        starts, stops = [0, *cuts], [*cuts, n]
        bounds = [(a, builtins.max(a, b)) for a, b in zip(starts, stops)]
    return _split(input, bounds, d, _name("Slice"))


@op(composite=True)
def diff(input, n=1, dim=-1, prepend=None, append=None):
    d = _dim(dim, input.ndim)
    parts = [p if p.ndim else expand(p, (*input.shape[:d], 1, *input.shape[d + 1:]))
             for p in (_as_tensor(x) for x in (prepend, append) if x is not None)]
    x = input
    if prepend is not None or append is not None:
        x = cat(([parts.pop(0)] if prepend is not None else []) + [input] + parts, d)
    lead = (slice(None),) * d
    for _ in range(n):
        later, earlier = x[lead + (slice(1, None),)], x[lead + (slice(None, -1),)]
        x = (later ^ earlier) if x.dtype == dtypes.bool_ else later - earlier
    return x
