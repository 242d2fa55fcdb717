"""Axes of 0-d arrays (issue #19 item 6): adc.numpy follows numpy 2 on every backend (the numpy
backend raised for `sum(x, axis=0)` where the cpu backend returned the value): a ufunc
reduction takes an int axis 0 / -1 as no axis, a tuple naming it and mean/var/std raise a
ShapeError naming the function, the axis and the dimension; tensors keep torch's acceptance of
dim 0 / -1 on 0-d tensors, side by side with torch 2.13."""
from __future__ import annotations

import numpy as np
import pytest
from side_by_side import numpy_backward, raises_like_torch, same_as_torch  # noqa: F401

import adc
import adc.numpy as anp

special = pytest.importorskip("scipy.special")

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("numpy_backward")

SCALAR = np.array(3.0)

# numpy 2's rule: a ufunc reduction (sum, prod, max, min; scipy's logsumexp and softmax too)
# takes an int axis 0 or -1 of a 0-d array as no axis; a tuple naming it, and mean/var/std,
# raise AxisError
ACCEPTED = {
    "sum": (lambda m: m.sum(SCALAR, axis=0), lambda x: anp.sum(x, axis=0)),
    "sum_keepdims": (lambda m: m.sum(SCALAR, axis=-1, keepdims=True),
                     lambda x: anp.sum(x, axis=-1, keepdims=True)),
    "prod": (lambda m: m.prod(SCALAR, axis=0), lambda x: anp.prod(x, axis=0)),
    "max": (lambda m: m.max(SCALAR, axis=-1), lambda x: anp.max(x, axis=-1)),
    "amin": (lambda m: m.amin(SCALAR, axis=0), lambda x: anp.amin(x, axis=0)),
    "logsumexp": (lambda m: special.logsumexp(SCALAR, axis=0), lambda x: anp.logsumexp(x, 0)),
    "softmax": (lambda m: special.softmax(SCALAR, axis=-1), anp.softmax),
    "log_softmax": (lambda m: special.log_softmax(SCALAR, axis=0),
                    lambda x: anp.log_softmax(x, axis=0)),
}
REFUSED = {
    "sum": (lambda m: m.sum(SCALAR, axis=(0,)), lambda x: anp.sum(x, axis=(0,))),
    "max": (lambda m: m.max(SCALAR, axis=(-1,)), lambda x: anp.max(x, axis=(-1,))),
    "sum_1": (lambda m: m.sum(SCALAR, axis=1), lambda x: anp.sum(x, axis=1)),
    "mean": (lambda m: m.mean(SCALAR, axis=0), lambda x: anp.mean(x, axis=0)),
    "var": (lambda m: m.var(SCALAR, axis=0), lambda x: anp.var(x, axis=0)),
    "std": (lambda m: m.std(SCALAR, axis=-1), lambda x: anp.std(x, axis=-1)),
}


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
@pytest.mark.parametrize("name", sorted(ACCEPTED))
def test_functional_int_axis_of_a_0d_array_reduces_nothing_like_numpy(name, backend):
    reference, ours = ACCEPTED[name]
    out = adc.jit(ours, backend=backend)(SCALAR)
    assert np.shape(out) == () and out == reference(np)


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
@pytest.mark.parametrize("name", sorted(REFUSED))
def test_functional_axis_of_a_0d_array_raises_like_numpy(name, backend):
    reference, ours = REFUSED[name]
    with pytest.raises(np.exceptions.AxisError):
        reference(np)
    op = name.split("_")[0]
    with pytest.raises(adc.ShapeError, match=rf"{op}: axis -?[01] is out of bounds for an array "
                                             r"of dimension 0"):
        adc.jit(ours, backend=backend)(SCALAR)


SAME = {
    "sum": lambda L, x: x.sum(0), "sum_keepdim": lambda L, x: L.sum(x, -1, keepdim=True),
    "mean": lambda L, x: x.mean(0), "prod": lambda L, x: x.prod(-1),
    "var": lambda L, x: x.var(0, unbiased=False), "std": lambda L, x: x.std(0, unbiased=False),
    "amax": lambda L, x: x.amax(0), "amin": lambda L, x: L.amin(x, -1),
    "max": lambda L, x: x.max(0)[0], "logsumexp": lambda L, x: L.logsumexp(x, 0),
    "softmax": lambda L, x: L.softmax(x, 0), "log_softmax": lambda L, x: L.log_softmax(x, -1),
    "functional_softmax": lambda L, x: L.nn.functional.softmax(x, 0),
    "cumsum": lambda L, x: L.cumsum(x, 0), "logcumsumexp": lambda L, x: L.logcumsumexp(x, 0),
    "nansum": lambda L, x: L.nansum(x, 0), "norm": lambda L, x: L.linalg.vector_norm(x, dim=0),
    "count_nonzero": lambda L, x: L.count_nonzero(x, 0), "any": lambda L, x: (x > 0).any(0),
    "flip": lambda L, x: L.flip(x, (0,)),
}


@pytest.mark.parametrize("name", sorted(SAME))
def test_tensor_dim_0_of_a_0d_tensor_is_accepted_like_torch(name):
    same_as_torch(SAME[name], SCALAR)


@pytest.mark.parametrize("fn", [lambda L, x: x.sum(1), lambda L, x: L.softmax(x, -2),
                                lambda L, x: L.mean(x, (0, 1))])
def test_tensor_dim_out_of_range_raises_like_torch(fn):
    raises_like_torch(fn, SCALAR, match="Dimension out of range (expected to be in range of "
                                        "[-1, 0], but got")
