"""Joining, tiling and rearranging tensors, built on the shape and indexing ops: hstack/vstack/
dstack/column_stack, meshgrid, broadcast_tensors, tile, repeat_interleave, flipud/fliplr,
rot90, tensor_split, diff.

Stage: tensor front end; the invariants are the package's (ops/__init__.py). Each op here is
adc.numpy's function of numpy's name where numpy has one (the stacks, rot90, diff: recorded
under torch's grad_fn name) or a composition of the public shape and indexing ops, so it
serves every input they serve, and torch's grad_fn names follow from the op that makes each
result.
"""
from __future__ import annotations

import builtins
import functools
import numbers
import warnings

import numpy as np

from ... import numpy as anp
from ..dispatch import op
from ..tensor import Tensor, apply
from .common import _as_tensor, _name
from .indexing import index_select
from .shapes import _dim, _join, _shape_args, _split, expand, flip, repeat, reshape


@functools.cache
def _stacking(fn):
    """adc.numpy's hstack/vstack/... as the joining function `_join` calls."""
    def stacked(xs, axis):
        return fn(xs)
    stacked.__qualname__ = f"stacked_{fn.__name__}"
    return stacked


@op(method=False, composite=True)
def hstack(tensors):
    return _join("Cat", _stacking(anp.hstack), tensors, 0)


@op(method=False, composite=True)
def vstack(tensors):
    return _join("Cat", _stacking(anp.vstack), tensors, 0)


@op(method=False, composite=True)
def dstack(tensors):
    return _join("Cat", _stacking(anp.dstack), tensors, 0)


@op(method=False, composite=True)
def column_stack(tensors):
    return _join("Cat", _stacking(anp.column_stack), tensors, 0)


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
    return anp.rot90(x, k, axes)


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


def _diff(x, *ends, n, axis, given):
    """adc.numpy's diff with the `given` (prepend, append) of `ends` in place."""
    ends = iter(ends)
    prepend, append = (next(ends) if g else None for g in given)
    return anp.diff(x, n, axis, prepend, append)


@op(composite=True)
def diff(input, n=1, dim=-1, prepend=None, append=None):
    d = _dim(dim, input.ndim)
    ends = [_as_tensor(x) for x in (prepend, append) if x is not None]
    given = (prepend is not None, append is not None)
    return apply(_name("Sub"), _diff, [input, *ends], (("axis", d), ("given", given), ("n", n)))
