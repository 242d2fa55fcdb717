"""Code generation for one fused loop nest (see fuse.Nest for the invariants), shared by the
CPU and CUDA code generators; a target subclass says how the parallel axis is looped, where
arrays are allocated and how a reduction across the parallel axis combines.

Stage: lower. Invariants: a scalar is used only inside the loop block that computed it (or
blocks nested in it); a consumer outside that scope recomputes an elementwise value (cheap)
or reads a reduction result from an array stored once when its loop completed. Only axis 0
runs in parallel; every other axis is a serial loop inside one parallel iteration, so an
update is a race only when it reduces over axis 0 (`crosses`).
"""
from __future__ import annotations

import functools

import numpy as np

from ..prims import shape as SH
from ..prims.select import convert_p, stop_gradient_p, where_p
from .fuse import (REMAT_MAX_EQNS, accumulates, depth, is_alias_reshape,
                   is_scalar_reduction, varying)
from .scalar import elementwise_expr, literal
from .source import returned

INIT = {"sum": 0, "prod": 1, "max": -np.inf, "min": np.inf}
UPDATE = {"sum": "{t} += {v}", "prod": "{t} *= {v}", "max": "{t} = maximum({t}, {v})",
          "min": "{t} = minimum({t}, {v})"}


def identity(kind: str, dtype) -> str:
    """The literal a `kind` reduction of `dtype` starts from (integers have no infinity)."""
    dtype = np.dtype(dtype)
    if kind in ("max", "min") and dtype.kind in "biu":
        info = np.iinfo(dtype) if dtype.kind != "b" else None
        value = (info.min if info else False) if kind == "max" else (info.max if info else True)
        return literal(value, dtype)
    return literal(INIT[kind], dtype)


class Block:
    def __init__(self, header: str | None, loop: tuple | None = None):
        self.header = header
        self.loop = loop  # (index name, extent, extent's source text) of a serial loop
        self.items: list = []  # str lines, Accumulate updates and nested Blocks
        self.carries_reduction = False  # some update reads what the previous iteration wrote
        self.array_carried = False  # ... an array element (not an Accumulate)


class Assign:
    """`name = <expression>` for one scalar, printed when its block is rendered: `expr(libm)`
    gives the expression with exp/log/sin/cos as the target binds them (kernels.scalar.MATH)
    or, with libm=True, as math.*. A loop carrying a floating-point reduction cannot vectorize
    without reassociation, and there the scalar libm functions are faster than the
    vectorizable ones, so its own lines print with libm=True."""

    def __init__(self, name: str, expr):
        self.name = name
        self._expr = functools.lru_cache(maxsize=2)(expr)

    def line(self, libm: bool = False) -> str:
        return f"{self.name} = {self._expr(libm)}"

    @property
    def calls_math(self) -> bool:
        """Whether the expression calls exp/log/sin/cos."""
        return self._expr(True) != self._expr(False)


class Accumulate:
    """`acc <op>= value` on a scalar accumulator, carried from iteration to iteration."""

    def __init__(self, acc: str, kind: str, value: str, dtype: str):
        self.acc, self.kind, self.value, self.dtype = acc, kind, value, dtype

    def line(self, value: str | None = None) -> str:
        return UPDATE[self.kind].format(t=self.acc, v=self.value if value is None else value)


def storage(shape) -> tuple:
    """Storage shape in generated code: 0-d values live in 1-element arrays."""
    return tuple(shape) if shape else (1,)


def np_dtype(dtype) -> str:
    return "np.bool_" if np.dtype(dtype) == np.bool_ else f"np.{np.dtype(dtype).name}"


def scalar_expr(eqn, args, libm: bool = False) -> str:
    """One element of a fusable equation over the scalar expressions `args` (libm: see
    Assign)."""
    prim = eqn.prim
    if prim is where_p:
        return f"({args[1]} if {args[0]} else {args[2]})"
    if prim is convert_p:
        dtype = np.dtype(eqn.params["dtype"])
        return f"({args[0]} != 0)" if dtype == np.bool_ else f"{np_dtype(dtype)}({args[0]})"
    if prim in (stop_gradient_p, SH.broadcast_to_p):
        return args[0]
    return elementwise_expr(prim, eqn.params, args, eqn.ins[0].aval.dtype, libm)


def const_literal(graph, var):
    """A literal for a size-1 constant of the graph (inlined into loop bodies), else None."""
    value = graph.consts.get(var)
    if value is not None and np.size(value) == 1:
        return literal(value, var.aval.dtype)
    return None


