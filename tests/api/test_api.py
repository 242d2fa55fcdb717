"""The public API end to end: grad/value_and_grad/vjp/jit/make_ir call forms and return types,
the trace cache, stop_gradient, numerically delicate functions at extreme inputs, torch's
conventions at non-smooth points, and Python control flow/closures/nesting."""
from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import adc
import adc.numpy as anp
from adc.opt import optimize
from adc.tracer import trace
from adc.ir import aval_of

torch = pytest.importorskip("torch")


def _torch_grad(fn, *args, argnums=0):
    """Gradient of the scalar torch function `fn` at numpy `args` w.r.t. `argnums`."""
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    ts = [torch.tensor(np.asarray(a), requires_grad=i in nums) for i, a in enumerate(args)]
    out = fn(*ts)
    grads = torch.autograd.grad(out, [ts[i] for i in nums], allow_unused=True)
    res = [np.zeros(np.shape(args[i])) if g is None else g.numpy() for g, i in zip(grads, nums)]
    return res[0] if isinstance(argnums, int) else tuple(res)


X3 = np.array([0.3, -1.2, 2.0])
Y3 = np.array([1.5, 0.7, -0.4])


# ---- call forms ----

def test_grad_as_decorator():
    @adc.grad
    def g(x):
        return anp.sum(x ** 3)

    np.testing.assert_allclose(g(X3), 3 * X3 ** 2, rtol=1e-12)


def test_grad_decorator_with_argnums_tuple():
    @adc.grad(argnums=(0, 1))
    def g(x, y):
        return anp.sum(x * anp.sin(y))

    gx, gy = g(X3, Y3)
    np.testing.assert_allclose(gx, np.sin(Y3), rtol=1e-12)
    np.testing.assert_allclose(gy, X3 * np.cos(Y3), rtol=1e-12)


def test_grad_function_call_forms():
    def f(x, y, z):
        return anp.sum(x * y * y + z)

    g1 = adc.grad(f, 1)(X3, Y3, 2.0)
    np.testing.assert_allclose(g1, 2 * X3 * Y3, rtol=1e-12)
    g_neg = adc.grad(f, argnums=-1)(X3, Y3, 2.0)
    assert np.shape(g_neg) == () and float(g_neg) == 3.0
    g_tuple = adc.grad(f, argnums=(2, 0))(X3, Y3, 2.0)
    assert isinstance(g_tuple, tuple) and len(g_tuple) == 2
    np.testing.assert_allclose(g_tuple[0], 3.0)
    np.testing.assert_allclose(g_tuple[1], Y3 * Y3, rtol=1e-12)
    # a one-element tuple still gives a tuple
    (only,) = adc.grad(f, argnums=(0,))(X3, Y3, 2.0)
    np.testing.assert_allclose(only, Y3 * Y3, rtol=1e-12)


def test_has_aux():
    def f(x):
        y = anp.sin(x)
        return anp.sum(y * y), {"y": y, "n": anp.max(x)}

    g, aux = adc.grad(f, has_aux=True)(X3)
    np.testing.assert_allclose(g, 2 * np.sin(X3) * np.cos(X3), rtol=1e-12)
    assert set(aux) == {"y", "n"}
    np.testing.assert_allclose(aux["y"], np.sin(X3), rtol=1e-12)
    np.testing.assert_allclose(aux["n"], X3.max())


def test_value_and_grad():
    def f(x, y):
        return anp.sum(anp.exp(x) * y)

    v, g = adc.value_and_grad(f)(X3, Y3)
    np.testing.assert_allclose(v, np.sum(np.exp(X3) * Y3), rtol=1e-12)
    np.testing.assert_allclose(g, np.exp(X3) * Y3, rtol=1e-12)
    v2, (gx, gy) = adc.value_and_grad(f, argnums=(0, 1))(X3, Y3)
    np.testing.assert_allclose(v2, v)
    np.testing.assert_allclose(gy, np.exp(X3), rtol=1e-12)
    (v3, aux), g3 = adc.value_and_grad(lambda x: (anp.sum(x * x), x + 1), has_aux=True)(X3)
    np.testing.assert_allclose(v3, np.sum(X3 * X3))
    np.testing.assert_allclose(aux, X3 + 1)
    np.testing.assert_allclose(g3, 2 * X3)


