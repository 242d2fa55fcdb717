"""Round 2 of the torch functions, methods and operators tutorials call, side by side with
torch 2.13: operators (`//`, `%`, `&`, `|`, `^`, `~`), shape and indexing helpers, math
functions, joining, reductions and random draws: values, dtypes (integer and bool inputs),
grad_fn names, gradients and errors."""
from __future__ import annotations

import math

import numpy as np
import pytest

import adc
from side_by_side import numpy_backward  # noqa: F401  (the fixture below)
from side_by_side import raises_like_torch, same_as_torch

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("numpy_backward")

RNG = np.random.default_rng(0)
M = RNG.standard_normal((3, 4))
V4 = RNG.standard_normal(4)
INTS = np.array([[3, -1, 2, 0], [4, 7, -5, 1]])
DIVISORS = np.array([[2, -3, 3, 5], [-4, 2, 2, -1]])
SIGNED = np.array([-7.0, -2.5, -0.5, 0.0, 0.5, 3.5, 7.0, 1e6 + 0.5])
BOOLS = np.array([True, False, True, False])
FLIP = np.array([True, True, False, False])


CASES = {
    "floordiv_float": (lambda L, x: x // 2, [SIGNED]),
    "floordiv_negative_divisor": (lambda L, x: x // -0.75, [SIGNED]),
    "floordiv_by_tensor": (lambda L, x, y: x // y, [M, M[::-1].copy() + 0.1]),
    "rfloordiv": (lambda L, x: 7.5 // x, [M]),
    "floordiv_int": (lambda L, x, y: x // y, [INTS, DIVISORS]),
    "floordiv_int_by_float": (lambda L, x: x // 2.5, [INTS]),
    "rfloordiv_int": (lambda L, x: 7 // x, [DIVISORS]),
    "floor_divide_function": (lambda L, x, y: L.floor_divide(x, y), [INTS, DIVISORS]),
    "floor_divide_method": (lambda L, x: x.floor_divide(3), [SIGNED]),
    "div_floor": (lambda L, x, y: L.div(x, y, rounding_mode="floor"), [M, M[::-1].copy()]),
    "div_trunc": (lambda L, x: x.div(-2, rounding_mode="trunc"), [SIGNED]),
    "div_trunc_int": (lambda L, x, y: L.div(x, y, rounding_mode="trunc"), [INTS, DIVISORS]),
    "div_trunc_int_by_float": (lambda L, x: L.div(x, 2.0, rounding_mode="trunc"), [INTS]),
    "mod_float": (lambda L, x: x % 1.5, [SIGNED]),
    "mod_by_tensor": (lambda L, x, y: x % y, [M, M[::-1].copy()]),
    "mod_int": (lambda L, x, y: x % y, [INTS, DIVISORS]),
    "rmod_int": (lambda L, x: -7 % x, [DIVISORS]),
    "mod_int_by_float": (lambda L, x: x % 2.5, [INTS]),
    "and_int": (lambda L, x: x & 6, [INTS]),
    "rand_int": (lambda L, x: 6 & x, [INTS]),
    "or_int": (lambda L, x, y: x | y, [INTS, DIVISORS]),
    "xor_int": (lambda L, x: 3 ^ x, [INTS]),
    "xor_bool": (lambda L, x, y: x ^ y, [BOOLS, FLIP]),
    "xor_bool_number": (lambda L, x: x ^ True, [BOOLS]),
    "and_bool": (lambda L, x, y: x & y, [BOOLS, FLIP]),
    "or_bool_with_int": (lambda L, x, y: x | y, [BOOLS, INTS[0]]),
    "invert_int": (lambda L, x: ~x, [INTS]),
    "invert_bool": (lambda L, x: ~x, [BOOLS]),
    "bitwise_functions": (lambda L, x, y: (L.bitwise_and(x, y), L.bitwise_or(x, y),
                                           L.bitwise_xor(x, y), L.bitwise_not(x)),
                          [INTS, DIVISORS]),
    "logical_xor": (lambda L, x, y: L.logical_xor(x, y), [M[:2], INTS]),
    "logical_xor_method": (lambda L, x, y: x.logical_xor(y), [BOOLS, FLIP]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_function_matches_torch(name):
    fn, arrays = CASES[name]
    # torch refuses floor_divide's derivative (adc's is div(rounding_mode="floor")'s, zero)
    same_as_torch(fn, *arrays, grad=not name.startswith(("floor", "rfloor")))


def test_floor_divide_differentiates_as_div_with_floor_rounding():
    x = adc.tensor(SIGNED, requires_grad=True)
    (x // 2).sum().backward()
    t = torch.tensor(SIGNED, requires_grad=True)
    torch.div(t, 2, rounding_mode="floor").sum().backward()
    np.testing.assert_array_equal(x.grad.numpy(), t.grad.numpy())


@pytest.mark.parametrize("call", [
    lambda L, x: x // 0,
    lambda L, x: x % 0,
    lambda L, x: L.div(x, 0, rounding_mode="trunc"),
    lambda L, x: x.float() ^ 1,
    lambda L, x: x.float() & x.float(),
    lambda L, x: ~x.float(),
    lambda L, x: (x > 0) // (x > 0),
    lambda L, x: L.div(x, 2, rounding_mode="round"),
    lambda L, x: divmod(x, 2),
    lambda L, x: round(x[0, 0]),
])
def test_errors_match_torch(call):
    raises_like_torch(call, INTS)


def test_in_place_operators_as_torch():
    for lib in (adc, torch):
        x = lib.tensor(INTS)
        x //= 2
        x %= 3
        x ^= 1
        x |= 4
        x &= 6
        lib_result = x.numpy()
        if lib is adc:
            ours = lib_result
    np.testing.assert_array_equal(ours, lib_result)


def test_math_floor_and_ceil_take_the_python_number_as_torch():
    for fn in (math.floor, math.ceil):
        assert fn(adc.tensor(2.5)) == fn(torch.tensor(2.5))
