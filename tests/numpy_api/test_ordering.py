"""adc.numpy's order-dependent reductions and scans (sort, argsort, partition, argmax/argmin,
all/any, isclose/allclose, average, ptp, median, quantile, percentile, cumprod): numpy's values,
shapes and dtypes on arrays; on traced values through adc.grad (gradients against torch's) and
compiled on the cpu backend and the cuda simulator."""
from __future__ import annotations

import numpy as np
import pytest

import adc
import adc.numpy as anp

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(3)
X = RNG.standard_normal((3, 4, 5))
NAN = X.copy()
NAN[0, 1, 2] = np.nan
INTS = RNG.integers(0, 4, (4, 6))
TIES = np.array([[3.0, 1.0, 3.0, np.nan, 1.0], [0.5, -np.inf, 0.5, 2.0, np.inf]])

CASES = [  # (name, args, kwargs); numpy's result is the reference
    ("sort", (NAN,), {}), ("sort", (X,), {"axis": 0}), ("sort", (INTS,), {"axis": None}),
    ("sort", (TIES,), {}),
    ("argsort", (NAN,), {"axis": 1, "kind": "stable"}), ("argsort", (TIES,), {"kind": "stable"}),
    ("argsort", (INTS,), {"axis": 0, "stable": True}),
    ("argmax", (NAN,), {}), ("argmax", (NAN,), {"axis": 1}), ("argmax", (TIES,), {"axis": 1}),
    ("argmax", (INTS,), {"axis": 1, "keepdims": True}), ("argmin", (INTS,), {"keepdims": True}),
    ("argmin", (TIES,), {"axis": 0}),
    ("any", (INTS > 2,), {"axis": 0}), ("any", (X,), {}), ("all", (INTS,), {"keepdims": True}),
    ("all", (TIES,), {"axis": 1}),
    ("isclose", (X, X + 1e-9), {}), ("isclose", (TIES, TIES[::-1]), {}),
    ("isclose", (TIES, TIES), {"equal_nan": True}), ("isclose", (INTS, INTS + 1), {"atol": 1}),
    ("average", (X,), {"axis": 1}), ("average", (X[1],), {"axis": 1, "weights": np.arange(5.0)}),
    ("average", (X,), {"weights": X ** 2, "axis": (0, 2), "keepdims": True}),
    ("average", (INTS,), {}),
    ("ptp", (INTS,), {"axis": 0}), ("ptp", (X,), {"keepdims": True}),
    ("cumprod", (INTS,), {"axis": 1}), ("cumprod", (X,), {"axis": 0}), ("cumprod", (INTS,), {}),
    ("cumprod", (INTS.astype(np.int32),), {"axis": 0}), ("cumprod", (INTS > 1,), {"axis": 1}),
    ("median", (NAN,), {"axis": 2}), ("median", (X,), {"axis": (0, 2), "keepdims": True}),
    ("median", (INTS,), {}), ("median", (X[:, :3],), {"axis": 1}),
    ("quantile", (X, [0.1, 0.5, 0.77]), {"axis": 1}), ("quantile", (NAN, 0.3), {"axis": 2}),
    ("quantile", (X, 0.25), {"keepdims": True}), ("quantile", (INTS, np.array([[0.0, 1.0]])), {}),
    ("percentile", (INTS, [10, 50]), {"axis": 0}), ("percentile", (X, 99.5), {"axis": -1}),
]


@pytest.mark.parametrize("name,args,kwargs", CASES,
                         ids=[f"{c[0]}-{i}" for i, c in enumerate(CASES)])
def test_values_are_numpys(name, args, kwargs):
    ours, theirs = getattr(anp, name)(*args, **kwargs), getattr(np, name)(*args, **kwargs)
    ours, theirs = np.asarray(ours), np.asarray(theirs)
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, rtol=1e-14, atol=0)


