"""Compiled loops benchmark: an LSTM-like recurrence over 100 steps and an explicit RK4 ODE
integrator over 1,000 steps, their gradients with adc.scan / adc.fori_loop (cpu) against the
same Python loop unrolled by adc's tracer (where it compiles within --unrolled-timeout seconds),
torch eager, and jax.jit(jax.grad) of the lax.scan version when jax is installed.

    python benchmarks/loops.py [--unrolled-timeout 120] [--json PATH]

Objectives (float64): lstm — two stacked LSTM cells (hidden and input size 16) over 100
characters, the loss a sum over steps of logsumexp(prediction) - prediction . target (as
GradBench's lstm objective); gradient with respect to every weight. ode — dy/dt = A tanh(y)
(n = 8) integrated by classic RK4 with dt = 1e-3 over 1,000 steps, the loss sum(y_T ** 2);
gradient with respect to y0 and A. Every gradient is checked against torch's before timing.
"first (cold)" is the first gradient call in a fresh process with an empty cache (trace,
differentiate, generate, Numba compile); "first (warm)" the same with the disk cache filled;
"steady" the median of later calls.
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from cpu import timeit
from report import add_json_option, machine, write_json

HIDDEN, STEPS_LSTM, N_ODE, STEPS_ODE, DT = 16, 100, 8, 1000, 1e-3
try:
    import jax  # noqa: F401
    HAVE_JAX = True
except ImportError:
    HAVE_JAX = False


def inputs(name):
    rng = np.random.default_rng(0)
    if name == "lstm":
        h = HIDDEN
        weights = [rng.standard_normal((2 * h, 4 * h)) * 0.2 for _ in range(2)]
        biases = [rng.standard_normal(4 * h) * 0.1 for _ in range(2)]
        chars = rng.standard_normal((STEPS_LSTM + 1, h))
        return [*weights, *biases, chars]
    a = rng.standard_normal((N_ODE, N_ODE)) * 0.5
    return [rng.standard_normal(N_ODE), a]


# ---- adc: the step functions are written once; a loop runs them by scan or by Python ----

def _lstm_parts(anp):
    def cell(w, b, x, h, c):
        gates = anp.concatenate([x, h]) @ w + b
        i, f, o = (1 / (1 + anp.exp(-gates[k * HIDDEN:(k + 1) * HIDDEN])) for k in range(3))
        g = anp.tanh(gates[3 * HIDDEN:])
        c = f * c + i * g
        return o * anp.tanh(c), c

    def step(w0, w1, b0, b1, state, xy):
        h0, c0, h1, c1 = state
        x, target = xy
        h0, c0 = cell(w0, b0, x, h0, c0)
        h1, c1 = cell(w1, b1, h0, h1, c1)
        m = anp.max(h1)
        lse = m + anp.log(anp.sum(anp.exp(h1 - m)))
        return (h0, c0, h1, c1), lse - anp.sum(h1 * target)
    return step


def adc_lstm(unrolled: bool):
    import adc
    import adc.numpy as anp

    step = _lstm_parts(anp)

    def loss(w0, w1, b0, b1, chars):
        zero = anp.zeros(HIDDEN)
        state = (zero, zero, zero, zero)
        if unrolled:
            total = 0.0
            for t in range(STEPS_LSTM):
                state, term = step(w0, w1, b0, b1, state, (chars[t], chars[t + 1]))
                total = total + term
            return total
        _, terms = adc.scan(lambda s, xy: step(w0, w1, b0, b1, s, xy), state,
                            (chars[:-1], chars[1:]))
        return anp.sum(terms)

    return adc.grad(loss, argnums=(0, 1, 2, 3))


def _rk4(f, y, dt):
    k1 = f(y)
    k2 = f(y + dt / 2 * k1)
    k3 = f(y + dt / 2 * k2)
    k4 = f(y + dt * k3)
    return y + dt / 6 * (k1 + 2 * k2 + 2 * k3 + k4)


def adc_ode(unrolled: bool):
    import adc
    import adc.numpy as anp

    def loss(y0, a):
        def f(y):
            return a @ anp.tanh(y)
        if unrolled:
            y = y0
            for _ in range(STEPS_ODE):
                y = _rk4(f, y, DT)
        else:
            y = adc.fori_loop(0, STEPS_ODE, lambda i, y: _rk4(f, y, DT), y0)
        return anp.sum(y ** 2)

    return adc.grad(loss, argnums=(0, 1))


ADC = {"lstm": adc_lstm, "ode": adc_ode}


# ---- torch eager: the same loops ----

def torch_grad(name):
    import torch

    def lstm(w0, w1, b0, b1, chars):
        def cell(w, b, x, h, c):
            gates = torch.cat([x, h]) @ w + b
            i, f, o = (torch.sigmoid(gates[k * HIDDEN:(k + 1) * HIDDEN]) for k in range(3))
            c = f * c + i * torch.tanh(gates[3 * HIDDEN:])
            return o * torch.tanh(c), c
        h0 = c0 = h1 = c1 = torch.zeros(HIDDEN, dtype=torch.float64)
        total = 0.0
        for t in range(STEPS_LSTM):
            h0, c0 = cell(w0, b0, chars[t], h0, c0)
            h1, c1 = cell(w1, b1, h0, h1, c1)
            total = total + torch.logsumexp(h1, 0) - (h1 * chars[t + 1]).sum()
        return total, 4

    def ode(y0, a):
        y = y0
        for _ in range(STEPS_ODE):
            y = _rk4(lambda y: a @ torch.tanh(y), y, DT)
        return (y ** 2).sum(), 2

    fn = {"lstm": lstm, "ode": ode}[name]

    def grad(*args):
        ts = [torch.from_numpy(a) for a in args]
        for t in ts:
            t.requires_grad_(True)
        out, k = fn(*ts)
        return [g.numpy() for g in torch.autograd.grad(out, ts[:k])]

    return grad


# ---- jax: jax.jit(jax.grad) of the lax.scan / lax.fori_loop version ----

def jax_grad(name):
    import jax
    import jax.numpy as jnp

    jax.config.update("jax_enable_x64", True)

    def lstm(w0, w1, b0, b1, chars):
        def cell(w, b, x, h, c):
            gates = jnp.concatenate([x, h]) @ w + b
            i, f, o = (jax.nn.sigmoid(gates[k * HIDDEN:(k + 1) * HIDDEN]) for k in range(3))
            c = f * c + i * jnp.tanh(gates[3 * HIDDEN:])
            return o * jnp.tanh(c), c

        def step(state, xy):
            h0, c0, h1, c1 = state
            x, target = xy
            h0, c0 = cell(w0, b0, x, h0, c0)
            h1, c1 = cell(w1, b1, h0, h1, c1)
            return (h0, c0, h1, c1), jax.nn.logsumexp(h1) - jnp.sum(h1 * target)
        zero = jnp.zeros(HIDDEN)
        return jnp.sum(jax.lax.scan(step, (zero,) * 4, (chars[:-1], chars[1:]))[1])

    def ode(y0, a):
        y = jax.lax.fori_loop(0, STEPS_ODE, lambda i, y: _rk4(lambda y: a @ jnp.tanh(y), y, DT),
                              y0)
        return jnp.sum(y ** 2)

    fn, k = {"lstm": (lstm, 4), "ode": (ode, 2)}[name]
    g = jax.jit(jax.grad(fn, argnums=tuple(range(k))))
    return lambda *args: [np.asarray(x) for x in jax.block_until_ready(g(*args))]


def first_call(name, variant, cache_dir, timeout):
    """Seconds for the first adc gradient call in a fresh process using `cache_dir`, or None
    when it did not finish within `timeout` seconds."""
    env = dict(os.environ, ADC_CACHE_DIR=cache_dir, NUMBA_CACHE_DIR=os.path.join(cache_dir, "nb"))
    try:
        out = subprocess.run([sys.executable, __file__, "--first-call", name, variant], env=env,
                             capture_output=True, text=True, check=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return None
    return float(out.stdout.strip().splitlines()[-1])


def _first_call_child(name, variant):
    g = ADC[name](variant == "unrolled")
    args = inputs(name)
    t = time.perf_counter()
    g(*args)
    print(time.perf_counter() - t)


def measure(name, timeout) -> list:
    args = inputs(name)
    reference = torch_grad(name)
    expected = reference(*args)
    rows = []
    for variant in ("scan", "unrolled"):
        with tempfile.TemporaryDirectory() as cache:
            cold = first_call(name, variant, cache, timeout)
            warm = first_call(name, variant, cache, timeout) if cold is not None else None
        row = {"objective": name, "impl": f"adc {variant} (cpu)", "first_cold": cold,
               "first_warm": warm, "steady": None}
        if cold is not None:
            g = ADC[name](variant == "unrolled")
            for ours, theirs in zip(g(*args), expected):
                np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-10)
            row["steady"] = timeit(lambda g=g: g(*args))
        rows.append(row)
    rows.append({"objective": name, "impl": "torch eager", "first_cold": None,
                 "first_warm": None, "steady": timeit(lambda: reference(*args))})
    if HAVE_JAX:
        g = jax_grad(name)
        t = time.perf_counter()
        first = g(*args)
        first_time = time.perf_counter() - t
        for ours, theirs in zip(first, expected):
            np.testing.assert_allclose(ours, theirs, rtol=1e-8, atol=1e-10)
        rows.append({"objective": name, "impl": "jax.jit(jax.grad)", "first_cold": first_time,
                     "first_warm": None, "steady": timeit(lambda: g(*args))})
    return rows


def step_overhead(steps=100_000) -> float:
    """Seconds per step of a compiled scan whose body is one scalar addition: the cost of
    the loop and the body function's call."""
    import adc

    f = adc.jit(lambda c, xs: adc.scan(lambda c, x: (c + x, None), c, xs)[0])
    xs = np.ones(steps)
    return timeit(lambda: f(np.float64(0.0), xs)) / steps


