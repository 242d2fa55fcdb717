"""The one table of lowering rules: RULES[target][prim], filled by decorators where the rules
are written (@cpu_rule, @cuda_rule, or @lower_by_composition for a primitive that is expanded
into other primitives before code generation), plus one rule per target for every primitive
that names an `axis_kernel` (@axis_kernel_rule).

Stage: lower. Invariants: a primitive has at most one entry per target (a second registration
fails at import); code generation finds a primitive's lowering only through `lowering`, which
raises NotImplementedError naming the primitive and the target when there is none; a
composition is expanded by adc.opt.prepare, never by a backend. This module imports nothing
from adc, so any module (a primitive's own included) can register a rule.
"""
from __future__ import annotations

TARGETS = ("cpu", "cuda")
RULES: dict = {target: {} for target in TARGETS}
AXIS_KERNEL_RULES: dict = {}  # target -> the rule of every primitive with an axis_kernel


class Composition:
    """The entry of a primitive lowered by composition: `expand(params, *operands)` returns
    its result computed with other primitives (called while the graph is retraced)."""

    def __init__(self, expand):
        self.expand = expand


def _register(target: str, prims, entry) -> None:
    table = RULES[target]
    for prim in prims:
        if prim in table:
            raise AssertionError(f"primitive {prim.name!r} has two lowerings for {target}")
        table[prim] = entry


def rule(target: str, *prims):
    """Decorator: `fn(gen, eqn)` emits the code of an equation of any of `prims` on `target`."""
    def decorate(fn):
        _register(target, prims, fn)
        return fn

    return decorate


def cpu_rule(*prims):
    return rule("cpu", *prims)


def cuda_rule(*prims):
    return rule("cuda", *prims)


def lower_by_composition(prim, targets=TARGETS):
    """Decorator: `expand(params, *operands)` lowers `prim` on `targets` by composition."""
    def decorate(expand):
        for target in targets:
            _register(target, (prim,), Composition(expand))
        return expand

    return decorate


def axis_kernel_rule(target: str):
    """Decorator: `fn(gen, eqn)` lowers, on `target`, every primitive with an `axis_kernel`
    trait (a call of that kernel on (pre, n, post) views of the input and the output)."""
    def decorate(fn):
        if target in AXIS_KERNEL_RULES:
            raise AssertionError(f"two axis-kernel rules for {target}")
        AXIS_KERNEL_RULES[target] = fn
        return fn

    return decorate


def compositions(target: str) -> dict:
    """prim -> expand, for the primitives lowered by composition on `target`."""
    return {prim: entry.expand for prim, entry in RULES.get(target, {}).items()
            if isinstance(entry, Composition)}


def lowering(target: str, prim):
    """The rule emitting `prim` on `target`."""
    entry = RULES[target].get(prim)
    if entry is None and getattr(prim, "axis_kernel", None):
        entry = AXIS_KERNEL_RULES.get(target)
    if entry is None:
        raise NotImplementedError(
            f"the {target} backend has no lowering for primitive {prim.name!r}")
    if isinstance(entry, Composition):
        raise NotImplementedError(
            f"primitive {prim.name!r} is lowered on {target} by composition: run "
            f"adc.opt.prepare(graph, {target!r}) before code generation")
    return entry
