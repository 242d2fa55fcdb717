"""adc.numpy.linalg's solvers and factorizations (lstsq, pinv, qr, cholesky, inv, solve), cond,
multi_dot and numpy 2's matrix_transpose/diagonal/trace/outer/vecdot as
numpy code calls them: numpy's values and result structure on arrays and on traced values
(adc.jit), and gradients on the numpy reference and the cpu backend against torch.autograd;
lstsq and pinv (unrolled QR) on the cuda backend too (the simulator in CI, small sizes)."""
from __future__ import annotations

import numpy as np
import pytest

import adc
import adc.numpy as anp

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(5)
TALL = RNG.standard_normal((5, 3))
WIDE = RNG.standard_normal((2, 4))
SPD = TALL.T @ TALL + np.eye(3)

# (a, b) pairs of every shape class numpy's lstsq takes
LSTSQ = {"tall_vector": (TALL, RNG.standard_normal(5)),
         "tall_matrix": (TALL, RNG.standard_normal((5, 2))),
         "square": (SPD, RNG.standard_normal(3)),
         "wide_matrix": (WIDE, RNG.standard_normal((2, 3)))}


def _assert_lstsq_is_numpys(ours, a, b):
    theirs = np.linalg.lstsq(a, b)
    assert isinstance(ours, tuple) and len(ours) == 4
    for mine, ref in zip(ours, theirs):
        mine = np.asarray(mine)
        assert mine.shape == np.shape(ref), (mine.shape, np.shape(ref))
        np.testing.assert_allclose(mine, ref, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("name", sorted(LSTSQ))
def test_lstsq_returns_numpys_tuple_on_arrays_and_traced_values(name):
    a, b = LSTSQ[name]
    _assert_lstsq_is_numpys(anp.linalg.lstsq(a, b), a, b)
    _assert_lstsq_is_numpys(adc.jit(lambda a, b: np.linalg.lstsq(a, b, rcond=None))(a, b), a, b)


def test_lstsq_rcond_decides_the_rank_and_bad_shapes_raise():
    a = np.diag([1.0, 1e-3, 1e-9])
    assert int(adc.jit(lambda a: np.linalg.lstsq(a, np.ones(3))[2])(a)) == 3
    assert int(adc.jit(lambda a: np.linalg.lstsq(a, np.ones(3), rcond=1e-6)[2])(a)) == 2
    assert np.linalg.lstsq(a, np.ones(3), rcond=1e-6)[2] == 2
    with pytest.raises(adc.ShapeError, match="2-dimensional"):
        anp.linalg.lstsq(np.ones((2, 3, 3)), np.ones((2, 3)))
    with pytest.raises(adc.ShapeError, match="incompatible"):
        anp.linalg.lstsq(TALL, np.ones(4))


@pytest.mark.parametrize("a", [TALL, WIDE], ids=["tall", "wide"])
@pytest.mark.parametrize("mode", ["reduced", "complete", "r"])
def test_qr_returns_numpys_result(a, mode):
    theirs = np.linalg.qr(a, mode=mode)
    for ours in (anp.linalg.qr(a, mode=mode), adc.jit(lambda a: np.linalg.qr(a, mode=mode))(a)):
        if mode == "r":  # R alone, as an array
            np.testing.assert_allclose(ours, theirs, rtol=1e-10, atol=1e-12)
            continue
        assert type(ours).__name__ == "QRResult" and ours._fields == theirs._fields
        np.testing.assert_allclose(ours.Q, theirs.Q, rtol=1e-10, atol=1e-12)
        np.testing.assert_allclose(ours.R, theirs.R, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("backend", ["numpy", "cpu", "cuda"])
def test_rank_deficient_matrices_give_nan_not_a_wrong_solution(backend):
    """QR without pivoting solves full-rank systems only; numpy's answer for a rank-deficient
    matrix needs its singular values, so adc's is NaN, never QR's (large, wrong) numbers."""
    low = np.outer(np.arange(1.0, 4.0), np.arange(1.0, 5.0)) + np.outer(np.ones(3), TALL[:4, 0])
    exact_zero = np.zeros((3, 2))
    exact_zero[:, 0] = 1.0
    for a in (low, low.T, exact_zero):
        assert np.linalg.matrix_rank(a) < min(a.shape)
        pinv = adc.jit(lambda a: np.linalg.pinv(a), backend=backend)(a)
        x = adc.jit(lambda a: np.linalg.lstsq(a, np.ones(a.shape[0]))[0], backend=backend)(a)
        assert np.isnan(pinv).all() and np.isnan(x).all()
    well = low + np.eye(3, 4)
    np.testing.assert_allclose(adc.jit(lambda a: np.linalg.pinv(a), backend=backend)(well),
                               np.linalg.pinv(well), rtol=1e-10, atol=1e-12)


# numpy code as users write it (x: the differentiated matrix), and its torch twin
FUNCTIONS = {
    "lstsq_solution": (lambda x: np.linalg.lstsq(x, np.arange(5.0), rcond=None)[0] ** 3,
                       lambda x: torch.linalg.lstsq(x, torch.arange(5.0, dtype=x.dtype)[:, None])
                       .solution ** 3),
    "lstsq_residuals": (lambda x: np.linalg.lstsq(x, np.arange(5.0))[1],
                        lambda x: ((x @ torch.linalg.pinv(x) - torch.eye(5, dtype=x.dtype))
                                   @ torch.arange(5.0, dtype=x.dtype)).square().sum()),
    "lstsq_singular_values": (lambda x: np.linalg.lstsq(x, np.ones(5))[3] ** 2,
                              lambda x: torch.linalg.svdvals(x) ** 2),
    "pinv": (lambda x: np.sin(np.linalg.pinv(x)), lambda x: torch.sin(torch.linalg.pinv(x))),
    "qr": (lambda x: (lambda q, r: np.sum(q ** 3) + np.sum(r ** 2))(*np.linalg.qr(x)),
           lambda x: (lambda q, r: (q ** 3).sum() + (r ** 2).sum())(*torch.linalg.qr(x))),
    "cholesky": (lambda x: np.linalg.cholesky(x.T @ x + np.eye(3)) ** 3,
                 lambda x: torch.linalg.cholesky(x.T @ x + torch.eye(3, dtype=x.dtype)) ** 3),
    "cond": (lambda x: np.linalg.cond(x.T @ x), lambda x: torch.linalg.cond(x.T @ x)),
    # torch.linalg.cond(A, 1) cannot backward (it writes its inverse in place): its formula
    "cond_1": (lambda x: np.linalg.cond(x.T @ x, 1),
               lambda x: torch.linalg.matrix_norm(x.T @ x, 1)
               * torch.linalg.matrix_norm(torch.linalg.inv(x.T @ x), 1)),
    "cond_nuc": (lambda x: np.linalg.cond(x[:3], "nuc"), lambda x: torch.linalg.cond(x[:3], "nuc")),
    "multi_dot": (lambda x: np.linalg.multi_dot([x[:, 0], x, x.T, x[:, 1]]),
                  lambda x: torch.linalg.multi_dot([x[:, 0], x, x.T, x[:, 1]])),
    "array_api_names": (lambda x: np.linalg.trace(np.linalg.matrix_transpose(x[:3]) ** 3, offset=1)
                        + np.sum(np.linalg.diagonal(x[:3]) * np.linalg.vecdot(x[:3], x[1:4]))
                        + np.sum(np.sin(np.linalg.outer(x[0], x[1]))),
                        lambda x: torch.diagonal(x[:3].mT ** 3, 1).sum()
                        + (torch.diagonal(x[:3]) * torch.linalg.vecdot(x[:3], x[1:4])).sum()
                        + torch.sin(torch.outer(x[0], x[1])).sum()),
    "inv_solve": (lambda x: np.linalg.inv(x.T @ x) + np.linalg.solve(x.T @ x, np.ones(3)),
                  lambda x: torch.linalg.inv(x.T @ x)
                  + torch.linalg.solve(x.T @ x, torch.ones(3, dtype=x.dtype))),
}


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_gradients_of_numpy_code_match_torch(name, backend):
    ours_fn, torch_fn = FUNCTIONS[name]
    value = adc.jit(lambda a: anp.sum(ours_fn(a)), backend=backend)(TALL)
    ours = adc.grad(lambda a: anp.sum(ours_fn(a)), backend=backend)(TALL)
    t = torch.tensor(TALL, requires_grad=True)
    out = torch_fn(t).sum()
    out.backward()
    np.testing.assert_allclose(value, out.item(), rtol=1e-10)
    np.testing.assert_allclose(ours, t.grad.numpy(), rtol=1e-8, atol=1e-10)
