"""Staging: signature → graph → compiled callable, shared by the functional API (grad, jit,
vjp) and the tensor engine's backward regions; and `LRU`, the one bound of every in-memory
cache adc keeps per signature (these stages, the API's fast path, the tensor layer's op graphs).

Stage: orchestration. Invariants: a signature's graph is built (traced, differentiated,
optimized) once and compiled at most once per stage, on its first run, while it stays among
the `cache_entries()` most recently used (an evicted one is built again when next needed); a
graph that captured values from an enclosing trace belongs to that trace and is never cached.
A stage whose builder names its origin (adc.grad, adc.jit: the traced user graph and what is
done to it) looks its program up on disk first (backends.program_key): a warm process traces
the function and loads the program, building the gradient graph only if it inlines it.
"""
from __future__ import annotations

import os

from .backends import compile_graph, load_program, program_key
from .errors import AdcError

DEFAULT_ENTRIES = 1024


def cache_entries() -> int:
    """The most entries each in-memory cache keeps: ADC_CACHE_ENTRIES (read at every insertion,
    so setting it in a running process takes effect), default DEFAULT_ENTRIES."""
    text = os.environ.get("ADC_CACHE_ENTRIES", "")
    if not text:
        return DEFAULT_ENTRIES
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 2:
        raise AdcError(f"adc: ADC_CACHE_ENTRIES={text!r}: expected a whole number of cache "
                       "entries, at least 2 (unset it for the default, "
                       f"{DEFAULT_ENTRIES})")
    return value


class LRU(dict):
    """A dict of at most cache_entries() entries, dropping the least recently used ones.

    Recency is kept in two generations so that a hit costs one C-level dict look-up (`d[key]`;
    the hot paths read caches with it): the dict itself is the young generation, `_old` the
    one before. Reading an old entry moves it to the young one; when the young generation holds
    half the limit it becomes the old one and the entries of the previous old one, not used
    during a whole generation, are dropped (counted in `evictions`). `d.get(key)` sees the
    young generation only (a miss there makes the caller rebuild the entry, which is correct).
    """

    def __init__(self):
        super().__init__()
        self._old: dict = {}
        self.evictions = 0

    def __missing__(self, key):
        value = self._old.pop(key)  # KeyError: not cached
        self[key] = value
        return value

    def __contains__(self, key) -> bool:
        return dict.__contains__(self, key) or key in self._old

    def __setitem__(self, key, value) -> None:
        if not dict.__contains__(self, key) and dict.__len__(self) >= cache_entries() // 2:
            self.evictions += len(self._old)
            self._old = dict(self)
            dict.clear(self)
        self._old.pop(key, None)
        dict.__setitem__(self, key, value)

    def __len__(self) -> int:
        return dict.__len__(self) + len(self._old)

    def clear(self) -> None:
        dict.clear(self)
        self._old.clear()


class Stage:
    """A built graph, the values it captured from an enclosing trace (extra inputs after its
    own), what its builder keeps beside it (`aux`), and, once run, its compiled form. A graph
    given as a function is built only when it is needed: for inlining, or for compiling a
    program that is not on disk (for a stage given an `origin`, what its graph is built from:
    see backends.program_key)."""

    __slots__ = ("_graph", "captured", "aux", "_backend", "_fastmath", "_run", "_origin")

    def __init__(self, graph, captured, aux, backend, fastmath=False, origin=None):
        self._graph, self.captured, self.aux = graph, captured, aux
        self._backend, self._fastmath = backend, fastmath
        self._run = None
        self._origin = origin

    @property
    def graph(self):
        """The built graph (`graph` itself, or what it returns when it is a function)."""
        if callable(self._graph):
            self._graph = self._graph()
        return self._graph

    @property
    def run(self):
        """The graph compiled for the stage's backend (on first use; from the disk cache of
        programs when an earlier process compiled the same origin)."""
        if self._run is None:
            key = (program_key(self._origin, self._backend, self._fastmath)
                   if self._origin is not None and not self.captured else None)
            self._run = load_program(key) if key is not None else None
            if self._run is None:
                self._run = compile_graph(self.graph, self._backend, fastmath=self._fastmath,
                                          key=key)
        return self._run


class StagingCache:
    """Signature key → Stage, the most recently used ones (an LRU)."""

    def __init__(self):
        self._stages = LRU()

    def __len__(self) -> int:
        return len(self._stages)

    @property
    def evictions(self) -> int:
        return self._stages.evictions

    def get(self, key, build, backend, fastmath=False) -> Stage:
        """The stage of `key`; the first time, `build()` returns its (graph, captured, aux), or
        (a function building the graph, captured, aux, origin) to use the disk cache of
        programs (see Stage)."""
        try:
            return self._stages[key]
        except KeyError:
            pass
        graph, captured, aux, *origin = build()
        stage = Stage(graph, captured, aux, backend, fastmath, *origin)
        if not stage.captured:
            self._stages[key] = stage
        return stage
