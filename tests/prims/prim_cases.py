"""The case table for the generic primitive checker, read off the primitives themselves
(`Primitive.cases`, `Primitive.second_order`), and the input sampler for their domains."""
from __future__ import annotations

import functools

import numpy as np

from adc.domains import sample
from adc.prims import REGISTRY
from adc.prims.cases import BINARY_SHAPES, UNARY_SHAPES

CASES = {name: prim.cases for name, prim in REGISTRY.items()}
# Primitives whose gradient is smooth on the sampled domain: checked to second order.
SECOND_ORDER = {name for name, prim in REGISTRY.items() if prim.second_order}


def make_inputs(prim, spec, dtype, seed=0):
    rng = np.random.default_rng(seed)
    domains = prim.domains if len(prim.domains) == len(spec["shapes"]) else \
        prim.domains[:1] * len(spec["shapes"])
    args = []
    for i, (shape, domain) in enumerate(zip(spec["shapes"], domains)):
        make = spec["values"].get(i)
        args.append(make(rng, dtype) if make else sample(domain, shape, dtype, rng))
    return args


def case_ids():
    return [(name, k) for name in sorted(CASES) for k in range(len(CASES[name]))]


def _default_patterns(name) -> bool:
    """An elementwise primitive's default table: every shape pattern, no params or values."""
    cases = CASES[name]
    shapes = [c["shapes"] for c in cases]
    return (not any(c["params"] or c["values"] for c in cases)
            and shapes in ([(s,) for s in UNARY_SHAPES], BINARY_SHAPES))


ROTATION = 3


@functools.cache
def compiled_case_ids() -> tuple:
    """The cases the compiled backends run. All of them, except an elementwise primitive's
    default shape patterns: there only its scalar code is its own (the nest that broadcasts,
    indexes and reduces is the same for every elementwise primitive), so each such primitive
    compiles every third pattern, the third chosen by its place among them. Every pattern is
    still compiled, on every backend and dtype, for a third of the elementwise primitives, and
    every primitive for several patterns; the numpy backend runs every case."""
    rotating = sorted(name for name in CASES if _default_patterns(name))
    offset = {name: i % ROTATION for i, name in enumerate(rotating)}
    return tuple((name, k) for name, k in case_ids()
                 if name not in offset or (k + offset[name]) % ROTATION == 0)


def compiled_dtypes(name, k, dtypes) -> list:
    """The dtypes a compiled backend runs case k of `name` in: one, alternating along the
    primitive's compiled cases (so each primitive is still compiled in every dtype), or all of
    them for a primitive with a single compiled case."""
    ks = [j for n, j in compiled_case_ids() if n == name]
    return list(dtypes) if len(ks) == 1 else [dtypes[ks.index(k) % len(dtypes)]]


def second_order_backend(name, k) -> str:
    """cpu for a primitive's first compiled case, the numpy reference for its others: the math
    of every second-order graph is checked, and its lowering once per primitive (its operations
    are primitives whose lowering the first-order checks cover case by case)."""
    first = min(j for n, j in compiled_case_ids() if n == name)
    return "cpu" if k == first else "numpy"
