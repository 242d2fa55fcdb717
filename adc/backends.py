"""Execution backends: turn an optimized Graph into a callable on arrays.

Stage: lower. Invariant: a backend either runs every primitive of a graph or raises
UnsupportedError naming what it lacks; `backend=None` picks the best available backend,
never silently a different one than the user asked for; a compiled backend gets the graph
prepared for its target (adc.opt.prepare) here, once, before code generation.
"""
from __future__ import annotations

import numpy as np

from .errors import UnsupportedError
from .ir import Graph, eval_graph

_AVAILABLE = ("cpu", "numpy", "cuda")
DEFAULT = "cpu"  # what backend=None means (the test suite switches it to run all on cuda)


def resolve(backend: str | None) -> str:
    if backend is None:
        backend = DEFAULT
    if backend == "cuda":
        from .lower.cuda import check_available

        check_available()
    if backend in _AVAILABLE:
        return backend
    raise UnsupportedError(f"unknown backend {backend!r}; choose one of "
                           f"{', '.join(_AVAILABLE)} (or None for the best available)")


def compile_graph(graph: Graph, backend: str | None, *, fastmath: bool = False):
    """A callable taking the graph's inputs as arrays and returning its outputs as a list of
    arrays the caller owns (never views of the inputs or of cached constants)."""
    name = resolve(backend)
    if name == "numpy":
        if fastmath:
            raise UnsupportedError("fastmath=True needs a compiled backend; the numpy backend "
                                   "is the IEEE reference")
        return _Interpreted(graph)
    from .opt import prepare

    if name == "cpu":
        from .lower.cpu import compile_cpu

        return compile_cpu(prepare(graph, name), fastmath=fastmath)
    if name == "cuda":
        from .lower.cuda import compile_cuda

        return compile_cuda(prepare(graph, name), fastmath=fastmath)
    raise AssertionError(name)  # resolve() admits only implemented backends


class _Interpreted:
    def __init__(self, graph: Graph):
        self.graph = graph
        self._const_ids = {id(c) for c in graph.consts.values()}

    @property
    def source(self) -> str:
        raise UnsupportedError("the numpy backend interprets the IR and generates no source; "
                               "use backend='cpu'")

    def __call__(self, *args):
        outs = eval_graph(self.graph, *args)
        shared = self._const_ids.union(map(id, args))
        return [o.copy() if id(o) in shared else _owned(o) for o in outs]


def _owned(x):
    x = np.asarray(x)
    return x.copy() if not x.flags.writeable or x.base is not None else x
