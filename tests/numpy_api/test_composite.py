"""End-to-end workflows people learn autograd with (the PyTorch autograd tutorials), each
computed with adc and with torch.autograd written independently in torch, and checked against
exact values where they are known: scalar derivatives, the chain rule, partial derivatives,
vector-Jacobian products with seeds, Jacobians built from seeds, broadcasting, SGD training of
linear regression (MAE) and of a 2-layer MLP (softmax cross-entropy), Hessians and gradients of
gradients."""
from __future__ import annotations

import os

import numpy as np
import pytest

import adc
import adc.numpy as anp

torch = pytest.importorskip("torch")


@pytest.fixture(autouse=True, params=["cpu", "cuda"])
def default_backend(request, monkeypatch):
    """Every workflow runs on the CPU backend and on the CUDA backend (numba's simulator
    unless NUMBA_ENABLE_CUDASIM=0 on a GPU machine), through backend=None."""
    monkeypatch.setattr(adc.backends, "DEFAULT", request.param)
    return request.param


def steps(backend, full, simulated):
    """`full` training steps, or `simulated` ones on numba's CUDA simulator (each launch runs
    its threads in Python: the suite keeps the simulator to a few launches)."""
    return simulated if backend == "cuda" and os.environ["NUMBA_ENABLE_CUDASIM"] != "0" else full


RTOL64, ATOL64 = 1e-10, 1e-12
RTOL32, ATOL32 = 2e-5, 1e-6


def close(actual, expected, rtol=RTOL64, atol=ATOL64):
    np.testing.assert_allclose(np.asarray(actual, np.float64),
                               np.asarray(expected, np.float64), rtol=rtol, atol=atol)


def t(x, requires_grad=False):
    """A torch tensor with the dtype of the numpy array (float64 stays float64)."""
    return torch.tensor(np.asarray(x), requires_grad=requires_grad)


# ---- scalars: derivative, chain rule, partial derivatives ----

def test_square_at_3_is_6():
    g = adc.grad(lambda x: x ** 2)(3.0)
    assert np.shape(g) == ()
    assert float(g) == 6.0

    x = t(3.0, requires_grad=True)
    (x ** 2).backward()
    assert x.grad.item() == 6.0
    close(g, x.grad.numpy(), rtol=0, atol=0)


@pytest.mark.parametrize("x0", [-1.3, 0.0, 0.4, 2.0])
def test_chain_rule_sin_of_cubic(x0):
    def f(x):
        return anp.sin(x ** 3 + 2 * x + 1)

    value, g = adc.value_and_grad(f)(x0)
    close(value, np.sin(x0 ** 3 + 2 * x0 + 1))
    close(g, np.cos(x0 ** 3 + 2 * x0 + 1) * (3 * x0 ** 2 + 2))

    x = t(x0, requires_grad=True)
    (gt,) = torch.autograd.grad(torch.sin(x ** 3 + 2 * x + 1), x)
    close(g, gt.numpy())


def test_partial_derivatives_of_u2_plus_3v():
    def f(u, v):
        return u ** 2 + 3 * v

    gu, gv = adc.grad(f, argnums=(0, 1))(2.0, -5.0)
    assert float(gu) == 4.0 and float(gv) == 3.0

    u, v = t(2.0, True), t(-5.0, True)
    gu_t, gv_t = torch.autograd.grad(u ** 2 + 3 * v, (u, v))
    close(gu, gu_t.numpy(), rtol=0, atol=0)
    close(gv, gv_t.numpy(), rtol=0, atol=0)


def test_partial_derivatives_on_arrays():
    u0 = np.array([0.5, -1.0, 2.0])
    v0 = np.array([1.0, 2.0, 3.0])

    gu, gv = adc.grad(lambda u, v: anp.sum(u ** 2 + 3 * v), argnums=(0, 1))(u0, v0)
    close(gu, 2 * u0)
    close(gv, np.full(3, 3.0))

    u, v = t(u0, True), t(v0, True)
    gu_t, gv_t = torch.autograd.grad((u ** 2 + 3 * v).sum(), (u, v))
    close(gu, gu_t.numpy())
    close(gv, gv_t.numpy())


