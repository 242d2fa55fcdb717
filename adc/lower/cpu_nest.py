"""The CPU side of a fused loop nest (nest.NestEmitter): axis 0 runs as a `prange` loop when
large; reductions over it accumulate into per-thread private arrays combined after the loop,
so no two threads write one element.

Stage: lower. Invariant: arrays are allocated in the generated function's prologue, before
any loop of the nest reads or updates them.
"""
from __future__ import annotations

import numba

from kernels.cpu.reduce import KINDS

from .nest import UPDATE, Block, NestEmitter, np_dtype, own_index, storage


class CpuNestEmitter(NestEmitter):
    def __init__(self, gen, nest, parallel: bool):
        super().__init__(gen, nest, parallel)
        self.prologue: list = []
        self.epilogue: list = []
        self.parallel_blocks: list = []  # prange loops; they need `tid` if privates exist

    def parallel_loop(self) -> Block:
        block = Block(f"for i0 in prange({self.shape[0]}):")
        self.parallel_blocks.append(block)
        return block

    def alloc(self, var, init=None) -> None:
        aval = var.aval
        dtype = np_dtype(aval.dtype)
        if init is None:
            self.prologue.append(f"{self.array(var)} = np.empty({storage(aval.shape)}, {dtype})")
        else:
            self.prologue.append(f"{self.array(var)} = np.full({storage(aval.shape)}, {init}, "
                                 f"{dtype})")
        self.gen.contiguous.add(var)

    def scalar_accumulator_ok(self, kind: str, crosses: bool) -> bool:
        return not (crosses and kind in ("max", "min"))  # prange reduces only sums, products

    def store_accumulator(self, var, acc: str, kind: str, crosses: bool) -> list:
        self.alloc(var)
        return [f"{self.array(var)}[{own_index(var.aval.shape)}] = {acc}"]

    def crossing_update(self, out, kind: str, idx: str, value: str, init: str) -> str:
        private = self.gen.names.fresh("priv")
        dtype = np_dtype(out.aval.dtype)
        # get_thread_id() < NUMBA_NUM_THREADS; get_num_threads() would defeat caching.
        self.prologue.append(f"{private} = np.full(({numba.config.NUMBA_NUM_THREADS},) + "
                             f"{storage(out.aval.shape)}, {init}, {dtype})")
        self.epilogue.append(f"{self.array(out)} = combine({private}, {KINDS[kind]})")
        self.gen.contiguous.add(out)
        return UPDATE[kind].format(t=f"{private}[tid, {idx}]", v=value)

    def render(self, src) -> None:
        if self.epilogue:  # private accumulators are indexed by thread
            for block in self.parallel_blocks:
                block.items.insert(0, "tid = get_thread_id()")
        for line in self.prologue:
            src.line(line)
        self.root.render(src)
        for line in self.epilogue:
            src.line(line)
