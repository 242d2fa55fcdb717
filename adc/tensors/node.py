"""The recorded tape: one Node per recorded tensor operation (torch's `grad_fn`).

Stage: tensor front end → differentiate. Invariants: a Node holds the IR graph of its
operation (one primitive or a composite, e.g. a differentiable gradient), an edge per input
that carries a gradient (`(producer, output index)`, the producer being a Node or a leaf's
AccumulateGrad) and the values its inputs and outputs had when it ran, each with the version
of its buffer then, so a later in-place write is detected instead of silently used.
"""
from __future__ import annotations

import itertools
import weakref


class Version:
    """A buffer's modification counter, shared by the tensors that view the buffer."""

    __slots__ = ("__weakref__", "_views", "n")

    def __init__(self):
        self.n = 0
        self._views = None  # id -> weakref of each tensor known to share the buffer

    def share(self, tensor) -> None:
        if self._views is None:
            self._views = {}
        self._views[id(tensor)] = weakref.ref(tensor)

    def sharing(self):
        """The live tensors that share this buffer (those created as views of each other)."""
        refs = self._views.values() if self._views else ()
        return [t for t in (r() for r in refs) if t is not None]


class RemovableHandle:
    """Returned by `register_hook`; `.remove()` unregisters the hook."""

    _ids = itertools.count()

    def __init__(self, hooks: dict):
        self.id = next(self._ids)
        self._hooks = weakref.ref(hooks) if hooks is not None else None

    def remove(self) -> None:
        hooks = self._hooks() if self._hooks is not None else None
        if hooks is not None:
            hooks.pop(self.id, None)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.remove()


class _HookDict(dict):
    """dicts cannot be weakly referenced; hooks are keyed by handle id, in insertion order."""


class Node:
    """An operation recorded for backward. `saved` is None once the graph has been freed."""

    __slots__ = (
        "__weakref__",
        "_name",
        "edges",
        "graph",
        "hooks",
        "key",
        "refused",
        "retained",
        "saved",
    )

    def __init__(self, name, graph, key, edges, saved):
        self._name = name
        self.graph = graph
        self.key = key
        self.edges = edges  # per input: (producer, index) or None
        self.saved = saved  # (inputs, outputs): tuples of (array, Version, version seen)
        self.hooks = None   # output index -> _HookDict of tensor hooks
        self.retained = None  # output index -> weakref of the tensor that retains its grad
        self.refused = None  # the aten op, where torch has no derivative: backward raises

    def refuse(self, aten: str) -> None:
        """Record this node as torch records an op without a derivative (floor_divide): a
        NotImplemented node, whose backward raises naming `aten`."""
        self._name, self.refused = "NotImplemented", aten

    def name(self) -> str:
        # torch names the node of an op without a derivative by its C++ class
        return "torch::autograd::NotImplemented" if self.refused else self._name

    @property
    def next_functions(self) -> tuple:
        return tuple(e if e is not None else (None, 0) for e in self.edges)

    def output_hooks(self, index: int) -> _HookDict:
        if self.hooks is None:
            self.hooks = {}
        return self.hooks.setdefault(index, _HookDict())

    def __repr__(self) -> str:
        return f"<{self._name} object at {id(self):#x}>"


class AccumulateGrad:
    """The sink of a leaf tensor's gradient: hooks, then accumulation into `.grad`."""

    __slots__ = ("__weakref__", "hooks", "variable")

    def __init__(self, variable):
        self.variable = variable
        self.hooks = None

    def name(self) -> str:
        return "torch::autograd::AccumulateGrad"

    next_functions = ()

    def output_hooks(self, index: int) -> _HookDict:
        if self.hooks is None:
            self.hooks = {0: _HookDict()}
        return self.hooks[0]

    def __repr__(self) -> str:
        return f"<AccumulateGrad object at {id(self):#x}>"