def test_partition_is_a_valid_partition():
    for kth in (0, 2, -1, [1, 3]):
        out = anp.partition(INTS, kth, axis=1)
        for k in np.atleast_1d(kth) % INTS.shape[1]:
            expected = np.partition(INTS, k, axis=1)
            np.testing.assert_array_equal(out[:, k], expected[:, k])
            assert (out[:, :k] <= out[:, k:k + 1]).all() and (out[:, k:] >= out[:, k:k + 1]).all()
    with pytest.raises(ValueError, match="out of bounds"):
        anp.partition(INTS, 6)


def test_allclose_is_a_python_bool_on_arrays():
    assert anp.allclose(X, X + 1e-10) is True and anp.allclose(X, X + 1) is False


# numpy code differentiated by adc.grad, and its torch twin
GRADIENTS = {
    "sort": (lambda x: np.sort(x, axis=1) * np.arange(4.0)[:, None],
             lambda x: torch.sort(x, 1).values * torch.arange(4.0)[:, None]),
    "median_odd": (lambda x: np.median(x, axis=2), lambda x: torch.median(x, 2).values),
    "median_even": (lambda x: np.median(x, axis=1), lambda x: torch.quantile(x, 0.5, dim=1)),
    "quantile": (lambda x: np.quantile(x, [0.2, 0.9], axis=0) ** 2,
                 lambda x: torch.quantile(x, torch.tensor([0.2, 0.9], dtype=x.dtype), dim=0) ** 2),
    "percentile": (lambda x: np.percentile(x, 30), lambda x: torch.quantile(x, 0.3)),
    "cumprod": (lambda x: np.cumprod(x, axis=2), lambda x: torch.cumprod(x, 2)),
    "ptp": (lambda x: np.ptp(x, axis=1), lambda x: x.amax(1) - x.amin(1)),
    "average": (lambda x: np.average(x, axis=2, weights=np.arange(5.0)),
                lambda x: (x * torch.arange(5.0)).sum(2) / 10),
    "argmax_take": (lambda x: np.take_along_axis(x, np.argmax(x, axis=1)[:, None], 1),
                    lambda x: x.max(1, keepdim=True).values),
}


@pytest.mark.parametrize("name", sorted(GRADIENTS))
def test_gradients_match_torch(name):
    ours_fn, torch_fn = GRADIENTS[name]
    ours = adc.grad(lambda x: anp.sum(ours_fn(x)), backend="numpy")(X)
    t = torch.tensor(X, requires_grad=True)
    torch_fn(t).sum().backward()
    np.testing.assert_allclose(ours, t.grad.numpy(), rtol=1e-12, atol=1e-14)


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_compiled_backends_match_numpy(backend):
    def f(x):
        return (np.sort(x, axis=0), np.argsort(x, axis=1), np.argmax(x, axis=1),
                np.median(x, axis=1), np.any(x > 1.0, axis=0), np.isclose(x, x[::-1]))
    ours = adc.jit(f, backend=backend)(TIES)
    for a, b in zip(ours, _numpy_f(TIES)):
        np.testing.assert_array_equal(np.asarray(a), b)
    def g(x):
        return anp.sum(np.median(x, axis=1)) + anp.sum(np.sort(x, 0)[0] * np.arange(5.0))
    np.testing.assert_allclose(adc.grad(g, backend=backend)(X[0]),
                               adc.grad(g, backend="numpy")(X[0]))


def _numpy_f(x):
    return (np.sort(x, axis=0), np.argsort(x, axis=1, kind="stable"), np.argmax(x, axis=1),
            np.median(x, axis=1), np.any(x > 1.0, axis=0), np.isclose(x, x[::-1]))


def test_errors_are_numpys():
    with pytest.raises(ValueError, match="empty sequence"):
        anp.argmax(np.zeros((0, 2)), axis=0)
    with pytest.raises(ValueError, match="range"):
        anp.quantile(X, 1.5)
    with pytest.raises(ValueError, match="range"):
        anp.percentile(X, -1)
    with pytest.raises(ZeroDivisionError):
        anp.average(X[0], axis=1, weights=np.zeros(5))
    with pytest.raises(TypeError, match="Axis must be specified"):
        anp.average(X, weights=np.ones(5))
    with pytest.raises(adc.UnsupportedError, match="method"):
        anp.quantile(X, 0.5, method="nearest")
