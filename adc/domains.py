"""Input domains: random arrays drawn from the named domains of `adc.prims.base.DOMAINS`.

Stage: validate (the primitive test table and the CLI's `--arg x=f64[3]:DOMAIN` both sample
here). Invariant: one meaning per domain name; "index" has no sampler, since valid indices
depend on the primitive's parameters (the test table gives them explicitly).
"""
from __future__ import annotations

import numpy as np

FLOAT_DOMAINS = ("real", "positive", "unit", "nonzero")


def sample(domain: str, shape, dtype, rng) -> np.ndarray:
    """An array of `shape` and `dtype` drawn from `domain` with the generator `rng`: real is
    uniform in [-2, 2), positive in [0.5, 2), unit in [-0.9, 0.9), nonzero ±[0.5, 2) (bounded,
    so values and finite differences stay well scaled), bool True or False equally likely."""
    if domain == "bool":
        return rng.random(shape) < 0.5
    if domain == "real":
        x = rng.uniform(-2, 2, shape)
    elif domain == "positive":
        x = rng.uniform(0.5, 2, shape)
    elif domain == "unit":
        x = rng.uniform(-0.9, 0.9, shape)
    elif domain == "nonzero":
        x = rng.uniform(0.5, 2, shape) * rng.choice([-1, 1], shape)
    else:
        raise ValueError(f"domain {domain!r} has no sampler; give explicit values")
    return np.asarray(x, dtype)
