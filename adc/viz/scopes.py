"""Module scopes: which sub-module of a model recorded each tape Node during one forward call,
named as torch's TensorBoard graphs name them (`Net/Linear[fc1]`).

Stage: tensor front end, read-only (for adc.viz.forward_ir). Invariants: while `recording` is
active every Module of the tree has its `forward` wrapped by an instance attribute, removed (or
the user's own restored) on exit; a Node gets the innermost module whose call returned a tensor
reached from it without passing a Node that existed, reachable from that call's inputs, when
the call began; Nodes outside any module's call get no scope.
"""
from __future__ import annotations

from contextlib import contextmanager

from ..tensors.node import Node
from ..tensors.tensor import Tensor


def named_scopes(model, scope: str):
    """(scope, module) for `model` and, depth first, each sub-module once."""
    seen, stack = set(), [(scope, model)]
    while stack:
        scope, m = stack.pop()
        if id(m) in seen:
            continue
        seen.add(id(m))
        yield scope, m
        children = [(f"{scope}/{type(c).__name__}[{n}]", c) for n, c in m._modules.items()
                    if c is not None]
        stack += reversed(children)


def _tensors(tree) -> list:
    if isinstance(tree, Tensor):
        return [tree]
    if isinstance(tree, dict):
        tree = list(tree.values())
    if isinstance(tree, (tuple, list)):
        return [t for x in tree for t in _tensors(x)]
    return []


def _reachable(tensors, stop) -> set:
    found, stack = set(), [t.grad_fn for t in tensors if type(t.grad_fn) is Node]
    while stack:
        node = stack.pop()
        if node in found or node in stop:
            continue
        found.add(node)
        stack += [e[0] for e in node.edges if e is not None and type(e[0]) is Node]
    return found


@contextmanager
def recording(model, node_scope: dict):
    """Within: calls of `model` and its sub-modules fill `node_scope` (Node -> scope)."""
    patched = []

    def wrap(scope, forward):
        def scoped_forward(*args, **kwargs):
            before = _reachable(_tensors((args, kwargs)), set())
            out = forward(*args, **kwargs)
            for node in _reachable(_tensors(out), before):
                node_scope.setdefault(node, scope)
            return out
        return scoped_forward

    try:
        for scope, m in named_scopes(model, type(model).__name__):
            own = vars(m).get("forward")
            object.__setattr__(m, "forward", wrap(scope, m.forward))
            patched.append((m, own))
        yield node_scope
    finally:
        for m, own in reversed(patched):
            if own is None:
                object.__delattr__(m, "forward")
            else:
                object.__setattr__(m, "forward", own)