def own_index(shape) -> str:
    """Index of a value of `shape` embedded left-aligned in the nest."""
    return ", ".join(f"i{k}" if d != 1 else "0" for k, d in enumerate(shape)) or "0"


class NestEmitter:
    """The target-independent part; subclasses implement the hooks at the end."""

    def __init__(self, gen, nest, parallel: bool):
        self.gen, self.nest, self.shape = gen, nest, nest.shape
        self.extents = gen.extents(nest)  # source text of each axis' length
        self.parallel = parallel and bool(self.shape) and self.shape[0] > 1
        self.root = Block(None)
        self.chain = [self.root]
        self.scalars: dict = {}  # var -> (name, block)
        self.defining = {e.outs[0]: e for e in nest.eqns}
        # scalar-reduction var -> (parent block, loop block, accumulator, kind, crosses)
        self.reduction_site: dict = {}
        self.stored: set = set()
        self.recomputed: dict = {}  # var -> (name, block) of its latest recomputation
        self.crossing: dict = {}  # reduction over the parallel axis 0 -> its parallel loop

    # ---- loops ----
    def ensure_depth(self, d: int) -> None:
        while len(self.chain) - 1 > d:
            self.chain.pop()
        while len(self.chain) - 1 < d:
            k = len(self.chain) - 1
            if self.parallel and k == 0:
                block = self.parallel_loop()
            else:
                block = Block(f"for i{k} in range({self.extents[k]}):",
                              (f"i{k}", self.shape[k], self.extents[k]))
            self.chain[-1].items.append(block)
            self.chain.append(block)

    # ---- values ----
    def array(self, var) -> str:
        return self.gen.arr(var)

    def operand(self, var, consumer_shape) -> str:
        if var in self.scalars:
            name, block = self.scalars[var]
            if block in self.chain:
                return name
            if var in self.reduction_site:
                self.store_reduction(var)
                return f"{self.array(var)}[{own_index(var.aval.shape)}]"
            hit = self.recomputed.get(var)
            if hit is not None and hit[1] in self.chain:
                return hit[0]
            if var in self.nest.stores or self.recompute_cost(var) > REMAT_MAX_EQNS:
                self.store_scalar(var)
                return f"{self.array(var)}[{own_index(var.aval.shape)}]"
            name = self.emit_scalar(self.defining[var], recompute=True)
            self.recomputed[var] = (name, self.chain[-1])
            return name
        lit = self.gen.literal(var)
        if lit is not None:
            return lit
        u = var.aval.shape
        offset = len(consumer_shape) - len(u)
        idx = ", ".join("0" if d == 1 else f"i{offset + j}" for j, d in enumerate(u)) or "0"
        return f"{self.array(var)}[{idx}]"

    def shape_text(self, var) -> str:
        """Source text of the storage shape of `var`, a value computed in the nest: each axis
        of length > 1 is the nest axis it runs along (a reduction's result keeps the axes of
        its input it did not reduce), so it reads that axis' extent."""
        shape = var.aval.shape
        eqn = self.defining.get(var)
        axes = range(len(shape))
        if eqn is not None and eqn.prim.reduction and len(shape) < eqn.ins[0].aval.ndim:
            axes = [k for k in range(eqn.ins[0].aval.ndim) if k not in eqn.params["axes"]]
        if eqn is not None and eqn.prim.indexed == "scatter":  # the indexed axis: its size
            axis, k = eqn.params["axis"], eqn.ins[0].aval.ndim
            axes = [*range(axis), None, *range(axis + k, eqn.ins[1].aval.ndim)]
        dims = [str(d) if k is None else self.extents[k] if d != 1 else "1"
                for d, k in zip(shape, axes)] or ["1"]
        return returned(dims)

    def recompute_cost(self, var) -> int:
        """How many equations recomputing the out-of-scope scalar `var` would emit."""
        seen, stack = set(), [var]
        while stack:
            v = stack.pop()
            if v in seen or v not in self.scalars or self.scalars[v][1] in self.chain \
                    or v in self.reduction_site or v in self.nest.stores:
                continue
            hit = self.recomputed.get(v)
            if hit is not None and hit[1] in self.chain:
                continue
            seen.add(v)
            if len(seen) > REMAT_MAX_EQNS:
                break
            stack.extend(self.defining[v].ins)
        return len(seen)

    def store_scalar(self, var) -> None:
        """Store an elementwise scalar where it was computed, for consumers out of its scope
        (instead of recomputing a long chain, whose size would grow with every use)."""
        if var in self.stored:
            return
        self.stored.add(var)
        name, block = self.scalars[var]
        if var not in self.nest.stores:  # (stored ones are written where they are computed)
            self.alloc(var)
            at = next(k for k, item in enumerate(block.items)
                      if isinstance(item, Assign) and item.name == name)
            block.items.insert(at + 1, f"{self.array(var)}[{own_index(var.aval.shape)}] = {name}")

    def store_reduction(self, var) -> None:
        if var in self.stored:
            return
        self.stored.add(var)
        parent, loop, acc, kind, crosses = self.reduction_site[var]
        at = parent.items.index(loop) + 1 if loop is not None else len(parent.items)
        parent.items[at:at] = self.store_accumulator(var, acc, kind, crosses)

    # ---- equations ----
    def emit(self) -> None:
        for var in self.nest.stores:
            if var in self.defining and not accumulates(self.defining[var]):
                self.alloc(var)
        for eqn in self.nest.eqns:
            if eqn.prim.reduction:
                self.emit_reduction(eqn)
            elif eqn.prim.indexed == "scatter":
                self.emit_scatter(eqn)
            else:
                self.emit_scalar(eqn)
        for var in self.nest.stores:
            if var in self.reduction_site:
                self.store_reduction(var)

    def emit_scalar(self, eqn, recompute: bool = False) -> str:
        out = eqn.outs[0]
        shape = out.aval.shape
        if not recompute:
            for v in eqn.ins:  # a reduction result is usable once its loop has closed
                site = self.reduction_site.get(v)
                if site is not None and site[1] in self.chain:
                    self.ensure_depth(self.chain.index(site[0]))
                if self.crossing.get(v) in self.chain:
                    self.ensure_depth(0)
            self.ensure_depth(max([depth(shape)] + [self.scalar_depth(v) for v in eqn.ins]))
        if eqn.prim is SH.pad_p or eqn.prim.indexed == "gather":
            text = self.pad_expr(eqn) if eqn.prim is SH.pad_p else self.gather_expr(eqn)
            expr = lambda libm: text  # noqa: E731 (reads arrays only: no math calls)
        else:
            args = [self.operand(v, shape) for v in eqn.ins]
            expr = ((lambda libm: args[0]) if is_alias_reshape(eqn)
                    else functools.partial(scalar_expr, eqn, args))
        name = self.gen.names.fresh("s")
        block = self.chain[-1]
        block.items.append(Assign(name, expr))
        if not recompute:
            self.scalars[out] = (name, block)
            if out in self.nest.stores:
                block.items.append(f"{self.array(out)}[{own_index(shape)}] = {name}")
        return name

    def pad_expr(self, eqn) -> str:
        """One element of a constant pad: the input at the shifted position, or the value."""
        x, value = eqn.ins
        p = eqn.params
        conds, idx = [], []
        for k, (n, lo, it) in enumerate(zip(x.aval.shape, p["lo"], p["interior"])):
            i = f"i{k}" if eqn.outs[0].aval.shape[k] != 1 else "0"
            conds.append(f"{lo} <= {i} <= {lo + (n - 1) * (it + 1)}")
            if it:
                conds.append(f"({i} - {lo}) % {it + 1} == 0")
            idx.append(f"({i} - {lo}) // {it + 1}" if it else f"{i} - {lo}")
        fill = self.operand(value, ())
        if not conds:
            return f"{self.array(x)}[0]"
        return (f"({self.array(x)}[{', '.join(idx)}] if {' and '.join(conds)} else {fill})")

    def indexed_position(self, eqn, shape) -> str:
        """The position a gather reads or a scatter updates, for the element of its iteration
        `shape` (the gather's output, the scatter's updates) at i0, i1, ...: those indices,
        with the index array's axes (from params["axis"]) replaced by the index read there."""
        idx = eqn.ins[1] if eqn.prim.indexed == "gather" else eqn.ins[0]
        axis, k = eqn.params["axis"], idx.aval.ndim
        if idx in self.scalars or idx.aval.size == 1:  # computed here, left-aligned (fuse)
            where = self.operand(idx, idx.aval.shape)
        else:
            at = ", ".join("0" if d == 1 else f"i{axis + j}"
                           for j, d in enumerate(idx.aval.shape))
            where = f"{self.array(idx)}[{at or '0'}]"
        own = ["0" if d == 1 else f"i{j}" for j, d in enumerate(shape)]
        return ", ".join(own[:axis] + [where] + own[axis + k:])

    def gather_expr(self, eqn) -> str:
        """One element of take(x, idx): x read at the indexed position (indices are in range:
        prims.index)."""
        return f"{self.array(eqn.ins[0])}[{self.indexed_position(eqn, eqn.outs[0].aval.shape)}]"

    def emit_scatter(self, eqn) -> None:
        """scatter_add(idx, upd): each update added to the output at its indexed position; two
        updates may hit one element, so across the parallel axis it is a crossing update."""
        upd, out = eqn.ins[1], eqn.outs[0]
        u = upd.aval.shape
        init = identity("sum", self.accumulator_dtype("sum", out.aval.dtype))
        self.ensure_depth(depth(u))
        value = self.operand(upd, u)
        where = self.indexed_position(eqn, u)
        if self.parallel and eqn.params["axis"] == 0 and depth(u):
            line = self.crossing_update(out, "sum", where, value, init)
        else:  # each parallel iteration updates its own elements (or none run in parallel)
            self.alloc(out, identity("sum", out.aval.dtype))
            line = UPDATE["sum"].format(t=f"{self.array(out)}[{where}]", v=value)
        self.chain[-1].items.append(line)
        self.chain[-1].carries_reduction = self.chain[-1].array_carried = True

    def scalar_depth(self, var) -> int:
        if var in self.reduction_site or var not in self.scalars:
            return 0
        return depth(var.aval.shape)

    def emit_reduction(self, eqn) -> None:
        x, out = eqn.ins[0], eqn.outs[0]
        u, axes, kind = x.aval.shape, eqn.params["axes"], eqn.prim.reduction
        init = identity(kind, self.accumulator_dtype(kind, out.aval.dtype))
        kept = [k for k in varying(u) if k not in axes]
        e = kept[-1] + 1 if kept else 0
        crosses = self.parallel and 0 in axes and u[0] > 1
        scalar = is_scalar_reduction(eqn) and self.scalar_accumulator_ok(kind, crosses)
        d_in = depth(u)
        self.ensure_depth(max(d_in, e))
        value = self.operand(x, u)
        if scalar:
            acc = self.gen.names.fresh("acc")
            parent = self.chain[e]
            loop = self.chain[e + 1] if d_in > e else None
            if loop is None:  # every reduced axis has length 1: the one value is the result
                parent.items.append(f"{acc} = {value}")
            else:
                parent.items.insert(parent.items.index(loop), f"{acc} = {init}")
                self.chain[-1].items.append(Accumulate(acc, kind, value,
                                                       np_dtype(out.aval.dtype)))
                self.chain[-1].carries_reduction = True
            self.scalars[out] = (acc, parent)
            self.reduction_site[out] = (parent, loop, acc, kind, crosses)
            return
        idx = ", ".join(f"i{k}" if u[k] != 1 else "0" for k in range(len(u))
                        if k not in axes) or "0"
        if crosses:
            line = self.crossing_update(out, kind, idx, value, init)
            self.crossing[out] = self.chain[1]
        else:
            self.alloc(out, init)
            line = UPDATE[kind].format(t=f"{self.array(out)}[{idx}]", v=value)
        self.chain[-1].items.append(line)
        loop_index = f"i{len(self.chain) - 2}"
        if loop_index not in idx.split(", "):  # the same element updated on every iteration
            self.chain[-1].carries_reduction = self.chain[-1].array_carried = True

    # ---- rendering ----
    def render_items(self, block: Block, src) -> None:
        for item in block.items:
            if isinstance(item, Block):
                self.render_block(item, src)
            elif isinstance(item, Accumulate):
                src.line(item.line())
            elif isinstance(item, Assign):
                src.line(item.line(libm=block.carries_reduction))
            else:
                src.line(item)

    def render_block(self, block: Block, src) -> None:
        with src.block(block.header):
            self.render_items(block, src)

    # ---- target hooks ----
    def accumulator_dtype(self, kind: str, dtype) -> np.dtype:
        """The dtype a `kind` reduction of `dtype` accumulates in (in registers and private
        per-thread arrays; the result is stored in `dtype`)."""
        return np.dtype(dtype)

    def parallel_loop(self) -> Block:
        """The loop block over axis 0 when it runs in parallel."""
        raise NotImplementedError

    def alloc(self, var, init=None) -> None:
        """Allocate var's array before the nest runs, filled with `init` unless it is None."""
        raise NotImplementedError

    def scalar_accumulator_ok(self, kind: str, crosses: bool) -> bool:
        """Whether a reduction completing inside the nest may use a scalar accumulator."""
        raise NotImplementedError

    def store_accumulator(self, var, acc: str, kind: str, crosses: bool) -> list:
        """Allocate var and return the items that store its finished accumulator `acc`."""
        raise NotImplementedError

    def crossing_update(self, out, kind: str, idx: str, value: str, init: str) -> str:
        """Allocate `out` and return the line adding `value` to out[idx] from any thread."""
        raise NotImplementedError
