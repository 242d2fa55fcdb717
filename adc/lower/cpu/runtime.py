"""Running generated CPU code: arrays in (made C-contiguous, 0-d ones as 1-element arrays), a
list of arrays the caller owns out.

Stage: run time. Invariants: outputs never alias inputs, constants or each other (aliased
ones are copied); the first call loads or compiles the kernels (showing its progress on a
terminal when that takes long), and an unreadable Numba cache entry is emptied and its kernel
compiled afresh instead of failing the user's call; a compilation interrupted with Ctrl-C
raises a one-line KeyboardInterrupt and leaves the first call to do again (kernels finished
before it stay compiled and cached; files are written atomically, so the cache stays
consistent).
"""
from __future__ import annotations

import numpy as np

from ...ir import Graph
from ...progress import Progress
from .. import cache
from ..fuse import Nest, plan
from ..memory import keep_freed_memory
from ..threads import start_pool
from .codegen import CpuCodegen

SPLIT_MIN_NESTS = 12  # graphs with this many fused nests or more compile as split kernels


class CompiledGraph:
    """Calls the generated code: arrays in, list of arrays out. `.source` is the generated
    module (split: the driver, then each distinct kernel's module; whole: then a comment with
    the lengths its argument S holds for this graph's shapes); `.kernels` the number of
    distinct compiled kernels; `.program` what it is made of (see `program`), which the disk
    cache of programs stores."""

    def __init__(self, program: dict):
        self.program = program
        source, self._kernel_sources = program["source"], program["kernel_sources"]
        split = program["split"]
        self.kernels = len(self._kernel_sources)
        self.source = ("\n\n".join([source, *self._kernel_sources]) if split
                       else source + (f"# S = {program['sizes']}\n" if program["sizes"] else ""))
        self._dispatchers = self._load()
        self._make = cache.load_module(source).make if split else None  # the driver
        self._kernel = self._first_call  # the linked program once it has loaded
        self._scalar_in = program["scalar_in"]
        self._any_scalar_in = any(self._scalar_in)
        self._post = program["post"]
        self._plain_out = not any(scalar or aliased for scalar, aliased in self._post)
        self._consts = program["consts"]

    def _load(self) -> list:
        return [cache.load_module(s).kernel for s in self._kernel_sources]

    def _link(self, kernels):
        """The program over these kernel callables."""
        return self._make(*kernels) if self._make is not None else kernels[0]

    def cache_stats(self) -> tuple:
        """(signatures loaded from the disk cache, signatures compiled) over the kernels."""
        return (sum(sum(d.stats.cache_hits.values()) for d in self._dispatchers),
                sum(sum(d.stats.cache_misses.values()) for d in self._dispatchers))

    def _first_call(self, *args):
        start_pool()  # also before a serial kernel: it claims Numba's pool with adc's settings
        keep_freed_memory()
        try:
            with Progress().counting("compiling", self.kernels) as done:
                out = self._load_and_call(args, done)
        except KeyboardInterrupt:
            raise KeyboardInterrupt(
                f"adc: compiling {self.kernels} kernel(s) was interrupted; the kernels "
                "finished so far are cached, and the next call compiles the rest") from None
        self._kernel = self._link(self._dispatchers)
        return out

    def _load_and_call(self, args, done):
        """Call the program with each kernel reporting its first call to `done`; cache entries
        Numba cannot read (and only those) are emptied and the call retried, so a stale or
        corrupt cache costs a recompilation, not the user's call."""
        flushed = set()
        while True:
            try:
                return self._link([_reporting(d, done) for d in self._dispatchers])(*args)
            except Exception as err:
                entries = [e for e in cache.unreadable_entries(err) if id(e) not in flushed]
                if not entries:
                    raise
                for entry in entries:
                    entry.flush()
                    flushed.add(id(entry))
                for source in cache.owners(entries, self._kernel_sources):
                    cache.purge(source)
                self._dispatchers = self._load()

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


def _reporting(dispatcher, done):
    """`dispatcher`, telling `done` after its first call whether it came from the disk cache."""
    first = [True]

    def call(*args):
        out = dispatcher(*args)
        if first[0]:
            first[0] = False
            done(cached=sum(dispatcher.stats.cache_hits.values()) > 0)
        return out

    return call


def compile_cpu(graph: Graph, fastmath: bool = False, split: bool | None = None) -> CompiledGraph:
    """Compile a graph prepared for the CPU (adc.opt.prepare(graph, "cpu")); `split` (default:
    when the graph has SPLIT_MIN_NESTS fused nests or more) compiles each nest as a kernel of
    its own (see cpu.codegen)."""
    items = plan(graph, **CpuCodegen.PLAN)
    if split is None:
        split = sum(isinstance(item, Nest) for item in items) >= SPLIT_MIN_NESTS
    gen = CpuCodegen(graph, fastmath, split)
    source = gen.generate(items)
    return CompiledGraph(program(graph, gen, source))


def program(graph: Graph, gen: CpuCodegen, source: str) -> dict:
    """A compiled graph as plain data (source text, flags, constant arrays): the generated
    module `source`, its kernels' modules (itself when whole), and what the runtime needs of
    the graph (scalar inputs; outputs that are scalars or may alias an input or a constant)."""
    aliased = {i for i, v in enumerate(graph.outvars)  # also a value returned a second time
               if v in gen.aliases or v in graph.outvars[:i]}
    return {"source": source, "split": gen.split,
            "kernel_sources": list(gen.kernel_sources) if gen.split else [source],
            "sizes": list(gen.sizes),
            "scalar_in": tuple(v.aval.shape == () for v in graph.invars),
            "post": tuple((v.aval.shape == (), i in aliased) for i, v in enumerate(graph.outvars)),
            "consts": tuple(gen.const_arrays())}
