"""Batching: the vmap transform, a Graph traced for one example emitted for a whole batch.

Stage: transform (Graph → batched equations in the current trace, or evaluated eagerly when
no value is traced, as `ad.replay` does). Invariants: a batched value carries the batch as its
leading axis (in_axes and out_axes are moved there and back at the edges only); an equation
none of whose inputs is batched is re-bound as it is, so what does not depend on the batch
is computed once; every other equation goes through its primitive's `batch` rule
(adc.prims.batching), or, where the primitive declares `LOOP` or its rule returns
`NotImplemented`, through a compiled loop over the batch (adc.scan), never failing. Each
rule's result is checked to be the per-example result with the batch in front.
"""
from __future__ import annotations

import numpy as np

from .errors import ArgumentError, ShapeError
from .interpret import outputs
from .ir import Aval
from .loops import scan
from .prims import lax
from .prims.batching import LOOP
from .tracer import Tracer, as_aval, bind, rebind, trace, tree_flatten, tree_unflatten


def batch_graph(graph, args, batched, size) -> tuple:
    """Emit `graph` (traced for one example) over a batch of `size`: `args[i]` has the batch as
    its leading axis where `batched[i]`. Returns (outputs, whether each is batched)."""
    env = {v: (c, False) for v, c in graph.consts.items()}
    env.update(zip(graph.invars, zip(args, batched)))
    for eqn in graph.eqns:
        vals, flags = zip(*[env[v] for v in eqn.ins]) if eqn.ins else ((), ())
        if not any(flags):
            outs, out_flag = rebind(eqn, vals), False
        else:
            outs, out_flag = _batched_eqn(eqn, list(vals), tuple(flags), size), True
        env.update((v, (x, out_flag)) for v, x in zip(eqn.outs, outs))
    return tuple(zip(*[env[v] for v in graph.outvars])) or ((), ())


def _batched_eqn(eqn, vals, flags, size) -> tuple:
    rule = eqn.prim.batch
    result = NotImplemented if rule == LOOP else rule(eqn.prim, vals, flags, size,
                                                      dict(eqn.params))
    outs = _loop(eqn, vals, flags) if result is NotImplemented else outputs(eqn, result)
    for v, x in zip(eqn.outs, outs):
        expected = Aval((size,) + v.aval.shape, v.aval.dtype)
        if as_aval(x) != expected:
            raise AssertionError(f"adc: the batching rule of {eqn.prim.name} gave {as_aval(x)} "
                                 f"for {expected} (params {eqn.params})")
    return outs


def _loop(eqn, vals, flags) -> tuple:
    """The equation run once per batch element, as a compiled loop over the batch axis."""
    def step(carry, xs):
        it = iter(xs)
        ins = [next(it) if f else v for v, f in zip(vals, flags)]
        return carry, list(outputs(eqn, bind(eqn.prim, *ins, **eqn.params)))

    return tuple(scan(step, (), [v for v, f in zip(vals, flags) if f])[1])


# ---- vmap ----

def _prefix(axes, tree) -> list:
    """One axis per leaf of the value `tree`, reading `axes` as a prefix of its structure."""
    if axes is None or isinstance(axes, int):
        return [axes] * len(tree_flatten(tree)[0])
    if isinstance(axes, dict):
        if not isinstance(tree, dict) or sorted(axes) != sorted(tree):
            raise ValueError(f"dict keys {sorted(axes)} against {type(tree).__name__}")
        return [a for k in sorted(tree) for a in _prefix(axes[k], tree[k])]
    if isinstance(axes, (tuple, list)):
        if not isinstance(tree, (tuple, list)) or len(axes) != len(tree):
            raise ValueError(f"{len(axes)} entries against "
                             f"{len(tree) if isinstance(tree, (tuple, list)) else 'a leaf'}")
        return [a for ax, t in zip(axes, tree) for a in _prefix(ax, t)]
    raise ValueError(f"an axis must be an int or None, got {type(axes).__name__}")


