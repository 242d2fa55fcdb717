"""Jacobians and Hessians, each one compiled program: `jacrev` is f's VJP vmapped over the rows
of an identity seed, `jacfwd` its JVP vmapped over identity tangents, `jacobian` whichever of
the two has fewer seeds, `hessian` is `jacfwd(grad(f))` (forward over reverse).

Stage: the functional API (layer 7, beside api.py and forward.py). Invariants: the whole
Jacobian (f's forward pass, computed once, and every row or column, batched by adc.batching)
is traced into one graph and compiled once per argument signature, whatever the values of
the arguments; called on traced values it is inlined into the enclosing trace, so Jacobians
nest and differentiate. Blocks have shape `out.shape + arg.shape`: a tuple over `argnums`
when it is a tuple, and over outputs when f returns a tuple.
"""
from __future__ import annotations

import functools

import numpy as np

from .api import _fn_name, _normalize_argnums, _StagedFunction, grad, partial_in, vjp
from .batching import vmap_call
from .forward import _cached, _pushforward
from .prims import lax
from .tracer import as_aval, trace, tree_flatten, tree_unflatten


def _identity(avals) -> list:
    """The identity seed split over `avals`: for each, the (total, *shape) array whose rows
    are the unit vectors of its elements (zero rows for the other avals' elements)."""
    total = sum(a.size for a in avals)
    eye, offset, seeds = np.eye(total), 0, []
    for a in avals:
        seeds.append(eye[:, offset:offset + a.size].reshape((total,) + a.shape).astype(a.dtype))
        offset += a.size
    return seeds


def _over_seeds(fn, seeds):
    """`fn` vmapped over the seeds' leading axis; None where there are none (an empty output
    or input: every block is then empty)."""
    return vmap_call(fn, seeds) if seeds and seeds[0].shape[0] else None


def _rows(x, lo, hi, shape):
    """Rows lo:hi of x (batch axis first), reshaped to `shape`."""
    x = lax.slice(x, (lo,) + (0,) * (x.ndim - 1), (hi,) + tuple(x.shape[1:]), (1,) * x.ndim)
    return lax.reshape(x, shape)


def _assemble(tree, outs, wrt, argnums, block):
    """The Jacobian's pytree: `block(j, k, offset_j, offset_k)` for output leaf j (avals
    `outs`, in `tree`) and differentiated argument k (avals `wrt`)."""
    out_offsets = np.cumsum([0] + [o.size for o in outs])
    in_offsets = np.cumsum([0] + [a.size for a in wrt])
    per_out = []
    for j, o in enumerate(outs):
        per_arg = [block(j, k, int(out_offsets[j]), int(in_offsets[k])) if o.size * a.size
                   else np.zeros(o.shape + a.shape, a.dtype) for k, a in enumerate(wrt)]
        per_out.append(per_arg[0] if isinstance(argnums, int) else tuple(per_arg))
    return tree_unflatten(tree, per_out)


def _reverse_blocks(f):
    def blocks(args, argnums, nums):
        out, vjp_fn = vjp(partial_in(f, args, nums), *[args[i] for i in nums])
        leaves, tree = tree_flatten(out)
        outs = [as_aval(x) for x in leaves]
        wrt = [as_aval(args[i]) for i in nums]
        rows = _over_seeds(lambda *s: vjp_fn(tree_unflatten(tree, list(s))), _identity(outs))
        return _assemble(tree, outs, wrt, argnums, lambda j, k, lo, _: _rows(
            rows[k], lo, lo + outs[j].size, outs[j].shape + wrt[k].shape))
    return blocks


def _forward_blocks(f, backend):
    def blocks(args, argnums, nums):
        wrt = [as_aval(args[i]) for i in nums]
        traced = trace(f, [as_aval(a) for a in args])
        tree, outs = traced.out_tree, traced.graph.out_avals
        push = _pushforward(f, len(args), nums, backend)
        columns = tree_flatten(_over_seeds(lambda *ts: push(args, list(ts))[1],
                                           _identity(wrt)))[0]

        def block(j, k, _, lo):
            o, a = outs[j], wrt[k]
            cols = _rows(columns[j], lo, lo + a.size, (a.size, o.size))
            return lax.reshape(lax.transpose(cols, (1, 0)), o.shape + a.shape)
        return _assemble(tree, outs, wrt, argnums, block)
    return blocks


def _chosen_blocks(f, backend):
    """Forward mode where the differentiated inputs have fewer elements than the outputs
    (a tall Jacobian: fewer columns than rows, one batched JVP per column), else reverse."""
    reverse, forward = _reverse_blocks(f), _forward_blocks(f, backend)

    def blocks(args, argnums, nums):
        outs = trace(f, [as_aval(a) for a in args]).graph.out_avals
        columns = sum(as_aval(args[i]).size for i in nums)
        tall = columns < sum(o.size for o in outs)
        return (forward if tall else reverse)(args, argnums, nums)
    return blocks


def _jacobian_fn(f, argnums, backend, name, blocks):
    def build(avals, kwargs):
        nums = _normalize_argnums(argnums, len(avals), name)
        traced = trace(lambda *xs: blocks(list(xs), argnums, nums), avals)
        return (lambda: traced.graph), traced.captured, traced.out_tree, None

    staged = _cached(f, (name, argnums, backend),
                     lambda: _StagedFunction(build, backend, False))

    @functools.wraps(f)
    def wrapped(*args):
        outs, out_tree = staged(args, {})
        return tree_unflatten(out_tree, outs)

    wrapped.__name__ = f"{name.split('.')[-1]}({_fn_name(f)})"
    return wrapped


def jacobian(f, argnums=0, *, backend=None):
    """The Jacobian by the cheaper mode for its shape: `jacfwd`'s forward mode when the
    differentiated arguments have fewer elements than f's outputs, `jacrev`'s reverse mode
    otherwise (the same values, up to rounding). Shape `out.shape + arg.shape`; a tuple over
    `argnums` when it is a tuple, and over outputs when f returns a tuple."""
    return _jacobian_fn(f, argnums, backend, "adc.jacobian", _chosen_blocks(f, backend))


def jacrev(f, argnums=0, *, backend=None):
    """Reverse-mode Jacobian: f's VJP applied to every row of the identity at once (a vmap),
    with f's forward pass computed once; one compiled program per signature, shaped as
    `adc.jacobian`'s. The better choice when outputs are few."""
    return _jacobian_fn(f, argnums, backend, "adc.jacrev", _reverse_blocks(f))


def jacfwd(f, argnums=0, *, backend=None):
    """Forward-mode Jacobian: f's JVP applied to every unit tangent at once (a vmap); one
    compiled program per signature, shaped as `adc.jacobian`'s. The better choice when inputs
    are few."""
    return _jacobian_fn(f, argnums, backend, "adc.jacfwd", _forward_blocks(f, backend))


def hessian(f, argnums=0, *, backend=None):
    """Second derivatives of a scalar f: the forward-mode Jacobian of its gradient (forward
    over reverse), one compiled program per signature."""
    return jacfwd(grad(f, argnums, backend=backend), argnums, backend=backend)

