"""Lowering by composition: a primitive registered with @lower_by_composition is expanded
into other primitives before code generation (adc.opt.prepare), here einsum into
transpose/reshape/sum/matmul for the targets that lower matrix products to BLAS.

Stage: optimize (before lowering). Invariant: the result computes the same values as the
input graph (checked by eval_graph in the tests); a graph with nothing to expand is returned
as is, one with something is retraced and optimized again.
"""
from __future__ import annotations

import numpy as np

from ..interpret import interpret
from ..ir import Graph
from ..lower.registry import lower_by_composition
from ..prims import lax
from ..prims.linalg import einsum_p, parse_einsum
from ..tracer import rebind, trace


@lower_by_composition(einsum_p)
def _einsum_via_matmul(params, *ops):
    spec = params["spec"]
    subs, out = parse_einsum(spec, [o.ndim for o in ops])
    reduced = []
    for i, (sub, x) in enumerate(zip(subs, ops)):
        elsewhere = set(out).union(*[set(s) for j, s in enumerate(subs) if j != i])
        drop = tuple(k for k, c in enumerate(sub) if c not in elsewhere)
        reduced.append(("".join(c for c in sub if c in elsewhere), lax.reduce_sum(x, drop)))
    if len(reduced) == 1:
        sub, x = reduced[0]
        return lax.transpose(x, [sub.index(c) for c in out])
    (sa, a), (sb, b) = reduced
    sizes = dict(zip(sa, a.shape)) | dict(zip(sb, b.shape))
    batch = [c for c in out if c in sa and c in sb]
    contract = [c for c in sa if c in sb and c not in out]
    keep_a = [c for c in out if c in sa and c not in sb]
    keep_b = [c for c in out if c in sb and c not in sa]

    def arrange(x, sub, order, groups):
        x = lax.transpose(x, [sub.index(c) for c in order])
        return lax.reshape(x, [int(np.prod([sizes[c] for c in g], dtype=np.int64))
                               for g in groups])

    a3 = arrange(a, sa, batch + keep_a + contract, [batch, keep_a, contract])
    b3 = arrange(b, sb, batch + contract + keep_b, [batch, contract, keep_b])
    prod = lax.matmul(a3, b3)
    order = batch + keep_a + keep_b
    prod = lax.reshape(prod, [sizes[c] for c in order])
    return lax.transpose(prod, [order.index(c) for c in out])


def decompose(graph: Graph, expansions: dict) -> Graph:
    """`graph` with every equation whose primitive is in `expansions` (prim -> expand)
    replaced by its expansion."""
    if not any(e.prim in expansions for e in graph.eqns):
        return graph
    from . import optimize

    def expand(eqn, ins):
        if eqn.prim in expansions:
            return (expansions[eqn.prim](eqn.params, *ins),)
        return rebind(eqn, ins)

    return optimize(trace(lambda *xs: interpret(graph, xs, expand), graph.in_avals).graph)
