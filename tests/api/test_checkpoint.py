"""adc.checkpoint (JAX's jax.checkpoint/remat): the same values and derivatives (every order,
both modes) as the function itself, on the numpy and cpu backends; pytrees, static arguments
and closed-over traced values; and, read off the gradient's IR, that the intermediates are
recomputed inside the backward loop instead of being kept from the forward pass."""
from __future__ import annotations

import numpy as np
import pytest

import adc
import adc.numpy as anp
from adc.loops.primitives import scan_p

RNG = np.random.default_rng(3)
X = RNG.standard_normal((3, 4))
W = RNG.standard_normal((4, 4)) * 0.5


def block(x, w):
    for _ in range(3):
        x = anp.tanh(x @ w) + anp.sin(x)
    return x


def loss_of(blk):
    return lambda x, w: anp.sum(blk(blk(x, w), w) ** 2)


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_values_and_gradients_are_the_functions_own(backend):
    plain, ck = loss_of(block), loss_of(adc.checkpoint(block))
    np.testing.assert_allclose(adc.jit(ck, backend=backend)(X, W), plain(X, W), rtol=1e-14)
    want = adc.grad(plain, argnums=(0, 1), backend=backend)(X, W)
    got = adc.grad(ck, argnums=(0, 1), backend=backend)(X, W)
    for g, e in zip(got, want):
        np.testing.assert_allclose(g, e, rtol=1e-12, atol=1e-14)


def test_second_order_and_forward_mode_match():
    f = lambda x: anp.sum(anp.tanh(x * x + 1.0) * x)  # noqa: E731
    x = np.linspace(-1.0, 1.0, 5)
    np.testing.assert_allclose(adc.hessian(adc.checkpoint(f), backend="numpy")(x),
                               adc.hessian(f, backend="numpy")(x), rtol=1e-12, atol=1e-14)
    v = np.cos(x)
    got = adc.jvp(adc.checkpoint(f), (x,), (v,), backend="numpy")
    want = adc.jvp(f, (x,), (v,), backend="numpy")
    for g, e in zip(got, want):
        np.testing.assert_allclose(g, e, rtol=1e-12)


def test_pytrees_static_arguments_and_closures():
    @adc.checkpoint
    def f(params, x):
        return {"y": anp.tanh(x @ params["w"]) * params["s"], "z": anp.sum(x)}

    def loss(w, s):
        out = f({"w": w, "s": s}, X)
        return anp.sum(out["y"] ** 2) + out["z"]

    def plain(w, s):
        return anp.sum((anp.tanh(X @ w) * s) ** 2) + anp.sum(X)

    for g, e in zip(adc.grad(loss, argnums=(0, 1), backend="numpy")(W, 0.7),
                    adc.grad(plain, argnums=(0, 1), backend="numpy")(W, 0.7)):
        np.testing.assert_allclose(g, e, rtol=1e-12)

    powered = adc.checkpoint(lambda x, n: x ** n, static_argnums=1)  # n: a Python int
    np.testing.assert_allclose(adc.grad(lambda x: anp.sum(powered(x, 3)))(X), 3 * X ** 2)

    def closing(w):  # the checkpointed function closes over the traced w
        return anp.sum(adc.checkpoint(lambda x: anp.sin(x @ w))(X))
    np.testing.assert_allclose(adc.grad(closing, backend="numpy")(W),
                               X.T @ np.cos(X @ W), rtol=1e-12)


def _count(graph, name) -> int:
    return sum(e.prim.name == name for e in graph.eqns)


def test_the_gradient_recomputes_the_intermediates_instead_of_keeping_them():
    plain = adc.make_ir(adc.grad(loss_of(block)))(X, W)
    ck = adc.make_ir(adc.grad(loss_of(adc.checkpoint(block))))(X, W)
    assert _count(plain, "tanh") == 6 and _count(plain, "scan") == 0
    # the checkpointed gradient keeps no tanh at its top level: each block's forward runs once
    # (for the next block's input and for the seed 2 y) and is re-run by its backward loop, in
    # the loop's own body
    assert _count(ck, "tanh") == 0
    scans = [e for e in ck.eqns if e.prim is scan_p]
    assert len(scans) == 4
    assert all(e.params["residuals"] == () for e in scans)  # nothing stored per step
    backward = [e for e in scans if e.params["reverse"]]
    assert len(backward) == 2 and all(_count(e.params["body"], "tanh") == 3 for e in backward)


def test_errors_name_the_function():
    with pytest.raises(TypeError, match="static_argnums 2 is out of range"):
        adc.checkpoint(block, static_argnums=2)(X, W)
    with pytest.raises(adc.UnsupportedError, match="checkpoint.*cpu"):
        adc.jit(adc.checkpoint(block), backend="cuda")(X, W)
    assert adc.remat is adc.checkpoint
    assert adc.checkpoint(block).__name__ == "block"
