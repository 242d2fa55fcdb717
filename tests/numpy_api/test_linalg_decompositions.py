"""adc.numpy.linalg's decompositions (det, slogdet, svd, svdvals, eigh, eigvalsh): numpy's
values and result types on arrays, and numpy code calling np.linalg differentiated by adc.grad
on the numpy reference and the cpu backend, against torch.autograd; cuda refuses them."""
from __future__ import annotations

import numpy as np
import pytest

import adc
import adc.numpy as anp

torch = pytest.importorskip("torch")

RNG = np.random.default_rng(11)
A = RNG.standard_normal((3, 3))
TALL = RNG.standard_normal((2, 4, 3))
SYM = A + A.T


def test_arrays_get_numpy_values_and_result_types():
    np.testing.assert_allclose(anp.linalg.det(TALL[:, :3]), np.linalg.det(TALL[:, :3]),
                               rtol=1e-13)
    ours, theirs = anp.linalg.slogdet(-A), np.linalg.slogdet(-A)
    assert type(ours).__name__ == type(theirs).__name__ and ours._fields == theirs._fields
    np.testing.assert_allclose(ours, theirs, rtol=1e-13)
    ours, theirs = anp.linalg.svd(TALL, full_matrices=False), np.linalg.svd(TALL, False)
    assert type(ours).__name__ == type(theirs).__name__ and ours._fields == theirs._fields
    np.testing.assert_allclose(ours.S, theirs.S, rtol=1e-13)
    np.testing.assert_allclose(np.abs(ours.U), np.abs(theirs.U), rtol=1e-12)
    np.testing.assert_allclose(ours.U * ours.S[..., None, :] @ ours.Vh, TALL, atol=1e-13)
    np.testing.assert_allclose(anp.linalg.svd(A, compute_uv=False), np.linalg.svdvals(A))
    np.testing.assert_allclose(anp.linalg.svdvals(TALL), np.linalg.svdvals(TALL), rtol=1e-13)
    ours, theirs = anp.linalg.eigh(A, UPLO="U"), np.linalg.eigh(A, UPLO="U")
    assert type(ours).__name__ == type(theirs).__name__ and ours._fields == theirs._fields
    np.testing.assert_allclose(ours.eigenvalues, theirs.eigenvalues, rtol=1e-13)
    np.testing.assert_allclose(np.abs(ours.eigenvectors), np.abs(theirs.eigenvectors),
                               rtol=1e-12)
    np.testing.assert_allclose(anp.linalg.eigvalsh(A), np.linalg.eigvalsh(A), rtol=1e-13)
    assert anp.linalg.det(A.astype(np.float32)).dtype == np.float32
    assert anp.linalg.det(np.eye(2, dtype=np.int64)) == 1.0


def test_slogdet_of_a_singular_matrix_is_numpys():
    sign, logabsdet = anp.linalg.slogdet(np.zeros((2, 2)))
    assert sign == 0 and logabsdet == -np.inf


# numpy code as users write it, and its torch twin
FUNCTIONS = {
    "det": (lambda x: np.linalg.det(x), lambda x: torch.linalg.det(x)),
    "slogdet": (lambda x: np.linalg.slogdet(x)[1], lambda x: torch.linalg.slogdet(x)[1]),
    "svd_rebuilt": (lambda x: (lambda u, s, vh: np.sum(np.tanh(u * s[..., None, :] @ vh)))(
        *np.linalg.svd(x, full_matrices=False)),
        lambda x: (lambda u, s, vh: torch.tanh(u * s[..., None, :] @ vh).sum())(
        *torch.linalg.svd(x, full_matrices=False))),
    "svd_squares": (lambda x: sum(np.sum(p ** 3 * p) for p in np.linalg.svd(x, False)),
                    lambda x: sum((p ** 3 * p).sum() for p in torch.linalg.svd(x, False))),
    "svdvals": (lambda x: np.sum(np.linalg.svdvals(x) ** 3),
                lambda x: (torch.linalg.svdvals(x) ** 3).sum()),
    "eigh": (lambda x: (lambda w, v: np.sum(w * w) + np.sum(v ** 4))(*np.linalg.eigh(x)),
             lambda x: (lambda w, v: (w * w).sum() + (v ** 4).sum())(*torch.linalg.eigh(x))),
    "eigh_upper": (lambda x: np.sum(np.linalg.eigh(x, "U")[1] ** 2 * np.arange(3.0)),
                   lambda x: (torch.linalg.eigh(x, "U")[1] ** 2 * torch.arange(3.0)).sum()),
    "eigvalsh": (lambda x: np.sum(np.exp(np.linalg.eigvalsh(x))),
                 lambda x: torch.exp(torch.linalg.eigvalsh(x)).sum()),
}


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
@pytest.mark.parametrize("name", sorted(FUNCTIONS))
def test_gradients_of_numpy_code_match_torch(name, backend):
    ours_fn, torch_fn = FUNCTIONS[name]
    x = TALL[:, :3] if name.startswith("svd") or name == "det" else SYM + 0.1 * A
    ours = adc.grad(lambda a: anp.sum(ours_fn(a)), backend=backend)(x)
    t = torch.tensor(x, requires_grad=True)
    torch_fn(t).sum().backward()
    np.testing.assert_allclose(ours, t.grad.numpy(), rtol=1e-9, atol=1e-12)


def test_tall_and_wide_svd_gradients_match_finite_differences():
    for x in (TALL[0], TALL[0].T):
        adc.check_grad(lambda a: anp.sum(np.linalg.svd(a, full_matrices=False)[0] ** 2 *
                                         np.arange(1.0, 4.0)), x)


