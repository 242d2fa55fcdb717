"""Compile work that grows with the program: fusion planning visits each equation a bounded
number of times, a nest holds a bounded number of equations, and the generated code of an
unrolled loop grows in proportion to its steps (counted, never timed)."""
from __future__ import annotations

import numpy as np

import adc
import adc.numpy as anp
from adc.lower import fuse
from adc.lower.cpu import CpuCodegen
from adc.opt import prepare


def unrolled(steps):
    """An LSTM-like recurrence over 14-element vectors, the Python loop unrolled."""
    def f(w, xs):
        h, c, loss = anp.zeros(14), anp.zeros(14), 0.0
        for t in range(steps):
            g = 1 / (1 + anp.exp(-(xs[t] * w[0] + h * w[1])))
            c = c * g + (1 - g) * anp.tanh(h * w[2] + xs[t])
            h = anp.tanh(c) * g
            loss = loss + anp.log(anp.sum(anp.exp(h)))
        return loss

    rng = np.random.default_rng(0)
    args = (rng.standard_normal((3, 14)), rng.standard_normal((steps, 14)))
    return prepare(adc.make_ir(adc.grad(f))(*args), "cpu")


def _planned_with_count(graph, monkeypatch):
    calls = [0]
    original = fuse._accumulates_once

    def counted(eqn, shape):
        calls[0] += 1
        return original(eqn, shape)

    monkeypatch.setattr(fuse, "_accumulates_once", counted)
    return fuse.plan(graph), calls[0]


def test_planning_work_grows_linearly(monkeypatch):
    small, large = unrolled(8), unrolled(32)
    items_small, calls_small = _planned_with_count(small, monkeypatch)
    items_large, calls_large = _planned_with_count(large, monkeypatch)
    growth = len(large.eqns) / len(small.eqns)
    assert calls_large <= 1.2 * growth * calls_small, (calls_small, calls_large, growth)
    for items in (items_small, items_large):
        nests = [item for item in items if isinstance(item, fuse.Nest)]
        assert max(len(n.eqns) for n in nests) <= fuse.NEST_MAX_EQNS + fuse.REMAT_MAX_EQNS


def test_generated_code_grows_linearly_and_repeats_share_kernels():
    lines, kernels = {}, {}
    for steps in (8, 32):
        gen = CpuCodegen(unrolled(steps), fastmath=False, split=True)
        driver = gen.generate()
        lines[steps] = driver.count("\n") + sum(s.count("\n") for s in gen.kernel_sources)
        kernels[steps] = len(gen.kernel_sources)
    assert lines[32] <= 4.4 * lines[8], lines
    assert kernels[32] < 2 * kernels[8], kernels  # 4x the steps, mostly the same kernels
