"""The primitive registry: one object per primitive holding everything about it.

Stage: shared by tracing, differentiation, optimization and validation. Invariant: every
registered primitive has a shape/dtype rule, a numpy reference, a torch mapping, a VJP rule
(or is declared non-differentiable) and a test domain per input; `check_registry` enforces it.
"""
from __future__ import annotations

from typing import Callable

REGISTRY: dict = {}

# Sampling domains used by the validation suite, per primitive input.
DOMAINS = ("real", "positive", "unit", "nonzero", "bool", "index")


class Primitive:
    """A primitive operation. Subclasses or constructor arguments provide its rules."""

    multiple_results = False
    elementwise = False

    def __init__(self, name: str, *, shape_rule: Callable, impl: Callable, torch_impl: Callable,
                 vjp: Callable | None, domains: tuple, differentiable: bool = True):
        self.name = name
        self.shape_rule = shape_rule
        self._impl = impl
        self.torch_impl = torch_impl
        self._vjp = vjp
        self.domains = domains
        self.differentiable = differentiable
        register(self)

    def abstract_eval(self, *avals, **params):
        return self.shape_rule(*avals, **params)

    def impl(self, *args, **params):
        return self._impl(*args, **params)

    def vjp(self, cts, ins, outs, needed, **params):
        """Cotangents of the inputs (None where zero or not needed), given output cotangents."""
        return self._vjp(cts, ins, outs, needed, **params)

    def __repr__(self) -> str:
        return f"<primitive {self.name}>"


def register(prim: Primitive) -> None:
    if prim.name in REGISTRY:
        raise ValueError(f"primitive {prim.name!r} registered twice")
    REGISTRY[prim.name] = prim


def check_registry() -> None:
    """Raise if any primitive lacks one of its rules."""
    for name, prim in REGISTRY.items():
        missing = [f for f in ("abstract_eval", "impl", "torch_impl", "domains") if
                   getattr(prim, f, None) is None]
        if prim.differentiable and getattr(prim, "_vjp", None) is None and not prim.elementwise:
            missing.append("vjp")
        if any(d not in DOMAINS for d in prim.domains):
            missing.append(f"valid domains (got {prim.domains})")
        if missing:
            raise TypeError(f"primitive {name!r} lacks {', '.join(missing)}")
