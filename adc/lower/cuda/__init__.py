"""The numba.cuda target: one generated module per Graph holding a `@cuda.jit` kernel per
fused nest or data-movement step and a host `launch` function that runs them in order.

Stage: lower. Modules: codegen (the target's hooks on lower.codegen.Codegen), nest (its side of
fused loop nests), rules (one @cuda_rule per non-fused primitive), runtime (availability check,
CompiledCudaGraph and compile_cuda). Importing the package registers the rules.
"""
from . import rules  # noqa: F401 (registers the CUDA lowering rules)
from .codegen import CudaCodegen
from .runtime import INSTALL, CompiledCudaGraph, check_available, compile_cuda

__all__ = ["INSTALL", "CompiledCudaGraph", "CudaCodegen", "check_available", "compile_cuda"]