@pytest.mark.parametrize("call", [lambda a: np.linalg.svd(a), lambda a: np.linalg.det(a),
                                  lambda a: np.linalg.eigh(a)[0]])
def test_cuda_refuses_them_naming_the_op_and_the_cpu_backend(call):
    with pytest.raises(adc.UnsupportedError, match="cpu backend only"):
        adc.jit(call, backend="cuda")(A)


def test_unsupported_arguments_raise_clear_errors():
    with pytest.raises(adc.UnsupportedError, match="full_matrices=True of 4 x 3"):
        anp.linalg.svd(TALL)
    with pytest.raises(adc.UnsupportedError, match="hermitian"):
        anp.linalg.svd(A, hermitian=True)
    with pytest.raises(ValueError, match="UPLO"):
        anp.linalg.eigh(A, UPLO="X")
    with pytest.raises(adc.ShapeError, match="square"):
        adc.grad(lambda a: np.linalg.det(a))(TALL[0])


# ---- matrix_power, matrix_rank, tensordot, dot, norm ----

M = RNG.standard_normal((3, 3))
T3 = RNG.standard_normal((2, 3, 4))


@pytest.mark.parametrize("n", [0, 1, 2, 3, 6, -1, -2])
def test_matrix_power_is_numpys(n):
    np.testing.assert_allclose(anp.linalg.matrix_power(TALL[:, :3], n),
                               np.linalg.matrix_power(TALL[:, :3], n), rtol=1e-12, atol=1e-14)
    ints = np.arange(4).reshape(2, 2)
    if n >= 0:
        ours = anp.linalg.matrix_power(ints, n)
        assert ours.dtype == np.int64 and (ours == np.linalg.matrix_power(ints, n)).all()
    with pytest.raises(TypeError, match="integer"):
        anp.linalg.matrix_power(M, 1.5)


def test_matrix_rank_is_numpys():
    low = M[:, :1] @ M[:1]
    for a, kw in [(M, {}), (low, {}), (np.stack([M, low]), {}), (M, {"tol": 1.0}),
                  (M, {"rtol": 0.4}), (np.zeros(3), {}), (np.ones(2), {})]:
        ours = anp.linalg.matrix_rank(a, **kw)
        assert np.array_equal(ours, np.linalg.matrix_rank(a, **kw))
        assert np.asarray(ours).dtype == np.int64
    assert adc.jit(lambda a: anp.linalg.matrix_rank(a))(low) == 1


TENSORDOT = {  # axes: the second operand for T3 (2, 3, 4)
    2: RNG.standard_normal((3, 4, 5)),
    1: RNG.standard_normal((4, 2)),
    0: RNG.standard_normal(2),
    ((1, 2), (1, 0)): RNG.standard_normal((4, 3)),
    ((0,), (2,)): RNG.standard_normal((3, 4, 2)),
}


@pytest.mark.parametrize("axes", list(TENSORDOT), ids=str)
def test_tensordot_is_numpys(axes):
    b = TENSORDOT[axes]
    np.testing.assert_allclose(anp.tensordot(T3, b, axes), np.tensordot(T3, b, axes),
                               rtol=1e-13)


def test_dot_of_n_d_operands_is_numpys_and_differentiates_like_torch():
    c = RNG.standard_normal((5, 4, 2))
    np.testing.assert_allclose(anp.dot(T3, c), np.dot(T3, c), rtol=1e-13)
    ours = adc.grad(lambda a, b: anp.sum(np.tanh(np.dot(a, b))), argnums=(0, 1))(T3, c)
    ta, tb = (torch.tensor(x, requires_grad=True) for x in (T3, c))
    torch.tanh(torch.einsum("ijk,lkm->ijlm", ta, tb)).sum().backward()
    for a, t in zip(ours, (ta, tb)):
        np.testing.assert_allclose(a, t.grad.numpy(), rtol=1e-10)
    with pytest.raises(adc.ShapeError, match="tensordot"):
        anp.tensordot(T3, T3, 2)


@pytest.mark.parametrize("ord", [None, "fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf])
def test_matrix_norms_are_numpys_and_differentiate_like_torch(ord):
    np.testing.assert_allclose(anp.linalg.norm(M, ord), np.linalg.norm(M, ord), rtol=1e-13)
    np.testing.assert_allclose(anp.linalg.norm(T3, ord, axis=(2, 0), keepdims=True),
                               np.linalg.norm(T3, ord, axis=(2, 0), keepdims=True), rtol=1e-13)
    ours = adc.grad(lambda a: anp.sum(np.linalg.norm(a, ord, axis=(1, 2))), backend="numpy")(T3)
    t = torch.tensor(T3, requires_grad=True)
    torch.linalg.norm(t, "fro" if ord is None else ord, dim=(1, 2)).sum().backward()
    np.testing.assert_allclose(ours, t.grad.numpy(), rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize("ord", [None, 0, 1, 2, 3, 0.5, -1, np.inf, -np.inf])
def test_vector_norms_are_numpys(ord):
    np.testing.assert_allclose(anp.linalg.norm(T3, ord, axis=1), np.linalg.norm(T3, ord, axis=1),
                               rtol=1e-13)
    np.testing.assert_allclose(anp.linalg.norm(T3[0, 0], ord), np.linalg.norm(T3[0, 0], ord),
                               rtol=1e-13)


def test_norm_errors_are_numpys():
    for call in (lambda: anp.linalg.norm(T3, 2), lambda: anp.linalg.norm(M, 3),
                 lambda: anp.linalg.norm(M[0], "fro"), lambda: anp.linalg.norm(T3, axis=(0, 1, 2))):
        with pytest.raises(ValueError):
            call()
