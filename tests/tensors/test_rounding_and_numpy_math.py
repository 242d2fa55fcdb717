"""The tensor ops whose math lives in adc/numpy/elementwise.py, side by side with torch 2.13:
the rounding and remainder ops as traced primitives (inside adc.grad and on tensors that
require grad, with torch's grad_fn names and gradients), and asinh/acosh/atanh/erfc/sinc."""
from __future__ import annotations

import numpy as np
import pytest

import adc
import adc.numpy as anp
from side_by_side import numpy_backward  # noqa: F401  (the fixture below)
from side_by_side import same_as_torch

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("numpy_backward")

RNG = np.random.default_rng(4)
X = RNG.uniform(-3, 3, (2, 4))
POS = RNG.uniform(0.5, 2, (2, 4))
INTS = np.array([[7, -7, 5, 0], [-3, 2, 9, -8]])
DIVISORS = np.array([[2, 2, -3, 4], [5, -1, 4, 3]])

CASES = {
    "asinh": (lambda L, x: L.asinh(x), [X]),
    "arccosh": (lambda L, x: L.arccosh(1 + x), [POS]),
    "atanh_method": (lambda L, x: (x * 0.3).atanh(), [X]),
    "erfc": (lambda L, x: L.erfc(x * 3), [X]),
    "sinc": (lambda L, x: L.sinc(x), [X]),
    "asinh_int": (lambda L, x: L.asinh(x), [INTS]),
    "floor_in_place": (lambda L, x: (x * 1).floor_() * x, [X]),
    "trunc_div_tensors": (lambda L, x, y: L.div(x, y, rounding_mode="trunc"), [X, POS]),
    "trunc_div_ints": (lambda L, x, y: L.div(x, y, rounding_mode="trunc"), [INTS, DIVISORS]),
    "floordiv_ints": (lambda L, x, y: x // y, [INTS, DIVISORS]),
    "remainder_ints": (lambda L, x, y: x % y, [INTS, DIVISORS]),
    "fmod_ints": (lambda L, x, y: L.fmod(x, y), [INTS, DIVISORS]),
    "fmod_by_tensor": (lambda L, x, y: L.fmod(x, y) * y, [X, POS]),
    "frac": (lambda L, x: L.frac(x) * x, [X]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_function_matches_torch(name):
    fn, arrays = CASES[name]
    same_as_torch(fn, *arrays)


@pytest.mark.parametrize("fn", [
    lambda L, x: L.floor(x) * x, lambda L, x: L.ceil(x) * x, lambda L, x: L.trunc(x) * x,
    lambda L, x: L.round(x) * x, lambda L, x: L.round(x, decimals=1) * x,
    lambda L, x: L.remainder(x, 0.7) * x, lambda L, x: L.fmod(x, -0.7) * x,
    lambda L, x: (x % 0.9) * L.div(x, 0.4, rounding_mode="floor"), lambda L, x: L.frac(x) * x])
def test_rounding_inside_adc_grad_matches_torch(fn):
    """The tensor functions on traced values (adc.grad of code written with them) are the
    primitives: they trace, and their gradients are torch's."""
    x = torch.tensor(X, requires_grad=True)
    (expected,) = torch.autograd.grad(fn(torch, x).sum(), x)
    got = adc.grad(lambda a: anp.sum(fn(adc, a)))(X)
    np.testing.assert_allclose(got, expected.numpy(), rtol=1e-12)


def test_rounding_ops_on_grad_tensors_record_the_primitives():
    """A tensor that requires grad rounds through a recorded graph of the primitive (not an
    eager value pinned to its input)."""
    x = adc.tensor(X, requires_grad=True)
    for out, prim in [(adc.floor(x), "floor"), (adc.round(x), "rint"), (x % 0.7, "remainder"),
                      (adc.fmod(x, x), "fmod"), (x // 0.3, "floor_divide")]:
        assert prim in {e.prim.name for e in out.grad_fn.graph.eqns}
