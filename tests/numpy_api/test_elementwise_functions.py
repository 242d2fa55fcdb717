"""numpy's further elementwise functions (adc/numpy/elementwise.py), called as plain numpy on
traced values: values and dtypes against numpy itself (float and integer inputs), gradients
against torch's functions and finite differences, one compiled graph per backend."""
from __future__ import annotations

import numpy as np
import pytest

import adc
import adc.numpy as anp
from adc.validate import TOLERANCES, compare

torch = pytest.importorskip("torch")

# name: (function of numpy arrays, torch's function, inputs' domain (lo, hi) per argument)
REAL, POS, UNIT, BIG = (-2.0, 2.0), (0.5, 2.0), (-0.9, 0.9), (1.2, 3.0)
OPS = {
    "log2": (np.log2, torch.log2, [POS]),
    "log10": (np.log10, torch.log10, [POS]),
    "exp2": (np.exp2, torch.exp2, [REAL]),
    "logaddexp2": (np.logaddexp2, torch.logaddexp2, [REAL, REAL]),
    "arcsin": (np.arcsin, torch.asin, [UNIT]),
    "arccos": (np.arccos, torch.acos, [UNIT]),
    "arcsinh": (np.arcsinh, torch.asinh, [REAL]),
    "arccosh": (np.arccosh, torch.acosh, [BIG]),
    "arctanh": (np.arctanh, torch.atanh, [UNIT]),
    "arctan2": (np.arctan2, torch.atan2, [REAL, REAL]),
    "hypot": (np.hypot, torch.hypot, [REAL, REAL]),
    "sinc": (np.sinc, torch.sinc, [REAL]),
    "deg2rad": (np.deg2rad, torch.deg2rad, [REAL]),
    "rad2deg": (np.rad2deg, torch.rad2deg, [REAL]),
    "radians": (np.radians, torch.deg2rad, [REAL]),
    "degrees": (np.degrees, torch.rad2deg, [REAL]),
    "fabs": (np.fabs, torch.abs, [REAL]),
    "fmax": (np.fmax, torch.fmax, [REAL, REAL]),
    "fmin": (np.fmin, torch.fmin, [REAL, REAL]),
    "nan_to_num": (np.nan_to_num, torch.nan_to_num, [REAL]),
    "real": (np.real, torch.real, [REAL]),
    "erfc": (lambda x: anp.erfc(x), torch.erfc, [REAL]),
    "floor": (np.floor, torch.floor, [REAL]),
    "ceil": (np.ceil, torch.ceil, [REAL]),
    "trunc": (np.trunc, torch.trunc, [REAL]),
    "fix": (np.fix, torch.trunc, [REAL]),
    "rint": (np.rint, torch.round, [REAL]),
    "round": (np.round, torch.round, [REAL]),
    "round_decimals": (lambda x: np.round(x, 2), lambda x: torch.round(x, decimals=2), [REAL]),
    "around_negative": (lambda x: np.around(x * 40, -1), lambda x: torch.round(x * 40, decimals=-1),
                        [REAL]),
    "remainder": (np.remainder, torch.remainder, [REAL, POS]),
    "mod_operator": (lambda x, y: x % -y, lambda x, y: x % -y, [REAL, POS]),
    "rmod_operator": (lambda x: 1.75 % x, lambda x: torch.full_like(x, 1.75) % x, [POS]),
    "fmod": (np.fmod, torch.fmod, [REAL, POS]),
    "floordiv_operator": (lambda x, y: x // y * y, lambda x, y: torch.div(
        x, y, rounding_mode="floor") * y, [REAL, POS]),
}
# functions of one integer array (or two) whose numpy result dtype and values adc must match
INTEGER_OPS = ["floor", "ceil", "trunc", "fix", "rint", "round", "fabs", "fmax", "fmin",
               "nan_to_num", "real", "remainder", "fmod", "log2", "exp2", "arctan2", "hypot",
               "sinc", "deg2rad"]


def _inputs(name, dtype, seed=0):
    rng = np.random.default_rng(seed)
    return [rng.uniform(lo, hi, (2, 3)).astype(dtype) for lo, hi in OPS[name][2]]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(OPS))
def test_values_and_gradients_match_numpy_and_torch(name, dtype):
    fn, torch_fn, _ = OPS[name]
    args = _inputs(name, dtype)
    rtol, atol = TOLERANCES[np.dtype(dtype)]
    out, vjp_fn = adc.vjp(fn, *args, backend="numpy")
    expected = fn(*args)
    assert out.shape == expected.shape and out.dtype == expected.dtype
    np.testing.assert_allclose(out, expected, rtol=rtol, atol=atol)

    tensors = [torch.from_numpy(a.copy()).requires_grad_() for a in args]
    t_out = torch_fn(*tensors)
    seed = np.random.default_rng(1).standard_normal(out.shape).astype(dtype)
    t_grads = torch.autograd.grad(t_out, tensors, torch.from_numpy(seed), allow_unused=True)
    for g, t in zip(vjp_fn(seed), t_grads):
        t = np.zeros_like(g) if t is None else t.numpy()
        abs_err, rel_err, ok = compare(g, t, rtol, atol)
        assert ok, (abs_err, rel_err)


