"""Shape tensor ops (views where torch returns views): reshape/view, flatten, squeeze/
unsqueeze, permute/transpose, expand, repeat, flip, clone, cat/stack.

Stage: tensor front end; the invariants are the package's (ops/__init__.py).
"""
from __future__ import annotations

import builtins
import functools
import numbers

from ... import numpy as anp
from .. import dtypes
from ..dispatch import op
from ..tensor import apply
from .common import _as_tensor, _axis, _dims, _name


def _shape_args(shape):
    if len(shape) == 1 and not isinstance(shape[0], numbers.Integral):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _reshape(x, shape):
    return anp.reshape(x, shape)


@op(numpy=lambda input, *shape: anp.reshape(input, _shape_args(shape)))
def reshape(input, *shape):
    return apply(_name("View"), _reshape, [input], (("shape", _shape_args(shape)),),
                 view=input.is_contiguous())


@op(function=False)
def view(input, *shape):
    if not input.is_contiguous():
        raise RuntimeError("view size is not compatible with input tensor's size and stride "
                           "(at least one dimension spans across two contiguous subspaces). "
                           "Use .reshape(...) instead.")
    return reshape(input, *shape)


@op(composite=True)
def flatten(input, start_dim=0, end_dim=-1):
    nd = builtins.max(input.ndim, 1)
    s, e = start_dim % nd, end_dim % nd
    shape = input.shape[:s] + (-1,) + input.shape[e + 1:] if input.ndim else (1,)
    return reshape(input, shape)


@op(numpy=anp.expand_dims)
def unsqueeze(input, dim):
    return apply(_name("Unsqueeze"), anp.expand_dims, [input],
                 (("axis", dim % (input.ndim + 1)),), view=True)


def _numpy_squeeze(input, dim=None):
    """torch's squeeze(dim) leaves a dimension that is not 1 in place; numpy's refuses it."""
    if dim is not None and (anp.ndim(input) == 0 or anp.shape(input)[dim] != 1):
        return input
    return anp.squeeze(input, dim)


@op(numpy=_numpy_squeeze)
def squeeze(input, dim=None):
    if dim is not None:
        d = dim % builtins.max(input.ndim, 1)
        if input.ndim == 0 or input.shape[d] != 1:
            return input.view(input.shape)
        dims = (d,)
    else:
        dims = tuple(i for i, n in enumerate(input.shape) if n == 1)
    return apply(_name("Squeeze"), anp.squeeze, [input], (("axis", dims),), view=True)


@op(numpy=lambda input, *dims: anp.transpose(input, _shape_args(dims)))
def permute(input, *dims):
    dims = tuple(d % input.ndim for d in _shape_args(dims))
    return apply(_name("Permute"), anp.transpose, [input], (("axes", dims),), view=True)


@op(numpy=anp.swapaxes)
def transpose(input, dim0, dim1):
    axes = list(range(input.ndim))
    if input.ndim:
        d0, d1 = dim0 % input.ndim, dim1 % input.ndim
        axes[d0], axes[d1] = axes[d1], axes[d0]
    return apply(_name("Transpose"), anp.transpose, [input], (("axes", tuple(axes)),), view=True)


swapaxes = op(transpose, name="swapaxes", function=False)


@op(numpy=anp.transpose)
def t(input):
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.ndim}D")
    if input.ndim < 2:
        return input.view(input.shape)
    return apply(_name("T"), anp.transpose, [input], (("axes", (1, 0)),), view=True)


@op(function=False)
def expand(input, *sizes):
    sizes = _shape_args(sizes)
    lead = len(sizes) - input.ndim
    shape = tuple(input.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return apply(_name("Expand"), anp.broadcast_to, [input], (("shp", shape),), view=True)


@op(function=False)
def expand_as(input, other):
    return expand(input, other.shape)


@op(function=False)
def broadcast_to(input, size):
    return expand(input, size)


@op(function=False)
def repeat(input, *sizes):
    return apply(_name("Repeat"), anp.tile, [input], (("reps", _shape_args(sizes)),))


@op(numpy=lambda input, dims: anp.flip(input, _axis(dims)))
def flip(input, dims):
    return apply(_name("Flip"), anp.flip, [input], (("axis", _dims(dims, input.ndim)),))


def _identity(x):
    return x


@op
def clone(input):
    return apply(_name("Clone"), _identity, [input])


@op(function=False)
def contiguous(input):
    return input if input.is_contiguous() else clone(input)


def _join(name, fn, tensors, dim):
    tensors = [_as_tensor(x) for x in tensors]
    if not tensors:
        raise RuntimeError(f"{name.lower()}(): expected a non-empty list of Tensors")
    dt = dtypes.result_type(*tensors)
    return apply(_name(name), _joined(fn), tensors, (("axis", dim), ("dtype", dt.char)))


@functools.cache
def _joined(fn):
    def joined(*xs, axis, dtype):
        return fn([anp.astype(x, dtype) for x in xs], axis=axis)
    return joined


@op(method=False, numpy=lambda tensors, dim=0: anp.concatenate(list(tensors), dim))
def cat(tensors, dim=0):
    return _join("Cat", anp.concatenate, tensors, dim)


concatenate = op(cat, name="concatenate", method=False)


@op(method=False, numpy=lambda tensors, dim=0: anp.stack(list(tensors), dim))
def stack(tensors, dim=0):
    return _join("Stack", anp.stack, tensors, dim)
