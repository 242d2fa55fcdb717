"""The CPU target's hooks on the shared code generator: njit code whose fused loops come from
cpu.nest and whose other statements come from the @cpu_rule rules, in one of two shapes:
- whole: the graph is one njit function (no Python between its statements; best for small
  graphs, whose one function compiles quickly and whose calls cost one dispatch);
- split: every fused nest is a kernel of its own, one small njit module keyed by the hash of
  its source, and a Python driver calls the kernels and runs the other statements (numpy views
  and adc's kernels). Numba's compile time grows faster than the size of the function, and
  nests that print the same (a repeated layer; forward and gradient) share one compiled and
  cached kernel, so large graphs compile in time proportional to their distinct nests.

Stage: lower. Invariants: 0-d values are stored as 1-element arrays inside generated code (the
runtime reshapes at the boundary), which keeps Numba's typing uniform; `contiguous` holds the
arrays known to be C-contiguous and `fortran` the transposed matrices BLAS takes as they are;
a kernel's source depends only on its nest's body (its names are its own, its parameters
numbered in order of first use), never on where the nest sits in the graph.
"""
from __future__ import annotations

import numpy as np

from ...prims.shape import pad_p
from ..codegen import Codegen
from ..nest import const_literal, storage
from ..source import Names, SourceBuilder, returned
from .nest import CpuNestEmitter

PARALLEL_MIN_SIZE = 1 << 15  # elements; smaller loops run serially (threading costs more)
SPECIALIZE_MAX = 4  # split kernels keep loops this short literal (unrolled: xyz, 3x3 windows)


# Constants that stay literal: LLVM folds them (x * 1.0 is x, x * -1.0 is -x, x * 2.0 is x + x),
# and a gradient seed or a derivative's coefficient is one of them (the pairwise gradient ran
# 15% slower with them as arguments); other float scalars are arguments (see KernelScope).
FOLDED = (0.0, 1.0, -1.0, 2.0, -2.0, 0.5, -0.5)


def constant_argument(graph, var) -> bool:
    """Whether `var` is a size-1 float constant the code takes as an argument, not a literal."""
    value = graph.consts.get(var)
    return (value is not None and np.size(value) == 1 and np.dtype(var.aval.dtype).kind == "f"
            and float(np.asarray(value).reshape(-1)[0]) not in FOLDED)


class KernelScope:
    """The code generator as the emitter of one split-out nest sees it: names of the kernel's
    own; the arrays the nest reads from outside become the kernel's parameters, in order of
    first use, and so do its floating-point scalar constants (passed as scalars) and the
    lengths of its loops longer than SPECIALIZE_MAX (passed after them, in axis order). The
    same layer at another batch size, or with another constant, is then the same kernel."""

    def __init__(self, graph, nest):
        self.graph = graph
        self.names = Names()
        self.contiguous: set = set()
        self.params: list = []
        self.scalars: set = set()  # params passed as scalars (element 0 of the constant)
        self.sizes: list = []  # nest axes whose length is a parameter
        self._made = {e.outs[0] for e in nest.eqns}

    def arr(self, var) -> str:
        if var not in self._made and var not in self.names:
            self.params.append(var)
            return self.names(var, "a")
        return self.names(var)

    def extents(self, nest) -> list:
        # a pad's bounds are literal lengths of its input (they need the axis' true length)
        if not any(e.prim is pad_p for e in nest.eqns):
            self.sizes = [k for k, d in enumerate(nest.shape) if d > SPECIALIZE_MAX]
        return [f"n{k}" if k in self.sizes else str(d) for k, d in enumerate(nest.shape)]

    def literal(self, var):
        if not constant_argument(self.graph, var):
            return const_literal(self.graph, var)
        self.scalars.add(var)
        return self.arr(var)


