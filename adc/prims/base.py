"""The primitive registry: one object per primitive holding everything about it.

Stage: shared by tracing, differentiation, optimization, lowering and validation. Invariant:
every registered primitive has a shape/dtype rule, a numpy reference, a torch mapping, a VJP
rule (or is declared non-differentiable), a batching rule (one of `prims.batching`'s, or its
`LOOP` fallback declared), a test domain per input and at least one test case;
its traits (below) are the only place passes and backends learn what kind of operation it is.
`check_registry` enforces this when `adc.prims` is imported.
"""
from __future__ import annotations

from typing import Callable

import numpy as np

from ..errors import ShapeError

REGISTRY: dict = {}  # primitives on arrays: the table-driven checker runs each over its cases
# control-flow primitives (adc.loops): their params hold Graphs (a loop's body), they return
# one value per output; tests/api/test_loops.py checks them, not the array-primitive table
CONTROL: dict = {}

# Sampling domains used by the validation suite, per primitive input.
DOMAINS = ("real", "positive", "unit", "nonzero", "bool", "index")
REDUCTIONS = ("sum", "prod", "max", "min")

# Traits and their defaults (an opaque primitive). Passes and backends ask these, never a
# list of primitives of their own.
TRAITS = {
    "fusable": False,  # computed per element inside a fused loop nest
    "reduction": None,  # one of REDUCTIONS: reduces params["axes"] (removed from the shape)
    "exact": False,  # integer operands give an integer result (adc.numpy does not promote)
    "blas": False,  # runs as a BLAS/LAPACK-backed kernel rather than fused loops
    "identities": (),  # (survivor, neutral, value): op(.., neutral=value, ..) is the survivor
    "involution": False,  # op(op(x)) == x bit for bit (folding removes the pair)
    # op(op(x, p), q) == op(x, q), and op of x to x's own aval is x (reshape): folding makes a
    # chain one equation and drops the no-op
    "collapsing": False,
    # every element of the result is an element of the first input (reshape, transpose,
    # broadcast_to): folding sees a neutral constant (a broadcast 1.0) through it
    "rearranging": False,
    "second_order": False,  # smooth on its test domain: the checker tests its Hessian too
    # the name of a kernel that every target's kernels package exports, computing the primitive
    # along params["axis"] as kernel(x viewed (pre, n, post), out viewed (pre, m, post)); such
    # a primitive needs no lowering rule of its own
    "axis_kernel": None,
    # "gather" (out = x read at index positions along params["axis"]: take) or "scatter" (out =
    # zeros with the updates added at index positions: scatter_add); both run inside loop nests,
    # the gather as an element read x[.., idx[..], ..], the scatter as an indexed accumulation
    "indexed": None,
}


def broadcast_shapes(*shapes) -> tuple:
    """numpy's broadcasting of shapes, raising ShapeError (for shape rules)."""
    try:
        return tuple(np.broadcast_shapes(*shapes))
    except ValueError:
        raise ShapeError(
            f"operands could not be broadcast together with shapes {' '.join(map(str, shapes))}"
        ) from None


class Primitive:
    """A primitive operation. Constructor arguments provide its rules, traits and test cases.

    `cases` are dicts made by `adc.prims.cases.case` (shapes, params and explicit input values
    where a domain is not enough): the table-driven checker runs every primitive over them.
    """

    elementwise = False
    multiple_results = False  # bind returns a list, one value per output Var
    control = False  # params hold Graphs; registered in CONTROL (no `cases`)

    def __init__(self, name: str, *, shape_rule: Callable, impl: Callable, torch_impl: Callable,
                 vjp: Callable | None, domains: tuple, batch: Callable | str | None = None,
                 differentiable: bool = True, cases: list | tuple = (), **traits):
        unknown = set(traits) - set(TRAITS)
        if unknown:
            raise TypeError(f"primitive {name!r}: unknown traits {sorted(unknown)}")
        self.name = name
        self.shape_rule = shape_rule
        self._impl = impl
        self.torch_impl = torch_impl
        self._vjp = vjp
        self.batch = batch  # the vmap rule (adc.prims.batching), or batching.LOOP
        self.domains = domains
        self.differentiable = differentiable
        self.cases = list(cases)
        for trait, default in TRAITS.items():
            setattr(self, trait, traits.get(trait, default))
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
    if prim.name in REGISTRY or prim.name in CONTROL:
        raise ValueError(f"primitive {prim.name!r} registered twice")
    (CONTROL if prim.control else REGISTRY)[prim.name] = prim


def missing_facts(prim: Primitive) -> list:
    """What `prim` lacks of the facts every primitive must state (empty when complete)."""
    missing = [f for f in ("shape_rule", "_impl", "torch_impl", "domains")
               if getattr(prim, f, None) is None]
    if prim.differentiable and prim._vjp is None and not prim.elementwise:
        missing.append("vjp (or differentiable=False)")
    if prim.batch is None:
        missing.append("a batching rule (batch=, from adc.prims.batching, or its LOOP)")
    if any(d not in DOMAINS for d in prim.domains):
        missing.append(f"valid domains (got {prim.domains}; known: {DOMAINS})")
    if not prim.cases and not prim.control:
        missing.append("test cases")
    if prim.reduction not in (None,) + REDUCTIONS:
        missing.append(f"a known reduction kind (got {prim.reduction!r})")
    if prim.indexed not in (None, "gather", "scatter"):
        missing.append(f"a known indexed kind (got {prim.indexed!r})")
    return missing


def check_registry() -> None:
    """Raise naming the first primitive that lacks one of its facts."""
    for name, prim in (REGISTRY | CONTROL).items():
        missing = missing_facts(prim)
        if missing:
            raise TypeError(f"primitive {name!r} lacks {', '.join(missing)}")
