"""Gather and scatter-add along one axis: `take` and its VJP `scatter_add`.

Stage: primitive definitions. Invariant: indices are int64 and already in range
[0, size) (adc.numpy normalizes negative indices and checks constant ones; traced ones pass
through `check_index`, which raises IndexError at run time on every backend); the VJP of a
gather is a scatter-add into a zero array and vice versa, so higher orders work. Both lower
inside loop nests on every target (trait `indexed`; lower/nest.py), with no kernel of their own.
"""
from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..ir import Aval
from . import batching as B
from . import lax
from .base import Primitive
from .cases import case, const


def _check_index(idx):
    if idx.dtype.kind not in "iu":
        raise ShapeError(f"indices must be integers, got {idx.dtype}")


def _take_shape(x, idx, axis):
    _check_index(idx)
    return Aval(x.shape[:axis] + idx.shape + x.shape[axis + 1:], x.dtype)


def _check_bounds(idx, size, low=0):
    """Traced indices are checked when they are known (numpy raises IndexError too): in
    [low, size), low 0 after normalization or -size before it."""
    if idx.size and (idx.min() < low or idx.max() >= size):
        bad = idx.min() if idx.min() < low else idx.max()
        raise IndexError(f"index {bad} is out of bounds for an axis of size {size} (a negative "
                         f"index may be at most {size} in magnitude)")


def _take_impl(x, idx, axis):
    _check_bounds(idx, x.shape[axis])
    return np.take(x, idx, axis=axis)


def _take_vjp(cts, ins, outs, needed, axis):
    x, idx = ins
    return (lax.scatter_add(idx, cts[0], axis, x.shape[axis]), None)


def _take_torch(t, x, idx, axis):
    flat = t.index_select(x, axis, idx.reshape(-1))
    return flat.reshape(x.shape[:axis] + idx.shape + x.shape[axis + 1:])


take_p = Primitive("take", shape_rule=_take_shape,
                   impl=_take_impl, torch_impl=_take_torch,
                   vjp=_take_vjp, domains=("real", "index"), batch=B.take, second_order=True,
                   fusable=True, indexed="gather",
                   cases=[case(((5,), (2, 2)), {"axis": 0}, {1: const([[0, 4], [2, 2]])}),
                          case(((3, 4), (3,)), {"axis": 1}, {1: const([1, 3, 1])}),
                          case(((3, 4), (0,)), {"axis": 0}, {1: const(np.zeros(0, np.int64))})])


def _scatter_shape(idx, upd, axis, size):
    _check_index(idx)
    k = idx.ndim
    if upd.shape[axis:axis + k] != idx.shape:
        raise ShapeError(f"updates {upd.shape} do not match indices {idx.shape} "
                         f"at axis {axis}")
    return Aval(upd.shape[:axis] + (size,) + upd.shape[axis + k:], upd.dtype)


def _scatter_impl(idx, upd, axis, size):
    _check_bounds(idx, size)
    out = np.zeros(_scatter_shape(idx, upd, axis, size).shape, upd.dtype)
    np.add.at(out, (slice(None),) * axis + (idx,), upd)
    return out


def _scatter_torch(t, idx, upd, axis, size):
    k = idx.dim()
    shape = upd.shape[:axis] + (size,) + upd.shape[axis + k:]
    flat = upd.reshape(upd.shape[:axis] + (-1,) + upd.shape[axis + k:])
    return t.zeros(shape, dtype=upd.dtype).index_add(axis, idx.reshape(-1), flat)


def _scatter_vjp(cts, ins, outs, needed, axis, size):
    return (None, lax.take(cts[0], ins[0], axis))


scatter_add_p = Primitive(
    "scatter_add", shape_rule=_scatter_shape, impl=_scatter_impl, torch_impl=_scatter_torch,
    vjp=_scatter_vjp, domains=("index", "real"), batch=B.scatter_add, second_order=True,
    indexed="scatter",
    cases=[case(((3,), (3,)), {"axis": 0, "size": 4}, {0: const([0, 2, 2])}),
           case(((1, 2), (2, 1, 2)), {"axis": 1, "size": 3}, {0: const([[1, 0]])})])


def _check_index_shape(idx, size):
    _check_index(idx)
    return idx


def _check_index_impl(idx, size):
    _check_bounds(idx, size, low=-size)
    return idx


# The identity on traced indices in [-size, size), raising IndexError otherwise: consumers
# that cannot report a bad index themselves (a one-hot select picks nothing) read its output.
check_index_p = Primitive(
    "check_index", shape_rule=_check_index_shape, impl=_check_index_impl,
    torch_impl=lambda t, idx, size: idx, vjp=None, domains=("index",), batch=B.broadcasting,
    differentiable=False,
    cases=[case(((4,),), {"size": 3}, {0: const([0, -3, 2, -1])}),
           case(((2, 3),), {"size": 5}, {0: const([[4, 0, -5], [1, 1, 2]])})])