def _normalized(axis, ndim, what) -> int:
    if not -ndim <= axis < ndim:
        raise ArgumentError(f"adc.vmap: {what} {axis} is out of range for an array of rank "
                            f"{ndim}")
    return axis % ndim


def _to_front(x, axis):
    perm = (axis,) + tuple(i for i in range(x.ndim) if i != axis)
    return lax.transpose(x, perm)


def _from_front(x, axis):
    perm = list(range(1, x.ndim))
    perm.insert(axis, 0)
    return lax.transpose(x, perm)


def vmap_call(f, args, in_axes=0, out_axes=0):
    """`f` mapped over the axes `in_axes` of `args` (a tuple of pytrees; an int or None per
    argument or per leaf, None: not mapped), results stacked along `out_axes` (JAX's
    jax.vmap semantics); emitted into the current trace, or evaluated with numpy."""
    leaves, tree = tree_flatten(tuple(args))
    if isinstance(in_axes, list):
        in_axes = tuple(in_axes)
    if isinstance(in_axes, tuple) and len(in_axes) != len(args):
        raise ArgumentError(f"adc.vmap: in_axes has {len(in_axes)} entries for {len(args)} "
                            "positional arguments (one per argument, or one int for all)")
    try:
        axes = _prefix(in_axes, tuple(args))
    except ValueError as err:
        raise ArgumentError(f"adc.vmap: in_axes {in_axes!r} does not match the arguments' "
                            f"structure ({err})") from None
    leaves = [x if isinstance(x, Tracer) else np.asarray(x) for x in leaves]
    avals = [as_aval(x) for x in leaves]
    sizes = {}
    moved, per_example = [], []
    for i, (x, a, ax) in enumerate(zip(leaves, avals, axes)):
        if ax is None:
            moved.append(x)
            per_example.append(a)
            continue
        if not a.ndim:
            raise ArgumentError(f"adc.vmap: argument leaf {i} is 0-d and cannot be mapped over; "
                                "give it in_axes None")
        ax = _normalized(ax, a.ndim, f"in_axes entry for argument leaf {i}")
        sizes.setdefault(a.shape[ax], []).append(i)
        moved.append(_to_front(x, ax))
        per_example.append(Aval(a.shape[:ax] + a.shape[ax + 1:], a.dtype))
    if not sizes:
        raise ArgumentError("adc.vmap: in_axes maps no argument (every entry is None); at "
                            "least one argument must be mapped")
    if len(sizes) > 1:
        raise ShapeError("adc.vmap: the mapped axes have different sizes: " + "; ".join(
            f"{n} (argument leaves {ids})" for n, ids in sorted(sizes.items())))
    size = next(iter(sizes))
    traced = trace(lambda *xs: f(*tree_unflatten(tree, xs)), per_example)
    outs, flags = batch_graph(traced.graph, moved + list(traced.captured),
                              [ax is not None for ax in axes] + [False] * len(traced.captured),
                              size)
    results = [_place(x, flag, ax, size, k) for k, (x, flag, ax) in
               enumerate(zip(outs, flags, _out_axes(out_axes, traced.out_tree, len(outs))))]
    return tree_unflatten(traced.out_tree, results)


def _out_axes(out_axes, out_tree, n):
    if out_axes is None or isinstance(out_axes, int):
        return [out_axes] * n
    try:
        return _prefix(out_axes, tree_unflatten(out_tree, [0] * n))
    except ValueError as err:
        raise ArgumentError(f"adc.vmap: out_axes {out_axes!r} does not match the output's "
                            f"structure ({err})") from None


def _place(x, batched, axis, size, k):
    if axis is None:
        if batched:
            raise ArgumentError(f"adc.vmap: output leaf {k} depends on the mapped arguments "
                                "but its out_axes is None")
        return x
    if not batched:
        x = lax.broadcast_to(x, (size,) + tuple(as_aval(x).shape))
    return _from_front(x, _normalized(axis, as_aval(x).ndim, f"out_axes entry for output leaf {k}"))
