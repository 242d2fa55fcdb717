"""The CPU side of a fused loop nest (nest.NestEmitter): axis 0 runs as a `prange` loop when
large; reductions and scatter-adds over it accumulate into per-thread private arrays combined
right after the loop, so no two threads write one element. A parallel loop that updates
private arrays runs over a few chunks of axis 0 per thread, reading the thread's id once per
chunk: an id read per element is a call that keeps the loop from vectorizing, and a chunk lets
LLVM keep a private accumulator in a register instead of storing it per element into a cache
line the other threads' accumulators share.

Stage: lower. Invariant: arrays are allocated in the generated function's prologue, before
any loop of the nest reads or updates them.
"""
from __future__ import annotations

import contextlib

import numba
import numpy as np

from ...kernels.cpu.reduce import KINDS

from ..debug import empty
from ..nest import UPDATE, Accumulate, Assign, Block, NestEmitter, np_dtype, own_index

STRIP = 256  # elements per chunk of a strip-mined reduction loop
# A scatter-add across the parallel axis updates per-thread copies of its output, filled and
# combined serially: worth it while they hold at most this many times the updates' elements;
# beyond that the nest runs serially.
PRIVATE_SCATTER_MAX = 8
CHUNKS_PER_THREAD = 4  # chunks of a parallel loop with private arrays, per thread: balance


def _privates_too_large(eqn) -> bool:
    return (eqn.prim.indexed == "scatter" and eqn.params["axis"] == 0
            and numba.config.NUMBA_NUM_THREADS * eqn.outs[0].aval.size
            > PRIVATE_SCATTER_MAX * eqn.ins[1].aval.size)


