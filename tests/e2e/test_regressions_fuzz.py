"""Regressions found by the differential fuzzer (tests/lower/fuzz_programs.py) while it was
extended to every adc.numpy family (#19, #16): each test is the shrunk program, and fails
before its fix."""
from __future__ import annotations

import numpy as np
import pytest

import adc
import adc.numpy as anp

pytest.importorskip("torch")


def test_solve_of_a_stacked_matrix_by_a_matrix_runs_in_torch():
    """solve(A of (1, 1, 1), b of (1, 1)): b is a matrix (numpy's result is (1, 1, 1)), but
    torch.linalg.solve reads a b shaped as A without its last axis as a batch of vectors, so
    validate's torch graph of the gradient failed in a slice after it (IndexError)."""
    x = np.array([[[0.3, -1.2, 0.5, 2.0]]])

    def f(x):
        A = anp.eye(1) - 0.2 * anp.tanh(x[..., :1, :1])
        return anp.sum(anp.sin(anp.linalg.solve(A, anp.ones((1, 1)))))

    report = adc.validate(f, x, backend="numpy")
    assert report.ok, str(report)


NAN, INF = np.nan, np.inf


@pytest.mark.parametrize("backend", ["numpy", "cpu", "cuda"])
def test_inv_and_solve_of_a_nonfinite_matrix_are_nan_on_every_backend(backend):
    """A NaN or infinite entry: NaN (torch's inv and solve of a NaN matrix), in the solve only
    the columns of b holding one. Before: the cpu kernels raised Numba's LinAlgError, the numpy
    backend returned LAPACK's partial numbers and cuda reported a singular matrix."""
    import torch

    good = np.array([[2.0, 1.0], [1.0, 3.0]])
    a = np.stack([good, [[1.0, NAN], [3.0, 4.0]], [[1.0, INF], [3.0, 4.0]]])
    b = np.array([[1.0, NAN], [2.0, 3.0]])
    inv = adc.jit(anp.linalg.inv, backend=backend)(a)
    np.testing.assert_allclose(inv[0], np.linalg.inv(good), rtol=1e-12)
    assert np.isnan(inv[1:]).all()
    np.testing.assert_array_equal(np.isnan(inv[1]), np.isnan(torch.linalg.inv(
        torch.from_numpy(a[1])).numpy()))
    x = adc.jit(anp.linalg.solve, backend=backend)(a, b)
    expected = torch.linalg.solve(torch.from_numpy(a[:2]),
                                  torch.from_numpy(b).expand(2, 2, 2)).numpy()
    np.testing.assert_allclose(x[:2], expected, rtol=1e-12)  # NaN where torch's is NaN
    assert np.isnan(x[2]).all() and np.isfinite(x[0, :, 0]).all()


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_det_and_slogdet_of_a_nonfinite_matrix_follow_torch(backend):
    """det NaN and slogdet (sign 0, log|det| NaN) of a NaN matrix, as torch's; an infinite entry
    gives the same (torch's LAPACK arithmetic on infinities makes numbers of it)."""
    import torch

    a = np.array([[[2.0, 1.0], [1.0, 3.0]], [[1.0, NAN], [3.0, 4.0]], [[1.0, INF], [3.0, 4.0]]])
    det = adc.jit(anp.linalg.det, backend=backend)(a)
    np.testing.assert_allclose(det[0], 5.0, rtol=1e-12)
    assert np.isnan(det[1:]).all() and torch.linalg.det(torch.from_numpy(a[1])).isnan()
    sign, logdet = adc.jit(anp.linalg.slogdet, backend=backend)(a)
    t_sign, t_logdet = torch.linalg.slogdet(torch.from_numpy(a[1]))
    assert sign[1] == t_sign.item() == 0 and np.isnan(logdet[1]) and np.isnan(t_logdet.item())
    np.testing.assert_allclose([sign[0], logdet[0]], [1.0, np.log(5.0)], rtol=1e-12)
    assert sign[2] == 0 and np.isnan(logdet[2])


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_svd_and_eigh_of_a_nonfinite_matrix_agree_across_backends(backend):
    """svd of a NaN matrix raises LinAlgError (numpy's and torch's do; before, cpu raised
    Numba's 'Array must not contain infs or NaNs' and the numpy backend numpy's words), of an
    infinite one gives NaN (as numpy and torch); eigh of either gives NaN (cpu raised)."""
    from adc.prims.linalg import SVD_OF_NAN

    good = np.array([[2.0, 1.0], [1.0, 3.0]])
    svdvals = adc.jit(anp.linalg.svdvals, backend=backend)
    with pytest.raises(np.linalg.LinAlgError, match="holds a NaN") as info:
        svdvals(np.stack([good, [[1.0, NAN], [3.0, 4.0]]]))
    assert str(info.value) == SVD_OF_NAN
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.svd(np.array([[1.0, NAN], [3.0, 4.0]]))
    s = svdvals(np.stack([good, [[1.0, INF], [3.0, 4.0]]]))
    np.testing.assert_allclose(s[0], np.linalg.svd(good, compute_uv=False), rtol=1e-12)
    assert np.isnan(s[1]).all()
    w = adc.jit(anp.linalg.eigvalsh, backend=backend)(
        np.stack([good, [[1.0, 2.0], [NAN, 4.0]], [[1.0, 2.0], [INF, 4.0]]]))
    np.testing.assert_allclose(w[0], np.linalg.eigvalsh(good), rtol=1e-12)
    assert np.isnan(w[1:]).all()


@pytest.mark.parametrize("first", [anp.fix, anp.sin])
def test_a_value_recomputed_in_a_nest_that_also_reads_it_broadcast(first):
    """d feeds e (recomputed in the consumer's nest) and minimum(d, reshape(d)), which reads d
    along the other axis: the recomputation stays in d's nest and d is stored (cpu named an
    array it never wrote: NameError in Numba's typing; found by fuzz seed 103401)."""
    def f(v0):
        d = first(v0)
        e = anp.remainder(d, 3.904)  # traced before the broadcast read (the order matters)
        return anp.logaddexp2(anp.minimum(d, anp.atleast_3d(d)), e)

    x = np.array([[1.077683579074813], [0.7262824361848823], [0.1861787800634227]])
    np.testing.assert_allclose(adc.jit(f, backend="cpu")(x), adc.jit(f, backend="numpy")(x),
                               rtol=1e-14)
    g = adc.grad(lambda v: anp.sum(anp.sin(f(v))), backend="cpu")(x)
    np.testing.assert_allclose(g, adc.grad(lambda v: anp.sum(anp.sin(f(v))),
                                           backend="numpy")(x), rtol=1e-12)
