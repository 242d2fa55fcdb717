"""numpy's optional reduction and layout arguments on traced values: `where=` masks and
`initial=` values of sum/prod/max/min/mean (numpy's errors where it has them), `dtype=` of mean,
and Fortran order in reshape/ravel/flatten; values and dtypes as numpy's, gradients checked
against finite differences on the numpy reference and the cpu backend."""
from __future__ import annotations

import numpy as np
import pytest

import adc

X = np.array([0.3, -0.5, 0.7, 0.2, 0.9, 1.5])
MASK = X > 0.25
GRID_MASK = MASK.reshape(2, 3)

FUNCTIONS = {
    "ravel_F": lambda x: np.ravel(x.reshape(2, 3), order="F"),
    "ravel_K": lambda x: np.ravel(x.reshape(2, 3), "K"),
    "reshape_F": lambda x: np.reshape(x, (3, 2), order="F"),
    "reshape_F_unknown": lambda x: x.reshape((3, -1), order="F"),
    "reshape_F_3d": lambda x: np.reshape(x.reshape(1, 2, 3), (3, 1, 2), order="F"),
    "flatten_F": lambda x: x.reshape(2, 3).flatten("F"),
    "max_initial_above": lambda x: np.max(x, initial=5.0),
    "max_initial_below": lambda x: x.max(initial=0.5),
    "max_empty_initial": lambda x: np.max(x.reshape(2, 3)[:, :0], axis=1, initial=-1.0),
    "min_where": lambda x: np.min(x.reshape(2, 3), axis=1, where=GRID_MASK, initial=9.0),
    "sum_where": lambda x: x.sum(where=MASK),
    "sum_where_axis": lambda x: np.sum(x.reshape(2, 3), axis=1, where=GRID_MASK),
    "sum_initial": lambda x: np.sum(x, initial=10.0),
    "prod_where": lambda x: np.prod(x.reshape(2, 3), axis=0, where=GRID_MASK),
    "mean_where": lambda x: np.mean(x, where=MASK),
    "mean_where_keepdims": lambda x: np.mean(x.reshape(2, 3), axis=0, where=GRID_MASK,
                                             keepdims=True),
    "mean_where_broadcast": lambda x: np.mean(x.reshape(2, 3), axis=1,
                                              where=np.array([True, False, True])),
    "mean_dtype": lambda x: np.mean(x, dtype=np.float32),
    "int_max_initial": lambda x: np.max((x * 10).astype(np.int64), initial=3.7),
}


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_values_dtypes_and_gradients_are_numpys(name, backend):
    fn = FUNCTIONS[name]
    expected, got = np.asarray(fn(X)), np.asarray(adc.jit(fn, backend=backend)(X))
    assert got.shape == expected.shape and got.dtype == expected.dtype
    np.testing.assert_allclose(got, expected, rtol=1e-6)
    if expected.dtype == np.float64 and expected.size:
        weights = np.arange(1.0, expected.size + 1).reshape(expected.shape)
        adc.check_grad(lambda x: np.sum(fn(x) * weights), X, torch=False, backend=backend)


@pytest.mark.parametrize("fn, error, match", [
    (lambda x: np.max(x, where=MASK), ValueError, "to use a where mask one has to specify"),
    (lambda x: np.min(x[:0]), adc.ShapeError, "zero-size reduction"),
    (lambda x: np.ravel(x, order="Q"), ValueError, "order must be one of"),
])
def test_numpys_errors(fn, error, match):
    with pytest.raises(error, match=match):
        adc.jit(fn)(X)
