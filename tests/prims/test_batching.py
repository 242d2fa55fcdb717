"""Every registered primitive's batching rule against a Python loop over the batch: for each
of its cases, every input batched and each input batched alone (the others shared), on the
numpy reference path; and a few compiled (cpu) cases."""
from __future__ import annotations

import numpy as np
import pytest

import adc
from adc.batching import vmap_call
from adc.prims import REGISTRY
from adc.tracer import bind

from prim_cases import CASES, case_ids, make_inputs

BATCH = 3


def _setup(name, k):
    prim, spec = REGISTRY[name], CASES[name][k]
    params = dict(spec["params"])
    if name == "convert_element_type":
        params["dtype"] = np.dtype(np.float32)
    examples = [make_inputs(prim, spec, np.float64, seed=b) for b in range(BATCH)]
    return prim, params, examples


def _patterns(n):
    """All inputs batched, then each one alone."""
    full = (True,) * n
    return [full] + [tuple(i == j for i in range(n)) for j in range(n) if n > 1]


def _check(got, want):
    got, want = np.asarray(got), np.asarray(want)
    assert got.shape == want.shape and got.dtype == want.dtype
    if want.dtype.kind == "f":
        np.testing.assert_allclose(got, want, rtol=1e-10, atol=1e-12)
    else:
        np.testing.assert_array_equal(got, want)


@pytest.mark.parametrize("name,k", case_ids(), ids=[f"{n}-{k}" for n, k in case_ids()])
def test_batching_rule_matches_a_loop(name, k):
    prim, params, examples = _setup(name, k)
    n = len(examples[0])
    for pattern in _patterns(n):
        args = [np.stack([ex[i] for ex in examples]) if b else examples[0][i]
                for i, b in enumerate(pattern)]
        want = np.stack([bind(prim, *[ex[i] if b else examples[0][i]
                                      for i, b in enumerate(pattern)], **params)
                         for ex in examples])
        got = vmap_call(lambda *xs: bind(prim, *xs, **params), args,
                        tuple(0 if b else None for b in pattern))
        _check(got, want)


@pytest.mark.parametrize("name,k", [("matmul", 0), ("matmul", 1), ("einsum", 1),
                                    ("reduce_max", 1), ("take", 1), ("patches", 2),
                                    ("cumsum", 2)])
def test_batching_rule_compiled_on_cpu(name, k):
    prim, params, examples = _setup(name, k)
    n = len(examples[0])
    for pattern in _patterns(n)[:2]:
        args = [np.stack([ex[i] for ex in examples]) if b else examples[0][i]
                for i, b in enumerate(pattern)]
        f = adc.vmap(lambda *xs: bind(prim, *xs, **params),
                     in_axes=tuple(0 if b else None for b in pattern), backend="cpu")
        _check(f(*args), vmap_call(lambda *xs: bind(prim, *xs, **params), args,
                                   tuple(0 if b else None for b in pattern)))


def test_every_primitive_declares_a_batching_rule():
    assert all(prim.batch is not None for prim in REGISTRY.values())
