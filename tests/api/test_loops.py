"""Compiled loops (adc.scan, fori_loop, while_loop, cond): values and gradients against the
unrolled Python loop, a torch loop and finite differences, on the numpy and cpu backends; the
errors; and counts showing that a body is traced once and compiled once whatever the number
of steps."""
from __future__ import annotations

import re

import numpy as np
import pytest

import adc
import adc.numpy as anp
from adc.loops.primitives import scan_p

torch = pytest.importorskip("torch")
RNG = np.random.default_rng(0)
W = RNG.standard_normal((3, 3)) * 0.5
XS = RNG.standard_normal((6, 3))
H0 = RNG.standard_normal(3)


def cell(carry, x):
    """An RNN-like step with a pytree carry (tuple and dict) and two stacked outputs."""
    h, acc = carry
    h = anp.tanh(h @ W + x)
    return (h, {"s": acc["s"] + anp.sum(h * h)}), (h[0], anp.sin(h))


def unrolled(h, xs, reverse=False):
    carry, ys0, ys1 = (h, {"s": 0.0}), [], []
    order = range(xs.shape[0] - 1, -1, -1) if reverse else range(xs.shape[0])
    for i in order:
        carry, (a, b) = cell(carry, xs[i])
        ys0.append(a)
        ys1.append(b)
    if reverse:
        ys0, ys1 = ys0[::-1], ys1[::-1]
    return carry, (anp.stack(ys0), anp.stack(ys1))


def scanned(h, xs, reverse=False):
    return adc.scan(cell, (h, {"s": 0.0}), xs, reverse=reverse)


def loss_of(run):
    def loss(h, xs):
        (h, acc), (a, b) = run(h, xs)
        return anp.sum(h) + acc["s"] + anp.sum(a * a) + anp.sum(b * xs)
    return loss


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_scan_matches_the_python_loop(backend, reverse):
    ours = adc.jit(lambda h, xs: scanned(h, xs, reverse), backend=backend)(H0, XS)
    theirs = unrolled(H0, XS, reverse)
    (h, acc), (a, b) = ours
    (h2, acc2), (a2, b2) = theirs
    assert a.shape == (6,) and b.shape == (6, 3)
    for u, v in [(h, h2), (acc["s"], acc2["s"]), (a, a2), (b, b2)]:
        np.testing.assert_allclose(u, v, rtol=1e-13, atol=1e-15)


def test_scan_runs_eagerly_with_its_numpy_interpreter():
    (h, acc), (a, _) = scanned(H0, XS)
    (h2, acc2), (a2, _) = unrolled(H0, XS)
    np.testing.assert_allclose(h, h2, rtol=1e-13)
    np.testing.assert_allclose(acc["s"], acc2["s"], rtol=1e-13)
    np.testing.assert_allclose(a, a2, rtol=1e-13)


@pytest.mark.parametrize("reverse", [False, True])
@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_scan_gradient_matches_the_unrolled_loop(backend, reverse):
    ours = adc.grad(loss_of(lambda h, xs: scanned(h, xs, reverse)), argnums=(0, 1),
                    backend=backend)(H0, XS)
    theirs = adc.grad(loss_of(lambda h, xs: unrolled(h, xs, reverse)), argnums=(0, 1),
                      backend="numpy")(H0, XS)
    for u, v in zip(ours, theirs):
        np.testing.assert_allclose(u, v, rtol=1e-12, atol=1e-14)


def test_scan_gradient_matches_torch_and_finite_differences():
    # adc.validate runs the traced graph with torch: the scan is a torch loop over its body
    report = adc.validate(loss_of(scanned), H0, XS, argnums=(0, 1), backend="numpy")
    assert report.ok, str(report)
    adc.check_grad(loss_of(scanned), H0, XS, argnums=(0, 1), backend="numpy")


def _torch_loop(h, xs, w):
    s = 0.0
    for x in xs:
        h = torch.tanh(h @ w + x)
        s = s + (h * h).sum()
    return s


