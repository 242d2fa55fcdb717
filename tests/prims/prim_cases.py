"""The case table for the generic primitive checker, read off the primitives themselves
(`Primitive.cases`, `Primitive.second_order`), and the input sampler for their domains."""
from __future__ import annotations

import numpy as np

from adc.domains import sample
from adc.prims import REGISTRY

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
