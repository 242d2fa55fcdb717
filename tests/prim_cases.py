"""The case table for the generic primitive checker, read off the primitives themselves
(`Primitive.cases`, `Primitive.second_order`), and the input sampler for their domains."""
from __future__ import annotations

import numpy as np

from adc.prims import REGISTRY

CASES = {name: prim.cases for name, prim in REGISTRY.items()}
# Primitives whose gradient is smooth on the sampled domain: checked to second order.
SECOND_ORDER = {name for name, prim in REGISTRY.items() if prim.second_order}


def sample(domain, shape, dtype, rng):
    if domain == "real":
        return rng.uniform(-2, 2, shape).astype(dtype)
    if domain == "positive":
        return rng.uniform(0.5, 2, shape).astype(dtype)
    if domain == "unit":
        return rng.uniform(-0.9, 0.9, shape).astype(dtype)
    if domain == "nonzero":
        return (rng.uniform(0.5, 2, shape) * rng.choice([-1, 1], shape)).astype(dtype)
    if domain == "bool":
        return rng.random(shape) < 0.5
    raise ValueError(f"domain {domain!r} needs explicit values in the case table")


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