def test_vjp_matches_torch():
    def f(x, y):
        return anp.tanh(x)[:, None] * y[None, :]

    out, vjp_fn = adc.vjp(f, X3, Y3)
    np.testing.assert_allclose(out, np.tanh(X3)[:, None] * Y3[None, :], rtol=1e-12)
    seed = np.arange(9.0).reshape(3, 3)
    gx, gy = vjp_fn(seed)
    tx, ty = torch.tensor(X3, requires_grad=True), torch.tensor(Y3, requires_grad=True)
    tout = torch.tanh(tx)[:, None] * ty[None, :]
    ex, ey = torch.autograd.grad(tout, [tx, ty], torch.tensor(seed))
    np.testing.assert_allclose(gx, ex.numpy(), rtol=1e-12)
    np.testing.assert_allclose(gy, ey.numpy(), rtol=1e-12)


# ---- return types ----

@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("shape", [(), (3,), (2, 3)])
def test_grad_return_type(shape, dtype):
    x = np.linspace(-1, 1, int(np.prod(shape))).reshape(shape).astype(dtype)
    g = adc.grad(lambda x: anp.sum(anp.sin(x) * x))(x)
    assert isinstance(g, np.ndarray)
    assert g.shape == x.shape and g.dtype == np.dtype(dtype)
    np.testing.assert_allclose(g, np.sin(x) + x * np.cos(x), rtol=1e-5 if dtype == np.float32
                               else 1e-12)


def test_float32_stays_float32_through_python_scalars():
    x = np.array([0.5, 1.5], np.float32)
    v, g = adc.value_and_grad(lambda x: anp.sum(2.5 * x ** 2 + anp.exp(-x) / 3.0))(x)
    assert v.dtype == np.float32 and g.dtype == np.float32
    out = adc.jit(lambda x: x * 0.1 + 1)(x)
    assert out.dtype == np.float32


def test_grad_of_mixed_dtypes_keeps_each_argument_dtype():
    x32 = np.array([1.0, 2.0], np.float32)
    y64 = np.array([3.0, 4.0])
    gx, gy = adc.grad(lambda x, y: anp.sum(x * y), argnums=(0, 1))(x32, y64)
    assert gx.dtype == np.float32 and gy.dtype == np.float64
    np.testing.assert_allclose(gx, y64)
    np.testing.assert_allclose(gy, x32)


def test_identity_jit_returns_the_argument_like_numpy():
    x = np.array([1.0, 2.0, 3.0])
    np.testing.assert_array_equal(adc.jit(lambda x: x)(x), x)


BACKENDS_ALIAS = ["numpy", "cpu"]


@pytest.mark.parametrize("backend", BACKENDS_ALIAS)
def test_gradient_does_not_alias_another_argument(backend):
    x, y = np.array([1.0, 2.0, 3.0]), np.array([4.0, 5.0, 6.0])
    g = adc.grad(lambda x, y: anp.sum(x * y), backend=backend)(x, y)
    np.testing.assert_array_equal(g, y)
    g *= -0.1  # an in-place SGD step on the gradient
    np.testing.assert_array_equal(y, [4.0, 5.0, 6.0])


@pytest.mark.parametrize("backend", BACKENDS_ALIAS)
def test_jit_result_does_not_alias_argument_after_identity_folding(backend):
    x = np.array([1.0, 2.0, 3.0])
    out = adc.jit(lambda x: x * 1.0 + 0.0, backend=backend)(x)
    out[0] = -7.0
    assert x[0] == 1.0  # numpy's x * 1.0 + 0.0 is a new array


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_mutating_gradient_does_not_corrupt_later_calls(backend):
    x = np.array([1.0, 2.0, 3.0])
    g_fn = adc.grad(lambda x: anp.sum(x), backend=backend)
    g = g_fn(x)
    g[0] = 100.0
    np.testing.assert_array_equal(g_fn(x), np.ones(3))


@pytest.mark.parametrize("backend", BACKENDS_ALIAS)
def test_mutating_constant_result_does_not_corrupt_later_calls(backend):
    x = np.array([1.0, 2.0, 3.0])
    f = adc.jit(lambda x: np.ones(3) * 2.0, backend=backend)
    out = f(x)
    out[0] = 5.0
    np.testing.assert_array_equal(f(x), np.full(3, 2.0))


# ---- jit ----

