"""adc.vmap: JAX's semantics (in_axes/out_axes as ints, None or pytree prefixes, nesting,
errors) checked against Python loops, its composition with adc.grad, the compiled-loop
fallback, and that what does not depend on the batch is computed once."""
from __future__ import annotations

import numpy as np
import pytest

import adc
import adc.numpy as anp
from adc.prims.shape import pad_p
from adc.tracer import bind

rng = np.random.default_rng(0)
X = rng.standard_normal((4, 3))
Y = rng.standard_normal(3)
A = rng.standard_normal((3, 3))


def vmap(f, *args, **kw):
    return adc.vmap(f, *args, backend="numpy", **kw)


def test_maps_the_leading_axis_and_shares_unmapped_arguments():
    got = vmap(lambda x, y: anp.sin(x) * y + anp.sum(x), in_axes=(0, None))(X, Y)
    np.testing.assert_allclose(got, [np.sin(x) * Y + x.sum() for x in X])


def test_in_axes_and_out_axes_other_than_the_leading_one():
    got = vmap(lambda x: A @ x, in_axes=1, out_axes=1)(X.T)
    np.testing.assert_allclose(got, np.stack([A @ x for x in X], 1))
    got = vmap(lambda x: anp.outer(x, x), in_axes=-1, out_axes=-1)(X.T)
    np.testing.assert_allclose(got, np.stack([np.outer(x, x) for x in X], -1))


def test_pytree_arguments_and_outputs():
    f = vmap(lambda d, t: {"s": d["a"] * d["b"], "t": (t[0] + 1, t[1])},
             in_axes=({"a": 0, "b": None}, (1, None)), out_axes={"s": 0, "t": (0, None)})
    out = f({"a": X, "b": Y}, (X.T, Y))
    np.testing.assert_allclose(out["s"], X * Y)
    np.testing.assert_allclose(out["t"][0], X + 1)
    np.testing.assert_allclose(out["t"][1], Y)


def test_an_output_that_does_not_depend_on_the_batch_is_broadcast():
    out = vmap(lambda x: (x * 2, anp.asarray(Y)))(X)
    np.testing.assert_allclose(out[1], np.broadcast_to(Y, (4, 3)))


def test_nested_vmap_is_an_outer_product_of_loops():
    f = vmap(vmap(lambda x, y: anp.dot(x, y), in_axes=(None, 0)), in_axes=(0, None))
    np.testing.assert_allclose(f(X, X[:2]), X @ X[:2].T)


def test_closed_over_traced_values_are_shared():
    def f(x):
        return vmap(lambda y: x * y)(X[:2])  # x: the outer example
    np.testing.assert_allclose(vmap(f)(X), X[:, None, :] * X[None, :2, :])


def test_grad_of_vmap_and_vmap_of_grad():
    loss = lambda x: anp.sum(anp.tanh(A @ x) ** 2)  # noqa: E731
    per_example = adc.grad(loss, backend="numpy")
    want = np.stack([per_example(x) for x in X])
    np.testing.assert_allclose(vmap(adc.grad(loss))(X), want)
    total = adc.grad(lambda xs: anp.sum(vmap(loss)(xs)), backend="numpy")
    np.testing.assert_allclose(total(X), want)


def test_a_primitive_without_a_rule_runs_in_a_compiled_loop():
    def cumulative(x):
        return adc.scan(lambda c, v: (c + v, c * v), anp.zeros(()), x)
    carry, ys = vmap(cumulative)(X)
    for x, c, y in zip(X, carry, ys):
        c0, y0 = cumulative(x)
        np.testing.assert_allclose(c, c0)
        np.testing.assert_allclose(y, y0)
    # padding with a value per batch element: pad's rule defers to the loop
    pad = lambda x, v: bind(pad_p, x, v, lo=(1,), hi=(0,), interior=(1,))  # noqa: E731
    values = np.arange(4.0)
    np.testing.assert_allclose(vmap(pad)(X, values), [pad(x, v) for x, v in zip(X, values)])


def test_gathers_and_scatters_with_batched_indices():
    idx = np.array([[0, 2], [1, 1], [2, 0], [0, 0]])
    np.testing.assert_allclose(vmap(lambda x, i: x[i])(X, idx), [x[i] for x, i in zip(X, idx)])
    scatter = adc.grad(lambda x, i: anp.sum(x[i] * anp.arange(2.0)), backend="numpy")
    np.testing.assert_allclose(vmap(scatter)(X, idx), [scatter(x, i) for x, i in zip(X, idx)])


def test_compiled_on_the_cpu_once_per_signature():
    f = adc.vmap(lambda x, y: anp.tanh(A @ x) * y, in_axes=(0, None), backend="cpu")
    np.testing.assert_allclose(f(X, Y), [np.tanh(A @ x) * Y for x in X])
    np.testing.assert_allclose(f(X + 1, Y), [np.tanh(A @ x) * Y for x in X + 1])


def test_the_batch_independent_part_is_computed_once():
    ir = adc.make_ir(vmap(lambda x, y: x * anp.sum(anp.exp(y)), in_axes=(0, None)))(X, Y)
    assert sum(e.prim.name == "exp" for e in ir.eqns) == 1
    assert next(e for e in ir.eqns if e.prim.name == "exp").outs[0].aval.shape == (3,)


@pytest.mark.parametrize("call,err,match", [
    (lambda: vmap(lambda x, y: x + y)(X, X[:2]), adc.ShapeError, "different sizes"),
    (lambda: vmap(lambda x: x, in_axes=None)(X), adc.ArgumentError, "maps no argument"),
    (lambda: vmap(lambda x: x, in_axes=2)(X), adc.ArgumentError, "out of range"),
    (lambda: vmap(lambda x, y: x, in_axes=(0,))(X, Y), adc.ArgumentError, "1 entries for 2"),
    (lambda: vmap(lambda x: x, in_axes=0)(np.float64(1.0)), adc.ArgumentError, "0-d"),
    (lambda: vmap(lambda x: x, out_axes=None)(X), adc.ArgumentError, "out_axes is None"),
    (lambda: vmap(lambda d: d["a"], in_axes=({"b": 0},))({"a": X}), adc.ArgumentError,
     "structure"),
])
def test_errors(call, err, match):
    with pytest.raises(err, match=match):
        call()
