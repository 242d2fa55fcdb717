"""The CPU lowering of the control-flow primitives (adc.loops): each body Graph is compiled once,
through the same code generator, as an njit function of its own, and the loop (or the branch)
calling it is generated inline in the whole-graph njit function, or, for a split graph, as the
njit kernel of a module of its own that the driver calls (the loop never runs in Python).

Stage: lower. Invariants: a body function and a loop function are named by the hash of what
they compute, so a loop repeated in a graph is defined once and its source (hence the disk
cache key) does not depend on where it sits; their lengths are literal (a whole function's
number of steps is read from its lengths argument S, so another length finds it compiled); arrays
a body reads
besides its inputs (its constants) are passed down from the graph's code (`loop_consts`); a
loop's carries keep the storage convention (0-d values as 1-element arrays); results that may
be an input (a carry of a loop that ran no step) are marked as aliases.
"""
from __future__ import annotations

import hashlib

from ...ir import graph_key
from ...loops.primitives import cond_p, scan_p, while_p
from ...opt import prepare
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


class _Scope:
    """Where a loop is emitted: inline in the whole-graph njit function (names fresh in it,
    body functions defined in its module, their arrays the graph's loop constants), or as the
    njit function `kernel` of a kernel module of its own for a split graph's driver (names
    local, its arrays parameters after the inputs)."""

    def __init__(self, gen, eqn):
        self.gen, self.inline = gen, not gen.split
        self.functions = gen.functions if self.inline else {}
        self.src = gen.src if self.inline else SourceBuilder(depth=1)
        self._count = 0
        self.params = [] if self.inline else [self.fresh("a") for _ in eqn.ins]
        self.ins = [self._contiguous(v) for v in eqn.ins] if self.inline else list(self.params)
        self.extra: list = []  # the graph's loop constants this loop passes (split)

    def _contiguous(self, var) -> str:
        """`var` as a C-contiguous array, made once before the loop, not at every step."""
        text = self.gen.c(var)
        if text == self.gen.arr(var):
            return text
        name = self.gen.names.fresh("a")
        self.gen.src.line(f"{name} = {text}")
        return name

    def fresh(self, prefix: str) -> str:
        if self.inline:
            return self.gen.names.fresh(prefix)
        self._count += 1
        return f"{prefix}{self._count}"

    def function(self, graph, prefix: str):
        """Define `graph` as an njit function; (its name, the names of the arrays to pass it
        after its inputs, for each output whether it may not be a fresh C-contiguous array)."""
        gen = self.gen
        graph = prepare(graph, gen.TARGET)  # e.g. einsum expanded, as in the calling graph
        name = f"{prefix}_{_digest(graph_key(graph), gen.fastmath)}"
        body = BodyCodegen(graph, gen.fastmath, name)
        source = body.generate()
        self.functions.update(body.functions)
        self.functions[name] = source
        gen.parallel |= body.parallel
        names = []
        for array in body.const_arrays():
            outer = gen.names.fresh("l")
            gen.loop_consts.append((outer, array))
            names.append(outer if self.inline else self.fresh("b"))
            if not self.inline:
                self.extra.append(outer)
                self.params.append(names[-1])
        foreign = [v in body.aliases or v not in body.contiguous for v in graph.outvars]
        return name, names, foreign


def _carry(scope, c, values, foreign) -> None:
    """The carries `c` become `values`; a value that may be a view or another layout is
    copied, so a carry keeps one Numba type (a C-contiguous array of its own) from step to
    step and the body compiles for that type only."""
    copies = [f"{v}.copy()" if f else v for v, f in zip(values, foreign)]
    scope.src.line(f"{returned(c)} = {returned(copies)}")


def _emit(gen, eqn, build) -> None:
    """Emit `eqn` by `build(scope, results)`, which writes into `scope.src` the code leaving
    the loop's results in the names `results`."""
    scope = _Scope(gen, eqn)
    if scope.inline:
        build(scope, [gen.arr(v) for v in eqn.outs])
    else:
        results = [scope.fresh("o") for _ in eqn.outs]
        build(scope, results)
        scope.src.line(f"return {returned(results)}")
        source = (gen.header("for a compiled loop") + "".join(scope.functions.values())
                  + gen.njit_def(False, scope.params) + scope.src.source())
        index = gen.kernel_sources.setdefault(source, len(gen.kernel_sources))
        args = ", ".join([gen.c(v) for v in eqn.ins] + scope.extra)
        gen.src.line(f"{returned([gen.arr(v) for v in eqn.outs])} = nest{index}({args})")
    for v in eqn.outs:
        for x in eqn.ins:
            gen.alias(x, v)
    if eqn.prim is not cond_p:  # a loop's carries are copies or fresh results, its stacks new
        gen.contiguous.update(eqn.outs)