def _np_program(x, y):
    z = np.tanh(x) @ y
    return z, {"mean": np.mean(x, axis=0), "both": (np.exp(-x) * 2.0, np.max(y))}


def test_jit_matches_numpy_with_tuple_and_dict_outputs():
    rng = np.random.default_rng(0)
    x, y = rng.standard_normal((3, 4)), rng.standard_normal((4, 2))
    expected = _np_program(x, y)
    got = adc.jit(_np_program)(x, y)
    assert isinstance(got, tuple) and isinstance(got[1], dict)
    assert isinstance(got[1]["both"], tuple)
    np.testing.assert_allclose(got[0], expected[0], rtol=1e-12)
    np.testing.assert_allclose(got[1]["mean"], expected[1]["mean"], rtol=1e-12)
    np.testing.assert_allclose(got[1]["both"][0], expected[1]["both"][0], rtol=1e-12)
    np.testing.assert_allclose(got[1]["both"][1], expected[1]["both"][1], rtol=1e-12)


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_jit_backends_agree(backend):
    def f(x):
        return [anp.log1p(x * x), anp.softmax(x, axis=-1)]

    x = np.random.default_rng(1).standard_normal((2, 5))
    got = adc.jit(f, backend=backend)(x)
    assert isinstance(got, list)
    np.testing.assert_allclose(got[0], np.log1p(x * x), rtol=1e-12)
    e = np.exp(x - x.max(-1, keepdims=True))
    np.testing.assert_allclose(got[1], e / e.sum(-1, keepdims=True), rtol=1e-12)


def test_jit_keyword_arguments_are_static():
    calls = []

    def f(x, power=2):
        calls.append(power)
        return x ** power

    jf = adc.jit(f)
    np.testing.assert_allclose(jf(X3, power=3), X3 ** 3, rtol=1e-12)
    np.testing.assert_allclose(jf(X3, power=3), X3 ** 3, rtol=1e-12)
    np.testing.assert_allclose(jf(X3), X3 ** 2, rtol=1e-12)
    assert calls == [3, 2]


# ---- make_ir ----

def test_make_ir_one_line_per_equation():
    def f(x, y):
        return anp.sum(anp.sin(x) * y)

    graph = adc.make_ir(f)(np.ones(3), np.ones(3))
    text = str(graph)
    lines = text.splitlines()
    assert lines[0].startswith("{ lambda") and "f64[3]" in lines[0]
    assert lines[-1].strip().startswith("in (")
    body = lines[1 + len(graph.consts):-1]
    assert len(body) == len(graph.eqns) == 3
    for line, eqn in zip(body, graph.eqns):
        assert f"= {eqn.prim.name}" in line
    assert "f64[3] = sin" in body[0]
    assert "f64[3] = mul" in body[1]
    assert "f64[] = reduce_sum" in body[2]


def test_make_ir_shows_float32_and_integer_types():
    text = str(adc.make_ir(lambda x, i: x[i] * 2)(np.ones((4, 2), np.float32), np.int64(1)))
    assert "f32[4,2]" in text and "f32[2]" in text and "i64[]" in text


def test_make_ir_of_grad_shows_gradient_equations():
    def f(x):
        return anp.sum(anp.sin(x))

    fwd = str(adc.make_ir(f)(np.ones(3)))
    bwd = str(adc.make_ir(adc.grad(f))(np.ones(3)))
    assert "cos" not in fwd
    assert "cos" in bwd
    bwd2 = str(adc.make_ir(adc.grad(lambda x: anp.sum(anp.exp(x) * x)))(np.ones(3)))
    assert "exp" in bwd2 and "f64[3]" in bwd2


# ---- the trace cache ----

def test_grad_traces_once_per_signature():
    count = [0]

    def f(x):
        count[0] += 1
        return anp.sum(x * x)

    g = adc.grad(f)
    g(np.ones(3))
    g(np.full(3, 2.0))
    assert count[0] == 1
    np.testing.assert_allclose(g(np.arange(3.0)), 2 * np.arange(3.0))
    assert count[0] == 1
    g(np.ones(4))  # new shape
    assert count[0] == 2
    g(np.ones(4, np.float32))  # new dtype
    assert count[0] == 3
    g(np.ones(3))  # old signature: still cached
    assert count[0] == 3


