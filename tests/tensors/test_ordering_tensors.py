"""The tensor layer's order-dependent ops on adc.numpy's (sort, argsort, argmax/argmin, any/all,
isclose/allclose, cumprod) and torch.mode, side by side with torch 2.13 (values, dtypes, grad_fn
names, gradients, errors); on traced values in test_linalg_tensors.py's TRACED table."""
from __future__ import annotations

import numpy as np
import pytest

import adc
from side_by_side import numpy_backward  # noqa: F401  (the fixture below)
from side_by_side import raises_like_torch, same_as_torch

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("numpy_backward")

RNG = np.random.default_rng(8)
X = RNG.standard_normal((3, 4))
TIES = np.array([[3.0, 1.0, 3.0, 1.0, 2.0], [5.0, 5.0, 4.0, 4.0, 4.0]])
NAN = np.array([[3.0, 1.0, np.nan, 1.0], [0.5, -np.inf, 0.5, np.inf]])
INTS = np.array([[2, 2, 1, 1, 3, 1, 2], [0, 4, 4, 0, 1, 1, 1]])

CASES = {
    "sort": (lambda L, x: L.sort(x, 1), [TIES]),
    "sort_descending": (lambda L, x: x.sort(0, descending=True), [TIES]),
    "sort_stable": (lambda L, x: L.sort(x, stable=True, descending=True), [TIES]),
    "sort_ints": (lambda L, x: L.sort(x), [INTS]),
    "sort_nan": (lambda L, x: L.sort(x, 1)[1], [NAN]),
    "sort_0d": (lambda L, x: L.sort(x[0, 0], 0), [X]),
    "argsort": (lambda L, x: [L.argsort(x), x.argsort(0, descending=True)], [TIES]),
    "argmax": (lambda L, x: [L.argmax(x), x.argmax(1), L.argmax(x, 0, keepdim=True)], [TIES]),
    "argmin_nan": (lambda L, x: [L.argmin(x, 1), x.argmax(1), L.argmax(x)], [NAN]),
    "argmax_ints": (lambda L, x: [L.argmin(x, 1), L.argmax(x[0, 0])], [INTS]),
    "any_all": (lambda L, x: [L.any(x > 3), x.all(1), L.any(x, 0, keepdim=True)], [TIES]),
    "isclose": (lambda L, x: [L.isclose(x, x + 1e-6), x.isclose(x * 1.1, atol=0.2),
                              L.isclose(x, x, equal_nan=True)], [NAN]),
    "cumprod": (lambda L, x: [L.cumprod(x, 1), x.cumprod(0)], [X]),
    "cumprod_ints": (lambda L, x: L.cumprod(x, 1), [INTS]),
    "mode": (lambda L, x: L.mode(x), [TIES]),
    "mode_dim": (lambda L, x: x.mode(0, keepdim=True), [TIES]),
    "mode_ints": (lambda L, x: L.mode(x, 1), [INTS]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    fn, arrays = CASES[name]
    same_as_torch(fn, *arrays)


def test_allclose_is_a_python_bool():
    for lib in (adc, torch):
        assert lib.allclose(lib.tensor(X), lib.tensor(X + 1e-9)) is True
        assert lib.allclose(lib.tensor(X), lib.tensor(X + 1)) is False


@pytest.mark.parametrize("call", [
    lambda L, x: L.sort(x, 2), lambda L, x: L.argmax(x, 3), lambda L, x: L.mode(x, -3),
    lambda L, x: L.isclose(x, x.double()), lambda L, x: L.cumprod(x, 2),
])
def test_errors_match_torch(call):
    raises_like_torch(call, X.astype(np.float32))