# ---- tensors ----

def test_mean_of_3_times_x_plus_2_squared():
    # The PyTorch tutorial: out = (3 * (x + 2) ** 2).mean(); d(out)/dx = 1.5 (x + 2)
    x0 = np.array([[1.0, 2.0], [3.0, 4.0]])
    value, g = adc.value_and_grad(lambda x: anp.mean(3 * (x + 2) ** 2))(x0)
    close(value, np.mean(3 * (x0 + 2) ** 2))
    close(g, [[4.5, 6.0], [7.5, 9.0]])

    # numpy's own mean on a traced value dispatches to adc
    g_np = adc.grad(lambda x: np.mean(3 * (x + 2) ** 2))(x0)
    close(g_np, g)

    x = t(x0, True)
    (3 * (x + 2) ** 2).mean().backward()
    close(g, x.grad.numpy())


def test_ones_tensor_tutorial():
    # x = torch.ones(2, 2, requires_grad=True); y = x + 2; z = y * y * 3; out = z.mean()
    x0 = np.ones((2, 2))
    g = adc.grad(lambda x: anp.mean((x + 2) * (x + 2) * 3))(x0)
    close(g, np.full((2, 2), 4.5))

    x = t(x0, True)
    y = x + 2
    (y * y * 3).mean().backward()
    close(g, x.grad.numpy())


def test_matmul_vjp_with_seed():
    x0 = np.array([[1.0, 2.0, 3.0]])                       # (1, 3)
    y0 = np.array([[0.5, -1.0], [2.0, 0.25], [-3.0, 4.0]])  # (3, 2)
    seed = np.array([[1.0, 0.0]])                           # shaped like x @ y: (1, 2)

    out, vjp_fn = adc.vjp(lambda x, y: x @ y, x0, y0)
    close(out, x0 @ y0)
    cts = vjp_fn(seed)
    assert isinstance(cts, tuple) and len(cts) == 2
    gx, gy = cts
    assert gx.shape == x0.shape and gy.shape == y0.shape
    close(gx, seed @ y0.T)   # = first column of y, as a row
    close(gx, [[0.5, 2.0, -3.0]])
    close(gy, x0.T @ seed)   # = x in the first column, zeros in the second
    close(gy, [[1.0, 0.0], [2.0, 0.0], [3.0, 0.0]])

    x, y = t(x0, True), t(y0, True)
    (x @ y).backward(gradient=t(seed))
    close(gx, x.grad.numpy())
    close(gy, y.grad.numpy())

    # vjp_fn is reusable with another seed
    gx2, gy2 = vjp_fn(np.array([[0.0, 1.0]]))
    close(gx2, [[-1.0, 0.25, 4.0]])
    close(gy2, [[0.0, 1.0], [0.0, 2.0], [0.0, 3.0]])


def _two_output(x):
    return anp.stack([x[0] * x[1], anp.sin(x[0]) + x[1] ** 2])


def _two_output_torch(x):
    return torch.stack([x[0] * x[1], torch.sin(x[0]) + x[1] ** 2])


def test_jacobian_from_seeds():
    x0 = np.array([0.7, -1.5])
    exact = np.array([[x0[1], x0[0]], [np.cos(x0[0]), 2 * x0[1]]])

    out, vjp_fn = adc.vjp(_two_output, x0)
    close(out, [x0[0] * x0[1], np.sin(x0[0]) + x0[1] ** 2])
    rows = [vjp_fn(seed)[0] for seed in np.eye(2)]  # one VJP per output basis vector
    jac_seeds = np.stack(rows)
    close(jac_seeds, exact)

    jac_adc = adc.jacobian(_two_output)(x0)
    assert jac_adc.shape == (2, 2)
    close(jac_adc, exact)

    jac_torch = torch.autograd.functional.jacobian(_two_output_torch, t(x0))
    close(jac_seeds, jac_torch.numpy())

    # the same rows with torch's backward(gradient=e_i)
    for i, seed in enumerate(np.eye(2)):
        x = t(x0, True)
        _two_output_torch(x).backward(gradient=t(seed))
        close(rows[i], x.grad.numpy())