def test_jit_and_value_and_grad_trace_once_per_signature():
    count = [0]

    def f(x):
        count[0] += 1
        return anp.sum(anp.exp(x))

    jf = adc.jit(f)
    jf(np.ones(2))
    jf(np.zeros(2))
    assert count[0] == 1
    jf(np.ones((2, 1)))
    assert count[0] == 2

    count[0] = 0
    vg = adc.value_and_grad(f)
    vg(np.ones(2))
    vg(np.ones(2))
    assert count[0] == 1


def test_vjp_traces_once_per_signature():
    count = [0]

    def f(x):
        count[0] += 1
        return anp.sin(x)

    adc.vjp(f, np.ones(3))[1](np.ones(3))
    adc.vjp(f, np.zeros(3))[1](np.ones(3))
    assert count[0] == 1
    adc.vjp(f, np.zeros(5))
    assert count[0] == 2


# ---- stop_gradient ----

def test_stop_gradient_blocks_gradient():
    g = adc.grad(lambda x: anp.sum(x * adc.stop_gradient(x)))(X3)
    np.testing.assert_allclose(g, X3, rtol=1e-12)
    g2 = adc.grad(lambda x: anp.sum(adc.stop_gradient(anp.exp(x))))(X3)
    np.testing.assert_array_equal(g2, np.zeros(3))
    # on plain arrays it is the identity
    np.testing.assert_array_equal(adc.stop_gradient(X3), X3)


# ---- numerics at extreme inputs, against torch ----

EXTREME = np.array([-1000.0, -30.0, -1.0, 0.0, 1.0, 30.0, 1000.0])

