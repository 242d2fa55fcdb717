"""Running a generated CPU kernel: arrays in (made C-contiguous, 0-d ones as 1-element
arrays), a list of arrays the caller owns out.

Stage: run time. Invariants: outputs never alias inputs or constants (aliased ones are
copied); the first call loads or compiles the kernel, and an unreadable Numba cache entry is
deleted and the kernel compiled afresh instead of failing the user's call.
"""
from __future__ import annotations

import numpy as np

from ...ir import Graph
from .. import cache
from ..threads import start_pool
from .codegen import CpuCodegen


class CompiledGraph:
    """Calls the generated kernel: arrays in, list of arrays out; `.source` is the module."""

    def __init__(self, graph: Graph, kernel, source: str, consts, aliased_outputs,
                 parallel: bool):
        self.source = source
        self._parallel = parallel
        self._compiled = kernel
        self._kernel = self._first_call  # the compiled kernel itself once it has loaded
        self._scalar_in = tuple(v.aval.shape == () for v in graph.invars)
        self._any_scalar_in = any(self._scalar_in)
        self._post = tuple(
            (v.aval.shape == (), i in aliased_outputs) for i, v in enumerate(graph.outvars)
        )
        self._plain_out = not any(scalar or aliased for scalar, aliased in self._post)
        self._consts = tuple(consts)

    def _first_call(self, *args):
        if self._parallel:  # a serial kernel never needs Numba's threads
            start_pool()
        try:
            return self._load_and_call(args)
        finally:
            self._kernel = self._compiled

    def _load_and_call(self, args):
        """Call the kernel; cache entries Numba cannot read (and only those) are emptied and the
        call retried, so a stale or corrupt cache costs a recompilation, not the user's call."""
        flushed = set()
        while True:
            try:
                return self._compiled(*args)
            except Exception as err:
                entries = [e for e in cache.unreadable_entries(err) if id(e) not in flushed]
                if not entries:
                    raise
                for entry in entries:
                    entry.flush()
                    flushed.add(id(entry))
                cache.purge(self.source)
                self._compiled = cache.load_module(self.source).kernel

    def __call__(self, *args):
        if self._any_scalar_in:
            args = [
                np.ascontiguousarray(a).reshape(1) if s else np.ascontiguousarray(a)
                for a, s in zip(args, self._scalar_in)
            ]
        else:
            args = map(np.ascontiguousarray, args)
        outs = self._kernel(*args, *self._consts)
        if self._plain_out:
            return list(outs)
        return [
            (o.reshape(()) if scalar else o).copy() if aliased else (o.reshape(()) if scalar else o)
            for o, (scalar, aliased) in zip(outs, self._post)
        ]


def compile_cpu(graph: Graph, fastmath: bool = False) -> CompiledGraph:
    """Compile a graph prepared for the CPU (adc.opt.prepare(graph, "cpu"))."""
    gen, source, module = CpuCodegen.build(graph, fastmath)
    aliased = {i for i, v in enumerate(graph.outvars) if v in gen.aliases}
    return CompiledGraph(graph, module.kernel, source, gen.const_arrays(), aliased, gen.parallel)