def test_jacobian_of_matrix_function_vs_torch():
    # out shape (2, 3), arg shape (3,): the Jacobian is (2, 3, 3)
    a0 = np.array([[1.0, -2.0, 0.5], [0.3, 0.0, 2.0]])
    x0 = np.array([0.2, -0.4, 1.1])

    def f(x):
        return anp.tanh(a0 * x) + x ** 3

    jac = adc.jacobian(f)(x0)
    assert jac.shape == (2, 3, 3)
    jac_t = torch.autograd.functional.jacobian(lambda x: torch.tanh(t(a0) * x) + x ** 3, t(x0))
    close(jac, jac_t.numpy())


def test_seed_weighted_vjp_of_vector_function():
    # y = f(x) vector-valued; y.backward(v) gives v^T J
    x0 = np.array([0.5, -1.0, 2.0])
    v = np.array([0.1, 1.0, 0.0001])

    def f(x):
        return x ** 2 * anp.exp(-x) + 2 * x

    y, vjp_fn = adc.vjp(f, x0)
    (g,) = vjp_fn(v)
    # f is elementwise, so J is diagonal: J_ii = (2x - x^2) e^-x + 2
    close(y, x0 ** 2 * np.exp(-x0) + 2 * x0)
    close(g, v * ((2 * x0 - x0 ** 2) * np.exp(-x0) + 2))

    x = t(x0, True)
    (x ** 2 * torch.exp(-x) + 2 * x).backward(gradient=t(v))
    close(g, x.grad.numpy())

    # a non-elementwise vector function (outputs mix inputs)
    m0 = np.array([[1.0, 2.0, -1.0], [0.0, 1.5, 3.0]])

    def h(x):
        return anp.sin(m0 @ x) * anp.sum(x * x)

    w = np.array([2.0, -0.5])
    _, vjp_h = adc.vjp(h, x0)
    (gh,) = vjp_h(w)
    x = t(x0, True)
    (torch.sin(t(m0) @ x) * (x * x).sum()).backward(gradient=t(w))
    close(gh, x.grad.numpy())
    # v^T J from the full Jacobian
    close(gh, w @ adc.jacobian(h)(x0))


def test_broadcast_scalar_parameter_against_matrix():
    m0 = np.array([[1.0, -2.0, 0.5], [3.0, 0.25, -1.0]])
    a0 = 0.7

    def f(a, m):
        return anp.sum(anp.tanh(a * m + a))

    ga, gm = adc.grad(f, argnums=(0, 1))(a0, m0)
    assert np.shape(ga) == () and gm.shape == m0.shape
    sech2 = 1 - np.tanh(a0 * m0 + a0) ** 2
    close(ga, np.sum(sech2 * (m0 + 1)))
    close(gm, sech2 * a0)

    a, m = t(a0, True), t(m0, True)
    ga_t, gm_t = torch.autograd.grad(torch.tanh(a * m + a).sum(), (a, m))
    close(ga, ga_t.numpy())
    close(gm, gm_t.numpy())


def test_broadcast_row_bias_against_matrix():
    # a (1, 3) and a (3,) parameter broadcast over (4, 3): gradients are summed over rows
    x0 = np.arange(12.0).reshape(4, 3) / 10
    b_row, b_vec = np.array([[0.1, 0.2, 0.3]]), np.array([-1.0, 0.0, 1.0])

    gr, gv = adc.grad(lambda r, v: anp.sum((x0 + r) * v), argnums=(0, 1))(b_row, b_vec)
    assert gr.shape == (1, 3) and gv.shape == (3,)
    r, v = t(b_row, True), t(b_vec, True)
    gr_t, gv_t = torch.autograd.grad(((t(x0) + r) * v).sum(), (r, v))
    close(gr, gr_t.numpy())
    close(gv, gv_t.numpy())
    close(gr, [4 * b_vec])


# ---- linear regression with MAE loss, trained by SGD ----

def _regression_data(dtype=np.float64):
    rng = np.random.default_rng(0)
    X = rng.standard_normal((32, 3))
    w_true, b_true = np.array([2.0, -3.0, 0.5]), 1.0
    y = X @ w_true + b_true + 0.1 * rng.standard_normal(32)
    return X.astype(dtype), y.astype(dtype)


