"""Reductions over empty axes (issue #19 item 5): logsumexp gives -inf, softmax/log_softmax an
empty array, sum/mean/prod/var 0/nan/1/nan, as torch's tensors and numpy/scipy's functions do;
max/min over nothing raise torch's errors (tensors) and a ShapeError naming the axes (adc.numpy),
on the numpy and cpu backends."""
from __future__ import annotations

import numpy as np
import pytest
from side_by_side import numpy_backward, raises_like_torch, same_as_torch  # noqa: F401

import adc
import adc.numpy as anp

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("numpy_backward")

EMPTY_ROWS, EMPTY_COLS = np.zeros((0, 3)), np.zeros((2, 0))

SAME = {
    "logsumexp": (lambda L, x: L.logsumexp(x, 0), EMPTY_ROWS),
    "logsumexp_cols": (lambda L, x: L.logsumexp(x, 1), EMPTY_COLS),
    "logsumexp_all": (lambda L, x: L.logsumexp(x, (0, 1)), EMPTY_ROWS),
    "logsumexp_keepdim": (lambda L, x: L.logsumexp(x, 1, keepdim=True), EMPTY_COLS),
    "softmax": (lambda L, x: L.softmax(x, 0), EMPTY_ROWS),
    "log_softmax": (lambda L, x: L.log_softmax(x, 1), EMPTY_COLS),
    "functional_softmax": (lambda L, x: L.nn.functional.softmax(x, dim=0), EMPTY_ROWS),
    "functional_log_softmax": (lambda L, x: L.nn.functional.log_softmax(x, dim=0), EMPTY_ROWS),
    "sum": (lambda L, x: L.sum(x, 0), EMPTY_ROWS),
    "sum_all": (lambda L, x: x.sum(), EMPTY_COLS),
    "mean": (lambda L, x: L.mean(x, 0), EMPTY_ROWS),
    "mean_all": (lambda L, x: x.mean(), EMPTY_COLS),
    "prod": (lambda L, x: L.prod(x, 0), EMPTY_ROWS),
    "prod_all": (lambda L, x: x.prod(), EMPTY_COLS),
    "var": (lambda L, x: L.var(x, 0), EMPTY_ROWS),
    "std_biased": (lambda L, x: L.std(x, 1, unbiased=False), EMPTY_COLS),
    "amax_nonempty_dim": (lambda L, x: L.amax(x, 1), EMPTY_ROWS),
    "max_nonempty_dim": (lambda L, x: x.max(0)[0], EMPTY_COLS),
}


@pytest.mark.parametrize("name", sorted(SAME))
def test_same_as_torch(name):
    fn, x = SAME[name]
    same_as_torch(fn, x)


RAISES = {
    "max": (lambda L, x: x.max(), "max(): Expected reduction dim to be specified"),
    "min_all": (lambda L, x: L.min(x), "min(): Expected reduction dim to be specified"),
    "amax": (lambda L, x: L.amax(x), "amax(): Expected reduction dim to be specified"),
    "max_dim": (lambda L, x: x.max(0), "max(): Expected reduction dim 0 to have non-zero size."),
    "amax_negative_dim": (lambda L, x: L.amax(x, -2),
                          "amax(): Expected reduction dim -2 to have non-zero size."),
    "amin_dims": (lambda L, x: L.amin(x, (1, 0)),
                  "amin(): Expected reduction dim 0 to have non-zero size."),
    "argmax": (lambda L, x: x.argmax(), "argmax(): Expected reduction dim to be specified"),
    "argmin_dim": (lambda L, x: x.argmin(-2),
                   "argmin(): Expected reduction dim 0 to have non-zero size."),
}


@pytest.mark.parametrize("name", sorted(RAISES))
def test_raises_like_torch(name):
    fn, match = RAISES[name]
    raises_like_torch(fn, EMPTY_ROWS, match=match)


FUNCTIONAL = {
    "logsumexp": (lambda x: anp.logsumexp(x, axis=0), np.full(3, -np.inf)),
    "logsumexp_all": (anp.logsumexp, np.array(-np.inf)),
    "logsumexp_keepdims": (lambda x: anp.logsumexp(x, axis=0, keepdims=True),
                           np.full((1, 3), -np.inf)),
    "softmax": (lambda x: anp.softmax(x, axis=0), EMPTY_ROWS),
    "log_softmax": (lambda x: anp.log_softmax(x, axis=0), EMPTY_ROWS),
    "sum": (lambda x: anp.sum(x, axis=0), np.zeros(3)),
    "mean": (lambda x: anp.mean(x, axis=0), np.full(3, np.nan)),
    "prod": (lambda x: anp.prod(x, axis=0), np.ones(3)),
    "var_ddof": (lambda x: anp.var(x, axis=0, ddof=1), np.full(3, np.nan)),
}


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
@pytest.mark.parametrize("name", sorted(FUNCTIONAL))
def test_functional_empty_axes(name, backend):
    fn, expected = FUNCTIONAL[name]
    with np.errstate(invalid="ignore", divide="ignore"):
        out = adc.jit(fn, backend=backend)(EMPTY_ROWS)
        grad = adc.grad(lambda x: anp.sum(anp.where(anp.isfinite(fn(x)), fn(x), 0)),
                        backend=backend)(EMPTY_ROWS)
    np.testing.assert_array_equal(out, expected)
    assert grad.shape == EMPTY_ROWS.shape


def test_functional_var_divides_by_at_least_zero_like_numpy():
    x = np.ones((1, 3))
    with np.errstate(invalid="ignore", divide="ignore"):
        np.testing.assert_array_equal(adc.jit(lambda x: anp.var(x, axis=0, ddof=2))(x),
                                      np.var(x, axis=0, ddof=2))


@pytest.mark.parametrize("fn", [lambda x: anp.max(x, axis=0), lambda x: anp.min(x),
                                lambda x: anp.amax(x, axis=(0, 1))])
def test_functional_max_of_nothing_names_the_axes(fn):
    with pytest.raises(adc.ShapeError, match=r"zero-size reduction over axes \(0.*\(0, 3\)"):
        adc.jit(fn, backend="numpy")(EMPTY_ROWS)
