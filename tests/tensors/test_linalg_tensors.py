"""adc.linalg, one module for tensors and traced values: side by side with torch.linalg 2.13
on tensors (values, dtypes, grad_fn names, gradients, errors), and through adc.grad on traced
arrays (gradients against torch's)."""
from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest

import adc
import adc.numpy as anp
from side_by_side import numpy_backward  # noqa: F401  (the fixture below)
from side_by_side import raises_like_torch, same_as_torch

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("numpy_backward")

RNG = np.random.default_rng(1)
A = RNG.standard_normal((3, 3)) + 2 * np.eye(3)
BATCH = RNG.standard_normal((2, 3, 3))
TALL = RNG.standard_normal((3, 2))
RHS = RNG.standard_normal((3, 2))
V = RNG.standard_normal(3)
X = RNG.standard_normal((2, 3, 4))
SINGULAR = np.array([[1.0, 2.0, 3.0], [2.0, 4.0, 6.0], [0.5, -1.0, 2.0]])
ZERO_COLUMN = np.array([[0.0, 1.0], [0.0, 3.0]])

CASES = {
    "inv": (lambda L, a: L.linalg.inv(a), [A]),
    "inv_batch": (lambda L, a: L.linalg.inv(a), [BATCH]),
    "solve_matrix": (lambda L, a, b: L.linalg.solve(a, b), [A, RHS]),
    "solve_vector": (lambda L, a, v: L.linalg.solve(a, v), [A, V]),
    "solve_batched_vectors": (lambda L, a: L.linalg.solve(a, a[..., 0]), [BATCH]),
    "solve_right": (lambda L, a, b: L.linalg.solve(a, b.T, left=False), [A, RHS]),
    "det": (lambda L, a: L.linalg.det(a), [A]),
    "det_batch": (lambda L, a: L.linalg.det(a), [BATCH]),
    "det_method": (lambda L, a: a.det(), [BATCH[0]]),
    "det_singular": (lambda L, a: L.linalg.det(a), [SINGULAR]),
    "det_zero_column": (lambda L, a: L.det(a), [ZERO_COLUMN]),
    "slogdet": (lambda L, a: L.linalg.slogdet(a), [BATCH]),
    "slogdet_top_level": (lambda L, a: L.slogdet(-a), [A]),
    "norm": (lambda L, x: L.linalg.norm(x), [X]),
    "norm_dim": (lambda L, x: L.linalg.norm(x, dim=-1, keepdim=True), [X]),
    "norm_matrix_ord": (lambda L, x: L.linalg.norm(x[0], 1), [X]),
    "norm_matrix_dims": (lambda L, x: L.linalg.norm(x, float("inf"), dim=(0, 2)), [X]),
    "norm_vector_ord": (lambda L, v: L.linalg.norm(v, -1), [V]),
    "vector_norm": (lambda L, x: L.linalg.vector_norm(x), [X]),
    "vector_norm_ord": (lambda L, x: L.linalg.vector_norm(x, 3, dim=(0, 2)), [X]),
    "vector_norm_half": (lambda L, x: L.linalg.vector_norm(x, 0.5, dim=1), [X]),
    "vector_norm_inf": (lambda L, x: L.linalg.vector_norm(x, float("inf"), dim=0), [X]),
    "vector_norm_neg_inf": (lambda L, x: L.linalg.vector_norm(x, -float("inf")), [X]),
    "vector_norm_dtype": (lambda L, x: L.linalg.vector_norm(x.float(), dtype=L.float64), [X]),
    "vector_norm_at_zero": (lambda L, x: L.linalg.vector_norm(x * 0, 3), [X]),
    "matrix_norm_fro": (lambda L, x: L.linalg.matrix_norm(x), [X]),
    "matrix_norm_1": (lambda L, x: L.linalg.matrix_norm(x, 1), [X]),
    "matrix_norm_neg_1": (lambda L, x: L.linalg.matrix_norm(x, -1, keepdim=True), [X]),
    "matrix_norm_inf": (lambda L, x: L.linalg.matrix_norm(x, float("inf"), dim=(2, 0)), [X]),
    "cross": (lambda L, a: L.linalg.cross(a, a.flip(0)), [A]),
    "cross_broadcast": (lambda L, a, v: L.linalg.cross(a, v[None], dim=1), [A, V]),
    "cholesky": (lambda L, a: L.linalg.cholesky(a @ a.mT + L.eye(3, dtype=a.dtype)), [BATCH]),
    "cholesky_upper": (lambda L, a: L.linalg.cholesky(a @ a.T, upper=True), [A]),
    "cholesky_lower_triangle": (lambda L, a: L.linalg.cholesky(a.tril() @ a.tril().T + a.triu(1)),
                                [A]),
    "qr": (lambda L, a: L.linalg.qr(a), [TALL]),
    "qr_wide_batch": (lambda L, a: L.linalg.qr(a[:, :2, :]), [BATCH]),
    "qr_complete": (lambda L, a: L.linalg.qr(a, mode="complete"), [BATCH[0]]),
    "qr_triangular": (lambda L, a: L.linalg.qr(a.triu()), [A]),
    "lstsq_tall": (lambda L, a, b: L.linalg.lstsq(a, b)[::2], [X[0].T, X[1].T[:, :2]]),
    "lstsq_wide": (lambda L, a, b: L.linalg.lstsq(a, b).solution, [X[0], RHS]),
    "lstsq_batched_vectors": (lambda L, a: L.linalg.lstsq(a, a[..., 0])[::2], [BATCH]),
    "pinv_tall": (lambda L, a: L.linalg.pinv(a), [TALL]),
    "pinv_wide_batch": (lambda L, a: L.linalg.pinv(a[:, :2, :], rtol=1e-3), [BATCH]),
    "torch_norm_p": (lambda L, x: L.norm(x, p=3, dim=1), [X]),
    "torch_norm_fro": (lambda L, x: x.norm(), [X]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_linalg_matches_torch(name):
    fn, arrays = CASES[name]
    same_as_torch(fn, *arrays, rtol=1e-6)


def test_qr_r_mode_gives_r():
    # torch refuses to differentiate mode="r" (its backward formula needs Q); adc's R is a
    # function of A it differentiates like any other
    same_as_torch(lambda L, a: L.linalg.qr(a, mode="r").R, TALL, grad=False)


def test_zero_ord_counts_nonzeros():
    # torch leaves x.grad None for ord=0; adc's gradient is the zeros it is
    same_as_torch(lambda L, x: L.linalg.vector_norm(x * (x > 0), 0, dim=2), X, grad=False)
    x = adc.tensor(X, requires_grad=True)
    adc.linalg.vector_norm(x, 0).backward()
    assert not x.grad.numpy().any()


def test_inverse_is_linalg_inv():
    assert adc.linalg.inv is adc.inverse
    same_as_torch(lambda L, a: L.inverse(a) + a.inverse(), A)


@pytest.mark.parametrize("call", [
    lambda L, x: L.linalg.inv(x),
    lambda L, x: L.linalg.inv(x[0, 0]),
    lambda L, x: L.linalg.det(x[:, :, :3].long()),
    lambda L, x: L.linalg.solve(x[0, :, :3], x[0, :, 0].double()),
    lambda L, x: L.linalg.vector_norm(x.long()),
    lambda L, x: L.linalg.matrix_norm(x[0, 0]),
    lambda L, x: L.linalg.matrix_norm(x, 3),
    lambda L, x: L.linalg.norm(x, 2),
    lambda L, x: L.linalg.cross(x[..., :3], x[0, :, :3]),
    lambda L, x: L.linalg.cross(x, x),
    lambda L, x: L.linalg.qr(x[0, 0]),
    lambda L, x: L.linalg.qr(x.long()),
    lambda L, x: L.linalg.qr(x, mode="full"),
    lambda L, x: L.linalg.lstsq(x, x.double()),
    lambda L, x: L.linalg.lstsq(x, x[:, :2]),
    lambda L, x: L.linalg.pinv(x[0, 0]),
])
def test_errors_match_torch(call):
    raises_like_torch(call, X.astype(np.float32))


@pytest.mark.parametrize("matrix", [[[1.0, 2.0], [2.0, 1.0]], [[[1.0, 0.0], [0.0, 1.0]],
                                                              [[1.0, 0.0], [0.0, -1.0]]]])
def test_cholesky_of_a_matrix_not_positive_definite_raises_like_torch(matrix):
    errors = []
    for lib in (adc, torch):
        with pytest.raises(lib.linalg.LinAlgError) as info:
            lib.linalg.cholesky(lib.tensor(matrix))
        errors.append(str(info.value))
    assert errors[0] == errors[1] and isinstance(adc.linalg.LinAlgError("x"), RuntimeError)


def test_cholesky_second_derivative_matches_torch():
    def second(lib):
        a = lib.tensor(A @ A.T, requires_grad=True)
        (g,) = lib.autograd.grad(lib.linalg.cholesky(a).sum(), a, create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), a)
        return h.numpy()
    np.testing.assert_allclose(second(adc), second(torch), rtol=1e-8, atol=1e-12)


@pytest.mark.parametrize("name", ["eig", "eigvals"])
def test_eig_raises_a_clear_error_for_its_complex_results(name):
    with pytest.raises(adc.UnsupportedError, match=f"linalg.{name}.*complex"):
        getattr(adc.linalg, name)(adc.tensor(A))
    with pytest.raises(adc.UnsupportedError, match="complex"):
        adc.grad(lambda a: anp.sum(getattr(adc.linalg, name)(a)), backend="numpy")(A)


@pytest.mark.parametrize("call", [lambda L, a: L.linalg.lstsq(a, a), lambda L, a: L.linalg.pinv(a),
                                  lambda L, a: L.linalg.pinv(a[:2] * 0)])
def test_rank_deficient_least_squares_raise_a_clear_error(call):
    with pytest.raises(adc.UnsupportedError, match="rank-deficient.*singular values"):
        call(adc, adc.tensor(SINGULAR))


def test_singular_inverse_raises_like_torch():
    with pytest.raises(np.linalg.LinAlgError):
        adc.linalg.inv(adc.tensor(SINGULAR[:2, :2] * 0))
    with pytest.raises(RuntimeError):
        torch.linalg.inv(torch.tensor(SINGULAR[:2, :2] * 0))


# ---- traced values: adc.linalg inside adc.grad ----

TRACED = {
    "inv": lambda L, a: L.linalg.inv(a),
    "det": lambda L, a: L.linalg.det(a),
    "slogdet": lambda L, a: L.linalg.slogdet(a).logabsdet,
    "cholesky": lambda L, a: L.linalg.cholesky(a @ a.T + a.T @ a),
    "qr": lambda L, a: L.linalg.qr(a)[0] * L.linalg.qr(a)[1],
    "lstsq": lambda L, a: L.linalg.lstsq(a[:, :2], a).solution,
    "pinv": lambda L, a: L.linalg.pinv(a[:2]),
    "solve": lambda L, a: L.linalg.solve(a, a[:, 0]),
    "vector_norm": lambda L, a: L.linalg.vector_norm(a, 3, dim=1),
    "vector_norm_inf": lambda L, a: L.linalg.vector_norm(a, float("inf")),
    "matrix_norm": lambda L, a: L.linalg.matrix_norm(a, 1),
    "norm": lambda L, a: L.linalg.norm(a),
    "norm_dim": lambda L, a: L.linalg.norm(a, dim=0),
    "cross": lambda L, a: L.linalg.cross(a, a[::-1] if L is adc else a.flip(0)),
    "trace_kron": lambda L, a: L.trace(L.kron(a, a)),
    "triu_roll": lambda L, a: L.triu(L.roll(a, 1, 0), 1),
    "addmm": lambda L, a: L.addmm(a, a, a, beta=0.5, alpha=2),
    "cumprod": lambda L, a: L.cumprod(a, 1),
    "sort": lambda L, a: L.sort(a, 1).values * L.sort(a, 0, descending=True)[0],
    "argsort_gather": lambda L, a: L.gather(a, 1, L.argsort(a, 1))[:, :2],
    "argmax_gather": lambda L, a: L.gather(a, 1, L.argmax(a, 1, keepdim=True)),
    "any_where": lambda L, a: L.where(L.any(a > 1, 1, keepdim=True), a, 2 * a),
    "svd": lambda L, a: L.linalg.svd(a)[0] ** 2 + L.linalg.svdvals(a),
    "eigh": lambda L, a: L.linalg.eigh(a + a.T)[1] ** 2 * L.linalg.eigvalsh(a),
    "erf_diag": lambda L, a: L.erf(L.diag(a)),
    "diagonal": lambda L, a: L.diagonal(a, 1),
    "dist": lambda L, a: L.dist(a, a * a, 3),
    "chunk": lambda L, a: L.chunk(a, 2, 1)[1],
    "split_narrow": lambda L, a: L.narrow(L.split(a, [1, 2])[1], 0, 1, 1),
}


@pytest.mark.parametrize("name", sorted(TRACED))
def test_traced_values_match_torch_gradients(name):
    fn = TRACED[name]
    ours = adc.grad(lambda a: anp.sum(fn(adc, a) ** 2), backend="numpy")(A)
    t = torch.tensor(A, requires_grad=True)
    (fn(torch, t) ** 2).sum().backward()
    np.testing.assert_allclose(ours, t.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_numpy_arrays_get_numpy_results():
    out = adc.linalg.inv(A)
    assert isinstance(out, np.ndarray)
    np.testing.assert_allclose(out, np.linalg.inv(A), rtol=1e-12)
    np.testing.assert_allclose(adc.linalg.det(BATCH), np.linalg.det(BATCH), rtol=1e-12)
    sign, logabsdet = adc.linalg.slogdet(BATCH)
    np.testing.assert_allclose(sign * np.exp(logabsdet), np.linalg.det(BATCH), rtol=1e-12)
    np.testing.assert_allclose(adc.linalg.vector_norm(X, 3), np.linalg.norm(X.ravel(), 3))


def test_det_gradient_compiles_on_the_cpu_backend():
    t = adc.tensor(BATCH, requires_grad=True)
    adc.linalg.det(t).sum().backward()
    expected = np.linalg.det(BATCH)[:, None, None] * np.linalg.inv(BATCH).transpose(0, 2, 1)
    np.testing.assert_allclose(t.grad.numpy(), expected, rtol=1e-10)


def test_adc_linalg_is_one_importable_module():
    assert adc.linalg is adc.tensors.linalg and adc.linalg.det is adc.det
    assert sorted(adc.linalg.__all__) == ["LinAlgError", "cholesky", "cross", "det", "eig",
                                          "eigh", "eigvals", "eigvalsh", "inv", "lstsq",
                                          "matrix_norm", "matrix_power", "matrix_rank", "norm",
                                          "pinv", "qr", "slogdet", "solve", "svd", "svdvals",
                                          "vector_norm"]
    code = ("import adc.linalg, adc; from adc.linalg import solve; "
            "assert adc.linalg is adc.tensors.linalg and solve is adc.linalg.solve")
    subprocess.run([sys.executable, "-c", code], check=True)
    assert adc.linalg.norm is not adc.norm and not hasattr(adc.Tensor, "vector_norm")


NAN_MATRIX = np.array([[1.0, np.nan], [2.0, 3.0]])


@pytest.mark.parametrize("call", [
    lambda L, a: L.linalg.svd(a), lambda L, a: L.linalg.svdvals(a), lambda L, a: L.svd(a),
    lambda L, a: L.linalg.matrix_norm(a, 2), lambda L, a: L.linalg.norm(a, "nuc"),
    lambda L, a: L.linalg.matrix_rank(a), lambda L, a: L.linalg.pinv(a)])
def test_svd_based_functions_of_a_nan_matrix_raise_torchs_error(call):
    raises_like_torch(call, NAN_MATRIX, match="linalg.svd: The algorithm failed to converge "
                      "because the input matrix contained non-finite values.")


@pytest.mark.parametrize("uplo", ["L", "U"])
def test_eigh_does_not_read_a_nan_in_the_other_triangle(uplo):
    """torch reads one triangle only; adc's gradient trick once let the other's NaN in."""
    a = NAN_MATRIX if uplo == "L" else NAN_MATRIX.T.copy()
    same_as_torch(lambda L, x: L.linalg.eigvalsh(x, UPLO=uplo), a, grad=False)


def test_slogdet_result_names_as_torch():
    """torch.slogdet and Tensor.slogdet give torch.return_types.slogdet, torch.linalg.slogdet
    linalg_slogdet (printed by tutorials), from the same op and backward."""
    def names(L):
        a = L.tensor(A, requires_grad=True)
        results = (L.slogdet(a), a.slogdet(), L.linalg.slogdet(a))
        return [(type(r).__name__, r.logabsdet.grad_fn.name()) for r in results]
    assert names(adc) == names(torch)
    assert type(adc.linalg.slogdet(A)).__name__ == "linalg_slogdet"


@pytest.mark.parametrize("call", [
    lambda L: L.linalg.inv(L.tensor([[1.0, 2.0], [2.0, 4.0]])),
    lambda L: L.tensor([[0.0, 0.0], [0.0, 1.0]], dtype=L.float64).inverse(),
    lambda L: L.inverse(L.stack([L.eye(2), L.zeros(2, 2)])),
    lambda L: L.linalg.solve(L.tensor([[1.0, 2.0], [2.0, 4.0]]), L.ones(2)),
    lambda L: L.linalg.solve(L.zeros(2, 2, 2), L.ones(2, 2))])
def test_singular_matrix_raises_torchs_linalg_error(call):
    """An exactly singular matrix: torch's LinAlgError (a RuntimeError) and message, not
    numpy's LinAlgError (a ValueError that `except RuntimeError` misses)."""
    messages = []
    for lib in (torch, adc):
        with pytest.raises(RuntimeError) as err:
            call(lib)
        assert isinstance(err.value, lib.linalg.LinAlgError)
        messages.append(str(err.value))
    assert messages[0] == messages[1]
