"""Compiled loops and branches, traced once: `scan`, `fori_loop`, `while_loop`, `cond` (JAX's
semantics, pytrees of arrays as carries and operands), and `checkpoint` (a one-step scan, so
its gradient recomputes the function's intermediates instead of storing them).

Stage: trace (a user function's body → the Graph a control-flow primitive holds). Invariants:
a body is traced once, whatever the number of iterations, into a closed Graph (the traced
values it closes over become explicit loop invariants); its carry keeps the structure, shapes
and dtypes of the initial carry (else a ShapeError naming both); an eager call (no traced
value) runs the same primitive with its numpy interpreter.
"""
from __future__ import annotations

import functools

import numpy as np

from ..errors import ShapeError, TraceError
from ..ir import Aval, Var
from ..prims import lax
from ..tracer import Tracer, as_aval, bind, tree_flatten, tree_flatten_up_to, tree_unflatten
from .primitives import cond_p, scan_p, trace_closed, while_p


def _name(f) -> str:
    code = getattr(f, "__code__", None)
    name = getattr(f, "__qualname__", repr(f))
    return f"{name} ({code.co_filename.rsplit('/', 1)[-1]}:{code.co_firstlineno})" if code else name


def _leaves(tree) -> tuple:
    leaves, treedef = tree_flatten(tree)
    return [x if isinstance(x, Tracer) else np.asarray(x) for x in leaves], treedef


def _describe(avals) -> str:
    return ", ".join(f"{a.dtype}{list(a.shape)}" for a in avals)


def _same_carry(what, fn, treedef, carry, expected) -> list:
    """The leaves of the carry `fn` returned, checked against the initial carry's."""
    try:
        leaves = tree_flatten_up_to(treedef, carry)
    except ValueError as err:
        raise TraceError(f"adc.{what}: {_name(fn)} returned a carry whose structure differs "
                         f"from the initial carry's ({err})") from None
    got = [as_aval(x if isinstance(x, Tracer) else np.asarray(x)) for x in leaves]
    if got != list(expected):
        raise ShapeError(f"adc.{what}: {_name(fn)} must return a carry of the initial carry's "
                         f"shapes and dtypes ({_describe(expected)}), got ({_describe(got)})")
    return leaves


def scan(f, init, xs=None, length=None, reverse=False):
    """Loop `f(carry, x) -> (carry, y)` over the leading axis of `xs`: returns the final carry
    and the ys stacked along a new leading axis (JAX's lax.scan). `xs=None` with `length`
    runs `length` steps with x=None; `reverse=True` runs from the last index to the first,
    keeping ys in the order of xs."""
    init_leaves, init_tree = _leaves(init)
    xs_leaves, xs_tree = _leaves(xs)
    lengths = set()
    for x in xs_leaves:
        if as_aval(x).ndim == 0:
            raise ShapeError(f"adc.scan: xs must have a leading axis to scan over; got a 0-d "
                             f"array (of {_name(f)})")
        lengths.add(as_aval(x).shape[0])
    if length is not None:
        lengths.add(int(length))
    if len(lengths) != 1:
        raise ShapeError(f"adc.scan: {'xs=None needs length=' if not lengths else ''}"
                         + (f"the leading axes of xs and length disagree: {sorted(lengths)}"
                            if lengths else " (the number of steps)"))
    n = lengths.pop()
    carry_avals = [as_aval(c) for c in init_leaves]
    x_avals = [Aval(as_aval(x).shape[1:], as_aval(x).dtype) for x in xs_leaves]
    nc = len(carry_avals)

    def body(*args):
        out = f(tree_unflatten(init_tree, args[:nc]), tree_unflatten(xs_tree, args[nc:]))
        if not isinstance(out, (tuple, list)) or len(out) != 2:
            raise TraceError(f"adc.scan: {_name(f)} must return a pair (carry, y)")
        return _same_carry("scan", f, init_tree, out[0], carry_avals), out[1]

    graph, captured, out_tree = trace_closed(body, carry_avals + x_avals)
    traced = any(isinstance(a, Tracer) for a in [*captured, *init_leaves, *xs_leaves])
    outs = bind(scan_p, *captured, *init_leaves, *xs_leaves, body=graph,
                       num_consts=len(captured), num_carry=nc, length=n, reverse=bool(reverse),
                       residuals=tuple(range(nc)) if traced else ())
    ny = len(graph.outvars) - nc
    return (tree_unflatten(init_tree, outs[:nc]),
            tree_unflatten(out_tree[1][1], outs[nc:nc + ny]))


def fori_loop(lower, upper, body_fun, init_val):
    """`val = body_fun(i, val)` for i in range(lower, upper). With bounds known when tracing
    (Python or numpy integers) it is a scan, differentiable in reverse; with traced bounds a
    while_loop (forward only), as in JAX."""
    if isinstance(lower, Tracer) or isinstance(upper, Tracer):
        def cond_fun(carry):
            return lax.less(carry[0], carry[1])

        def step(carry):
            i, hi, val = carry
            return lax.add(i, 1), hi, body_fun(i, val)

        lower, upper = _index_pair(lower, upper)
        return while_loop(cond_fun, step, (lower, upper, init_val))[2]
    lower, upper = _index_pair(lower, upper)

    def scan_step(carry, _):
        i, val = carry
        return (lax.add(i, 1), body_fun(i, val)), None

    steps = max(int(upper) - int(lower), 0)
    return scan(scan_step, (lower, init_val), None, length=steps)[0][1]


