"""Reverse mode: emit the VJP of a Graph into the current trace.

Stage: differentiate (Graph → traced forward + backward equations). Invariants:
cotangents accumulate by addition; a zero cotangent is `None` and never materialized (only a
requested gradient that nothing reaches becomes an explicit zero at the end); broadcasting is
undone here, once, with `sum_to_shape`; only floating values that depend on a differentiated
input carry cotangents, so integer/bool values and `stop_gradient` cut the flow.
"""
from __future__ import annotations

from .interpret import environment
from .prims import lax
from .tracer import rebind


def _is_float(v) -> bool:
    return v.aval.dtype.kind == "f"


def active_vars(graph, wrt) -> set:
    """Variables through which a cotangent from the outputs can reach the `wrt` inputs."""
    active = {graph.invars[i] for i in wrt if _is_float(graph.invars[i])}
    for eqn in graph.eqns:
        if eqn.prim.differentiable and any(v in active for v in eqn.ins):
            active.update(v for v in eqn.outs if _is_float(v))
    return active


def replay(graph, args) -> dict:
    """Emit (or evaluate) `graph`'s equations on `args`; the environment of every variable."""
    return environment(graph, args, rebind)


def backward_pass(graph, args, seeds, wrt):
    """Replay `graph` on `args` and emit its VJP for output cotangents `seeds`.

    Returns (outputs, cotangents for the inputs listed in `wrt`). `seeds[i]` may be None
    (no cotangent for that output).
    """
    env = replay(graph, args)
    return [env[v] for v in graph.outvars], emit_vjp(graph, env, seeds, wrt)


def emit_vjp(graph, env, seeds, wrt) -> list:
    """The VJP of `graph` given the values `env` of its variables (replayed or stored).

    Returns the cotangents of the inputs listed in `wrt`; one that nothing reaches is an
    explicit zero.
    """
    active = active_vars(graph, wrt)
    ct: dict = {}

    def accumulate(var, value):
        if value is None or var not in active:
            return
        value = lax.astype(lax.sum_to_shape(value, var.aval.shape), var.aval.dtype)
        ct[var] = value if var not in ct else lax.add(ct[var], value)

    for var, seed in zip(graph.outvars, seeds):
        accumulate(var, seed)
    for eqn in reversed(graph.eqns):
        cts_out = tuple(ct.pop(v, None) for v in eqn.outs)
        if all(c is None for c in cts_out):
            continue
        needed = tuple(v in active for v in eqn.ins)
        cts_in = eqn.prim.vjp(cts_out, [env[v] for v in eqn.ins], [env[v] for v in eqn.outs],
                              needed, **eqn.params)
        for var, value, need in zip(eqn.ins, cts_in, needed):
            if need:
                accumulate(var, value)
    grads = []
    for i in wrt:
        var = graph.invars[i]
        g = ct.get(var)
        grads.append(g if g is not None else
                     lax.zeros(var.aval.shape, var.aval.dtype))
    return grads