def _cell(seconds) -> str:
    from adc.progress import fmt_time

    return "-" if seconds is None else fmt_time(seconds)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--unrolled-timeout", type=float, default=120.0,
                        help="seconds a first call may take before it counts as not compiling")
    parser.add_argument("--first-call", nargs=2, help=argparse.SUPPRESS)
    add_json_option(parser, "loops")
    opts = parser.parse_args(argv)
    if opts.first_call:
        return _first_call_child(*opts.first_call)
    jax_note = ("jax: jax.jit(jax.grad) of the lax.scan / lax.fori_loop version, first call "
                "in this process (its compilation cache is not persistent)" if HAVE_JAX else
                "jax is not installed: no jax.jit(jax.grad) of lax.scan row")
    rows = measure("lstm", opts.unrolled_timeout) + measure("ode", opts.unrolled_timeout)
    overhead = step_overhead()
    print(f"{'objective':<8} {'impl':<22} {'first (cold)':>13} {'first (warm)':>13} "
          f"{'steady':>10}")
    for r in rows:
        cold = _cell(r["first_cold"]) if not r["impl"].startswith("adc") or r["first_cold"] \
            else f">{opts.unrolled_timeout:.0f} s"
        print(f"{r['objective']:<8} {r['impl']:<22} {cold:>13} {_cell(r['first_warm']):>13} "
              f"{_cell(r['steady']):>10}")
    print(f"per-step overhead of a compiled scan (body: one scalar add): {overhead * 1e9:.0f} ns")
    write_json(opts.json, {"machine": machine(jax=jax_note), "rows": rows,
                           "step_overhead_s": overhead},
               note=f"steady: median seconds per gradient call; {jax_note}")


if __name__ == "__main__":
    main()
