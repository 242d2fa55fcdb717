"""Test-case builders for the primitives' own case tables (`Primitive.cases`).

Stage: primitive definitions (data for the table-driven checker in tests/). Invariant: a
case names input shapes, static parameters and, where a domain is not enough, a function
`fn(rng, dtype) -> array` per input index; nothing here imports a test framework.
"""
from __future__ import annotations

import numpy as np

# Length-1 axes in every position (leading, middle, trailing), 0-d and empty arrays.
UNARY_SHAPES = [(), (3,), (2, 3), (1, 3), (3, 1), (2, 1, 3), (0,), (2, 0)]
# Broadcasting against a length-1 axis in every position, and rank extension.
BINARY_SHAPES = [((), ()), ((3,), (3,)), ((2, 3), (2, 3)), ((2, 3), (3,)), ((2, 1), (1, 3)),
                 ((), (2, 3)), ((2, 3), ()), ((0,), (0,)), ((1,), (0,)), ((1, 3), (3,)),
                 ((3,), (2, 1)), ((2, 1, 3), (1, 2, 1))]


def case(shapes, params=None, values=None) -> dict:
    """values: {input index: fn(rng, dtype) -> array} overriding the primitive's domain."""
    return {"shapes": shapes, "params": params or {}, "values": values or {}}


def const(array):
    return lambda rng, dtype: np.asarray(array)


def uniform(lo, hi, shape):
    return lambda rng, dtype: rng.uniform(lo, hi, shape).astype(dtype)


def well_conditioned(shape):
    def make(rng, dtype):
        n = shape[-1]
        return (rng.uniform(-0.5, 0.5, shape) + 2.5 * np.eye(n)).astype(dtype)
    return make


def elementwise_cases(arity: int) -> list:
    """The default table of an elementwise primitive: every shape pattern for its arity."""
    if arity == 1:
        return [case((s,)) for s in UNARY_SHAPES]
    if arity == 2:
        return [case(s) for s in BINARY_SHAPES]
    raise TypeError(f"an elementwise primitive of {arity} inputs needs explicit cases")
