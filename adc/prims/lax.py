"""The internal op layer: thin `bind` wrappers that VJP rules, derivative translation and
decompositions are written with.

Stage: shared by differentiation and optimization (below the user namespace `adc.numpy`).
Invariant: no dtype promotion and no user-facing normalization happens here: operands of
one operation share a dtype (a Python number takes the dtype of the array operands), axes
are sorted non-negative tuples, and an operation that would not change its input returns
the input itself, so rules written here emit no redundant equations.
"""
from __future__ import annotations

import numbers

import numpy as np

from ..tracer import Tracer, bind
from . import elementwise as E
from . import index as I
from . import linalg as L
from . import reduce as R
from . import select as S
from . import shape as SH


def _dtype(x):
    return x.dtype if isinstance(x, (Tracer, np.ndarray, np.generic)) else None


def _operands(args):
    """Python numbers become 0-d arrays of the first array operand's dtype."""
    dtype = next((d for d in map(_dtype, args) if d is not None), None)
    return [np.asarray(a, dtype) if isinstance(a, numbers.Number) and _dtype(a) is None else a
            for a in args]


def elementwise(prim, *args):
    return bind(prim, *_operands(args))


def _op(prim):
    def fn(*args):
        return elementwise(prim, *args)
    fn.__name__ = prim.name
    return fn


add, sub, mul, div, neg = map(_op, (E.add_p, E.sub_p, E.mul_p, E.div_p, E.neg_p))
sqrt, power = _op(E.sqrt_p), _op(E.pow_p)
equal, not_equal = _op(E.equal_p), _op(E.not_equal_p)
less, less_equal = _op(E.less_p), _op(E.less_equal_p)
greater, greater_equal = _op(E.greater_p), _op(E.greater_equal_p)
logical_and, logical_or, logical_not = map(_op, (E.logical_and_p, E.logical_or_p,
                                                 E.logical_not_p))


def pow_scalar(x, exponent):
    return bind(E.pow_scalar_p, x, exponent=exponent)


def where(c, x, y):
    return bind(S.where_p, c, *_operands([x, y]))


def astype(x, dtype):
    dtype = np.dtype(dtype)
    return x if x.dtype == dtype else bind(S.convert_p, x, dtype=dtype)


def zeros(shape, dtype):
    return broadcast_to(np.zeros((), dtype), shape)


# ---- shapes ----

def reshape(x, shape):
    shape = tuple(int(d) for d in shape)
    return x if tuple(x.shape) == shape else bind(SH.reshape_p, x, shape=shape)


def transpose(x, perm):
    perm = tuple(int(p) for p in perm)
    return x if perm == tuple(range(len(perm))) else bind(SH.transpose_p, x, perm=perm)


def mT(x):
    """Swap the last two axes (the matrix transpose of a batch)."""
    perm = list(range(x.ndim))
    perm[-2:] = perm[-1], perm[-2]
    return transpose(x, perm)


def broadcast_to(x, shape):
    shape = tuple(shape)
    return x if tuple(x.shape) == shape else bind(SH.broadcast_to_p, x, shape=shape)


def slice(x, start, stop, step):
    start, stop, step = tuple(start), tuple(stop), tuple(step)
    if start == (0,) * x.ndim and stop == tuple(x.shape) and set(step) <= {1}:
        return x
    return bind(SH.slice_p, x, start=start, stop=stop, step=step)


def pad(x, value, lo, hi, interior):
    """Pad with a scalar `value` (a number takes x's dtype)."""
    return bind(SH.pad_p, x, np.asarray(value, x.dtype) if _dtype(value) is None else value,
                lo=tuple(lo), hi=tuple(hi), interior=tuple(interior))


def rev(x, axes):
    return bind(SH.rev_p, x, axes=tuple(axes)) if axes else x


# ---- reductions ----

def reduce_sum(x, axes):
    return R.reduce_sum_p.bind(x, axes=tuple(axes))


def expand(g, axes, shape):
    """Bring a value reduced over `axes` back to `shape` (reshape to keepdims, broadcast)."""
    keep = tuple(1 if i in axes else d for i, d in enumerate(shape))
    return broadcast_to(reshape(g, keep), shape)


def sum_to_shape(g, shape):
    """Undo numpy broadcasting: sum `g` down to `shape` (the one place broadcasting is undone)."""
    shape = tuple(shape)
    if tuple(g.shape) == shape:
        return g
    lead = g.ndim - len(shape)
    axes = tuple(range(lead)) + tuple(lead + i for i, d in enumerate(shape)
                                      if d == 1 and g.shape[lead + i] != 1)
    return reshape(reduce_sum(g, axes), shape)


# ---- indexing and linear algebra ----

def take(x, idx, axis):
    return bind(I.take_p, x, idx, axis=axis)


def scatter_add(idx, upd, axis, size):
    return bind(I.scatter_add_p, idx, upd, axis=axis, size=size)


def matmul(a, b):
    return bind(L.matmul_p, a, b)


def solve(a, b):
    return bind(L.solve_p, a, b)


def einsum(spec, *xs):
    return bind(L.einsum_p, *xs, spec=spec)
