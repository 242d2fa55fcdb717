"""Code generation for one fused loop nest on the CPU (see fuse.Nest for the invariants).

Stage: lower. Invariants: a scalar is used only inside the loop block that computed it (or
blocks nested in it); a consumer outside that scope recomputes an elementwise value (cheap)
or reads a reduction result from an array stored once when its loop completed. Loops over
axis 0 run in parallel (prange) when large; reductions over the parallel axis accumulate into
per-thread private arrays combined after the loop, so no two threads write one element.
"""
from __future__ import annotations

import numba
import numpy as np

from kernels.cpu.reduce import KINDS

from ..prims.shape import pad_p
from .fuse import REDUCTIONS, depth, is_alias_reshape, is_scalar_reduction, varying
from .scalar import literal

_INIT = {"sum": 0, "prod": 1, "max": -np.inf, "min": np.inf}
_UPDATE = {"sum": "{t} += {v}", "prod": "{t} *= {v}", "max": "{t} = maximum({t}, {v})",
           "min": "{t} = minimum({t}, {v})"}


class Block:
    def __init__(self, header: str | None):
        self.header = header
        self.items: list = []

    def render(self, src) -> None:
        for item in self.items:
            if isinstance(item, Block):
                with src.block(item.header):
                    item.render(src)
            else:
                src.line(item)


def storage(shape) -> tuple:
    """Storage shape in generated code: 0-d values live in 1-element arrays."""
    return tuple(shape) if shape else (1,)


def np_dtype(dtype) -> str:
    return "np.bool_" if np.dtype(dtype) == np.bool_ else f"np.{np.dtype(dtype).name}"


def own_index(shape) -> str:
    """Index of a value of `shape` embedded left-aligned in the nest."""
    return ", ".join(f"i{k}" if d != 1 else "0" for k, d in enumerate(shape)) or "0"


