"""Reduction primitives over a set of axes: sum, max, min, prod.

Stage: primitive definitions. Invariant: `axes` is a sorted tuple of non-negative ints and
reduced axes are removed (adc.numpy restores them for keepdims). max/min send the gradient
to all tied elements in equal shares, as torch's amax/amin do.
"""
from __future__ import annotations

import numpy as np

from ..ir import Aval
from .base import Primitive


def _reduced_shape(x, axes):
    return Aval(tuple(d for i, d in enumerate(x.shape) if i not in axes), x.dtype)


def _expand(g, axes, shape):
    """Bring a reduced value back to `shape` (reshape to keepdims, then broadcast)."""
    from .. import numpy as anp

    keep = tuple(1 if i in axes else d for i, d in enumerate(shape))
    return anp.broadcast_to(anp.reshape(g, keep), shape)


def _sum_vjp(cts, ins, outs, needed, axes):
    return (_expand(cts[0], axes, ins[0].shape),)


def _extremum_vjp(cts, ins, outs, needed, axes):
    from .. import numpy as anp

    x, ans = ins[0], outs[0]
    mask = anp.astype(anp.equal(x, _expand(ans, axes, x.shape)), x.dtype)
    count = reduce_sum_p.bind(mask, axes=axes)
    return (mask * _expand(cts[0] / count, axes, x.shape),)


def _prod_vjp(cts, ins, outs, needed, axes):
    """d prod / d x_i = product of the others, without dividing by zero, written so that its
    own derivative (the Hessian) is exact too: with one zero z among the factors the others'
    entries are z * prod(non-zeros) / x_i (zero, with derivative prod(non-zeros) / x_i in z);
    with two zeros the zeros' entries are (the other zero) * prod(non-zeros)."""
    from .. import numpy as anp

    x = ins[0]
    zero, one = anp.zeros((), x.dtype), anp.ones((), x.dtype)
    is_zero = anp.equal(x, 0)
    nonzero = anp.where(is_zero, one, x)
    p_nonzero = _expand(reduce_prod_p.bind(nonzero, axes=axes), axes, x.shape)
    count = _expand(reduce_sum_p.bind(anp.astype(is_zero, x.dtype), axes=axes), axes, x.shape)
    zeros_sum = _expand(reduce_sum_p.bind(anp.where(is_zero, x, zero), axes=axes), axes,
                        x.shape)  # 0, but carries the zeros' derivatives
    one_zero = anp.where(is_zero, p_nonzero, zeros_sum * p_nonzero / nonzero)
    two_zeros = anp.where(is_zero, (zeros_sum - x) * p_nonzero, zero)
    others = anp.where(anp.equal(count, 0), p_nonzero / nonzero,
                       anp.where(anp.equal(count, 1), one_zero,
                                 anp.where(anp.equal(count, 2), two_zeros, zero)))
    return (others * _expand(cts[0], axes, x.shape),)


def _torch_prod(t, x, axes):
    if not axes:
        return x
    rest = [i for i in range(x.dim()) if i not in axes]
    moved = x.permute(*rest, *axes)
    return moved.reshape(*[x.shape[i] for i in rest], -1).prod(-1)


class Reduction(Primitive):
    def __init__(self, name, impl, torch_impl, vjp, differentiable=True):
        super().__init__(name, shape_rule=_reduced_shape, impl=impl, torch_impl=torch_impl,
                         vjp=vjp, domains=("real",), differentiable=differentiable)

    def bind(self, x, *, axes):
        from ..trace import bind

        return bind(self, x, axes=tuple(axes)) if axes else x


reduce_sum_p = Reduction("reduce_sum", lambda x, axes: np.sum(x, axis=axes),
                         lambda t, x, axes: x.sum(dim=axes) if axes else x, _sum_vjp)
reduce_max_p = Reduction("reduce_max", lambda x, axes: np.max(x, axis=axes),
                         lambda t, x, axes: x.amax(dim=axes) if axes else x, _extremum_vjp)
reduce_min_p = Reduction("reduce_min", lambda x, axes: np.min(x, axis=axes),
                         lambda t, x, axes: x.amin(dim=axes) if axes else x, _extremum_vjp)
reduce_prod_p = Reduction("reduce_prod", lambda x, axes: np.prod(x, axis=axes), _torch_prod,
                          _prod_vjp)