def mae_loss(w, b, X, y):
    return anp.mean(anp.abs(X @ w + b - y))


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_linear_regression_mae_sgd_matches_torch(dtype, default_backend):
    X, y = _regression_data(dtype)
    lr, n_steps = 0.1, steps(default_backend, 50, 6)
    rtol, atol = (RTOL64, ATOL64) if dtype == np.float64 else (1e-4, 1e-5)
    vg = adc.value_and_grad(mae_loss, argnums=(0, 1))

    w, b = np.zeros(3, dtype), np.zeros((), dtype)
    wt = torch.zeros(3, dtype=t(X).dtype, requires_grad=True)
    bt = torch.zeros((), dtype=t(X).dtype, requires_grad=True)
    Xt, yt = t(X), t(y)
    losses = []
    for _ in range(n_steps):
        loss, (gw, gb) = vg(w, b, X, y)
        assert gw.dtype == dtype and np.asarray(gb).dtype == dtype

        loss_t = (Xt @ wt + bt - yt).abs().mean()
        loss_t.backward()
        close(loss, loss_t.item(), rtol, atol)
        close(gw, wt.grad.numpy(), rtol, atol)
        close(gb, bt.grad.numpy(), rtol, atol)

        w, b = w - dtype(lr) * gw, b - dtype(lr) * gb
        with torch.no_grad():
            wt -= lr * wt.grad
            bt -= lr * bt.grad
        wt.grad = None
        bt.grad = None
        losses.append(float(loss))

    close(w, wt.detach().numpy(), rtol, atol)
    close(b, bt.detach().numpy(), rtol, atol)
    assert losses[-1] < (0.5 if n_steps >= 50 else 0.9) * losses[0]


def test_mae_gradient_exact():
    # d/dw mean|Xw + b - y| = X^T sign(r) / n, d/db = mean sign(r)
    X, y = _regression_data()
    w0, b0 = np.array([0.5, 0.5, 0.5]), 0.2
    gw, gb = adc.grad(mae_loss, argnums=(0, 1))(w0, b0, X, y)
    s = np.sign(X @ w0 + b0 - y)
    close(gw, X.T @ s / len(y))
    close(gb, np.mean(s))


# ---- 2-layer MLP with relu and softmax cross-entropy ----

def _mlp_data(dtype=np.float64):
    rng = np.random.default_rng(1)
    n, d, h, k = 24, 4, 8, 3
    X = rng.standard_normal((n, d))
    labels = rng.integers(0, k, n)
    X[np.arange(n), labels] += 2.0  # make the classes learnable
    params = [rng.standard_normal((d, h)) * 0.5, np.zeros(h) + 0.1,
              rng.standard_normal((h, k)) * 0.5, np.zeros(k)]
    return X.astype(dtype), labels, [p.astype(dtype) for p in params]


def mlp_logits(W1, b1, W2, b2, X):
    return anp.maximum(X @ W1 + b1, 0) @ W2 + b2


def xent_take_along_axis(W1, b1, W2, b2, X, labels):
    logp = anp.log_softmax(mlp_logits(W1, b1, W2, b2, X), axis=1)
    return -anp.mean(anp.take_along_axis(logp, labels[:, None], axis=1))


def xent_one_hot(W1, b1, W2, b2, X, onehot):
    logp = anp.log_softmax(mlp_logits(W1, b1, W2, b2, X), axis=1)
    return -anp.sum(logp * onehot) / X.shape[0]


def torch_mlp_loss(params, X, labels):
    W1, b1, W2, b2 = params
    logits = torch.relu(X @ W1 + b1) @ W2 + b2
    return torch.nn.functional.cross_entropy(logits, labels)