def test_closed_over_traced_values_are_loop_invariants_with_gradients():
    def loss(h, xs, w):
        def step(c, x):
            c = anp.tanh(anp.einsum("i,ij->j", c, w) + x)  # einsum: lowered by composition
            return c, anp.sum(c * c)
        return anp.sum(adc.scan(step, h, xs)[1])

    ours = adc.grad(loss, argnums=(0, 1, 2), backend="cpu")(H0, XS, W)
    args = [torch.tensor(a, requires_grad=True) for a in (H0, XS, W)]
    theirs = torch.autograd.grad(_torch_loop(*args), args)
    for u, v in zip(ours, theirs):
        np.testing.assert_allclose(u, v.numpy(), rtol=1e-12, atol=1e-14)


def test_second_order_through_scan():
    def f(h):
        def step(c, x):
            return anp.sin(c * x) + c, None
        return anp.sum(adc.scan(step, h, XS)[0] ** 2)

    def unrolled_f(h):
        for i in range(XS.shape[0]):
            h = anp.sin(h * XS[i]) + h
        return anp.sum(h ** 2)

    ours = adc.hessian(f, backend="numpy")(H0)
    theirs = adc.hessian(unrolled_f, backend="numpy")(H0)
    np.testing.assert_allclose(ours, theirs, rtol=1e-11, atol=1e-12)


def test_forward_mode_through_scan_matches_the_unrolled_loop():
    def f(h):
        return scanned(h, XS)[1][1]

    def unrolled_f(h):
        return unrolled(h, XS)[1][1]

    v = RNG.standard_normal(3)
    ours = adc.jvp(f, (H0,), (v,), backend="numpy")[1]
    np.testing.assert_allclose(ours, adc.jvp(unrolled_f, (H0,), (v,), backend="numpy")[1],
                               rtol=1e-12)


def test_scan_without_xs_runs_length_steps():
    def f(x):
        return adc.scan(lambda c, _: (c * 0.5 + 1.0, c), x, None, length=4)

    c, ys = adc.jit(f, backend="cpu")(np.float64(2.0))
    np.testing.assert_allclose(ys, [2.0, 2.0, 2.0, 2.0])
    assert float(c) == 2.0
    c, ys = adc.jit(f, backend="numpy")(np.float64(0.0))
    np.testing.assert_allclose(ys, [0.0, 1.0, 1.5, 1.75])
    g = adc.grad(lambda x: f(x)[0], backend="cpu")(np.float64(0.0))
    assert float(g) == 0.5 ** 4


def test_nested_scans_compile_and_differentiate():
    def f(w):
        def outer(c, x):
            inner = adc.scan(lambda d, y: (d * w + y, None), c, x)[0]
            return inner, anp.sum(inner)
        return anp.sum(adc.scan(outer, anp.zeros(3), XS.reshape(6, 3, 1) * anp.ones(3))[1])

    def unrolled_f(w):
        c, total = anp.zeros(3), 0.0
        for i in range(6):
            for j in range(3):
                c = c * w + XS[i, j]
            total = total + anp.sum(c)
        return total

    w = np.array([0.5, -0.3, 0.9])
    np.testing.assert_allclose(adc.value_and_grad(f, backend="cpu")(w)[1],
                               adc.grad(unrolled_f, backend="numpy")(w), rtol=1e-12)


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_fori_loop_matches_the_python_loop_and_differentiates(backend):
    def f(x):
        return adc.fori_loop(1, 5, lambda i, v: v * anp.cos(v) + i, x)

    def ref(x):
        for i in range(1, 5):
            x = x * anp.cos(x) + i
        return x

    x = np.array([0.1, 0.7])
    np.testing.assert_allclose(adc.jit(f, backend=backend)(x), ref(x), rtol=1e-13)
    np.testing.assert_allclose(adc.grad(lambda x: anp.sum(f(x)), backend=backend)(x),
                               adc.grad(lambda x: anp.sum(ref(x)), backend="numpy")(x),
                               rtol=1e-12)


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_while_loop_and_fori_loop_with_traced_bounds(backend):
    def f(x, n):
        halved = adc.while_loop(lambda c: c[0] > 1.0, lambda c: (c[0] / 2, c[1] + 1),
                                (x, np.int64(0)))
        return halved, adc.fori_loop(0, n, lambda i, v: v + i, np.int64(0))

    (v, count), total = adc.jit(f, backend=backend)(np.float64(20.0), np.int64(5))
    assert float(v) == 20.0 / 32 and int(count) == 5 and int(total) == 10