NUMERIC = {
    "softplus": (anp.softplus, torch.nn.functional.softplus),
    "sigmoid": (anp.sigmoid, torch.sigmoid),
    "logsumexp": (lambda x: anp.logsumexp(x), lambda x: torch.logsumexp(x, 0)),
    "log_softmax": (lambda x: anp.log_softmax(x), lambda x: torch.log_softmax(x, -1)),
    "softmax": (lambda x: anp.softmax(x), lambda x: torch.softmax(x, -1)),
    "logaddexp": (lambda x: anp.logaddexp(x, x[::-1]),
                  lambda x: torch.logaddexp(x, x.flip(0))),
    "logaddexp_scalar": (lambda x: anp.logaddexp(x, 0.0),
                         lambda x: torch.logaddexp(x, torch.zeros((), dtype=x.dtype))),
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", sorted(NUMERIC))
def test_numerically_stable_at_extremes(name, dtype):
    ours, theirs = NUMERIC[name]
    x = EXTREME.astype(dtype)
    w = np.linspace(0.5, 1.5, x.size).astype(dtype)  # a non-uniform seed
    expected = theirs(torch.tensor(x)).numpy()
    got = adc.jit(ours)(x)
    assert np.all(np.isfinite(got)) and got.dtype == np.dtype(dtype)
    tol = dict(rtol=1e-5, atol=1e-6) if dtype == np.float32 else dict(rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(got, expected, **tol)
    g = adc.grad(lambda x: anp.sum(ours(x) * w))(x)
    assert np.all(np.isfinite(g)) and g.dtype == np.dtype(dtype)
    expected_g = _torch_grad(lambda t: (theirs(t) * torch.tensor(w)).sum(), x)
    np.testing.assert_allclose(g, expected_g, **tol)


def test_double_where_pattern_has_finite_gradient():
    def f(x):
        safe = anp.where(x > 0, x, 1.0)
        return anp.sum(anp.where(x > 0, anp.log(safe), 0.0))

    def tf(x):
        safe = torch.where(x > 0, x, torch.ones((), dtype=x.dtype))
        return torch.where(x > 0, torch.log(safe), torch.zeros((), dtype=x.dtype)).sum()

    x = np.array([-2.0, 0.0, 0.5, 3.0])
    g = adc.grad(f)(x)
    assert np.all(np.isfinite(g))
    np.testing.assert_allclose(g, _torch_grad(tf, x), rtol=1e-12)
    np.testing.assert_allclose(g, [0.0, 0.0, 2.0, 1 / 3.0], rtol=1e-12)
    np.testing.assert_allclose(adc.jit(f)(x), np.log(0.5) + np.log(3.0), rtol=1e-12)


def test_single_where_nan_propagates_as_in_torch():
    """Without the safe branch the masked-out log(0) gradient is 0 * inf = NaN, as in torch."""
    x = np.array([0.0, 2.0])
    g = adc.grad(lambda x: anp.sum(anp.where(x > 0, anp.log(x), 0.0)))(x)
    t = _torch_grad(lambda t: torch.where(t > 0, torch.log(t), torch.zeros((), dtype=t.dtype))
                    .sum(), x)
    np.testing.assert_array_equal(np.isnan(g), np.isnan(t))
    np.testing.assert_allclose(g[1], t[1])


# ---- non-smooth points: torch's conventions ----

KINKS = {
    "relu_at_0": (anp.relu, torch.relu, [np.array([-1.0, 0.0, 0.0, 2.0])]),
    "abs_at_0": (anp.abs, torch.abs, [np.array([-1.0, 0.0, 3.0])]),
    "maximum_ties": (anp.maximum, torch.maximum,
                     [np.array([1.0, 2.0, 3.0, 0.0]), np.array([1.0, 5.0, 3.0, -1.0])]),
    "minimum_ties": (anp.minimum, torch.minimum,
                     [np.array([1.0, 2.0, 3.0, 0.0]), np.array([1.0, 5.0, 3.0, -1.0])]),
    "maximum_broadcast_tie": (anp.maximum, torch.maximum,
                              [np.array([[1.0, 2.0], [0.0, 1.0]]), np.array([1.0, 2.0])]),
    "clip_at_bounds": (lambda x: anp.clip(x, -1.0, 1.0), lambda x: torch.clamp(x, -1.0, 1.0),
                       [np.array([-2.0, -1.0, 0.0, 1.0, 2.0])]),
    "clip_array_bounds": (lambda x, lo: anp.clip(x, lo, 1.0),
                          lambda x, lo: torch.clamp(x, lo, torch.ones((), dtype=x.dtype)),
                          [np.array([-2.0, -1.0, 0.0, 1.0]), np.array([-1.0, -1.0, 0.5, 0.0])]),
    "max_all_ties": (lambda x: anp.max(x), lambda x: torch.amax(x),
                     [np.array([[1.0, 3.0, 3.0], [3.0, 0.0, 2.0]])]),
    "max_axis_ties": (lambda x: anp.max(x, axis=1), lambda x: torch.amax(x, 1),
                      [np.array([[1.0, 3.0, 3.0], [2.0, 2.0, 2.0], [0.0, 5.0, 1.0]])]),
    "min_axis_ties_keepdims": (lambda x: anp.min(x, axis=0, keepdims=True),
                               lambda x: torch.amin(x, 0, keepdim=True),
                               [np.array([[1.0, -3.0, 3.0], [1.0, -3.0, 2.0]])]),
    "prod_no_zero": (anp.prod, torch.prod, [np.array([2.0, -3.0, 0.5, 4.0])]),
    "prod_one_zero": (anp.prod, torch.prod, [np.array([2.0, 0.0, 3.0, 4.0])]),
    "prod_two_zeros": (anp.prod, torch.prod, [np.array([2.0, 0.0, 3.0, 0.0])]),
    "prod_axis_zeros": (lambda x: anp.prod(x, axis=1), lambda x: torch.prod(x, 1),
                        [np.array([[2.0, 0.0, 3.0], [0.0, 0.0, 1.0], [1.0, 2.0, 3.0]])]),
    "sign_at_0": (anp.sign, torch.sign, [np.array([-1.0, 0.0, 2.0])]),
    "sqrt_of_square_norm_at_0": (lambda x: anp.linalg.norm(x), lambda x: torch.linalg.norm(x),
                                 [np.zeros(3)]),
}


@pytest.mark.parametrize("name", sorted(KINKS))
def test_non_smooth_conventions_match_torch(name):
    ours, theirs, args = KINKS[name]
    nums = tuple(range(len(args)))
    rng = np.random.default_rng(3)
    out_shape = np.shape(adc.jit(ours)(*args))
    w = rng.uniform(0.5, 2.0, out_shape)

    got = adc.grad(lambda *xs: anp.sum(ours(*xs) * w), argnums=nums)(*args)
    expected = _torch_grad(lambda *ts: (theirs(*ts) * torch.tensor(w)).sum(), *args,
                           argnums=nums)
    for g, e in zip(got, expected):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("x", [[0.0, 2.0, 3.0], [0.0, 0.0, 3.0], [0.0, 0.0, 0.0], [1.0, 0.0, 0.0, 2.0]],
                         ids=["one_zero", "two_zeros", "three_zeros", "two_zeros_of_four"])
def test_prod_with_zeros_second_order_matches_torch(x):
    x = np.array(x)
    H = adc.hessian(lambda x: anp.prod(x))(x)
    tH = torch.autograd.functional.hessian(lambda t: t.prod(), torch.tensor(x)).numpy()
    np.testing.assert_allclose(H, tH, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("name", ["softplus", "logaddexp", "logsumexp", "log_softmax"])
def test_second_order_of_stable_functions_matches_torch(name):
    ours, theirs = NUMERIC[name]
    x = np.array([-3.0, 0.5, 2.0])
    w = np.array([0.7, 1.1, 1.3])
    H = adc.hessian(lambda x: anp.sum(ours(x) * w))(x)
    tH = torch.autograd.functional.hessian(lambda t: (theirs(t) * torch.tensor(w)).sum(),
                                           torch.tensor(x)).numpy()
    np.testing.assert_allclose(H, tH, rtol=1e-10, atol=1e-13)


# ---- Python control flow, closures, nesting, argument kinds ----

def test_static_loop_unrolls():
    def f(x):
        acc = x
        for _ in range(4):
            acc = anp.sin(acc) * x
        return anp.sum(acc)

    graph = adc.make_ir(f)(X3)
    assert sum(e.prim.name == "sin" for e in graph.eqns) == 4

    def tf(x):
        acc = x
        for _ in range(4):
            acc = torch.sin(acc) * x
        return acc.sum()

    np.testing.assert_allclose(adc.grad(f)(X3), _torch_grad(tf, X3), rtol=1e-12)


def test_python_branch_on_static_values():
    def f(x, mode="square"):
        if x.shape[0] > 2 and mode == "square":
            return anp.sum(x * x)
        return anp.sum(x)

    np.testing.assert_allclose(adc.grad(f)(X3), 2 * X3)
    np.testing.assert_allclose(adc.grad(f)(X3[:2]), np.ones(2))
    np.testing.assert_allclose(adc.grad(f)(X3, mode="linear"), np.ones(3))


def test_closure_over_numpy_arrays():
    W = np.array([[1.0, 2.0], [3.0, -1.0], [0.5, 0.5]])
    b = np.array([0.1, -0.2])

    def loss(x):
        return anp.sum(anp.tanh(x @ W + b) ** 2)

    def tloss(x):
        return (torch.tanh(x @ torch.tensor(W) + torch.tensor(b)) ** 2).sum()

    np.testing.assert_allclose(adc.grad(loss)(X3), _torch_grad(tloss, X3), rtol=1e-12)


def test_nested_grad_with_closure_over_outer_traced_value():
    # d/dx [ d/dy (x * y**2) at y=x ] = d/dx [2 x y]|_{y=x} = d/dx 2x^2 = 4x
    def inner_grad_at_x(x):
        return adc.grad(lambda y: x * y ** 2)(x)

    g = adc.grad(inner_grad_at_x)
    for x in (0.5, -1.5, 3.0):
        np.testing.assert_allclose(g(x), 4 * x, rtol=1e-12)
    np.testing.assert_allclose(g(np.float64(2.0)), 8.0, rtol=1e-12)


def test_nested_grad_vector():
    def outer(x):
        gy = adc.grad(lambda y: anp.sum(anp.sin(x * y)))(x)
        return anp.sum(gy)

    def touter(x):
        y = x * 1.0  # the inner variable, evaluated at x (both paths depend on x)
        (gy,) = torch.autograd.grad(torch.sin(x * y).sum(), [y], create_graph=True)
        return gy.sum()

    np.testing.assert_allclose(adc.grad(outer)(X3), _torch_grad(touter, X3), rtol=1e-12)


def test_second_derivative_and_hessian():
    d2 = adc.grad(adc.grad(lambda x: x ** 3 * anp.sin(x)))
    x = 0.7
    np.testing.assert_allclose(d2(x), 6 * x * np.sin(x) + 6 * x ** 2 * np.cos(x)
                               - x ** 3 * np.sin(x), rtol=1e-12)
    H = adc.hessian(lambda x: anp.sum(x ** 3) + x[0] * x[1])(X3)
    expected = np.diag(6 * X3)
    expected[0, 1] = expected[1, 0] = 1.0
    np.testing.assert_allclose(H, expected, rtol=1e-12)


def test_jacobian_matches_torch():
    f = lambda x: anp.tanh(x) * anp.sum(x)  # noqa: E731
    J = adc.jacobian(f)(X3)
    tJ = torch.autograd.functional.jacobian(lambda t: torch.tanh(t) * t.sum(), torch.tensor(X3))
    assert J.shape == (3, 3)
    np.testing.assert_allclose(J, tJ.numpy(), rtol=1e-12)


def test_integer_and_bool_inputs_when_not_differentiated():
    def f(x, idx, mask, k):
        picked = x[idx]
        return anp.sum(anp.where(mask, picked * k, 0.0))

    x = np.array([1.0, 2.0, 3.0, 4.0])
    idx = np.array([3, 0, 0], dtype=np.int64)
    mask = np.array([True, False, True])
    k = np.int32(5)
    g = adc.grad(f)(x, idx, mask, k)
    np.testing.assert_allclose(g, [5.0, 0.0, 0.0, 5.0])
    assert g.dtype == np.float64
    v = adc.jit(f)(x, idx, mask, k)
    np.testing.assert_allclose(v, 25.0)


def test_python_float_and_int_arguments():
    g = adc.grad(lambda x, y: x * x * y, argnums=(0, 1))(3.0, 2.0)
    np.testing.assert_allclose(g[0], 12.0)
    np.testing.assert_allclose(g[1], 9.0)
    assert isinstance(g[0], np.ndarray) and g[0].shape == () and g[0].dtype == np.float64
    # a Python int that is not differentiated
    np.testing.assert_allclose(adc.grad(lambda x, n: x ** 2 * n)(1.5, 4), 12.0)


def test_python_list_argument():
    g = adc.grad(lambda x: anp.sum(x * x))([1.0, 2.0])
    np.testing.assert_allclose(g, [2.0, 4.0])


def test_numpy_functions_dispatch_on_traced_values():
    def f(x):
        return np.sum(np.exp(x) * np.cos(x)) + np.max(x)

    def tf(x):
        return (torch.exp(x) * torch.cos(x)).sum() + x.max()

    np.testing.assert_allclose(adc.grad(f)(X3), _torch_grad(tf, X3), rtol=1e-12)


@pytest.mark.parametrize("backend", [
    "numpy",
    "cpu",
])
def test_sibling_reductions_of_different_shapes(backend):
    y, z = np.ones((1, 2)), np.ones((2, 2))
    sy, sz = adc.jit(lambda y, z: (anp.sum(y), anp.sum(z)), backend=backend)(y, z)
    assert float(sy) == 2.0 and float(sz) == 4.0
    total = adc.jit(lambda y, z: anp.sum(anp.sin(z)) + anp.sum(y) + anp.sum(anp.cos(z)),
                    backend=backend)(y, z)
    np.testing.assert_allclose(total, 4 * (np.sin(1.0) + np.cos(1.0)) + 2.0, rtol=1e-12)


def test_eval_graph_of_traced_program_matches_jit():
    def f(x):
        return anp.mean(anp.sin(x) ** 2, axis=0)

    x = np.random.default_rng(2).standard_normal((4, 3))
    graph = optimize(trace(f, [aval_of(x)]).graph)
    np.testing.assert_allclose(adc.eval_graph(graph, x)[0], adc.jit(f)(x), rtol=1e-12)


def test_interpret_applies_a_callers_rule_per_equation():
    """The one graph loop: evaluation, re-binding and any caller's rule (as a decomposition
    uses it) differ only in `apply`."""
    from adc.interpret import evaluate, interpret
    from adc.tracer import rebind

    def f(x):
        return anp.exp(x) * 2.0 + 1.0

    x = np.linspace(-1.0, 1.0, 5)
    graph = trace(f, [aval_of(x)]).graph
    seen = []

    def apply(eqn, ins):
        seen.append(eqn.prim.name)
        return evaluate(eqn, ins)

    np.testing.assert_allclose(interpret(graph, [x], apply)[0], f(x), rtol=1e-15)
    assert seen == [e.prim.name for e in graph.eqns]
    np.testing.assert_allclose(interpret(graph, [x], rebind)[0], f(x), rtol=1e-15)
    with pytest.raises(TypeError, match="graph takes 1 inputs, got 2"):
        interpret(graph, [x, x], evaluate)


def test_grad_jit_vjp_and_the_tensor_engine_share_one_staging_cache():
    from adc.staging import StagingCache
    from adc.tensors import engine

    calls = []

    def f(x):
        calls.append(1)
        return anp.sum(anp.sin(x))

    g = adc.grad(f, backend="numpy")
    x = np.ones(3)
    g(x), g(x + 1.0)
    assert len(calls) == 1  # one signature: built once
    assert isinstance(engine._REGIONS, StagingCache)


# ---- the cpu backend's disk cache across processes ----

_GATHER_SCRIPT = textwrap.dedent("""
    import sys
    import numpy as np
    import adc
    import adc.numpy as anp
    x = np.arange(4.0)
    if sys.argv[1] == "warm":
        out = adc.jit(lambda x: x[np.array([3, 0, 0])] * 2.0)(x)
        assert np.allclose(out, [6.0, 0.0, 0.0])
    else:
        out = adc.jit(lambda x: anp.sin(x[np.array([1, 1, 2])]) + 1.0)(x)
        assert np.allclose(out, np.sin([1.0, 1.0, 2.0]) + 1.0)
    print("ok")
""")


def test_cpu_backend_gather_survives_disk_cache_reuse(tmp_path):
    """Regression: a generated kernel calling a parallel=True, cache=True gather kernel, compiled
    while that kernel came from Numba's disk cache, segfaulted when a later process loaded it
    from the cache (numba/numba#8578). Program A warms the cache; program B runs twice."""
    script = tmp_path / "gather.py"
    script.write_text(_GATHER_SCRIPT)
    root = str(Path(__file__).resolve().parents[2])
    env = dict(os.environ, PYTHONPATH=root, ADC_CACHE_DIR=str(tmp_path / "adc"),
               NUMBA_CACHE_DIR=str(tmp_path / "numba"))
    codes = []
    for mode in ("warm", "other", "other"):
        proc = subprocess.run([sys.executable, str(script), mode], env=env, cwd=root,
                              capture_output=True, text=True, timeout=300)
        codes.append(proc.returncode)
    assert codes == [0, 0, 0], f"exit codes of three processes sharing a disk cache: {codes}"


def test_check_grad_runs_on_the_backend_it_is_given(monkeypatch):
    """check_grad(backend=...) runs f and its VJP there (nothing is compiled for cpu), and a
    wrong gradient is caught on every backend."""
    from adc import staging

    targets = []
    real = staging.compile_graph
    monkeypatch.setattr(staging, "compile_graph",
                        lambda graph, backend, **k: targets.append(backend) or
                        real(graph, backend, **k))
    f = lambda x: anp.sum(anp.sin(x) * x)  # noqa: E731
    adc.check_grad(f, np.linspace(-1, 1, 5), backend="numpy", torch=False)
    assert targets and set(targets) == {"numpy"}
    wrong = lambda x: anp.sum(anp.stop_gradient(x) * x)  # noqa: E731
    with pytest.raises(AssertionError, match="finite differences"):
        adc.check_grad(wrong, np.linspace(-1, 1, 5), backend="numpy", torch=False)


def test_jacobian_and_hessian_compile_once_per_signature(monkeypatch):
    """Repeated calls (new values of every argument, differentiated or not) reuse the one
    compiled program of the whole Jacobian (every row at once, a vmap of the VJP)."""
    from adc import staging

    compiled = []
    real = staging.compile_graph
    monkeypatch.setattr(staging, "compile_graph",
                        lambda graph, backend, **k: compiled.append(backend) or
                        real(graph, backend, **k))
    f = lambda x, s: anp.sin(x) * s  # noqa: E731
    J = adc.jacobian(f)
    for s in (1.0, 2.0, 3.0):
        np.testing.assert_allclose(J(np.ones(3), s), np.diag(np.cos(np.ones(3)) * s))
    after_jacobian = len(compiled)
    H = adc.hessian(lambda x: anp.sum(anp.exp(x) * x))
    for k in range(3):
        x = np.linspace(0, 1, 4) + k
        np.testing.assert_allclose(H(x), np.diag(np.exp(x) * (x + 2)), rtol=1e-12)
    assert after_jacobian == 1 and len(compiled) == 2  # one program each
