"""adc.linalg's decompositions side by side with torch 2.13: svd/svdvals, torch.svd, eigh/
eigvalsh, det/slogdet/logdet (values, dtypes, grad_fn names, gradients, errors). Singular and
eigenvectors have signs that neither library fixes the same way, so the cases compare
functions of them that do not depend on the signs (squares, U S V^T), as torch's tests do."""
from __future__ import annotations

import numpy as np
import pytest

import adc
from side_by_side import numpy_backward  # noqa: F401  (the fixture below)
from side_by_side import raises_like_torch, same_as_torch

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("numpy_backward")

RNG = np.random.default_rng(5)
A = RNG.standard_normal((3, 3))
TALL = RNG.standard_normal((4, 2))
WIDE_BATCH = RNG.standard_normal((2, 2, 3))
SYM = A + A.T
SINGULAR = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, -1.0, 2.0]])


def _rebuilt(U, S, V):
    """U diag(S) V^T without a matrix product (whose grad_fn names differ by layout)."""
    return (U[..., :, None, :] * S[..., None, None, :] * V[..., None, :, :]).sum(-1)


def _low_rank(L, a):
    U, S, Vh = L.linalg.svd(a, full_matrices=False)
    return U[..., :1] * S[..., None, :1] @ Vh[..., :1, :]


