"""`to_dot`: any IR Graph (from adc.make_ir, a gradient's graph, a model's forward) as DOT.

Stage: visualization of any stage's Graph. Invariant: one DOT node per graph input, constant,
equation and output, one edge per equation operand; variables carry the names and types the
Graph printer gives them (`c:f32[2,3]`), so the drawing and `print(graph)` read alike.
"""
from __future__ import annotations

import numpy as np

from ..errors import UnsupportedError
from ..ir import Graph, _format_param
from .dot import Dot, DotBuilder


def var_letters(k: int) -> str:
    """The printer's k-th variable name: a, b, ..., z, aa, ab, ..."""
    s = ""
    k += 1
    while k:
        k, r = divmod(k - 1, 26)
        s = chr(ord("a") + r) + s
    return s


def const_text(value) -> str:
    """A constant's value as the Graph printer shows it (elided past 6 elements)."""
    return np.array2string(np.asarray(value), threshold=6, separator=",")


def to_dot(ir: Graph, names=None) -> Dot:
    """The graph `ir` as DOT: inputs (blue, named by `names` when given), constants (grey, with
    their values), equations (the primitive, its parameters and its outputs' types) and the
    outputs (green), with an edge from each operand's producer."""
    if not isinstance(ir, Graph):
        raise UnsupportedError(f"adc.viz.to_dot expects an adc Graph (e.g. "
                               f"adc.make_ir(f)(*args)); got {type(ir).__name__}")
    if names is not None and len(names) != len(ir.invars):
        raise UnsupportedError(f"adc.viz.to_dot: {len(names)} names for "
                               f"{len(ir.invars)} graph inputs")
    letters: dict = {}

    def typed(v) -> str:
        if v not in letters:
            letters[v] = var_letters(len(letters))
        return f"{letters[v]}:{v.aval}"

    dot = DotBuilder("adc_ir")
    producer: dict = {}  # Var -> (DOT node id, whether that node has several outputs)
    for k, v in enumerate(ir.invars):
        producer[v] = (f"in{k}", False)
        label = typed(v) if names is None else f"{names[k]}\n{typed(v)}"
        dot.node(f"in{k}", label, fillcolor="lightblue")
    for k, (v, value) in enumerate(ir.consts.items()):
        producer[v] = (f"c{k}", False)
        dot.node(f"c{k}", f"{typed(v)} = const\n{const_text(value)}", fillcolor="lightgrey")
    for k, eqn in enumerate(ir.eqns):
        lines = [eqn.prim.name] + [f"{p}={_format_param(x)}" for p, x in eqn.params.items()]
        lines.append("-> " + " ".join(typed(v) for v in eqn.outs))
        dot.node(f"e{k}", "\n".join(lines))
        for v in eqn.ins:
            tail, several = producer[v]
            dot.edge(tail, f"e{k}", label=letters[v] if several else None)
        producer.update((v, (f"e{k}", len(eqn.outs) > 1)) for v in eqn.outs)
    for k, v in enumerate(ir.outvars):
        dot.node(f"out{k}", f"output {k}\n{typed(v)}", fillcolor="darkolivegreen1")
        tail, several = producer[v]
        dot.edge(tail, f"out{k}", label=letters[v] if several else None)
    return dot.build()
