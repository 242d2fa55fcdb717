"""The CPU target's hooks on the shared code generator: a single njit function whose fused
loops come from cpu.nest and whose other statements come from the @cpu_rule rules.

Stage: lower. Invariants: the whole graph becomes one njit function (no Python loop over
equations at call time); 0-d values are stored as 1-element arrays inside generated code (the
runtime reshapes at the boundary), which keeps Numba's typing uniform; `contiguous` holds the
arrays known to be C-contiguous and `fortran` the transposed matrices BLAS takes as they are.
"""
from __future__ import annotations

import numpy as np

from ..codegen import Codegen, returned
from ..source import SourceBuilder
from .nest import CpuNestEmitter

PARALLEL_MIN_SIZE = 1 << 15  # elements; smaller loops run serially (threading costs more)


class CpuCodegen(Codegen):
    TARGET = "cpu"
    KERNELS = "adc.kernels.cpu"
    IMPORTS = ("from numba import get_thread_id, njit, prange",)

    def __init__(self, graph, fastmath: bool):
        super().__init__(graph, fastmath)
        self.src = SourceBuilder(depth=1)
        self.contiguous = set(graph.invars) | set(graph.consts)
        self.fortran: set = set()  # Fortran-contiguous views (transposed matrices)
        self.parallel = False

    def c(self, var) -> str:
        """The array as C-contiguous (Numba's reshape and BLAS calls need it)."""
        return self.arr(var) if var in self.contiguous else f"np.ascontiguousarray({self.arr(var)})"

    def nest(self, nest) -> None:
        size = int(np.prod(nest.shape, dtype=np.int64))
        emitter = CpuNestEmitter(self, nest, size >= PARALLEL_MIN_SIZE)
        emitter.emit()
        emitter.render(self.src)
        self.parallel |= emitter.parallel

    def finish(self, outvars) -> None:
        self.src.line(f"return {returned([self.arr(v) for v in outvars])}")

    def body(self, params: list) -> str:
        head = SourceBuilder()
        head.line("")
        head.line("")
        head.line(f"@njit(cache=True, nogil=True, parallel={self.parallel}, "
                  f"fastmath={self.fastmath}, error_model='numpy')")
        head.line(f"def kernel({', '.join(params)}):")
        return head.source() + self.src.source()