def test_while_loop_refuses_reverse_mode_naming_the_function():
    def halve(c):
        return c / 2

    f = lambda x: adc.while_loop(lambda c: c > 1.0, halve, x)
    np.testing.assert_allclose(adc.jit(f, backend="numpy")(np.float64(5.0)), 0.625)
    with pytest.raises(adc.GradientError, match="halve.*fori_loop.*scan"):
        adc.grad(f)(np.float64(5.0))


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_cond_selects_a_branch_and_differentiates_it(backend):
    def f(x, p):
        return adc.cond(p, lambda a: anp.sin(a) * W[0], lambda a: a * a, x)

    x = np.array([0.3, -0.2, 1.1])
    for p, ref, dref in [(True, np.sin(x) * W[0], np.cos(x) * W[0]), (False, x * x, 2 * x)]:
        np.testing.assert_allclose(adc.jit(f, backend=backend)(x, np.bool_(p)), ref,
                                   rtol=1e-13)
        g = adc.grad(lambda x, p: anp.sum(f(x, p)), backend=backend)(x, np.bool_(p))
        np.testing.assert_allclose(g, dref, rtol=1e-13)


def test_a_carry_that_changes_shape_or_dtype_is_an_error_naming_both():
    with pytest.raises(adc.ShapeError, match=r"float64\[3\].*float64\[1, 3\]"):
        adc.jit(lambda h: adc.scan(lambda c, x: (c[None] * x, None), h, XS))(H0)
    with pytest.raises(adc.ShapeError, match=r"int64\[\].*float64\[\]"):
        adc.jit(lambda x: adc.fori_loop(0, 3, lambda i, v: v * 1.5, x))(np.int64(1))
    with pytest.raises(adc.TraceError, match="structure"):
        adc.jit(lambda h: adc.scan(lambda c, x: ((c, c), None), h, XS))(H0)


def test_scan_length_and_result_errors():
    with pytest.raises(adc.TraceError, match=r"pair \(carry, y\)"):
        adc.scan(lambda c, x: c, 0.0, XS)
    with pytest.raises(adc.ShapeError, match="length"):
        adc.scan(lambda c, x: (c, None), 0.0, None)
    with pytest.raises(adc.ShapeError, match=r"\[5, 6\]"):
        adc.scan(lambda c, x: (c, None), 0.0, XS, length=5)


def test_cuda_refuses_a_loop_naming_scan_and_cpu():
    with pytest.raises(adc.UnsupportedError, match="scan.*cpu"):
        adc.jit(lambda h: adc.scan(lambda c, x: (c + x, None), h, XS)[0], backend="cuda")(H0)


def test_the_body_is_traced_and_compiled_once_whatever_the_length():
    traces = []

    def step(c, x):
        traces.append(1)
        return anp.tanh(c @ W + x), None

    def loss(h, xs):
        return anp.sum(adc.scan(step, h, xs)[0])

    counts, sources = [], []
    for n in (100, 1000):
        traces.clear()
        xs = RNG.standard_normal((n, 3))
        graph = adc.make_ir(adc.grad(loss))(H0, xs)
        traced = len(traces)
        source = adc.show_source(adc.grad(loss))(H0, xs)
        sources.append(source[:source.rindex("# S = ")])
        counts.append((traced, len(graph.eqns),
                       [e.prim for e in graph.eqns].count(scan_p),
                       source.count("@njit"), len(re.findall(r"in range\(S\[\d\]\):", source)),
                       len(re.findall(r"in range\(S\[\d\] - 1, -1, -1\):", source))))
    # one trace of the body (the gradient's replay re-binds its graph); two loops (forward,
    # backward) in the graph's function, each calling its body's function
    assert counts[0] == counts[1]
    assert counts[0] == (1, counts[0][1], 2, 3, 1, 1)
    # the number of steps is an argument of the generated function: the same source (and
    # compiled code) serves both lengths
    assert sources[0] == sources[1]


