"""The CUDA target's hooks on the shared code generator: kernels (one per fused nest or
data-movement step) and the host launcher that allocates arrays and launches them.

Stage: lower. Invariants: the plan comes from `fuse.plan` (shared with the CPU target), and
fused loop bodies from cuda.nest; every array inside `launch` is a C-contiguous device array
(inputs are made so at the boundary, intermediates are allocated so), which lets reshapes stay
views; data crosses to or from the host only at the boundary, except the small error-flag
array read back after launches that check indices or pivots.
"""
from __future__ import annotations

from ...ir import Aval, Var
from ..codegen import Codegen
from ..debug import poison
from ..nest import np_dtype, storage
from ..source import SourceBuilder, returned
from .nest import CudaNestEmitter


class CudaCodegen(Codegen):
    TARGET = "cuda"
    KERNELS = "adc.kernels.cuda"
    IMPORTS = ("from numba import cuda",)
    PLAN = {"threads_share_axis0_results": False}

    def __init__(self, graph, fastmath: bool):
        from ...kernels.cuda import launch as config

        super().__init__(graph, fastmath)
        self.config = config
        self.kernels = SourceBuilder()
        self.host = SourceBuilder(depth=1)
        self.refs: dict = {}  # arrays the kernel being generated reads or writes
        self.checks = False  # whether the launcher allocates the error-flag array
        self.signatures: dict = {}  # kernel name -> avals of its parameters (for compile_ptx)

    # ---- naming, allocation, launching ----
    def arr(self, var) -> str:
        self.refs[var] = None
        return super().arr(var)

    def allocate(self, var, init=None) -> None:
        name, shape, dtype = self.names(var), storage(var.aval.shape), np_dtype(var.aval.dtype)
        init = poison(var.aval.dtype) if init is None else init
        if init is None:
            self.host.line(f"{name} = cuda.device_array({shape}, {dtype})")
        else:
            self.host.line(f"{name} = full({shape}, {init}, {dtype})")

    def kernel(self, body, launch) -> None:
        """Emit `body(src)` as a new kernel over the arrays it references and launch it with
        `launch` ('[blocks, threads]', or a function returning it once the body exists)."""
        self.refs = {}
        src = SourceBuilder(depth=1)
        body(src)
        name = self.names.fresh("k")
        params = ", ".join(self.names(v) for v in self.refs)
        self.signatures[name] = [v.aval for v in self.refs]
        self.kernels.line("")
        self.kernels.line("")
        self.kernels.line(f"@cuda.jit(cache=True, fastmath={self.fastmath})")
        self.kernels.line(f"def {name}({params}):")
        self.kernels.lines.extend(src.lines)
        self.host.line(f"{name}{launch() if callable(launch) else launch}({params})")

    def grid(self, n: int) -> str:
        return f"[{self.config.blocks(n)}, {self.config.THREADS}]"

    def error_flags(self) -> str:
        self.checks = True
        return "err"

    # ---- data movement: one thread per output element ----
    def map_kernel(self, out, element) -> None:
        """out[i0, ..., ik] = element(['i0', ..., 'ik']) for every element of out."""
        self.allocate(out)
        shape = out.aval.shape
        size = out.aval.size
        if size == 0:
            return

        def body(src):
            with src.block(f"for j in range(cuda.grid(1), {size}, cuda.gridsize(1)):"):
                src.line("r = j")
                for k in reversed(range(len(shape))):
                    if k == 0:
                        src.line("i0 = r")
                    else:
                        src.line(f"i{k} = r % {shape[k]}")
                        src.line(f"r = r // {shape[k]}")
                names = [f"i{k}" for k in range(len(shape))]
                src.line(f"{self.arr(out)}[{', '.join(names) or '0'}] = {element(names)}")

        self.kernel(body, self.grid(size))

    def broadcast(self, x, shape) -> str:
        """x broadcast (numpy rules) to `shape`, as a new array (a fresh Var's name)."""
        out = Var(Aval(tuple(shape), x.aval.dtype))
        offset = len(shape) - x.aval.ndim

        def element(idx):
            parts = ["0" if d == 1 else idx[offset + j] for j, d in enumerate(x.aval.shape)]
            return f"{self.arr(x)}[{', '.join(parts) or '0'}]"

        self.map_kernel(out, element)
        return self.names(out)

    # ---- hooks ----
    def nest(self, nest) -> None:
        emitter = CudaNestEmitter(self, nest)

        def body(src):
            emitter.emit()
            emitter.render(src)

        def launch():
            if not emitter.parallel or emitter.threads == "one":
                return "[1, 1]"
            if emitter.threads == "block":
                return f"[1, {self.config.THREADS}]"
            return self.grid(nest.shape[0])

        self.kernel(body, launch)

    def finish(self, outvars) -> None:
        outs = [f"copy({self.arr(v)})" if v in self.aliases else self.arr(v) for v in outvars]
        self.host.line(f"return {returned(outs)}, {'err' if self.checks else 'None'}")

    def body(self, params: list) -> str:
        launch = SourceBuilder()
        launch.line("")
        launch.line("")
        launch.line(f"def launch({', '.join(params)}):")
        if self.checks:
            launch.line("    err = full((2,), 0, np.int32)")
        return self.kernels.source() + launch.source() + self.host.source()