class NestEmitter:
    def __init__(self, gen, nest, parallel_min_size: int):
        self.gen, self.nest, self.shape = gen, nest, nest.shape
        size = int(np.prod(self.shape, dtype=np.int64)) if self.shape else 1
        self.parallel = bool(self.shape) and self.shape[0] > 1 and size >= parallel_min_size
        self.prologue: list = []
        self.root = Block(None)
        self.chain = [self.root]
        self.scalars: dict = {}  # var -> (name, block)
        self.defining = {e.outs[0]: e for e in nest.eqns}
        self.reduction_site: dict = {}  # scalar-reduction var -> (parent block, loop block, acc)
        self.stored: set = set()
        self.epilogue: list = []
        self.parallel_blocks: list = []  # prange loops; they need `tid` if privates exist

    # ---- loops ----
    def ensure_depth(self, d: int) -> None:
        while len(self.chain) - 1 > d:
            self.chain.pop()
        while len(self.chain) - 1 < d:
            k = len(self.chain) - 1
            rng = "prange" if self.parallel and k == 0 else "range"
            block = Block(f"for i{k} in {rng}({self.shape[k]}):")
            if self.parallel and k == 0:
                self.parallel_blocks.append(block)
            self.chain[-1].items.append(block)
            self.chain.append(block)

    # ---- values ----
    def array(self, var) -> str:
        return self.gen.arr(var)

    def alloc(self, var, init=None) -> None:
        aval = var.aval
        dtype = np_dtype(aval.dtype)
        if init is None:
            self.prologue.append(f"{self.array(var)} = np.empty({storage(aval.shape)}, {dtype})")
        else:
            self.prologue.append(f"{self.array(var)} = np.full({storage(aval.shape)}, {init}, "
                                 f"{dtype})")
        self.gen.contiguous.add(var)

    def operand(self, var, consumer_shape) -> str:
        if var in self.scalars:
            name, block = self.scalars[var]
            if block in self.chain:
                return name
            if var in self.reduction_site:
                self.store_reduction(var)
                return f"{self.array(var)}[{own_index(var.aval.shape)}]"
            return self.emit_scalar(self.defining[var], recompute=True)
        lit = self.gen.const_literal(var)
        if lit is not None:
            return lit
        u = var.aval.shape
        offset = len(consumer_shape) - len(u)
        idx = ", ".join("0" if d == 1 else f"i{offset + j}" for j, d in enumerate(u)) or "0"
        return f"{self.array(var)}[{idx}]"

    def store_reduction(self, var) -> None:
        if var in self.stored:
            return
        self.stored.add(var)
        parent, loop, acc = self.reduction_site[var]
        self.alloc(var)
        at = parent.items.index(loop) + 1 if loop is not None else len(parent.items)
        parent.items.insert(at, f"{self.array(var)}[{own_index(var.aval.shape)}] = {acc}")

    # ---- equations ----
    def emit(self) -> None:
        for var in self.nest.stores:
            if var in self.defining and self.defining[var].prim not in REDUCTIONS:
                self.alloc(var)
        for eqn in self.nest.eqns:
            if eqn.prim in REDUCTIONS:
                self.emit_reduction(eqn)
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
            self.ensure_depth(max([depth(shape)] + [self.scalar_depth(v) for v in eqn.ins]))
        if eqn.prim is pad_p:
            expr = self.pad_expr(eqn)
        else:
            args = [self.operand(v, shape) for v in eqn.ins]
            expr = args[0] if is_alias_reshape(eqn) else self.gen.scalar(eqn, args)
        name = self.gen.names.fresh("s")
        block = self.chain[-1]
        block.items.append(f"{name} = {expr}")
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

    def scalar_depth(self, var) -> int:
        if var in self.reduction_site or var not in self.scalars:
            return 0
        return depth(var.aval.shape)

    def emit_reduction(self, eqn) -> None:
        x, out = eqn.ins[0], eqn.outs[0]
        u, axes, kind = x.aval.shape, eqn.params["axes"], REDUCTIONS[eqn.prim]
        init = literal(_INIT[kind], out.aval.dtype)
        kept = [k for k in varying(u) if k not in axes]
        e = kept[-1] + 1 if kept else 0
        scalar = is_scalar_reduction(eqn) and not (e == 0 and self.parallel and
                                                   kind in ("max", "min"))
        d_in = depth(u)
        self.ensure_depth(max(d_in, e))
        value = self.operand(x, u)
        if scalar:
            acc = self.gen.names.fresh("acc")
            parent = self.chain[e]
            loop = self.chain[e + 1] if d_in > e else None
            parent.items.insert(parent.items.index(loop) if loop else len(parent.items),
                                f"{acc} = {init}")
            self.chain[-1].items.append(_UPDATE[kind].format(t=acc, v=value))
            self.scalars[out] = (acc, parent)
            self.reduction_site[out] = (parent, loop, acc)
            return
        idx = ", ".join(f"i{k}" if u[k] != 1 else "0" for k in range(len(u))
                        if k not in axes) or "0"
        if self.parallel and 0 in axes and u[0] > 1:
            private = self.gen.names.fresh("priv")
            dtype = np_dtype(out.aval.dtype)
            # get_thread_id() < NUMBA_NUM_THREADS; get_num_threads() would defeat caching.
            self.prologue.append(f"{private} = np.full(({numba.config.NUMBA_NUM_THREADS},) + "
                                 f"{storage(out.aval.shape)}, {init}, {dtype})")
            target = f"{private}[tid, {idx}]"
            self.epilogue.append(f"{self.array(out)} = combine({private}, {KINDS[kind]})")
            self.gen.contiguous.add(out)
        else:
            self.alloc(out, init)
            target = f"{self.array(out)}[{idx}]"
        self.chain[-1].items.append(_UPDATE[kind].format(t=target, v=value))

    def render(self, src) -> None:
        if self.epilogue:  # private accumulators are indexed by thread
            for block in self.parallel_blocks:
                block.items.insert(0, "tid = get_thread_id()")
        for line in self.prologue:
            src.line(line)
        self.root.render(src)
        for line in self.epilogue:
            src.line(line)