@pytest.mark.parametrize("form", ["take_along_axis", "one_hot"])
def test_mlp_softmax_cross_entropy_gradients(form):
    X, labels, params = _mlp_data()
    if form == "take_along_axis":
        loss, grads = adc.value_and_grad(xent_take_along_axis, argnums=(0, 1, 2, 3))(
            *params, X, labels)
    else:
        onehot = np.eye(3)[labels]
        loss, grads = adc.value_and_grad(xent_one_hot, argnums=(0, 1, 2, 3))(*params, X, onehot)
    assert len(grads) == 4

    tp = [t(p, True) for p in params]
    loss_t = torch_mlp_loss(tp, t(X), torch.tensor(labels))
    grads_t = torch.autograd.grad(loss_t, tp)
    close(loss, loss_t.item())
    for g, gt, p in zip(grads, grads_t, params):
        assert g.shape == p.shape
        close(g, gt.numpy())


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_mlp_sgd_steps_match_torch_and_decrease_loss(dtype, default_backend):
    X, labels, params = _mlp_data(dtype)
    rtol, atol = (1e-9, 1e-11) if dtype == np.float64 else (1e-4, 1e-5)
    vg = adc.value_and_grad(xent_take_along_axis, argnums=(0, 1, 2, 3))
    tp = [t(p, True) for p in params]
    Xt, lt = t(X), torch.tensor(labels)
    lr, losses = 0.5, []
    for _ in range(steps(default_backend, 10, 3)):
        loss, grads = vg(*params, X, labels)
        loss_t = torch_mlp_loss(tp, Xt, lt)
        grads_t = torch.autograd.grad(loss_t, tp)
        close(loss, loss_t.item(), rtol, atol)
        for g, gt in zip(grads, grads_t):
            assert g.dtype == dtype
            close(g, gt.numpy(), rtol, atol)
        params = [p - dtype(lr) * g for p, g in zip(params, grads)]
        with torch.no_grad():
            tp = [(p - lr * g).requires_grad_(True) for p, g in zip(tp, grads_t)]
        losses.append(float(loss))
    for p, pt in zip(params, tp):
        close(p, pt.detach().numpy(), rtol, atol)
    assert losses[-1] < losses[0]
    assert losses[1] < losses[0] and losses[2] < losses[1]  # the first steps descend


# ---- second order ----

def test_hessian_vs_torch():
    x0 = np.array([0.3, -0.8, 1.2])

    def f(x):
        return anp.sum(x ** 3) * anp.sin(x[0]) + x[1] * x[2] + anp.exp(x[0] * x[2])

    def f_t(x):
        return (x ** 3).sum() * torch.sin(x[0]) + x[1] * x[2] + torch.exp(x[0] * x[2])

    H = adc.hessian(f)(x0)
    assert H.shape == (3, 3)
    H_t = torch.autograd.functional.hessian(f_t, t(x0))
    close(H, H_t.numpy(), rtol=1e-9, atol=1e-11)
    close(H, H.T, rtol=1e-12, atol=1e-12)


def test_hessian_of_quadratic_form_is_exact():
    A = np.array([[2.0, 1.0, 0.0], [1.0, 3.0, -1.0], [0.0, -1.0, 4.0]])
    H = adc.hessian(lambda x: 0.5 * x @ (A @ x))(np.array([1.0, 2.0, 3.0]))
    close(H, A)
    H_t = torch.autograd.functional.hessian(lambda x: 0.5 * x @ (t(A) @ x), t([1.0, 2.0, 3.0]))
    close(H, H_t.numpy())


def _mlp_hessian_b2_torch(X, labels, params):
    W1, b1, W2, b2 = [t(p) for p in params]
    return torch.autograd.functional.hessian(
        lambda b: torch_mlp_loss([W1, b1, W2, b], t(X), torch.tensor(labels)), b2).numpy()


def test_hessian_of_cross_entropy_wrt_bias_one_hot():
    X, labels, params = _mlp_data()
    H = adc.hessian(xent_one_hot, argnums=3)(*params, X, np.eye(3)[labels])
    assert H.shape == (3, 3)
    close(H, _mlp_hessian_b2_torch(X, labels, params), rtol=1e-9, atol=1e-11)


def test_hessian_of_cross_entropy_wrt_bias_integer_labels():
    X, labels, params = _mlp_data()
    H = adc.hessian(xent_take_along_axis, argnums=3)(*params, X, labels)
    close(H, _mlp_hessian_b2_torch(X, labels, params), rtol=1e-9, atol=1e-11)