def _row(array: str, aval, index: str) -> str:
    """Row `index` of a stacked array as stored: a 0-d row is a 1-element slice."""
    return f"{array}[{index}:{index} + 1]" if aval.shape == () else f"{array}[{index}]"


def _store(scope, array: str, aval, index: str, value: str) -> None:
    """`array[index] = value`, element by element (SourceBuilder.element_loops)."""
    if aval.shape == ():
        scope.src.line(f"{array}[{index}] = {value}[0]")
        return
    scope.src.element_loops(scope.fresh, aval.shape, lambda js: (
        f"{array}[{', '.join([index, *js])}] = {value}[{', '.join(js)}]"))


@cpu_rule(scan_p)
def _scan(gen, eqn):
    p = eqn.params
    body, nk, nc = p["body"], p["num_consts"], p["num_carry"]
    ny = len(body.outvars) - nc
    y_avals = [v.aval for v in body.outvars[nc:]]
    c_avals = [v.aval for v in body.invars[nk:nk + nc]]
    x_avals = [v.aval for v in body.invars[nk + nc:]]

    def build(scope, results):
        src, ins = scope.src, scope.ins
        n = gen.size(p["length"])  # the whole function reads it from S: one source per body
        bname, extra, foreign = scope.function(body, "body")
        k, init, xs = ins[:nk], ins[nk:nk + nc], ins[nk + nc:]
        c = [scope.fresh("c") for _ in range(nc)]
        y, r = results[nc:nc + ny], results[nc + ny:]
        _carry(scope, c, init, [True] * nc)
        stacks = [(ri, c_avals[j]) for ri, j in zip(r, p["residuals"])]
        for name, aval in list(zip(y, y_avals)) + stacks:
            src.line(f"{name} = np.empty({returned([str(n), *map(str, aval.shape)])}, "
                     f"{np_dtype(aval.dtype)})")
        i, t = scope.fresh("i"), [scope.fresh("t") for _ in range(ny)]
        steps = f"range({n} - 1, -1, -1)" if p["reverse"] else f"range({n})"
        with src.block(f"for {i} in {steps}:"):
            for (name, aval), j in zip(stacks, p["residuals"]):
                _store(scope, name, aval, i, c[j])
            rows = [_row(xi, a, i) for xi, a in zip(xs, x_avals)]
            new = [scope.fresh("n") for _ in range(nc)]
            src.line(f"{returned(new + t)} = {bname}({', '.join(k + c + rows + extra)})")
            for yi, ti, aval in zip(y, t, y_avals):
                _store(scope, yi, aval, i, ti)
            _carry(scope, c, new, foreign[:nc])
        for out, ci in zip(results[:nc], c):
            src.line(f"{out} = {ci}")

    _emit(gen, eqn, build)


@cpu_rule(while_p)
def _while(gen, eqn):
    p = eqn.params
    cond, body, ncc = p["cond"], p["body"], p["cond_consts"]
    nb = len(body.invars) - len(body.outvars)

    def build(scope, results):
        src, ins = scope.src, scope.ins
        cname, cextra, _ = scope.function(cond, "cond")
        bname, bextra, foreign = scope.function(body, "body")
        kc, kb, init = ins[:ncc], ins[ncc:ncc + nb], ins[ncc + nb:]
        c = [scope.fresh("c") for _ in init]
        new = [scope.fresh("n") for _ in init]
        _carry(scope, c, init, [True] * len(init))
        with src.block(f"while {cname}({', '.join(kc + c + cextra)})[0][0]:"):
            src.line(f"{returned(new)} = {bname}({', '.join(kb + c + bextra)})")
            _carry(scope, c, new, foreign)
        for out, ci in zip(results, c):
            src.line(f"{out} = {ci}")

    _emit(gen, eqn, build)


@cpu_rule(cond_p)
def _cond(gen, eqn):
    p = eqn.params

    def build(scope, results):
        src, (pred, *ops) = scope.src, scope.ins
        tname, textra, _ = scope.function(p["true"], "then")
        fname, fextra, _ = scope.function(p["false"], "else")
        with src.block(f"if {pred}[0]:"):
            src.line(f"{returned(results)} = {tname}({', '.join(ops + textra)})")
        with src.block("else:"):
            src.line(f"{returned(results)} = {fname}({', '.join(ops + fextra)})")

    _emit(gen, eqn, build)
