"""The CUDA side of a fused loop nest (nest.NestEmitter): one kernel per nest, its threads
striding over axis 0 (grid-stride loop) with the other axes serial in each thread.

Stage: lower. Invariants: arrays are allocated (and filled with a reduction's identity) by the
host launcher before the kernel starts; a reduction over axis 0 that completes in the nest
keeps one accumulator per thread, combined by a shared-memory tree per block and one atomic
per block; one that keeps other axes updates its element with an atomic. No atomic multiply
exists and a float atomic max/min may drop a NaN, so a product, or a float max/min, over
axis 0 runs in one block (complete reduction) or one thread (kept axes): slower, never racy,
NaN-propagating.
"""
from __future__ import annotations

import numpy as np

from ...kernels.cuda.launch import THREADS
from ...kernels.cuda.reduce import KINDS

from ..nest import UPDATE, Block, NestEmitter, identity, np_dtype, own_index

_ATOMIC = {"sum": "add", "max": "max", "min": "min"}


def _atomic_ok(kind: str, dtype) -> bool:
    """Whether an atomic commits this reduction exactly: there is no atomic multiply, and
    numba's float atomic max/min may drop a NaN (its simulator does), where numpy's max/min
    propagate it."""
    return kind == "sum" or (kind in ("max", "min") and np.dtype(dtype).kind != "f")


class CudaNestEmitter(NestEmitter):
    def __init__(self, gen, nest):
        super().__init__(gen, nest, parallel=True)
        self.threads = "grid"  # or "block" (a single block) or "one" (a single thread)

    def parallel_loop(self) -> Block:
        return Block(f"for i0 in range(cuda.grid(1), {self.shape[0]}, cuda.gridsize(1)):")

    def alloc(self, var, init=None) -> None:
        self.gen.allocate(var, init)

    def scalar_accumulator_ok(self, kind: str, crosses: bool) -> bool:
        return True

    def store_accumulator(self, var, acc: str, kind: str, crosses: bool) -> list:
        target = f"{self.array(var)}[{own_index(var.aval.shape)}]"
        if not crosses:
            self.alloc(var)
            return [f"{target} = {acc}"]
        result = self.gen.names.fresh("r")
        shared = f"cuda.shared.array({THREADS}, {np_dtype(var.aval.dtype)})"
        commit = Block("if cuda.threadIdx.x == 0:")
        if not _atomic_ok(kind, var.aval.dtype):
            self.threads = "block" if self.threads == "grid" else self.threads
            self.alloc(var)
            commit.items.append(f"{target} = {result}")
        else:
            self.alloc(var, identity(kind, var.aval.dtype))
            commit.items.append(self.atomic(var, kind, own_index(var.aval.shape), result))
        return [f"{result} = block_reduce({shared}, {acc}, {KINDS[kind]})", commit]

    def crossing_update(self, out, kind: str, idx: str, value: str, init: str) -> str:
        self.alloc(out, init)
        if not _atomic_ok(kind, out.aval.dtype):
            self.threads = "one"
            return UPDATE[kind].format(t=f"{self.array(out)}[{idx}]", v=value)
        return self.atomic(out, kind, idx, value)

    def atomic(self, var, kind: str, idx: str, value: str) -> str:
        index = f"({idx})" if "," in idx else idx  # numba-cuda takes no 1-tuple for 1-D arrays
        return f"cuda.atomic.{_ATOMIC[kind]}({self.array(var)}, {index}, {value})"

    def render(self, src) -> None:
        self.render_items(self.root, src)
