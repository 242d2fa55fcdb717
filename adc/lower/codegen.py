"""The code generator both targets share: generated Python modules for a Graph, built from
the fusion plan, with the target adding only its hooks (how a nest and the return are
emitted, the module's body; how lengths and scalar constants are printed) and its rules
(registry.RULES[target]).

Stage: lower. Invariants: Vars are named in order of use (inputs `x…`, constants `c…`), so the
same graph gives the same source and the same disk-cache key; every plan item is a fused
nest or one equation lowered by its registered rule; constants the code never reads are not
parameters; the module header imports, from every module of the target's kernels package,
exactly the names listed in its `__all__` (in module-name order); outputs that may share
memory with an input or a constant are tracked in `aliases` (the runtime copies them).
"""
from __future__ import annotations

import functools
import importlib
import pkgutil

import numpy as np

from ..ir import Graph
from . import cache
from .fuse import Nest, plan
from .nest import const_literal, storage
from .registry import lowering
from .source import Names, SourceBuilder


@functools.lru_cache(maxsize=None)
def kernel_imports(package: str) -> tuple:
    """`from <module> import <its __all__>` for each module of the kernels package `package`."""
    lines = []
    for info in sorted(pkgutil.iter_modules(importlib.import_module(package).__path__),
                       key=lambda info: info.name):
        module = importlib.import_module(f"{package}.{info.name}")
        lines.append(f"from {module.__name__} import {', '.join(module.__all__)}")
    return tuple(lines)


def three(shape, axis: int, k: int = 1) -> tuple:
    """(before, the k axes from `axis`, after) sizes of `shape`: the (pre, n, post) view that
    the gather/scatter kernels take."""
    def prod(s):
        return int(np.prod(s, dtype=np.int64))

    return prod(shape[:axis]), prod(shape[axis:axis + k]), prod(shape[axis + k:])


def returned(names) -> str:
    """A tuple expression of `names` (a 1-tuple keeps its comma)."""
    return f"({', '.join(names)}{',' if len(names) == 1 else ''})"


class Codegen:
    """The shared part; a target subclass sets the class attributes and implements the hooks
    at the end."""

    TARGET: str  # key into registry.RULES, and the module name in the generated docstring
    KERNELS: str  # the kernels package the generated module imports from
    IMPORTS: tuple  # the target's own import lines (numba)
    PLAN: dict = {}  # options of fuse.plan for this target

    def __init__(self, graph: Graph, fastmath: bool):
        self.graph = graph
        self.fastmath = fastmath
        self.names = Names()
        self.consts = list(graph.consts)
        self.used_consts: set = set()
        self.aliases = set(graph.invars) | set(graph.consts)  # may share input/const memory

    @classmethod
    def build(cls, graph: Graph, fastmath: bool):
        """(the generator after generating, the module's source, the loaded module)."""
        gen = cls(graph, fastmath)
        source = gen.generate()
        return gen, source, cache.load_module(source)

    def extents(self, nest) -> list:
        """Source text of each axis' length in `nest`'s loops (here: its literal length)."""
        return [str(d) for d in nest.shape]

    def literal(self, var):
        """Source for a size-1 constant read inside a nest (inlined), else None."""
        return const_literal(self.graph, var)

    def arr(self, var) -> str:
        if var in self.graph.consts:
            self.used_consts.add(var)
        return self.names(var)

    def alias(self, x, out) -> None:
        """`out` is a view of `x`: it shares whatever memory x shares."""
        if x in self.aliases:
            self.aliases.add(out)

    def const_arrays(self) -> list:
        """The constants the generated code takes, as C-contiguous host arrays in storage
        shape, in parameter order."""
        return [np.ascontiguousarray(np.asarray(self.graph.consts[v]).reshape(
            storage(v.aval.shape))) for v in self.consts]

    def generate(self, items=None) -> str:
        """The module's source, from the fusion plan `items` (planned here when None)."""
        g = self.graph
        for v in g.invars:
            self.names(v, "x")
        for v in self.consts:
            self.names(v, "c")
        for item in plan(g, **self.PLAN) if items is None else items:
            if isinstance(item, Nest):
                self.nest(item)
            else:
                lowering(self.TARGET, item.eqn.prim)(self, item.eqn)
        self.finish(g.outvars)
        self.consts = [v for v in self.consts if v in self.used_consts]
        params = [self.names(v) for v in list(g.invars) + self.consts]
        return self.header("from an optimized Graph") + self.body(params)

    def header(self, what: str) -> str:
        """The module docstring (`what` the module was generated from) and its imports."""
        head = SourceBuilder()
        head.line(f'"""Generated by adc.lower.{self.TARGET} {what}. Do not edit."""')
        for line in ("import math", "import numpy as np", *self.IMPORTS,
                     *kernel_imports(self.KERNELS)):
            head.line(line)
        return head.source()

    # ---- target hooks ----
    def nest(self, nest: Nest) -> None:
        """Emit a fused loop nest."""
        raise NotImplementedError

    def finish(self, outvars) -> None:
        """Emit the return of the outputs."""
        raise NotImplementedError

    def body(self, params: list) -> str:
        """The module's source after the header, taking `params` (inputs, then constants)."""
        raise NotImplementedError
