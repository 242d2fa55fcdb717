"""Common-subexpression elimination. Stage: optimize. Invariant: two equations with the same
primitive, inputs and parameters compute the same value, so the later one is replaced by the
earlier; identical small constants are merged first so they compare equal."""
from __future__ import annotations

import numpy as np

from ..ir import Eqn, Graph

_CONST_KEY_LIMIT = 64  # elements; larger constants are compared by identity only


def cse(graph: Graph) -> Graph:
    rename: dict = {}
    consts: dict = {}
    const_keys: dict = {}
    for var, value in graph.consts.items():
        value = np.asarray(value)
        key = (value.dtype.str, value.shape, value.tobytes()) if value.size <= _CONST_KEY_LIMIT \
            else ("id", id(value))
        if key in const_keys:
            rename[var] = const_keys[key]
        else:
            const_keys[key] = var
            consts[var] = value
    seen: dict = {}
    eqns = []
    for eqn in graph.eqns:
        ins = tuple(rename.get(v, v) for v in eqn.ins)
        key = (eqn.prim.name, ins, eqn.params_key())
        if key in seen:
            rename.update(zip(eqn.outs, seen[key].outs))
            continue
        new = Eqn(eqn.prim, ins, eqn.outs, eqn.params, eqn.src)
        seen[key] = new
        eqns.append(new)
    outvars = [rename.get(v, v) for v in graph.outvars]
    return Graph(list(graph.invars), outvars, eqns, consts)
