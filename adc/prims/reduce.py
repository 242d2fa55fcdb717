"""Reduction primitives over a set of axes (sum, max, min, prod) and the running sum along
one axis (cumsum).

Stage: primitive definitions. Invariant: `axes` is a sorted tuple of non-negative ints and
reduced axes are removed (adc.numpy restores them for keepdims); cumsum's `axis` is a
non-negative int and its result has its input's shape and dtype. max/min send the gradient
to all tied elements in equal shares, as torch's amax/amin do (to the NaNs of a line whose
result is NaN, as torch's max() does); cumsum's VJP is the running
sum of the cotangent taken from the end (a reversed cumsum), so higher orders work.
"""
from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..ir import Aval
from ..tracer import bind
from . import batching as B
from . import lax
from .base import Primitive
from .cases import case


def _reduced_shape(x, axes):
    return Aval(tuple(d for i, d in enumerate(x.shape) if i not in axes), x.dtype)


def _sum_vjp(cts, ins, outs, needed, axes):
    return (lax.expand(cts[0], axes, ins[0].shape),)


def _extremum_vjp(cts, ins, outs, needed, axes):
    x, ans = ins[0], lax.expand(outs[0], axes, ins[0].shape)
    # a NaN result came from the NaNs of its line: they share the gradient (torch's max())
    hit = lax.logical_or(lax.equal(x, ans),
                         lax.logical_and(lax.not_equal(x, x), lax.not_equal(ans, ans)))
    mask = lax.astype(hit, x.dtype)
    count = lax.reduce_sum(mask, axes)
    return (lax.mul(mask, lax.expand(lax.div(cts[0], count), axes, x.shape)),)


def _prod_vjp(cts, ins, outs, needed, axes):
    """d prod / d x_i = product of the others, without dividing by zero, written so that its
    own derivative (the Hessian) is exact too: with one zero z among the factors the others'
    entries are z * prod(non-zeros) / x_i (zero, with derivative prod(non-zeros) / x_i in z);
    with two zeros the zeros' entries are (the other zero) * prod(non-zeros)."""
    x = ins[0]
    zero, one = np.zeros((), x.dtype), np.ones((), x.dtype)

    def expanded(y):
        return lax.expand(y, axes, x.shape)

    is_zero = lax.equal(x, zero)
    nonzero = lax.where(is_zero, one, x)
    p_nonzero = expanded(reduce_prod_p.bind(nonzero, axes=axes))
    count = expanded(lax.reduce_sum(lax.astype(is_zero, x.dtype), axes))
    zeros_sum = expanded(lax.reduce_sum(lax.where(is_zero, x, zero), axes))  # 0, but carries
    # the zeros' derivatives
    one_zero = lax.where(is_zero, p_nonzero, lax.div(lax.mul(zeros_sum, p_nonzero), nonzero))
    two_zeros = lax.where(is_zero, lax.mul(lax.sub(zeros_sum, x), p_nonzero), zero)
    others = lax.where(lax.equal(count, 0), lax.div(p_nonzero, nonzero),
                       lax.where(lax.equal(count, 1), one_zero,
                                 lax.where(lax.equal(count, 2), two_zeros, zero)))
    return (lax.mul(others, expanded(cts[0])),)


def _torch_prod(t, x, axes):
    if not axes:
        return x
    rest = [i for i in range(x.dim()) if i not in axes]
    moved = x.permute(*rest, *axes)
    return moved.reshape(*[x.shape[i] for i in rest], -1).prod(-1)


# reductions over length-1 axes before, between and after varying ones, and over empty axes
_CASES = [case(((2, 3, 4),), {"axes": (0,)}), case(((2, 3, 4),), {"axes": (1, 2)}),
          case(((2, 3, 4),), {"axes": (0, 1, 2)}), case(((3,),), {"axes": (0,)})] + [
    case(((1, 3, 1, 2),), {"axes": axes}) for axes in ((0,), (2,), (0, 2), (1, 2))]


class Reduction(Primitive):
    def __init__(self, kind, impl, torch_impl, vjp, cases=(), **traits):
        super().__init__(f"reduce_{kind}", shape_rule=_reduced_shape, impl=impl,
                         torch_impl=torch_impl, vjp=vjp, domains=("real",),
                         batch=B.shifted("axes"),
                         cases=_CASES + list(cases), reduction=kind, **traits)

    def bind(self, x, *, axes):
        return bind(self, x, axes=tuple(axes)) if axes else x


reduce_sum_p = Reduction("sum", lambda x, axes: np.sum(x, axis=axes),
                         lambda t, x, axes: x.sum(dim=axes) if axes else x, _sum_vjp,
                         [case(((0, 3),), {"axes": (1,)}), case(((0, 3),), {"axes": (0,)})],
                         second_order=True)
reduce_max_p = Reduction("max", lambda x, axes: np.max(x, axis=axes),
                         lambda t, x, axes: x.amax(dim=axes) if axes else x, _extremum_vjp)
reduce_min_p = Reduction("min", lambda x, axes: np.min(x, axis=axes),
                         lambda t, x, axes: x.amin(dim=axes) if axes else x, _extremum_vjp)
reduce_prod_p = Reduction("prod", lambda x, axes: np.prod(x, axis=axes), _torch_prod,
                          _prod_vjp, [case(((0, 3),), {"axes": (0,)})], second_order=True)


def _cumsum_shape(x, axis):
    if not 0 <= axis < x.ndim:
        raise ShapeError(f"cumsum: axis {axis} of an array of shape {x.shape}")
    return x


def _cumsum_vjp(cts, ins, outs, needed, axis):
    return (lax.rev(bind(cumsum_p, lax.rev(cts[0], (axis,)), axis=axis), (axis,)),)


cumsum_p = Primitive(
    "cumsum", shape_rule=_cumsum_shape,
    impl=lambda x, axis: np.cumsum(x, axis=axis, dtype=x.dtype),
    torch_impl=lambda t, x, axis: t.cumsum(x, axis, dtype=x.dtype), vjp=_cumsum_vjp,
    domains=("real",), batch=B.shifted("axis"), second_order=True, axis_kernel="cumsum3",
    cases=[case((shape,), {"axis": axis}) for shape, axis in [
        ((3,), 0), ((2, 3), 0), ((2, 3), 1), ((1, 3), 0), ((2, 1, 3), 1), ((2, 1, 3), 2),
        ((0,), 0), ((2, 0), 1), ((4, 0), 0)]])
