"""numpy's result dtypes for bools and integers of every width, on traced values: reductions
accumulate in numpy's widened dtype (a uint8 sum does not wrap at 256), floating ufuncs take
numpy's narrowest float, powers follow numpy's operator and function; what adc cannot compute
as numpy does raises."""
from __future__ import annotations

import numpy as np
import pytest

import adc

DTYPES = [np.bool_, np.int8, np.uint8, np.int16, np.uint16, np.int32, np.uint32, np.int64,
          np.uint64]
VALUES = np.array([[200, 100, 250], [3, 1, 2]])  # sums past 255, products past 2**15

FUNCTIONS = {
    "sum": np.sum, "sum_axis": lambda v: np.sum(v, axis=0, keepdims=True),
    "prod": np.prod, "prod_axis": lambda v: np.prod(v, axis=1),
    "prod_dtype": lambda v: np.prod(v, dtype=np.float32),
    "cumsum": np.cumsum, "cumprod": lambda v: np.cumprod(v, axis=1),
    "trace": np.trace, "method_sum": lambda v: v.sum(axis=1),
    "mean": np.mean,
    "sqrt": np.sqrt, "exp": lambda v: np.exp(v % 3), "arctan2": lambda v: np.arctan2(v, 2),
    "divide": lambda v: v / 3, "pow_operator_2": lambda v: v ** 2,
    "pow_operator_3": lambda v: v ** 3, "pow_function_2": lambda v: np.power(v, 2),
    "pow_float": lambda v: v ** 0.5, "pow_numpy_scalar": lambda v: v ** np.int64(2),
    "square": np.square,
    "clip_max": lambda v: np.clip(v, None, 5), "clip_min": lambda v: np.clip(v, 2, None),
    "clip_both": lambda v: np.clip(v, 2, 5), "clip_float_bound": lambda v: np.clip(v, 2.5, None),
}


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_results_are_numpys_for_every_integer_width(name, backend):
    fn = FUNCTIONS[name]
    for dtype in DTYPES:
        x = VALUES.astype(dtype)
        with np.errstate(all="ignore"):
            expected = np.asarray(fn(x))
            if expected.dtype == np.float16:  # adc computes in no float16: float64 instead
                expected = np.asarray(fn(x.astype(np.float64)))
            got = np.asarray(adc.jit(fn, backend=backend)(x))
        assert got.dtype == expected.dtype and got.shape == expected.shape, (dtype, got.dtype)
        np.testing.assert_allclose(got, expected, rtol=1e-6, err_msg=str(dtype))


@pytest.mark.parametrize("fn, match", [
    (lambda v: 2 ** v, "power of integers with an array exponent"),
    (lambda v: v ** v, "power of integers with an array exponent"),
    (np.reciprocal, "numpy's integer reciprocal truncates"),
])
def test_integer_operations_adc_cannot_match_raise(fn, match):
    with pytest.raises(adc.UnsupportedError, match=match):
        adc.jit(fn)(VALUES)
