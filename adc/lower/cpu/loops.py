"""The CPU lowering of the control-flow primitives (adc.loops): each body Graph is compiled once,
through the same code generator, as an njit function of its own, and a generated njit
function runs the loop (or the branch) calling it; the graph's code calls that function (the
whole-graph function directly; a split graph's driver as one kernel module of its own).

Stage: lower. Invariants: a body function and a loop function are named by the hash of what
they compute, so a loop repeated in a graph is defined once and its source (hence the disk
cache key) does not depend on where it sits; their lengths are literal; arrays a body reads
besides its inputs (its constants) are passed down from the graph's code (`loop_consts`); a
loop's carries keep the storage convention (0-d values as 1-element arrays); results that may
be an input (a carry of a loop that ran no step) are marked as aliases.
"""
from __future__ import annotations

import hashlib

from ...ir import graph_key
from ...loops.primitives import cond_p, scan_p, while_p
from ..nest import np_dtype
from ..registry import cpu_rule
from ..source import SourceBuilder, returned
from .codegen import CpuCodegen


def _digest(*parts) -> str:
    return hashlib.sha1(repr(parts).encode()).hexdigest()[:16]


class BodyCodegen(CpuCodegen):
    """A body Graph as one njit function `name` of the module that calls it (no header of its
    own; lengths literal; the functions of loops inside it left to the caller to define)."""

    def __init__(self, graph, fastmath: bool, name: str):
        super().__init__(graph, fastmath, split=False)
        self.name = name

    def size(self, n) -> str:
        return str(int(n))

    def header(self, what: str) -> str:
        return ""

    def function_name(self) -> str:
        return self.name

    def body(self, params: list) -> str:
        nested, self.functions = self.functions, {}
        try:
            return super().body(params)
        finally:
            self.functions = nested


def _body_function(gen, graph, functions: dict, prefix: str):
    """Define `graph` as an njit function among `functions`; (its name, the parameter names of
    the arrays it takes after its inputs, as the loop function names them)."""
    name = f"{prefix}_{_digest(graph_key(graph), gen.fastmath)}"
    body = BodyCodegen(graph, gen.fastmath, name)
    source = body.generate()
    functions.update(body.functions)
    functions[name] = source
    gen.parallel |= body.parallel
    extra = []
    for array in body.const_arrays():
        local = gen.names.fresh("l")
        gen.loop_consts.append((local, array))
        extra.append(local)
    return name, extra


def _emit(gen, eqn, build) -> None:
    """Emit the call of the loop function `build(functions) -> (lines of its body, its
    parameters, the arrays passed after the inputs)` computing `eqn`."""
    functions: dict = {}
    body, params, extra = build(functions)
    name = f"loop_{_digest(eqn.prim.name, eqn.params_key(), [str(v.aval) for v in eqn.ins])}"
    split = gen.split
    loop = gen.njit_def(False, params, "kernel" if split else name) + body.source()
    outs = returned([gen.arr(v) for v in eqn.outs])
    args = ", ".join([gen.c(v) for v in eqn.ins] + extra)
    if split:
        source = (gen.header("for a compiled loop") + "".join(functions.values()) + loop)
        index = gen.kernel_sources.setdefault(source, len(gen.kernel_sources))
        gen.src.line(f"{outs} = nest{index}({args})")
    else:
        gen.functions.update(functions)
        gen.functions[name] = loop
        gen.src.line(f"{outs} = {name}({args})")
    for v in eqn.outs:
        for x in eqn.ins:
            gen.alias(x, v)


def _names(prefix: str, n: int) -> list:
    return [f"{prefix}{i}" for i in range(n)]


def _row(array: str, aval, index: str) -> str:
    """Row `index` of a stacked array as stored: a 0-d row is a 1-element slice."""
    return f"{array}[{index}:{index} + 1]" if aval.shape == () else f"{array}[{index}]"


def _store(array: str, aval, index: str, value: str) -> str:
    return f"{array}[{index}] = {value}[0]" if aval.shape == () else f"{array}[{index}] = {value}"


@cpu_rule(scan_p)
def _scan(gen, eqn):
    p = eqn.params
    body, nk, nc = p["body"], p["num_consts"], p["num_carry"]
    ny, nx, n = len(body.outvars) - nc, len(body.invars) - nk - nc, p["length"]
    k, c, x, y, r = (_names(a, m) for a, m in (("k", nk), ("c", nc), ("x", nx), ("y", ny),
                                                 ("r", len(p["residuals"]))))
    y_avals = [v.aval for v in body.outvars[nc:]]
    c_avals = [v.aval for v in body.invars[nk:nk + nc]]
    x_avals = [v.aval for v in body.invars[nk + nc:]]

    def build(functions):
        bname, extra = _body_function(gen, body, functions, "body")
        b = _names("b", len(extra))
        src = SourceBuilder(depth=1)
        stacks = [(r[m], c_avals[j]) for m, j in enumerate(p["residuals"])]
        for name, aval in list(zip(y, y_avals)) + stacks:
            src.line(f"{name} = np.empty({returned([str(n), *map(str, aval.shape)])}, "
                     f"{np_dtype(aval.dtype)})")
        steps = f"range({n} - 1, -1, -1)" if p["reverse"] else f"range({n})"
        t = _names("t", ny)
        with src.block(f"for i in {steps}:"):
            for (name, aval), j in zip(stacks, p["residuals"]):
                src.line(_store(name, aval, "i", c[j]))
            rows = [_row(xi, a, "i") for xi, a in zip(x, x_avals)]
            src.line(f"{returned(c + t)} = {bname}({', '.join(k + c + rows + b)})")
            for yi, ti, aval in zip(y, t, y_avals):
                src.line(_store(yi, aval, "i", ti))
        src.line(f"return {returned(c + y + r)}")
        return src, k + c + x + b, extra

    _emit(gen, eqn, build)


@cpu_rule(while_p)
def _while(gen, eqn):
    p = eqn.params
    cond, body, ncc = p["cond"], p["body"], p["cond_consts"]
    nc = len(body.outvars)
    nb = len(body.invars) - nc
    kc, kb, c = _names("q", ncc), _names("k", nb), _names("c", nc)

    def build(functions):
        cname, cextra = _body_function(gen, cond, functions, "cond")
        bname, bextra = _body_function(gen, body, functions, "body")
        a, b = _names("a", len(cextra)), _names("b", len(bextra))
        src = SourceBuilder(depth=1)
        with src.block(f"while {cname}({', '.join(kc + c + a)})[0][0]:"):
            src.line(f"{returned(c)} = {bname}({', '.join(kb + c + b)})")
        src.line(f"return {returned(c)}")
        return src, kc + kb + c + a + b, cextra + bextra

    _emit(gen, eqn, build)


@cpu_rule(cond_p)
def _cond(gen, eqn):
    p = eqn.params
    ops = _names("o", len(p["true"].invars))

    def build(functions):
        tname, textra = _body_function(gen, p["true"], functions, "then")
        fname, fextra = _body_function(gen, p["false"], functions, "else")
        a, b = _names("a", len(textra)), _names("b", len(fextra))
        src = SourceBuilder(depth=1)
        with src.block("if pred[0]:"):
            src.line(f"return {tname}({', '.join(ops + a)})")
        src.line(f"return {fname}({', '.join(ops + b)})")
        return src, ["pred"] + ops + a + b, textra + fextra

    _emit(gen, eqn, build)
