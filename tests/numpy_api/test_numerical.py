"""adc.numpy's numerical helpers (cov, corrcoef, count_nonzero, the nan-reductions, trapezoid,
ediff1d, gradient, polyval, vander, convolve, correlate, meshgrid, searchsorted, digitize,
interp, copysign, heaviside, float_power) and ufunc methods (reduce, accumulate, outer) as
numpy code calls them: numpy's values, shapes and dtypes on the numpy reference and the cpu
backend, gradients against finite differences, numpy's errors."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import adc

RNG = np.random.default_rng(3)
X = RNG.standard_normal(6)
K3 = np.array([1.0, -2.0, 0.5])
K4 = np.array([0.5, 1.0, 2.0, -1.0])
WITH_NAN = np.array([0.3, np.nan, 0.7, -0.2, np.nan, 1.5])

FUNCTIONS = {
    "cov_rows": lambda x: np.cov(x.reshape(2, 3)),
    "cov_1d": lambda x: np.cov(x),
    "cov_columns_bias": lambda x: np.cov(x.reshape(3, 2), rowvar=False, bias=True),
    "cov_with_y_ddof": lambda x: np.cov(x[:3], x[3:], ddof=0),
    "cov_float32": lambda x: np.cov(x.reshape(2, 3).astype(np.float32)),
    "corrcoef": lambda x: np.corrcoef(x.reshape(3, 2)),
    "corrcoef_xy": lambda x: np.corrcoef(x[:3], x[3:] ** 2),
    "count_nonzero": lambda x: np.count_nonzero(x > 0.1),
    "count_nonzero_axis": lambda x: np.count_nonzero(x.reshape(2, 3) > 0, axis=1),
    "nansum": lambda x: np.nansum(x + WITH_NAN),
    "nansum_axis": lambda x: np.nansum((x + WITH_NAN).reshape(2, 3), axis=0, keepdims=True),
    "nanprod": lambda x: np.nanprod(x + WITH_NAN),
    "nanmean": lambda x: np.nanmean((x + WITH_NAN).reshape(3, 2), axis=1),
    "nanvar": lambda x: np.nanvar(x + WITH_NAN, ddof=1),
    "nanstd": lambda x: np.nanstd((x + WITH_NAN).reshape(2, 3), axis=1),
    "nanmax": lambda x: np.nanmax((x + WITH_NAN).reshape(2, 3), axis=1),
    "nanmin": lambda x: np.nanmin(x + WITH_NAN),
    "nanmax_all_nan_row": lambda x: np.nanmax(np.where(np.arange(6).reshape(2, 3) < 3, np.nan,
                                                       x.reshape(2, 3)), axis=1),
    "nanmean_ints": lambda x: np.nanmean((x > 0).astype(np.int64)),
    "trapezoid": lambda x: np.trapezoid(x),
    "trapezoid_dx": lambda x: np.trapezoid(x.reshape(2, 3), dx=0.1, axis=0),
    "trapezoid_x": lambda x: np.trapezoid(x, np.arange(6.0) ** 2),
    "trapezoid_traced_x": lambda x: np.trapezoid(np.sin(x), np.cumsum(np.abs(x))),
    "ediff1d": lambda x: np.ediff1d(x.reshape(2, 3), to_begin=x[:1], to_end=[9.0, 8.0]),
    "polyval": lambda x: np.polyval(x[:3], x),
    "polyval_constant_coefficients": lambda x: np.polyval([1.0, -2.0, 3.0], x),
    "vander": lambda x: np.vander(x[:3]),
    "vander_increasing": lambda x: np.vander(x, 4, increasing=True),
    "convolve_full": lambda x: np.convolve(x, K3),
    "convolve_same": lambda x: np.convolve(x, K4, "same"),
    "convolve_valid": lambda x: np.convolve(x, K3, mode="valid"),
    "convolve_longer_kernel": lambda x: np.convolve(x[:3], x, "same"),
    "correlate": lambda x: np.correlate(x, K3),
    "correlate_full": lambda x: np.correlate(x, K4, "full"),
    "correlate_same_even": lambda x: np.correlate(x, K4, "same"),
    "correlate_swapped": lambda x: np.correlate(x[:2], x, "full"),
    "correlate_swapped_same": lambda x: np.correlate(x[:3], x[1:], "same"),
    "meshgrid": lambda x: np.meshgrid(x[:2], x[2:5]),
    "meshgrid_ij_3": lambda x: np.meshgrid(x[:2], x[2:5], x[5:], indexing="ij"),
    "meshgrid_sparse": lambda x: np.meshgrid(x[:2], x[2:5], sparse=True),
    "gradient": lambda x: np.gradient(x),
    "gradient_spacing": lambda x: np.gradient(x, 0.5),
    "gradient_2d": lambda x: np.gradient(x.reshape(2, 3)),
    "gradient_axis_edge_order_2": lambda x: np.gradient(x.reshape(2, 3), axis=1, edge_order=2),
    "gradient_edge_order_2": lambda x: np.gradient(x, edge_order=2),
    "gradient_coordinates": lambda x: np.gradient(x, np.cumsum(np.arange(1.0, 7.0))),
    "gradient_coordinates_edge_order_2": lambda x: np.gradient(x, np.arange(6.0) ** 2,
                                                               edge_order=2),
    "gradient_traced_coordinates": lambda x: np.gradient(np.sin(x), np.cumsum(np.abs(x))),
    "gradient_spacing_per_axis": lambda x: np.gradient(x.reshape(2, 3), 2.0, [0.0, 0.5, 2.0]),
    "gradient_ints": lambda x: np.gradient((x * 10).astype(np.int64)),
    "gradient_float32": lambda x: np.gradient(x.astype(np.float32)),
    "searchsorted": lambda x: np.searchsorted(np.array([-1.0, 0.0, 0.5, 2.0]), x),
    "searchsorted_right_ties": lambda x: np.searchsorted(np.array([-1.0, 0.0, 1.0]),
                                                         np.round(x), "right"),
    "searchsorted_traced": lambda x: np.searchsorted(np.sort(x), x[::-1]),
    "digitize": lambda x: np.digitize(x, np.array([-1.0, 0.0, 0.5, 2.0])),
    "digitize_right": lambda x: np.digitize(np.round(x), np.array([-1.0, 0.0, 1.0]), right=True),
    "digitize_decreasing": lambda x: np.digitize(x, np.array([2.0, 0.5, 0.0, -1.0])),
    "interp": lambda x: np.interp(x, np.array([-1.0, 0.0, 0.5, 1.0]), np.array([1., 2., 0., 3.])),
    "interp_left_right": lambda x: np.interp(x, np.array([-1.0, 0.0, 0.5]),
                                             np.array([1.0, 2.0, 0.0]), left=-5.0, right=7.0),
    "interp_traced_points": lambda x: np.interp(np.linspace(-2, 2, 9), np.sort(x), x ** 2),
    "interp_at_the_knots": lambda x: np.interp(np.array([-1.0, 0.0, 0.5, 1.0]),
                                               np.array([-1.0, 0.0, 0.5, 1.0]), x[:4]),
    "add_reduce": lambda x: np.add.reduce(x.reshape(2, 3)),
    "multiply_reduce_axis": lambda x: np.multiply.reduce(x.reshape(2, 3), 1),
    "maximum_reduce_keepdims": lambda x: np.maximum.reduce(x.reshape(2, 3), axis=None,
                                                           keepdims=True),
    "logical_or_reduce": lambda x: np.logical_or.reduce(x.reshape(2, 3) > 0.5, axis=1),
    "add_accumulate_int8": lambda x: np.add.accumulate((x * 30).astype(np.int8)),
    "multiply_accumulate": lambda x: np.multiply.accumulate(x.reshape(2, 3), axis=1),
    "subtract_outer": lambda x: np.subtract.outer(x[:2], x.reshape(2, 3)),
    "copysign": lambda x: np.copysign(x, np.array([1.0, -1.0, -0.0, 0.0, -2.0, 3.0])),
    "heaviside": lambda x: np.heaviside(np.round(x), 0.5 * x),
    "float_power": lambda x: np.float_power(np.abs(x).astype(np.float32), 1.5),
}


# computed in float32 inside: finite differences of the float64 input cannot resolve them
NO_GRADIENT_CHECK = {"cov_float32", "float_power"}


def _flat(out):
    return [np.asarray(o) for o in out] if isinstance(out, tuple) else [np.asarray(out)]


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_values_dtypes_and_gradients_are_numpys(name, backend):
    fn = FUNCTIONS[name]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # numpy's all-NaN slice warnings
        expected = fn(X)
    got = adc.jit(fn, backend=backend)(X)
    assert isinstance(got, tuple) == isinstance(expected, tuple)
    for ours, theirs in zip(_flat(got), _flat(expected), strict=True):
        assert ours.shape == theirs.shape and ours.dtype == theirs.dtype, (ours, theirs)
        np.testing.assert_allclose(ours, theirs, rtol=1e-6 if theirs.dtype == np.float32
                                   else 1e-12, atol=1e-14)
    if name not in NO_GRADIENT_CHECK and all(e.dtype == np.float64 and np.isfinite(e).any()
                                             for e in _flat(expected)):
        # a weighted sum of every finite output (NaN outputs, of all-NaN slices, left out)
        weights = [np.where(np.isfinite(e), np.arange(1.0, e.size + 1).reshape(e.shape), 0.0)
                   for e in _flat(expected)]

        def scalar(x):
            parts = fn(x)
            parts = parts if isinstance(parts, tuple) else (parts,)
            return sum(np.sum(np.where(w != 0, p, 0.0) * w) for p, w in zip(parts, weights))
        adc.check_grad(scalar, X, torch=False, backend=backend)

@pytest.mark.parametrize("fn, error, match", [
    (lambda x: np.convolve(x, x[:0]), ValueError, "v cannot be empty"),
    (lambda x: np.correlate(x, K3, "middle"), ValueError, "mode must be one of"),
    (lambda x: np.cov(x.reshape(1, 2, 3)), ValueError, "more than 2 dimensions"),
    (lambda x: np.cov(x, aweights=np.ones(6)), adc.UnsupportedError, "aweights"),
    (lambda x: np.meshgrid(x, indexing="xx"), ValueError, "indexing"),
    (lambda x: np.vander(x.reshape(2, 3)), ValueError, "one-dimensional"),
    (lambda x: np.gradient(x[:1]), ValueError, "too small to calculate a numerical gradient"),
    (lambda x: np.gradient(x, np.ones(4)), ValueError, "must match the length"),
    (lambda x: np.digitize(x, np.array([0.0, 2.0, 1.0])), ValueError, "monotonically"),
    (lambda x: np.interp(x, np.array([0.0, 1.0]), np.ones(3)), ValueError, "same length"),
    (lambda x: np.add.reduceat(x, [0, 2]), adc.UnsupportedError, "np.add.reduceat"),
])
def test_numpys_errors(fn, error, match):
    with pytest.raises(error, match=match):
        adc.jit(fn)(X)
