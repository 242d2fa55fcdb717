"""Dead-code elimination. Stage: optimize. Invariant: keeps every equation an output needs,
in order, and the constants they read; inputs stay (the signature does not change). An
equation of several outputs of which some are dead is narrowed by its primitive's `prune`
(a loop drops the results nobody reads and the work in its body that computed them)."""
from __future__ import annotations

from ..ir import Graph


def dce(graph: Graph) -> Graph:
    live = set(graph.outvars)
    kept = []
    for eqn in reversed(graph.eqns):
        if any(v in live for v in eqn.outs):
            if eqn.prim.multiple_results and not all(v in live for v in eqn.outs):
                eqn = eqn.prim.prune(eqn, live)
            kept.append(eqn)
            live.update(eqn.ins)
    kept.reverse()
    consts = {v: c for v, c in graph.consts.items() if v in live}
    return Graph(list(graph.invars), list(graph.outvars), kept, consts)
