"""Staging: signature → graph → compiled callable, shared by the functional API (grad, jit,
vjp) and the tensor engine's backward regions.

Stage: orchestration. Invariants: a signature's graph is built (traced, differentiated,
optimized) once and compiled at most once per stage, on its first run; a graph that captured
values from an enclosing trace belongs to that trace and is never cached.
"""
from __future__ import annotations

from .backends import compile_graph


class Stage:
    """A built graph, the values it captured from an enclosing trace (extra inputs after its
    own), what its builder keeps beside it (`aux`), and, once run, its compiled form."""

    __slots__ = ("graph", "captured", "aux", "_backend", "_fastmath", "_run")

    def __init__(self, graph, captured, aux, backend, fastmath=False):
        self.graph, self.captured, self.aux = graph, captured, aux
        self._backend, self._fastmath = backend, fastmath
        self._run = None

    @property
    def run(self):
        """The graph compiled for the stage's backend (compiled on first use)."""
        if self._run is None:
            self._run = compile_graph(self.graph, self._backend, fastmath=self._fastmath)
        return self._run


class StagingCache:
    """Signature key → Stage."""

    def __init__(self):
        self._stages: dict = {}

    def __len__(self) -> int:
        return len(self._stages)

    def get(self, key, build, backend, fastmath=False) -> Stage:
        """The stage of `key`; the first time, `build()` returns its (graph, captured, aux)."""
        stage = self._stages.get(key)
        if stage is None:
            stage = Stage(*build(), backend, fastmath)
            if not stage.captured:
                self._stages[key] = stage
        return stage