class CpuCodegen(Codegen):
    TARGET = "cpu"
    KERNELS = "adc.kernels.cpu"
    IMPORTS = ("from numba import get_thread_id, njit, prange",)

    def __init__(self, graph, fastmath: bool, split: bool = False):
        super().__init__(graph, fastmath)
        self.split = split
        self.src = SourceBuilder(depth=2 if split else 1)
        self.contiguous = set(graph.invars) | set(graph.consts)
        self.fortran: set = set()  # Fortran-contiguous views (transposed matrices)
        self.parallel = False
        self.kernel_sources: dict = {}  # split: kernel module source -> its index
        self.sizes: list = []  # whole: the lengths the function reads from its argument S
        self.preamble = SourceBuilder(depth=1)  # whole: lines before the body
        self.scalar_consts: dict = {}  # whole: size-1 float constant -> its local name
        # compiled loops (cpu/loops.py): module-level njit functions the code calls (name ->
        # source), and the arrays they read, passed after the constants (name, array)
        self.functions: dict = {}
        self.loop_consts: list = []

    def size(self, n) -> str:
        """Source for a length `n` the code takes from the graph's shapes. The whole function
        reads each one (longer than SPECIALIZE_MAX) from its argument S, so its source is the
        same for every shape with the same structure, and a new batch size finds it compiled;
        the split driver is Python and prints it."""
        n = int(n)
        if self.split or n <= SPECIALIZE_MAX:
            return str(n)
        self.sizes.append(n)
        return f"S[{len(self.sizes) - 1}]"

    def shape(self, dims) -> str:
        """Source for a storage shape (0-d values are 1-element arrays), lengths from size()."""
        return returned([self.size(d) for d in storage(dims)])

    def extents(self, nest) -> list:
        return [self.size(d) for d in nest.shape]

    def literal(self, var):
        """A size-1 float constant is read once into a local (the same source for every value,
        e.g. a mean's 1/n at another batch size); others are inlined."""
        if not constant_argument(self.graph, var):
            return const_literal(self.graph, var)
        if var not in self.scalar_consts:
            self.scalar_consts[var] = self.names.fresh("k")
            zeros = ", ".join("0" for _ in storage(var.aval.shape))
            self.preamble.line(f"{self.scalar_consts[var]} = {self.arr(var)}[{zeros}]")
        return self.scalar_consts[var]

    def const_arrays(self) -> list:
        sizes = [np.array(self.sizes, np.int64)] if self.sizes else []
        return super().const_arrays() + [a for _, a in self.loop_consts] + sizes

    def c(self, var) -> str:
        """The array as C-contiguous (Numba's reshape and BLAS calls need it)."""
        return self.arr(var) if var in self.contiguous else f"np.ascontiguousarray({self.arr(var)})"

    def nest(self, nest) -> None:
        parallel = int(np.prod(nest.shape, dtype=np.int64)) >= PARALLEL_MIN_SIZE
        if not self.split:
            emitter = CpuNestEmitter(self, nest, parallel)
            emitter.emit()
            emitter.render(self.src)
            self.parallel |= emitter.parallel
            return
        scope = KernelScope(self.graph, nest)
        emitter = CpuNestEmitter(scope, nest, parallel)
        emitter.emit()
        body = SourceBuilder(depth=1)
        emitter.render(body)
        outs = [e.outs[0] for e in nest.eqns if e.outs[0] in nest.stores]
        body.line(f"return {returned([scope.arr(v) for v in outs])}")
        params = [scope.arr(v) for v in scope.params] + [f"n{k}" for k in scope.sizes]
        source = (self.header("for one fused loop nest") + self.njit_def(emitter.parallel, params)
                  + body.source())
        index = self.kernel_sources.setdefault(source, len(self.kernel_sources))
        args = [f"{self.arr(v)}.item()" if v in scope.scalars else self.arr(v)
                for v in scope.params]
        args += [str(nest.shape[k]) for k in scope.sizes]
        self.src.line(f"{returned([self.arr(v) for v in outs])} = nest{index}({', '.join(args)})")
        self.contiguous.update(outs)
        self.parallel |= emitter.parallel

    def finish(self, outvars) -> None:
        self.src.line(f"return {returned([self.arr(v) for v in outvars])}")

    def njit_def(self, parallel: bool, params: list, name: str = "kernel") -> str:
        head = SourceBuilder()
        head.line("")
        head.line("")
        head.line(f"@njit(cache=True, nogil=True, parallel={parallel}, "
                  f"fastmath={self.fastmath}, error_model='numpy')")
        head.line(f"def {name}({', '.join(params)}):")
        return head.source()

    def function_name(self) -> str:
        """The name of the njit function the whole-graph module defines."""
        return "kernel"

    def body(self, params: list) -> str:
        params = params + [name for name, _ in self.loop_consts]
        if not self.split:
            params += ["S"] if self.sizes else []
            return ("".join(self.functions.values())
                    + self.njit_def(self.parallel, params, self.function_name())
                    + self.preamble.source() + self.src.source())
        head = SourceBuilder()
        head.line("")
        head.line("")
        nests = ", ".join(f"nest{k}" for k in range(len(self.kernel_sources)))
        with head.block(f"def make({nests}):"):
            head.line('"""The driver, calling the kernels `nest0`, ... (njit functions)."""')
            head.line(f"def program({', '.join(params)}):")
        tail = SourceBuilder(depth=1)
        tail.line("return program")
        return head.source() + self.src.source() + tail.source()
