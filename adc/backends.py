"""Execution backends: turn an optimized Graph into a callable on arrays.

Stage: lower. Invariant: a backend either runs every primitive of a graph or raises
UnsupportedError naming what it lacks; `backend=None` picks the best available backend,
never silently a different one than the user asked for; a compiled backend gets the graph
prepared for its target (adc.opt.prepare) here, once, before code generation. A CPU program
is kept on disk under `program_key` of what it was built from (a traced graph and how it was
transformed, the compiler's own source digest, the settings that shape its code) when its
caller gives one, and only when every part of that has a content-stable form.
"""
from __future__ import annotations

import hashlib

import numpy as np

from .errors import UnsupportedError
from .ir import Graph, eval_graph, graph_key

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


def compile_graph(graph: Graph, backend: str | None, *, fastmath: bool = False,
                  key: str | None = None):
    """A callable taking the graph's inputs as arrays and returning its outputs as a list of
    arrays the caller owns (never views of the inputs or of cached constants); a CPU program
    is stored on disk under `key` (from program_key) for load_program."""
    name = resolve(backend)
    if name == "numpy":
        if fastmath:
            raise UnsupportedError("fastmath=True needs a compiled backend; the numpy backend "
                                   "is the IEEE reference")
        return _Interpreted(graph)
    from .opt import prepare

    if name == "cpu":
        from .lower import cache
        from .lower.cpu import compile_cpu

        compiled = compile_cpu(prepare(graph, name), fastmath=fastmath)
        if key is not None:
            cache.store_program(key, compiled.program)
        return compiled
    if name == "cuda":
        from .lower.cuda import compile_cuda

        return compile_cuda(prepare(graph, name), fastmath=fastmath)
    raise AssertionError(name)  # resolve() admits only implemented backends


def program_key(origin: tuple, backend: str | None, fastmath: bool) -> str | None:
    """The disk key of the program built from `origin` = (a traced Graph, a description of
    what the caller does to it before compile_graph, e.g. ("grad", argnums)), or None where
    none is kept: a backend other than cpu, or a constant or parameter without a form that is
    the same in every process (then nothing stale can be served: the program is built)."""
    if resolve(backend) != "cpu":
        return None
    from .lower import cache, debug
    from .lower.cpu import runtime

    graph, how = origin
    digest = hashlib.sha256(cache.compiler_digest().encode())
    try:
        _feed(digest, (how, graph_key(graph), fastmath, debug.enabled(),
                       runtime.SPLIT_MIN_NESTS))
    except _Unstable:
        return None
    return digest.hexdigest()[:40]


class _Unstable(Exception):
    pass


_PLAIN = (type(None), bool, int, float, complex, str, np.generic, slice, type(Ellipsis))


def _feed(digest, value) -> None:
    """Feed `value` (nested tuples of plain values and bytes, as ir.graph_key makes them) to
    `digest`, each part tagged with its type; _Unstable for anything else (an object whose
    repr could name its address, or equal reprs of different content)."""
    if isinstance(value, (tuple, list)):
        digest.update(b"(%d" % len(value))
        for item in value:
            _feed(digest, item)
        digest.update(b")")
    elif isinstance(value, bytes):
        digest.update(b"b%d:" % len(value) + value)
    elif isinstance(value, _PLAIN):
        text = repr(value).encode()
        digest.update(type(value).__name__.encode() + b"%d:" % len(text) + text)
    else:
        raise _Unstable(type(value))


def load_program(key: str):
    """The CPU program stored under `key` by compile_graph, loaded (its kernels' machine
    code from the disk cache), or None."""
    from .lower import cache
    from .lower.cpu.runtime import CompiledGraph

    program = cache.load_program(key)
    return None if program is None else CompiledGraph(program)


class _Interpreted:
    def __init__(self, graph: Graph):
        self.graph = graph
        self._const_ids = {id(c) for c in graph.consts.values()}

    @property
    def source(self) -> str:
        raise UnsupportedError("the numpy backend interprets the IR and generates no source; "
                               "use backend='cpu'")

    def __call__(self, *args):
        shared = self._const_ids.union(map(id, args))
        owned = []
        for o in eval_graph(self.graph, *args):  # a value returned twice is copied the 2nd time
            owned.append(o.copy() if id(o) in shared else _owned(o))
            shared.add(id(o))
        return owned


def _owned(x):
    x = np.asarray(x)
    return x.copy() if not x.flags.writeable or x.base is not None else x
