"""Fusion planning: partition a Graph's equations into loop nests and single statements.

Stage: lower (target-independent; CPU and CUDA code generators share it). Invariants: a Loop
iterates one shape; its scalar equations (elementwise, where, convert, stop_gradient,
broadcast_to) run per element, and its reductions accumulate values computed in the same
iteration space. A value joins a loop only when all its inputs are computed in that loop or
before the loop starts, so emitting items in order is a valid schedule. A loop's scalar is
stored to memory only when something outside the loop (or the graph's output) reads it.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..ir import Eqn, Graph
from ..prims.reduce import reduce_max_p, reduce_min_p, reduce_prod_p, reduce_sum_p
from ..prims.select import convert_p, stop_gradient_p, where_p
from ..prims.shape import broadcast_to_p

REDUCTIONS = {reduce_sum_p: "sum", reduce_prod_p: "prod", reduce_max_p: "max",
              reduce_min_p: "min"}
_SCALAR_PRIMS = {where_p, convert_p, stop_gradient_p, broadcast_to_p}


def is_scalar_eqn(eqn: Eqn) -> bool:
    return eqn.prim.elementwise or eqn.prim in _SCALAR_PRIMS


@dataclass
class Loop:
    shape: tuple
    position: int
    eqns: list = field(default_factory=list)
    reductions: list = field(default_factory=list)
    stores: list = field(default_factory=list)  # vars computed here and needed as arrays


@dataclass
class Single:
    eqn: Eqn
    position: int


def plan(graph: Graph) -> list:
    """The ordered items (Loop or Single) computing the graph."""
    ready: dict = {v: -1 for v in list(graph.invars) + list(graph.consts)}
    home: dict = {}  # var -> Loop computing it as a per-element scalar
    items: list = []

    def usable(var, loop) -> bool:
        return home.get(var) is loop or ready[var] < loop.position

    def find_loop(shape, ins):
        for item in reversed(items):
            if isinstance(item, Loop) and item.shape == shape and all(usable(v, item)
                                                                     for v in ins):
                return item
        loop = Loop(shape, len(items))
        items.append(loop)
        return loop

    for eqn in graph.eqns:
        if is_scalar_eqn(eqn):
            out = eqn.outs[0]
            loop = find_loop(out.aval.shape, eqn.ins)
            loop.eqns.append(eqn)
            home[out] = loop
            ready[out] = loop.position
        elif eqn.prim in REDUCTIONS:
            loop = find_loop(eqn.ins[0].aval.shape, eqn.ins)
            loop.reductions.append(eqn)
            ready[eqn.outs[0]] = loop.position + 0.5  # complete only after the loop
        else:
            items.append(Single(eqn, len(items)))
            ready.update((v, len(items) - 1) for v in eqn.outs)

    readers: dict = {}
    for item in items:
        for eqn in (item.eqns + item.reductions) if isinstance(item, Loop) else [item.eqn]:
            for v in eqn.ins:
                readers.setdefault(v, set()).add(id(item))
    outputs = set(graph.outvars)
    for var, loop in home.items():
        if var in outputs or readers.get(var, set()) - {id(loop)}:
            loop.stores.append(var)
    return items