CASES = {
    "svd_squares": (lambda L, a: [p * p for p in L.linalg.svd(a)], [A]),
    "svd_tall": (lambda L, a: [p * p for p in L.linalg.svd(a, full_matrices=False)], [TALL]),
    "svd_rebuilds": (lambda L, a: (lambda r: _rebuilt(r.U, r.S.exp(), r.Vh.mT))(
        L.linalg.svd(a, full_matrices=False)), [WIDE_BATCH]),
    "svd_low_rank": (_low_rank, [TALL]),
    "svdvals": (lambda L, a: L.linalg.svdvals(a), [WIDE_BATCH]),
    "svd_values_only": (lambda L, a: L.linalg.svd(a).S, [A]),
    "torch_svd": (lambda L, a: [p * p for p in L.svd(a)], [TALL]),
    "torch_svd_method": (lambda L, a: (lambda r: _rebuilt(r.U, r.S, r.V))(a.svd()),
                         [WIDE_BATCH]),
    "eigh": (lambda L, a: (lambda r: [r.eigenvalues, r.eigenvectors ** 2])(L.linalg.eigh(a)),
             [SYM]),
    "eigh_upper": (lambda L, a: (lambda r: [r.eigenvalues, r.eigenvectors ** 2])(
        L.linalg.eigh(a, UPLO="U")), [A]),
    "eigh_lower_of_nonsymmetric": (lambda L, a: L.linalg.eigh(a)[1].abs(), [A]),
    "eigvalsh": (lambda L, a: L.linalg.eigvalsh(a @ a.mT), [WIDE_BATCH]),
    "eigvalsh_upper": (lambda L, a: L.linalg.eigvalsh(a, "U"), [A]),
    "det": (lambda L, a: L.linalg.det(a), [A]),
    "det_singular": (lambda L, a: L.det(a), [SINGULAR]),
    "slogdet": (lambda L, a: L.linalg.slogdet(a), [A]),
    "logdet": (lambda L, a: [L.logdet(a @ a.T), a.logdet()], [A]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_torch(name):
    fn, arrays = CASES[name]
    same_as_torch(fn, *arrays, rtol=1e-6)


@pytest.mark.parametrize("name", ["svd_squares", "eigh", "det", "slogdet"])
def test_float32_matches_torch(name):
    fn, arrays = CASES[name]
    same_as_torch(fn, *[a.astype(np.float32) for a in arrays], rtol=2e-4)


def test_grad_fn_names_and_return_types_are_torchs():
    for lib in (adc, torch):
        a = lib.tensor(A, requires_grad=True)
        svd, eigh, old = lib.linalg.svd(a), lib.linalg.eigh(a), lib.svd(a)
        assert type(svd).__name__ == "linalg_svd" and svd.Vh is svd[2]
        assert type(eigh).__name__ == "linalg_eigh" and eigh.eigenvectors is eigh[1]
        assert type(old).__name__ == "svd" and old.V is old[2]
        assert [t.grad_fn.name() for t in (*svd, *old, *eigh, lib.linalg.svdvals(a))] == (
            ["LinalgSvdBackward0"] * 5 + ["TransposeBackward0"] + ["LinalgEighBackward0"] * 2
            + ["LinalgSvdBackward0"])


def test_signs_are_fixed():
    u, _, vh = adc.linalg.svd(adc.tensor(A))
    top = np.take_along_axis(u.numpy(), np.abs(u.numpy()).argmax(0)[None], 0)
    assert (top > 0).all()
    v = adc.linalg.eigh(adc.tensor(SYM)).eigenvectors.numpy()
    assert (np.take_along_axis(v, np.abs(v).argmax(0)[None], 0) > 0).all()


def test_torch_svd_without_uv_gives_zero_matrices():
    for lib in (adc, torch):
        r = lib.svd(lib.tensor(TALL), compute_uv=False)
        assert tuple(r.U.shape) == (4, 4) and tuple(r.V.shape) == (2, 2)
        assert not r.U.numpy().any() and not r.V.numpy().any()
        np.testing.assert_allclose(r.S.numpy(), np.linalg.svd(TALL, compute_uv=False))


def test_det_gradient_of_a_singular_matrix_is_its_cofactor_matrix():
    # torch's create_graph path (the SVD formula); exactly singular input without create_graph
    # gives torch's LU path zeros, which are not the derivative
    m = np.array([[1.0, 2.0], [2.0, 4.0]])
    a = adc.tensor(m, requires_grad=True)
    adc.linalg.det(a).backward()
    np.testing.assert_allclose(a.grad.numpy(), [[4.0, -2.0], [-2.0, 1.0]], atol=1e-12)
    t = torch.tensor(m, requires_grad=True)
    (g,) = torch.autograd.grad(torch.linalg.det(t), t, create_graph=True)
    np.testing.assert_allclose(a.grad.numpy(), g.detach().numpy(), atol=1e-12)


def test_eigvalsh_gradient_is_finite_for_repeated_eigenvalues():
    for lib in (adc, torch):
        a = lib.tensor(np.eye(3), requires_grad=True)
        lib.linalg.eigvalsh(a).pow(2).sum().backward()
        np.testing.assert_allclose(a.grad.numpy(), 2 * np.eye(3), atol=1e-12)


def test_second_derivative_of_det_matches_torch():
    def second(lib):
        a = lib.tensor(A, requires_grad=True)
        (g,) = lib.autograd.grad(lib.linalg.det(a), a, create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), a)
        return h.numpy()
    np.testing.assert_allclose(second(adc), second(torch), rtol=1e-8, atol=1e-12)


def test_gradients_compile_on_the_cpu_backend():
    a = adc.tensor(WIDE_BATCH, requires_grad=True)
    r = adc.linalg.svd(a, full_matrices=False)
    (r.U ** 2).sum().backward()
    t = torch.tensor(WIDE_BATCH, requires_grad=True)
    (torch.linalg.svd(t, full_matrices=False).U ** 2).sum().backward()
    np.testing.assert_allclose(a.grad.numpy(), t.grad.numpy(), rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("call", [
    lambda L, x: L.linalg.svd(x[0, 0]),
    lambda L, x: L.linalg.svd(x.long()),
    lambda L, x: L.linalg.svdvals(x[0, 0]),
    lambda L, x: L.linalg.eigh(x),
    lambda L, x: L.linalg.eigh(x[:, :2, :2], UPLO="X"),
    lambda L, x: L.linalg.eigvalsh(x[0, 0]),
    lambda L, x: L.linalg.eigvalsh(x[:, :2, :2].long()),
    lambda L, x: L.linalg.det(x),
    lambda L, x: L.linalg.slogdet(x[0, 0]),
    lambda L, x: L.logdet(x),
    lambda L, x: L.svd(x[0, 0]),
])
def test_errors_match_torch(call):
    raises_like_torch(call, WIDE_BATCH.astype(np.float32))


def test_full_matrices_of_a_non_square_matrix_raises_a_clear_adc_error():
    with pytest.raises(adc.UnsupportedError, match="full_matrices=True of 4 x 2 matrices"):
        adc.linalg.svd(adc.tensor(TALL))
    with pytest.raises(adc.UnsupportedError, match="full_matrices=True"):
        adc.svd(adc.tensor(TALL), some=False)
    with pytest.raises(adc.UnsupportedError, match="driver"):
        adc.linalg.svd(adc.tensor(A), driver="gesvd")


# ---- products and norms built on them ----

B = RNG.standard_normal((2, 3, 3))
PRODUCTS = {
    "matrix_norm_2": (lambda L, a: L.linalg.matrix_norm(a, 2), [B]),
    "matrix_norm_neg_2_keepdim": (lambda L, a: L.linalg.matrix_norm(a, -2, keepdim=True), [B]),
    "matrix_norm_nuc_dims": (lambda L, a: L.linalg.matrix_norm(a, "nuc", dim=(0, 2)), [B]),
    "linalg_norm_2": (lambda L, a: L.linalg.norm(a, 2), [A]),
    "torch_norm_nuc": (lambda L, a: [L.norm(a[0], "nuc"), L.norm(a, p="nuc", dim=(1, 2))], [B]),
    "matrix_power": (lambda L, a: [L.linalg.matrix_power(a, k) for k in (0, 1, 2, 5)], [B]),
    "matrix_power_negative": (lambda L, a: [a.matrix_power(-1), L.matrix_power(a, -3)], [A]),
    "matrix_power_integer": (lambda L, a: L.matrix_power((a * 3).long(), 3), [A]),
    "matrix_rank": (lambda L, a: [L.linalg.matrix_rank(a), L.linalg.matrix_rank(a[0], atol=1.0),
                                  L.linalg.matrix_rank(a, rtol=0.3)], [B]),
    "matrix_rank_singular": (lambda L, a: L.linalg.matrix_rank(a), [SINGULAR]),
    "tensordot": (lambda L, a, b: L.tensordot(a, b, 1), [B, A]),
    "tensordot_lists": (lambda L, a: L.tensordot(a, a, ([1, 2], [2, 1])), [B]),
    "tensordot_zero": (lambda L, a, b: L.tensordot(a, b, 0), [A[0], A[1]]),
}


@pytest.mark.parametrize("name", sorted(PRODUCTS))
def test_products_and_norms_match_torch(name):
    fn, arrays = PRODUCTS[name]
    same_as_torch(fn, *arrays, rtol=1e-6)


@pytest.mark.parametrize("call", [
    lambda L, x: L.linalg.matrix_power(x[:, :2], 2),
    lambda L, x: L.linalg.matrix_power(x.long(), -1),
    lambda L, x: L.linalg.matrix_rank(x[0, 0]),
    lambda L, x: L.tensordot(x, x, 4),
    lambda L, x: L.tensordot(x, x, ([0], [2])),
    lambda L, x: L.norm(x, "nuc"),
    lambda L, x: L.tensordot(x, x.double(), 1),
    lambda L, x: L.norm(x, "nucc"),
])
def test_product_errors_match_torch(call):
    raises_like_torch(call, WIDE_BATCH.astype(np.float32))