def test_a_split_graph_runs_its_loops_as_kernels_of_their_own():
    from adc.lower.cpu import compile_cpu
    from adc.opt import prepare

    def f(h, xs, p):
        (h, acc), (a, b) = scanned(h, xs)
        halved = adc.while_loop(lambda c: c[0] > 1.0, lambda c: (c[0] / 2, c[1] * 0.5),
                                (acc["s"], h))[1]
        return adc.cond(p, lambda u: u * 2.0, lambda u: u - 1.0, halved) + anp.sum(a) * b[0]

    args = (H0, XS, np.bool_(True))
    graph = prepare(adc.make_ir(f)(*args), "cpu")
    split = compile_cpu(graph, split=True)
    assert "nest0(" in split.source and "def kernel(" in split.source
    for ours, theirs in zip(split(*args), adc.eval_graph(graph, *args)):
        np.testing.assert_allclose(ours, theirs, rtol=1e-13)


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_dead_carries_are_dropped_from_the_loop(backend):
    """A carry nothing live reads (b and the step counter) leaves the scan, forward and in the
    gradient's forward scan; with every carry dead the loop still runs for its ys."""
    x0 = np.array([0.5, -0.2])

    def f(x):
        def step(c, _):
            a, b, n = c
            return (anp.sin(a) * 1.1 + x, b * 2.0 + a, n + 1), a * a
        (a, _, _), ys = adc.scan(step, (x, x, 0), length=5)
        return anp.sum(a) + anp.sum(ys)

    def carries(fn):
        return [e.params["num_carry"] for e in adc.make_ir(fn)(x0).eqns if e.prim is scan_p]

    assert carries(f) == [1]
    assert carries(adc.grad(f))[0] == 1  # the forward scan of the gradient
    t = torch.tensor(x0, requires_grad=True)
    a, total = t, 0.0
    for _ in range(5):
        total = total + (a * a).sum()
        a = torch.sin(a) * 1.1 + t
    (a.sum() + total).backward()
    np.testing.assert_allclose(adc.jit(f, backend=backend)(x0), (a.sum() + total).item(),
                               rtol=1e-12)
    np.testing.assert_allclose(adc.grad(f, backend=backend)(x0), t.grad.numpy(), rtol=1e-12)

    def ys_only(x):
        _, ys = adc.scan(lambda c, xi: (c + 1.0, xi * x), 0.0, xs=np.arange(4.0))
        return anp.sum(ys)

    assert carries(ys_only) == [0]
    np.testing.assert_allclose(adc.grad(ys_only, backend=backend)(x0), [6.0, 6.0])


@pytest.mark.parametrize("backend", ["numpy", "cpu"])
def test_a_while_loop_keeps_only_the_carries_its_condition_or_results_need(backend):
    """i (the condition's) and a (the result) stay; b and k, read by nothing live, leave the
    loop with the loop invariant only they read."""
    from adc.loops.primitives import while_p

    def f(x, w):
        def body(c):
            i, a, b, k = c
            return i + 1, anp.tanh(a @ W + x), b * w + anp.sum(a), k + 1.0
        _, a, _, _ = adc.while_loop(lambda c: c[0] < 7, body, (0, x, 1.0, 0.0))
        return anp.sum(a)

    x = np.array([0.3, -0.4, 0.1])
    loops = [e for e in adc.make_ir(f)(x, 2.0).eqns if e.prim is while_p]
    assert [(len(e.ins), len(e.outs)) for e in loops] == [(3, 2)]  # x, 0 and x; i and a
    a = x
    for _ in range(7):
        a = np.tanh(a @ W + x)
    np.testing.assert_allclose(adc.jit(f, backend=backend)(x, 2.0), a.sum(), rtol=1e-13)
