"""Gathers and scatter-adds inside loop nests: a gather is read where its consumer runs, a
scatter-add updates where its producer runs, both in parallel on the CPU (per-thread copies
where two updates may meet); against numpy with repeated, negative, empty and single
indices, on the cpu backend and the CUDA simulator."""
from __future__ import annotations

import numpy as np
import pytest
import torch

import adc
import adc.numpy as anp

BIG = 40_000  # rows: above the CPU's parallel threshold once multiplied by the row length


def _source(f, *args):
    return adc.show_source(f)(*args)


def test_gather_fuses_into_its_consumer_and_runs_in_parallel():
    rng = np.random.default_rng(0)
    x, idx = rng.standard_normal((50, 8)), rng.integers(0, 50, BIG)

    def f(x):
        return anp.sum(anp.sin(x[idx]) * x[idx])

    src = _source(adc.jit(f), x)
    assert "take" not in src and src.count("for i0 in prange(") == 1, src
    assert "[c1[i0], i1]" in src or "[c1[i0], " in src, src  # the element read x[idx[i0], i1]
    np.testing.assert_allclose(adc.jit(f)(x), np.sum(np.sin(x[idx]) * x[idx]), rtol=1e-12)


def test_scatter_add_fuses_with_its_producer_in_parallel_without_races():
    rng = np.random.default_rng(1)
    x, idx = rng.standard_normal((50, 8)), rng.integers(0, 50, BIG)  # every row many times

    def f(x):
        return anp.sum(anp.sin(x[idx]) * x[idx])

    g = adc.grad(f)
    src = _source(g, x)
    # forward and backward in one parallel nest: gather, derivative, per-thread scatter-add
    assert src.count(" in prange(") == 1 and "combine(" in src, src
    assert "scatter" not in src and "np.zeros" not in src, src
    xt = torch.from_numpy(x).requires_grad_()
    ref, = torch.autograd.grad((torch.sin(xt[idx]) * xt[idx]).sum(), xt)
    np.testing.assert_allclose(g(x), ref.numpy(), rtol=1e-12)


def test_scatter_along_a_later_axis_updates_without_per_thread_copies():
    rng = np.random.default_rng(2)
    x, idx = rng.standard_normal((BIG, 6)), np.array([5, 0, 5, -1, 2, 2, 2])

    def f(x):
        return anp.sum(anp.exp(x[:, idx]))

    g = adc.grad(f)
    src = _source(g, x)
    assert "prange(" in src and "combine(" not in src, src  # each row its own thread's
    xt = torch.from_numpy(x).requires_grad_()
    ref, = torch.autograd.grad(torch.exp(xt[:, torch.from_numpy(idx)]).sum(), xt)
    np.testing.assert_allclose(g(x), ref.numpy(), rtol=1e-12)


def test_scatter_into_a_large_output_runs_serially():
    """Per-thread copies of a 10^6-element output for 40,000 updates would cost more than the
    updates: the nest runs serially (still one nest, still correct)."""
    rng = np.random.default_rng(3)
    x, idx = rng.standard_normal(10 ** 6), rng.integers(0, 10 ** 6, BIG)

    def f(x):
        return anp.sum(anp.cos(x[idx]))

    g = adc.grad(f)
    src = _source(g, x)
    assert "prange(" not in src and "combine(" not in src, src
    expected = np.zeros_like(x)
    np.add.at(expected, idx, -np.sin(x[idx]))
    np.testing.assert_allclose(g(x), expected, rtol=1e-12)


CASES = {
    "repeated": np.array([3, 1, 3, 3, 0]),
    "negative": np.array([-1, 0, -4, 2, -1]),
    "empty": np.zeros(0, np.int64),
    "one": np.array([2]),
    "matrix": np.array([[0, 3], [3, 1]]),
}


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
@pytest.mark.parametrize("name", list(CASES))
@pytest.mark.parametrize("axis", [0, 1])
def test_gather_and_its_gradient_agree_with_numpy(backend, name, axis):
    if backend == "cuda":
        pytest.importorskip("numba.cuda")
    rng = np.random.default_rng(4)
    x, idx = rng.standard_normal((4, 4, 3)), CASES[name]

    def f(x, i):  # the index traced: adc.numpy checks and normalizes it in the graph
        return anp.sum(anp.tanh(anp.take(x, i, axis=axis)) * 1.5)

    def expected(x):
        xt = torch.from_numpy(x).requires_grad_()
        picked = torch.index_select(xt, axis, torch.from_numpy(idx % 4).reshape(-1))
        out = (torch.tanh(picked) * 1.5).sum()
        return out.detach().numpy(), torch.autograd.grad(out, xt)[0].numpy()

    value, grad = adc.value_and_grad(f, backend=backend)(x, idx)
    ref_value, ref_grad = expected(x)
    np.testing.assert_allclose(value, ref_value, rtol=1e-12, atol=1e-15)
    np.testing.assert_allclose(grad, ref_grad, rtol=1e-12, atol=1e-15)


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
def test_scalar_index_gradient(backend):
    """take with a 0-d traced index: the scatter-add of one element, outside every loop."""
    if backend == "cuda":
        pytest.importorskip("numba.cuda")
    x = np.linspace(0.0, 1.0, 7)

    def f(x, i):
        return anp.sum(x * x) + anp.sin(anp.take(x, i)) * 3.0

    g = adc.grad(f, backend=backend)(x, np.int64(-2))
    expected = 2 * x
    expected[-2] += 3.0 * np.cos(x[-2])
    np.testing.assert_allclose(g, expected, rtol=1e-12)
