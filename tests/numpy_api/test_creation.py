"""adc.numpy.array/asarray of nests mixing traced values and numbers (adc/numpy/creation.py):
values, shapes and dtypes as numpy's array of the same nest, gradients against finite
differences, numpy's error for inhomogeneous nests, and adc.numpy functions taking such lists."""
from __future__ import annotations

import numpy as np
import pytest

import adc
import adc.numpy as anp

X = np.array([0.5, -1.25, 2.0])
CASES = {
    "scalars": lambda x: anp.array([x[0], 2 * x[1], 3.0]),
    "rows": lambda x: anp.array([x, x * x, [1.0, 2.0, 3.0]]),
    "nested": lambda x: anp.array([[x[0], 1], [2, x[2]]], ndmin=3),
    "tuple_dtype": lambda x: anp.asarray((x[1], x[2]), dtype=np.float32),
    "float32_stays": lambda x: anp.array([anp.astype(x, np.float32), anp.astype(x, np.float32)]),
    "float32_with_int": lambda x: anp.array([anp.astype(x[0], np.float32), 2]),
    "mean_of_list": lambda x: anp.mean([x, x + 2], axis=0),
    "sum_of_list": lambda x: anp.sum([x[0], x[1] * x[2]]),
    "stack_of_list": lambda x: anp.concatenate([[x[0], 1.0], x]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_nest_matches_numpys_array(name):
    fn = CASES[name]
    expected = fn(X)  # concrete values: numpy's own array
    got = adc.jit(fn)(X)
    assert got.shape == np.shape(expected) and got.dtype == np.asarray(expected).dtype
    np.testing.assert_allclose(got, expected, rtol=1e-6)


@pytest.mark.parametrize("name", sorted(CASES))
def test_nest_gradients_match_finite_differences(name):
    fn = CASES[name]
    # a float32 rounding inside: a wide step keeps the rounding out of the quotient
    wide = {"eps": 1e-2, "rtol": 1e-4} if "float32" in name or "dtype" in name else {}
    adc.check_grad(lambda x: anp.sum(anp.astype(fn(x), np.float64) ** 2), X, torch=False,
                   **wide)


def test_inhomogeneous_nest_raises_numpys_error():
    with pytest.raises(ValueError, match="inhomogeneous shape after 1 dimensions"):
        adc.jit(lambda x: anp.array([x, x[:2]]))(X)


def test_plain_numpy_array_of_traced_values_names_the_cause():
    """numpy's protocols cannot return a traced array from np.array/np.asarray/np.float64."""
    for fn in (lambda x: np.array([x[0], x[1]]), lambda x: np.float64(x[0]),
               lambda x: np.mean([x, x])):
        with pytest.raises(adc.TraceError, match="numpy cannot hold it.*anp.array"):
            adc.jit(fn)(X)
