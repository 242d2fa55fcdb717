"""The one graph interpreter: a Graph's equations applied in order to values of any kind.

Stage: shared by evaluation (numpy reference), replay/inlining (re-binding into a trace) and
validation (torch). Invariant: this is the only loop over a graph's equations that maps
variables to values; what an equation does to its inputs is the caller's `apply(eqn, ins)`,
which returns one value per `eqn.outs`. This module imports nothing else from adc, so the
IR module can re-export `eval_graph` from it.
"""
from __future__ import annotations

import numpy as np


def environment(graph, args, apply, *, const=None) -> dict:
    """The value of every variable of `graph` on inputs `args`: constants (converted by
    `const` when given), inputs, then each equation's outputs `apply(eqn, ins)`."""
    if len(args) != len(graph.invars):
        raise TypeError(f"graph takes {len(graph.invars)} inputs, got {len(args)}")
    env = dict(graph.consts) if const is None else {v: const(c) for v, c in graph.consts.items()}
    env.update(zip(graph.invars, args))
    for eqn in graph.eqns:
        env.update(zip(eqn.outs, apply(eqn, [env[v] for v in eqn.ins])))
    return env


def interpret(graph, args, apply, *, const=None) -> list:
    """The values of `graph`'s outputs on inputs `args` (see `environment`)."""
    env = environment(graph, args, apply, const=const)
    return [env[v] for v in graph.outvars]


def outputs(eqn, value) -> tuple:
    """One value per `eqn.outs` from what its primitive returned (a list when it has
    `multiple_results`, else the one value)."""
    return tuple(value) if eqn.prim.multiple_results else (value,)


def evaluate(eqn, ins) -> tuple:
    """Apply an equation with its primitive's numpy reference, in the outputs' dtypes."""
    return tuple(np.asarray(value, dtype=v.aval.dtype) for value, v in
                 zip(outputs(eqn, eqn.prim.impl(*ins, **eqn.params)), eqn.outs))


def eval_graph(graph, *args) -> list:
    """Run a Graph with numpy: the reference semantics for every later stage."""
    return interpret(graph, args, evaluate)