def _index_pair(lower, upper):
    dtype = np.result_type(*[as_aval(b).dtype if isinstance(b, Tracer) else np.asarray(b).dtype
                             for b in (lower, upper)])
    if dtype.kind not in "iu":
        raise TypeError(f"adc.fori_loop: the bounds must be integers, got {dtype}")
    return tuple(lax.astype(b, dtype) if isinstance(b, Tracer) else np.asarray(b, dtype)
                 for b in (lower, upper))


def while_loop(cond_fun, body_fun, init_val):
    """`while cond_fun(val): val = body_fun(val)`, compiled as one loop (JAX's
    lax.while_loop). Forward only: differentiating it in reverse raises GradientError."""
    leaves, treedef = _leaves(init_val)
    avals = [as_aval(c) for c in leaves]

    def cond(*args):
        pred = cond_fun(tree_unflatten(treedef, args))
        pred = pred if isinstance(pred, Tracer) else np.asarray(pred)
        if as_aval(pred).shape != () or as_aval(pred).dtype != np.bool_:
            raise TraceError(f"adc.while_loop: {_name(cond_fun)} must return a boolean scalar, "
                             f"got {as_aval(pred)}")
        return pred

    def body(*args):
        return _same_carry("while_loop", body_fun, treedef,
                           body_fun(tree_unflatten(treedef, args)), avals)

    cgraph, ccap, _ = trace_closed(cond, avals)
    bgraph, bcap, _ = trace_closed(body, avals)
    outs = bind(while_p, *ccap, *bcap, *leaves, cond=cgraph, body=bgraph,
                        cond_consts=len(ccap), name=_name(body_fun))
    return tree_unflatten(treedef, outs)


def cond(pred, true_fn, false_fn, *operands):
    """`true_fn(*operands)` if `pred` else `false_fn(*operands)`, both traced (JAX's
    lax.cond): they must return the same structure, shapes and dtypes."""
    leaves, treedef = _leaves(operands)
    avals = [as_aval(c) for c in leaves]
    pred = pred if isinstance(pred, Tracer) else np.asarray(pred)
    if as_aval(pred).size != 1:
        raise ShapeError(f"adc.cond: the predicate must be a scalar, got {as_aval(pred)}")

    def branch(fn):
        return lambda *args: fn(*tree_unflatten(treedef, args))

    t_graph, t_cap, t_tree = trace_closed(branch(true_fn), avals)
    f_graph, f_cap, f_tree = trace_closed(branch(false_fn), avals)
    if t_tree != f_tree or t_graph.out_avals != f_graph.out_avals:
        raise ShapeError(
            f"adc.cond: {_name(true_fn)} and {_name(false_fn)} must return the same structure, "
            f"shapes and dtypes; got ({_describe(t_graph.out_avals)}) and "
            f"({_describe(f_graph.out_avals)})")
    # both branches take every value either closed over, then the operands
    closed = list(dict.fromkeys(t_cap + f_cap))
    t_graph.invars = _widen(t_graph, t_cap, closed)
    f_graph.invars = _widen(f_graph, f_cap, closed)
    outs = bind(cond_p, pred, *closed, *leaves, true=t_graph, false=f_graph)
    return tree_unflatten(t_tree, outs)


def checkpoint(fun=None, *, static_argnums=()):
    """`fun` whose reverse-mode derivative recomputes its intermediates from its inputs instead
    of keeping them from the forward pass (JAX's `jax.checkpoint`/`remat`): memory for
    recomputation. Arguments are pytrees of arrays; those at `static_argnums` are passed as
    they are (Python values the trace may depend on). Usable as a decorator.

    It is a scan of one step over the arguments: a scan's VJP stores only its carries (here
    none) and re-runs its body's forward inside its backward body, a Graph of its own, where
    CSE cannot share the recomputation with the forward pass."""
    if fun is None:
        return lambda f: checkpoint(f, static_argnums=static_argnums)
    static = {static_argnums} if isinstance(static_argnums, int) else set(static_argnums)

    @functools.wraps(fun)
    def checkpointed(*args):
        for i in static:
            if not -len(args) <= i < len(args):
                raise TypeError(f"adc.checkpoint: static_argnums {i} is out of range for "
                                f"{_name(fun)} called with {len(args)} arguments")
        static_at = {i % len(args) for i in static}
        dynamic = [a for i, a in enumerate(args) if i not in static_at]
        leaves, treedef = _leaves(dynamic)

        def step(carry, xs):
            values = iter(tree_unflatten(treedef, xs))
            return carry, fun(*[a if i in static_at else next(values)
                                for i, a in enumerate(args)])

        stacked = [lax.reshape(x, (1, *as_aval(x).shape)) if isinstance(x, Tracer)
                   else x.reshape((1, *x.shape)) for x in leaves]
        _, ys = scan(step, (), stacked, length=1)
        outs, out_tree = tree_flatten(ys)
        return tree_unflatten(out_tree, [lax.reshape(y, as_aval(y).shape[1:])
                                         if isinstance(y, Tracer) else y[0] for y in outs])

    return checkpointed


remat = checkpoint


def _widen(graph, captured, closed) -> list:
    """`graph`'s inputs for the loop invariants `closed` (those it did not read are unused
    inputs), then its own inputs."""
    own = dict(zip(captured, graph.invars[:len(captured)]))
    return [own[c] if c in own else Var(c.aval) for c in closed] + graph.invars[len(captured):]


__all__ = ["checkpoint", "cond", "fori_loop", "remat", "scan", "while_loop"]