def test_jacobian_with_integer_argument_outside_argnums():
    x0, n = np.array([1.0, 2.0]), np.array(3)
    close(adc.jacobian(lambda x, k: x * k, argnums=0)(x0, n), 3 * np.eye(2))


def test_grad_of_grad_vs_torch_create_graph():
    # f(x) = x^3 sin(x): f' = 3x^2 sin x + x^3 cos x, f'' = 6x sin x + 6x^2 cos x - x^3 sin x
    def f(x):
        return x ** 3 * anp.sin(x)

    df = adc.grad(f)
    d2f = adc.grad(df)
    for x0 in (-1.1, 0.5, 2.0):
        close(df(x0), 3 * x0 ** 2 * np.sin(x0) + x0 ** 3 * np.cos(x0))
        exact2 = 6 * x0 * np.sin(x0) + 6 * x0 ** 2 * np.cos(x0) - x0 ** 3 * np.sin(x0)
        close(d2f(x0), exact2)

        x = t(x0, True)
        (g1,) = torch.autograd.grad(x ** 3 * torch.sin(x), x, create_graph=True)
        (g2,) = torch.autograd.grad(g1, x)
        close(df(x0), g1.detach().numpy())
        close(d2f(x0), g2.numpy())


def test_grad_of_grad_norm_vector():
    # gradient of |grad f|^2 w.r.t. x, a common second-order workflow (gradient penalty)
    w0 = np.array([[1.0, -0.5], [0.3, 2.0], [-1.2, 0.7]])
    x0 = np.array([0.4, -0.9])

    def f(x):
        return anp.sum(anp.tanh(w0 @ x))

    def penalty(x):
        g = adc.grad(f)(x)
        return anp.sum(g * g)

    gp = adc.grad(penalty)(x0)
    x = t(x0, True)
    (g1,) = torch.autograd.grad(torch.tanh(t(w0) @ x).sum(), x, create_graph=True)
    (gp_t,) = torch.autograd.grad((g1 * g1).sum(), x)
    close(gp, gp_t.numpy(), rtol=1e-9, atol=1e-11)


def test_third_derivative_of_exp_sin():
    # d^3/dx^3 exp(sin x) at 0.3 by nesting grad three times, vs torch
    def f(x):
        return anp.exp(anp.sin(x))

    d3 = adc.grad(adc.grad(adc.grad(f)))
    x = t(0.3, True)
    (g1,) = torch.autograd.grad(torch.exp(torch.sin(x)), x, create_graph=True)
    (g2,) = torch.autograd.grad(g1, x, create_graph=True)
    (g3,) = torch.autograd.grad(g2, x)
    close(d3(0.3), g3.numpy(), rtol=1e-9, atol=1e-11)


# ---- float32 ----

def test_float32_chain_rule_keeps_dtype():
    x0 = np.linspace(-2, 2, 7, dtype=np.float32)

    def f(x):
        return anp.sum(anp.sin(x) * anp.exp(-x * x / 2))

    g = adc.grad(f)(x0)
    assert g.dtype == np.float32
    x = t(x0, True)
    (torch.sin(x) * torch.exp(-x * x / 2)).sum().backward()
    assert x.grad.dtype == torch.float32
    close(g, x.grad.numpy(), rtol=RTOL32, atol=ATOL32)
    exact = (np.cos(x0.astype(np.float64)) - x0 * np.sin(x0.astype(np.float64))) * np.exp(
        -x0.astype(np.float64) ** 2 / 2)
    close(g, exact, rtol=RTOL32, atol=ATOL32)


# ---- the library's own checkers agree on these workflows ----

def test_check_grad_and_validate_on_mlp():
    X, labels, params = _mlp_data()
    adc.check_grad(xent_take_along_axis, *params, X, labels, argnums=(0, 1, 2, 3))
    report = adc.validate(xent_take_along_axis, *params, X, labels, argnums=(0, 1, 2, 3))
    assert report.ok, str(report)
    assert len(report.rows) == 4
