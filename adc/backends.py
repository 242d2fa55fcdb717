"""Execution backends: turn an optimized Graph into a callable on arrays.

Stage: lower. Invariant: a backend either runs every primitive of a graph or raises
UnsupportedError naming what it lacks; `backend=None` picks the best available backend,
never silently a different one than the user asked for.
"""
from __future__ import annotations

from .errors import UnsupportedError
from .ir import Graph, eval_graph

_AVAILABLE = ("cpu", "numpy")
_PLANNED = {"cuda": "the numba.cuda GPU backend"}


def resolve(backend: str | None) -> str:
    if backend is None:
        return _AVAILABLE[0]
    if backend in _AVAILABLE:
        return backend
    if backend in _PLANNED:
        raise UnsupportedError(f"backend={backend!r} ({_PLANNED[backend]}) is not available in "
                               f"this version of adc; use backend='numpy' or backend=None")
    raise UnsupportedError(f"unknown backend {backend!r}; choose one of "
                           f"{', '.join(_AVAILABLE)} (or None for the best available)")


def compile_graph(graph: Graph, backend: str | None):
    """A callable taking the graph's inputs as arrays and returning its outputs as a list."""
    name = resolve(backend)
    if name == "numpy":
        return lambda *args: eval_graph(graph, *args)
    if name == "cpu":
        from .lower.cpu import compile_cpu

        return compile_cpu(graph)
    raise AssertionError(name)  # resolve() admits only implemented backends