class CpuNestEmitter(NestEmitter):
    def __init__(self, gen, nest, parallel: bool):
        super().__init__(gen, nest, parallel and not any(map(_privates_too_large, nest.eqns)))
        self.prologue: list = []
        self.parallel_blocks: list = []  # prange loops
        self.private_blocks: list = []  # the prange loops updating per-thread arrays

    def parallel_loop(self) -> Block:
        block = Block(f"for i0 in prange({self.extents[0]}):",
                      ("i0", self.shape[0], self.extents[0]))
        self.parallel_blocks.append(block)
        return block

    def alloc(self, var, init=None) -> None:
        aval = var.aval
        dtype = np_dtype(aval.dtype)
        if init is None:
            self.prologue.append(f"{self.array(var)} = {empty(self.shape_text(var), aval.dtype)}")
        else:
            self.prologue.append(f"{self.array(var)} = np.full({self.shape_text(var)}, {init}, "
                                 f"{dtype})")
        self.gen.contiguous.add(var)

    def accumulator_dtype(self, kind: str, dtype) -> np.dtype:
        """float32 sums and products accumulate in float64: adding n values one by one in
        float32 loses about n * 6e-8 relative (1e-5 for a batch norm's mean over 64x32x32),
        where torch's and numpy's blocked/pairwise sums lose about log(n) * 6e-8."""
        dtype = np.dtype(dtype)
        if kind in ("sum", "prod") and dtype.kind == "f" and dtype.itemsize < 8:
            return np.dtype(np.float64)
        return dtype

    def scalar_accumulator_ok(self, kind: str, crosses: bool) -> bool:
        return not (crosses and kind in ("max", "min"))  # prange reduces only sums, products

    def store_accumulator(self, var, acc: str, kind: str, crosses: bool) -> list:
        self.alloc(var)
        return [f"{self.array(var)}[{own_index(var.aval.shape)}] = {acc}"]

    def crossing_update(self, out, kind: str, idx: str, value: str, init: str) -> str:
        private = self.gen.names.fresh("priv")
        acc_dtype = self.accumulator_dtype(kind, out.aval.dtype)
        dtype = np_dtype(acc_dtype)
        # get_thread_id() < NUMBA_NUM_THREADS; get_num_threads() would defeat caching.
        self.prologue.append(f"{private} = np.full(({numba.config.NUMBA_NUM_THREADS},) + "
                             f"{self.shape_text(out)}, {init}, {dtype})")
        # combined right after the parallel loop: a consumer in the nest may read it next
        loop = self.chain[1]
        combined = f"combine({private}, {KINDS[kind]})"
        if acc_dtype != out.aval.dtype:
            combined += f".astype({np_dtype(out.aval.dtype)})"
        self.root.items.insert(self.root.items.index(loop) + 1,
                               f"{self.array(out)} = {combined}")
        if not any(b is loop for b in self.private_blocks):
            self.private_blocks.append(loop)
        self.gen.contiguous.add(out)
        return UPDATE[kind].format(t=f"{private}[tid, {idx}]", v=value)

    def render(self, src) -> None:
        for line in self.prologue:
            src.line(line)
        self.render_items(self.root, src)

    def render_block(self, block: Block, src) -> None:
        """A serial loop whose sums or products accumulate values computed with exp/log/sin/
        cos runs strip-mined: a chunk of values goes to a small buffer in a loop free of
        carried updates (it vectorizes, with kernels/vecmath.py), indexed from 0 (an offset
        index kept it from vectorizing), then the buffer is added up: a sum by `strip_sum`'s
        interleaved partial sums, other reductions in order."""
        accumulates = [it for it in block.items if isinstance(it, Accumulate)]
        private = any(b is block for b in self.private_blocks)
        if (block.loop is None or not accumulates or block.array_carried
                or any(isinstance(it, Block) for it in block.items)  # only innermost loops
                or not any(isinstance(it, Assign) and it.calls_math for it in block.items)):
            return (self._render_chunked(block, src) if private
                    else super().render_block(block, src))
        index, extent, text = block.loop
        parallel = block in self.parallel_blocks
        chunked = extent > STRIP or parallel
        literal = text == str(extent)  # else the kernel takes the extent as an argument
        size = min(extent, STRIP) if literal else STRIP if chunked else text
        buffers = [self.gen.names.fresh("buf") for _ in accumulates]
        allocs = [f"{buf} = np.empty({size}, {acc.dtype})"
                  for buf, acc in zip(buffers, accumulates)]
        slot = self.gen.names.fresh("j")
        if not chunked:
            chunks, count, start = contextlib.nullcontext(), text, None
        else:
            chunk, start, count = (self.gen.names.fresh(p) for p in ("c", "lo", "m"))
            chunks = src.block(f"for {chunk} in {'prange' if parallel else 'range'}("
                               + (f"{-(-extent // STRIP)}" if literal
                                  else f"-(-{text} // {STRIP})") + "):")
        if not parallel:
            for line in allocs:
                src.line(line)
        with chunks:
            if private:
                src.line("tid = get_thread_id()")
            if parallel:  # one buffer per chunk: chunks run on different threads
                for line in allocs:
                    src.line(line)
            if chunked:
                src.line(f"{start} = {chunk} * {STRIP}")
                src.line(f"{count} = min({STRIP}, {text} - {start})")
            with src.block(f"for {slot} in range({count}):"):
                src.line(f"{index} = {slot}" if start is None else f"{index} = {start} + {slot}")
                for item in block.items:
                    if isinstance(item, Accumulate):
                        src.line(f"{buffers[accumulates.index(item)]}[{slot}] = {item.value}")
                    else:
                        src.line(item.line() if isinstance(item, Assign) else item)
            for buf, acc in zip(buffers, accumulates):
                if acc.kind == "sum":
                    src.line(acc.line(f"strip_sum({buf}, {count})"))
                    continue
                with src.block(f"for {slot} in range({count}):"):
                    src.line(acc.line(f"{buf}[{slot}]"))

    def _render_chunked(self, block: Block, src) -> None:
        """A parallel loop updating private arrays, as a prange over chunks of axis 0."""
        index, _, text = block.loop
        count, chunk = self.gen.names.fresh("n"), self.gen.names.fresh("c")
        src.line(f"{count} = min({text}, {CHUNKS_PER_THREAD * numba.config.NUMBA_NUM_THREADS})")
        with src.block(f"for {chunk} in prange({count}):"):
            src.line("tid = get_thread_id()")
            with src.block(f"for {index} in range({chunk} * {text} // {count}, "
                           f"({chunk} + 1) * {text} // {count}):"):
                self.render_items(block, src)
