"""Common-subexpression elimination. Stage: optimize. Invariant: two equations with the same
primitive, inputs and parameters compute the same value, so the later one is replaced by the
earlier; constants with the same dtype, shape and bytes are merged first so they compare
equal (a function traced twice, as adc.jvp of an adc.grad does, captures its data twice)."""
from __future__ import annotations

import collections
import hashlib

import numpy as np

from ..ir import Eqn, Graph

_CONST_KEY_LIMIT = 64  # elements; larger constants are keyed by a digest of their bytes


def _const_key(value: np.ndarray, alone: bool):
    """A key equal for constants of equal dtype, shape and bytes. A large constant with no
    other of its dtype and shape (`alone`) is not hashed: nothing could merge with it."""
    meta = (value.dtype.str, value.shape)
    if value.size <= _CONST_KEY_LIMIT:
        return meta, value.tobytes()
    if alone:
        return "id", id(value)
    return meta, hashlib.blake2b(np.ascontiguousarray(value).data, digest_size=16).digest()


def _merge_constants(graph: Graph, rename: dict) -> dict:
    values = {var: np.asarray(value) for var, value in graph.consts.items()}
    shared = collections.Counter((v.dtype.str, v.shape) for v in values.values())
    consts: dict = {}
    const_keys: dict = {}
    for var, value in values.items():
        key = _const_key(value, shared[value.dtype.str, value.shape] == 1)
        if key in const_keys and value.tobytes() == values[const_keys[key]].tobytes():
            rename[var] = const_keys[key]
        else:
            const_keys.setdefault(key, var)
            consts[var] = value
    return consts


def cse(graph: Graph) -> Graph:
    rename: dict = {}
    consts = _merge_constants(graph, rename)
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
