"""Forward mode (adc/forward.py): jvp, linearize, jacfwd and hvp against torch.func.jvp,
torch.autograd.functional and central finite differences; nesting inside adc.grad; one
compiled program per signature; the errors."""
from __future__ import annotations

import numpy as np
import pytest

import adc
import adc.numpy as anp

torch = pytest.importorskip("torch")
R = np.random.default_rng(5)


def f_np(x, W):
    return anp.tanh(x @ W) * anp.exp(-x[:, :1] ** 2)


def f_torch(x, W):
    return torch.tanh(x @ W) * torch.exp(-x[:, :1] ** 2)


X, W = R.standard_normal((3, 4)), R.standard_normal((4, 2))
V, U = R.standard_normal((3, 4)), R.standard_normal((4, 2))


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_jvp_matches_torch_func_jvp_and_finite_differences(backend):
    out, tangent = adc.jvp(f_np, (X, W), (V, U), backend=backend)
    t_out, t_tangent = torch.func.jvp(f_torch, tuple(map(torch.tensor, (X, W))),
                                      tuple(map(torch.tensor, (V, U))))
    np.testing.assert_allclose(out, t_out.numpy(), rtol=1e-12)
    np.testing.assert_allclose(tangent, t_tangent.numpy(), rtol=1e-10, atol=1e-12)
    h = 1e-6
    fd = (f_np(X + h * V, W + h * U) - f_np(X - h * V, W - h * U)) / (2 * h)
    np.testing.assert_allclose(tangent, fd, rtol=1e-6, atol=1e-8)


def test_jvp_of_tuple_outputs_and_float32():
    f = lambda x: (anp.sin(x), anp.sum(x * x))  # noqa: E731
    x = np.linspace(-1, 1, 5, dtype=np.float32)
    (s, q), (ds, dq) = adc.jvp(f, (x,), (np.ones(5, np.float32),))
    assert ds.dtype == np.float32 and dq.shape == ()
    np.testing.assert_allclose(ds, np.cos(x), rtol=1e-6)
    np.testing.assert_allclose(dq, 2 * x.sum(), rtol=1e-5, atol=1e-6)


def test_linearize_gives_the_same_tangents():
    out, f_jvp = adc.linearize(f_np, X, W)
    np.testing.assert_allclose(out, f_np(X, W), rtol=1e-12)
    np.testing.assert_allclose(f_jvp(V, U), adc.jvp(f_np, (X, W), (V, U))[1], rtol=1e-12)


def test_jacfwd_equals_the_reverse_jacobian_and_torchs():
    for argnums in (0, (0, 1)):
        fwd = adc.jacfwd(f_np, argnums=argnums)(X, W)
        rev = adc.jacrev(f_np, argnums=argnums)(X, W)
        for a, b in zip(*(((fwd,), (rev,)) if argnums == 0 else (fwd, rev))):
            assert a.shape == b.shape
            np.testing.assert_allclose(a, b, rtol=1e-10, atol=1e-12)
    theirs = torch.autograd.functional.jacobian(f_torch, tuple(map(torch.tensor, (X, W))))
    np.testing.assert_allclose(adc.jacfwd(f_np, argnums=1)(X, W), theirs[1].numpy(),
                               rtol=1e-10, atol=1e-12)


def test_jacfwd_of_a_tuple_output_keeps_jacobians_structure():
    f = lambda x, n: (anp.sin(x) * n, anp.sum(x))  # noqa: E731
    x = np.linspace(0, 1, 3)
    fwd, rev = adc.jacfwd(f)(x, 2), adc.jacobian(f)(x, 2)
    assert [a.shape for a in fwd] == [b.shape for b in rev] == [(3, 3), (3,)]
    for a, b in zip(fwd, rev):
        np.testing.assert_allclose(a, b, rtol=1e-12)


def test_hvp_matches_torch():
    def g(x):
        return anp.sum(anp.exp(x) * anp.sin(x[::-1]))

    x, v = R.standard_normal(6), R.standard_normal(6)
    ours = adc.hvp(g, (x,), (v,))
    _, theirs = torch.autograd.functional.hvp(
        lambda t: (torch.exp(t) * torch.sin(t.flip(0))).sum(), torch.tensor(x), torch.tensor(v))
    np.testing.assert_allclose(ours, theirs.numpy(), rtol=1e-10)
    two = adc.hvp(lambda a, b: anp.sum(a * a * b), (x, x), (v, v))
    assert isinstance(two, tuple) and len(two) == 2


def test_jvp_inside_grad_gives_second_derivatives():
    x = np.linspace(-1, 1, 4)
    g = adc.grad(lambda x: anp.sum(adc.jvp(anp.sin, (x,), (np.ones(4),))[1] ** 2))(x)
    np.testing.assert_allclose(g, -2 * np.sin(x) * np.cos(x), rtol=1e-12)


def test_one_program_per_signature(monkeypatch):
    from adc import staging

    compiled = []
    real = staging.compile_graph
    monkeypatch.setattr(staging, "compile_graph",
                        lambda graph, backend, **k: compiled.append(backend) or
                        real(graph, backend, **k))
    monkeypatch.setattr(staging, "load_program", lambda key: None)  # none from earlier runs

    def f(x):
        return anp.cos(x) * x

    for _ in range(3):
        adc.jvp(f, (np.ones(4),), (np.ones(4),))
    assert len(compiled) == 1
    jac = adc.jacfwd(f)
    for k in range(3):  # one program of its own: every JVP at once (a vmap)
        np.testing.assert_allclose(jac(np.full(4, float(k))),
                                   np.eye(4) * (np.cos(k) - k * np.sin(k)))
    assert len(compiled) == 2
    adc.jvp(f, (np.ones(5),), (np.ones(5),))  # another signature
    assert len(compiled) == 3


def test_errors_name_the_mismatch():
    with pytest.raises(adc.ShapeError, match="tangent 0 has shape \\(3,\\) for a primal of "
                                             "shape \\(4,\\)"):
        adc.jvp(anp.sin, (np.ones(4),), (np.ones(3),))
    with pytest.raises(adc.ShapeError, match="1 primal\\(s\\) but 2 tangent\\(s\\)"):
        adc.jvp(anp.sin, (np.ones(4),), (np.ones(4), np.ones(4)))
    with pytest.raises(adc.GradientError, match="floating-point"):
        adc.jvp(lambda n: n * 2.0, (np.arange(3),), (np.ones(3),))


@pytest.mark.parametrize("jac", [adc.jacfwd, adc.jacobian])
def test_a_jacobian_differentiated_again_matches_torch(jac):
    """jacfwd inside adc.grad once converted its traced columns with np.asarray (TraceError)."""
    a = np.array([[1.0, 2.0], [0.5, -1.0]])
    x = np.array([0.3, 0.2])
    got = adc.grad(lambda x: anp.sum(jac(lambda y: anp.tanh(a @ y))(x) ** 2))(x)
    t = torch.tensor(x, requires_grad=True)
    jt = torch.autograd.functional.jacobian(lambda y: torch.tanh(torch.from_numpy(a) @ y), t,
                                            create_graph=True)
    (jt ** 2).sum().backward()
    np.testing.assert_allclose(got, t.grad.numpy(), rtol=1e-12)
