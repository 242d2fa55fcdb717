"""The Numba CPU target: a graph becomes one generated `numba.njit` function, or, when large,
one njit kernel per distinct fused nest under a generated Python driver (see codegen).

Stage: lower. Modules: codegen (the target's hooks on lower.codegen.Codegen), nest (its side of
fused loop nests), rules (one @cpu_rule per non-fused primitive), runtime (CompiledGraph and
compile_cpu), loops (the compiled loops' rules). Importing the package registers the rules.
"""
from . import loops, rules  # noqa: F401 (registers the CPU lowering rules)
from .codegen import PARALLEL_MIN_SIZE, CpuCodegen
from .runtime import CompiledGraph, compile_cpu

__all__ = ["PARALLEL_MIN_SIZE", "CompiledGraph", "CpuCodegen", "compile_cpu"]
