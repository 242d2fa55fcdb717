"""Constant folding and algebraic identities. Stage: optimize. Invariant: an equation whose
inputs are all constants is evaluated with its numpy reference when its result is small; an
identity (x*1, x+(-0.0), x-0.0, x/1, neg(neg x), reshape(reshape(x)) as one reshape, a
reshape to x's own shape; zeros signed as IEEE arithmetic needs them,
since -0.0 + 0.0 is +0.0) is removed when the surviving operand already has the result's shape
and dtype, so values are unchanged bit for bit; the neutral operand may be a constant or a
rearrangement of one (`rearranging` primitives: a broadcast 1.0, unfolded because folding never
grows constants)."""
from __future__ import annotations

import numpy as np

from ..interpret import evaluate
from ..ir import CONST_GROWTH_LIMIT, Eqn, Graph


def fold_constants(graph: Graph) -> Graph:
    consts = dict(graph.consts)
    rename: dict = {}
    producer: dict = {}
    eqns = []
    for eqn in graph.eqns:
        ins = tuple(rename.get(v, v) for v in eqn.ins)
        if eqn.prim.collapsing:
            inner = producer.get(ins[0])
            if inner is not None and inner.prim is eqn.prim:
                ins = (inner.ins[0], *ins[1:])
            if ins[0].aval == eqn.outs[0].aval:
                rename[eqn.outs[0]] = ins[0]
                continue
        out_size = sum(v.aval.size for v in eqn.outs)
        in_size = max([v.aval.size for v in ins] + [1])
        # Folding never grows constants: a broadcast of a scalar stays a (fusable) equation.
        if all(v in consts for v in ins) and out_size <= min(CONST_GROWTH_LIMIT, in_size):
            consts.update(zip(eqn.outs, evaluate(eqn, [consts[v] for v in ins])))
            continue
        survivor = _identity_survivor(eqn, ins, consts, producer)
        if survivor is not None:
            rename[eqn.outs[0]] = survivor
            continue
        new = Eqn(eqn.prim, ins, eqn.outs, eqn.params, eqn.src)
        producer.update((v, new) for v in eqn.outs)
        eqns.append(new)
    outvars = [rename.get(v, v) for v in graph.outvars]
    used = {v for e in eqns for v in e.ins} | set(outvars)
    return Graph(list(graph.invars), outvars, eqns,
                 {v: c for v, c in consts.items() if v in used})


def _identity_survivor(eqn, ins, consts, producer):
    out = eqn.outs[0].aval
    if eqn.prim.involution:
        inner = producer.get(ins[0])
        if inner is not None and inner.prim is eqn.prim and inner.ins[0].aval == out:
            return inner.ins[0]
        return None
    for keep, neutral, value in eqn.prim.identities:
        c = _constant(ins[neutral], consts, producer)
        if c is not None and ins[keep].aval == out and _all_equal(c, value):
            return ins[keep]
    return None


def _all_equal(c, value) -> bool:
    """Every element of `c` is `value`, with its sign for floats: x + 0.0 is not x at x = -0.0
    (x + -0.0 is), and x - -0.0 is not x there (x - 0.0 is)."""
    c = np.asarray(c)
    if not np.all(c == value):
        return False
    return c.dtype.kind not in "fc" or bool(np.all(np.signbit(c.real) == np.signbit(value)))


def _constant(v, consts, producer):
    """v's constant value, or the value of the constant it rearranges (the same elements)."""
    while v not in consts:
        eqn = producer.get(v)
        if eqn is None or not eqn.prim.rearranging:
            return None
        v = eqn.ins[0]
    return consts[v]
