"""Jacobians and Hessians as one program (adc/jacobians.py): against torch over functions
mixing the primitive families, a graph whose size does not grow with the number of rows, and
the degenerate shapes."""
from __future__ import annotations

import numpy as np
import pytest

import adc
import adc.numpy as anp

torch = pytest.importorskip("torch")
F = torch.autograd.functional
rng = np.random.default_rng(1)
A = rng.standard_normal((4, 4))
IDX = np.array([3, 0, 0, 2])


def mixed(x):
    y = anp.tanh(A @ x) * x[IDX] + anp.cumsum(x) / anp.max(x)
    return anp.where(y > 0, y, anp.exp(y)) + anp.sum(anp.outer(x, x) ** 2)


def mixed_torch(x):
    y = (torch.tanh(torch.from_numpy(A) @ x) * x[torch.from_numpy(IDX)]
         + torch.cumsum(x, 0) / x.max())
    return torch.where(y > 0, y, torch.exp(y)) + (torch.outer(x, x) ** 2).sum()


X = rng.standard_normal(4)


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_jacobians_and_hessian_match_torch(backend):
    want = F.jacobian(mixed_torch, torch.tensor(X)).numpy()
    np.testing.assert_allclose(adc.jacobian(mixed, backend=backend)(X), want, rtol=1e-10)
    np.testing.assert_allclose(adc.jacfwd(mixed, backend=backend)(X), want, rtol=1e-10)
    np.testing.assert_allclose(adc.jacrev(mixed, backend=backend)(X), want, rtol=1e-10)
    h = F.hessian(lambda t: mixed_torch(t).sum(), torch.tensor(X)).numpy()
    np.testing.assert_allclose(adc.hessian(lambda x: anp.sum(mixed(x)), backend=backend)(X), h,
                               rtol=1e-9, atol=1e-12)


def test_jacobian_of_a_convolution_matches_torch():
    w = rng.standard_normal((2, 1, 3))
    ours = adc.jacobian(lambda x: anp.tanh(anp.nn.conv(x, w, padding=1)), backend="numpy")
    x = rng.standard_normal((1, 1, 5))
    theirs = F.jacobian(lambda t: torch.tanh(torch.nn.functional.conv1d(
        t, torch.from_numpy(w), padding=1)), torch.tensor(x))
    np.testing.assert_allclose(ours(x), theirs.numpy(), rtol=1e-10)


def _program(jac, f, *args):
    return str(adc.make_ir(jac(f, backend="numpy"))(*args))


def test_jacobian_takes_the_mode_with_fewer_seeds():
    def tall(x):  # 2 inputs, 6 outputs: forward mode
        return anp.concatenate([anp.sin(x), anp.exp(x), x * x[0]])

    def wide(x):  # 6 inputs, 2 outputs: reverse mode
        return anp.stack([anp.sum(anp.sin(x)), anp.prod(x)])
    x2, x6 = np.array([0.3, 0.7]), np.linspace(0.1, 0.6, 6)
    assert _program(adc.jacobian, tall, x2) == _program(adc.jacfwd, tall, x2)
    assert _program(adc.jacobian, tall, x2) != _program(adc.jacrev, tall, x2)
    assert _program(adc.jacobian, wide, x6) == _program(adc.jacrev, wide, x6)
    assert _program(adc.jacobian, wide, x6) != _program(adc.jacfwd, wide, x6)
    for f, x in ((tall, x2), (wide, x6)):
        np.testing.assert_allclose(adc.jacobian(f)(x), adc.jacrev(f)(x), rtol=1e-12)
        np.testing.assert_allclose(adc.jacobian(f)(x), adc.jacfwd(f)(x), rtol=1e-12)


@pytest.mark.parametrize("jac", [adc.jacobian, adc.jacrev, adc.jacfwd, adc.hessian])
def test_one_graph_whatever_the_number_of_rows(jac):
    def f(x):
        return anp.sum(anp.sin(x) * anp.cumsum(x)) if jac is adc.hessian else anp.sin(x) * x[0]
    sizes = {len(adc.make_ir(jac(f, backend="numpy"))(np.linspace(0.1, 1, n)).eqns)
             for n in (3, 30)}
    assert len(sizes) == 1


def test_degenerate_shapes():
    assert adc.jacobian(lambda x: anp.sin(x), backend="numpy")(np.ones(0)).shape == (0, 0)
    assert adc.jacfwd(lambda x: anp.sum(x), backend="numpy")(np.ones(0)).shape == (0,)
    np.testing.assert_array_equal(adc.jacobian(lambda x, y: y * 2.0, backend="numpy")(
        np.ones(3), np.ones(2)), np.zeros((2, 3)))
    np.testing.assert_array_equal(adc.jacfwd(lambda x, y: y * 2.0, backend="numpy")(
        np.ones(3), np.ones(2)), np.zeros((2, 3)))