@pytest.mark.parametrize("name", sorted(OPS))
def test_gradients_match_finite_differences(name):
    args = _inputs(name, np.float64)
    adc.check_grad(OPS[name][0], *args, argnums=tuple(range(len(args))), torch=False,
                   backend="numpy")


@pytest.mark.parametrize("dtype", [np.int64, np.int32, np.int16, np.uint16, np.int8, np.uint8,
                                   np.bool_])
@pytest.mark.parametrize("name", INTEGER_OPS)
def test_integer_inputs_keep_numpy_dtypes(name, dtype):
    fn = OPS[name][0]
    args = [np.array([[-7, 3, 0], [5, -2, 8]]).astype(dtype),
            np.array([[3, -2, 4], [-3, 5, 2]]).astype(dtype)][:len(OPS[name][2])]
    if dtype == np.bool_ and name in ("remainder", "fmod"):
        args[1] = np.ones((2, 3), bool)
    with np.errstate(all="ignore"):
        expected = fn(*args)
        if expected.dtype == np.float16:  # of bools; adc has no float16 and computes in float64
            expected = fn(*[a.astype(np.float64) for a in args])
        got = adc.jit(fn, backend="numpy")(*args)
    assert got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-15)


def test_rounding_is_half_to_even_with_numpys_signed_zeros():
    x = np.array([-2.5, -1.5, -0.5, -0.0, 0.5, 1.5, 2.5, -0.2, np.inf, -np.inf, np.nan, 3e17])
    for fn in (np.floor, np.ceil, np.trunc, np.rint, np.round):
        for backend in ("numpy", "cpu"):
            got = adc.jit(fn, backend=backend)(x)
            np.testing.assert_array_equal(got, fn(x))
            np.testing.assert_array_equal(np.signbit(got), np.signbit(fn(x)))


def test_remainders_follow_numpy_at_zeros_and_infinities():
    a = np.array([-3.5, 3.5, -0.0, 0.0, 2.0, np.inf, 1.0, -1.0, np.nan, 5.0])
    b = np.array([2.0, -2.0, 3.0, -3.0, 0.0, 2.0, np.inf, np.inf, 1.0, np.nan])
    with np.errstate(all="ignore"):
        expected = [np.remainder(a, b), np.fmod(a, b), np.floor_divide(a, b)]
    for backend in ("numpy", "cpu"):
        got = adc.jit(lambda x, y: (x % y, np.fmod(x, y), x // y), backend=backend)(a, b)
        for g, e in zip(got, expected):
            np.testing.assert_array_equal(g, e)
            np.testing.assert_array_equal(np.signbit(g[~np.isnan(e)]), np.signbit(e[~np.isnan(e)]))
    ints = np.array([-7, 7, 0, 5, -5]), np.array([2, -2, 3, 0, 3])
    with np.errstate(all="ignore"):
        expected = [np.remainder(*ints), np.fmod(*ints), np.floor_divide(*ints)]
    got = adc.jit(lambda x, y: (x % y, np.fmod(x, y), x // y), backend="cpu")(*ints)
    for g, e in zip(got, expected):
        assert g.dtype == e.dtype
        np.testing.assert_array_equal(g, e)


def _all_ops(*xs):
    """Every function of the table in one graph (one compilation per backend)."""
    x, y = xs[0], 0.5 + xs[1] * xs[1]
    total = 0.0
    for name, (fn, _, domains) in OPS.items():
        a = {REAL: x, POS: y, UNIT: np.tanh(x), BIG: 1.2 + y}
        total = total + anp.sum(fn(*[a[d] for d in domains]) * (1.0 + 0.1 * len(name)))
    return total


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_compiled_backends_match_the_reference(backend):
    args = [np.random.default_rng(2).uniform(-2, 2, (2, 3)) for _ in range(2)]
    ref_value, ref_grads = adc.value_and_grad(_all_ops, argnums=(0, 1), backend="numpy")(*args)
    value, grads = adc.value_and_grad(_all_ops, argnums=(0, 1), backend=backend)(*args)
    np.testing.assert_allclose(value, ref_value, rtol=1e-12)
    for g, r in zip(grads, ref_grads):
        np.testing.assert_allclose(g, r, rtol=1e-12, atol=1e-12)


def test_imag_of_a_real_array_is_zero_and_constant():
    x = np.arange(3.0)
    assert adc.grad(lambda x: anp.sum(x * x + np.imag(x)))(x).tolist() == [0.0, 2.0, 4.0]
    assert adc.jit(np.imag)(x).tolist() == [0.0] * 3


def test_divmod_is_floor_divide_and_remainder():
    a, b = np.array([7.5, -7.5, 3.0]), np.array([2.0, 2.0, -1.25])
    q, r = adc.jit(lambda x, y: divmod(x, y))(a, b)
    np.testing.assert_array_equal(q, np.floor_divide(a, b))
    np.testing.assert_array_equal(r, np.remainder(a, b))
