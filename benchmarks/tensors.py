"""Tensor-API training-loop benchmark: adc tensors (eager, and the step compiled by
adc.compile) vs torch eager (and torch.compile) vs adc's functional `adc.grad` version of the
same loop, side by side in one run.

    python benchmarks/tensors.py [--json benchmarks/tensors.json] [--steps N] [--no-torch-compile]

One step = zero the gradients, forward, backward, SGD update (float32). Workloads: linear
regression (16 features) and a 2-layer MLP (64 → 256 → 10, relu, mean-squared loss), each
at batch 64 and batch 4096. Prints median time per step and the ratios the issue asks
about (and, with --json PATH, writes JSON); the first-call columns are the time of the first
two calls of a compiled step (adc.compile: one eager call, then trace + compile; torch.compile:
its first call compiles), in a process whose disk caches may already hold the programs.
"""
from __future__ import annotations

import argparse
import os
import statistics
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))

from report import add_json_option, machine, write_json  # noqa: E402

import adc  # noqa: E402
import adc.numpy as anp  # noqa: E402
from adc.progress import fmt_time as fmt  # noqa: E402

LR = 1e-3


def make_data(kind, batch, rng):
    if kind == "linreg":
        shapes, n_in, n_out = [(16, 1), (1,)], 16, 1
    else:
        shapes, n_in, n_out = [(64, 256), (256,), (256, 10), (10,)], 64, 10
    params = [(rng.standard_normal(s) * 0.1).astype(np.float32) for s in shapes]
    x = rng.standard_normal((batch, n_in)).astype(np.float32)
    y = rng.standard_normal((batch, n_out)).astype(np.float32)
    return params, x, y


def loss_fn(lib, params, x, y):
    if len(params) == 2:
        w, b = params
        pred = x @ w + b
    else:
        w1, b1, w2, b2 = params
        pred = lib.relu(x @ w1 + b1) @ w2 + b2
    return ((pred - y) ** 2).mean()


def tensor_loop(lib, optim, params, x, y, compile=None):
    ps = [lib.tensor(p, requires_grad=True) for p in params]
    xt, yt = lib.tensor(x), lib.tensor(y)
    opt = optim.SGD(ps, lr=LR)

    def step(x, y):
        opt.zero_grad()
        loss = loss_fn(lib, ps, x, y)
        loss.backward()
        opt.step()
        return loss
    if compile is not None:
        step = compile(step)
    return (lambda: step(xt, yt)), lambda: [p.detach().numpy().copy() for p in ps]


def first_calls(loop) -> float:
    """Seconds of a compiled loop's first two steps (where its compilation happens)."""
    t = time.perf_counter()
    loop[0]()
    loop[0]()
    return time.perf_counter() - t


def functional_loop(params, x, y):
    ps = [p.copy() for p in params]
    argnums = tuple(range(len(ps)))

    def f(*args):
        *prm, xx, yy = args
        return loss_fn(anp, prm, xx, yy)
    g = adc.grad(f, argnums=argnums)

    def step():
        for p, dp in zip(ps, g(*ps, x, y)):
            p -= np.float32(LR) * dp
    return step, lambda: [p.copy() for p in ps]


def disagreement(loops, steps=3) -> float:
    """Max abs difference of the parameters after `steps` steps of each loop (vs the first)."""
    finals = []
    for step, params in loops:
        for _ in range(steps):
            step()
        finals.append(params())
    return max(float(np.max(np.abs(a - b))) for other in finals[1:]
               for a, b in zip(finals[0], other))


def time_steps(loop, steps, repeats=7):
    step = loop[0]
    for _ in range(3):
        step()
    samples = []
    for _ in range(repeats):
        t = time.perf_counter()
        for _ in range(steps):
            step()
        samples.append((time.perf_counter() - t) / steps)
    return statistics.median(samples)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_json_option(parser, "tensors")
    parser.add_argument("--steps", type=int, default=20)
    parser.add_argument("--only", nargs="*", default=["linreg", "mlp"],
                        choices=["linreg", "mlp"])
    parser.add_argument("--batches", nargs="*", type=int, default=[64, 4096])
    parser.add_argument("--no-torch-compile", action="store_true",
                        help="leave out the torch.compile column (its first calls take seconds)")
    opts = parser.parse_args()
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    torch_compile = None if opts.no_torch_compile else torch.compile
    rng = np.random.default_rng(0)
    rows = []
    header = (f"{'workload':<13}{'adc tensors':>12}{'adc.compile':>12}{'torch eager':>12}"
              f"{'torch.compile':>14}{'adc.grad loop':>14}{'compile/adc.grad':>17}"
              f"{'torch/compile':>14}{'first calls adc|torch':>23}{'max diff':>10}")
    print(header)
    print("-" * len(header))
    for kind in opts.only:
        for batch in opts.batches:
            params, x, y = make_data(kind, batch, rng)
            steps = opts.steps if batch == 64 else max(3, opts.steps // 4)
            compiled = tensor_loop(adc, adc.optim, params, x, y, adc.compile)
            first_adc = first_calls(compiled)
            t_compiled = time_steps(compiled, steps)
            t_tensor = time_steps(tensor_loop(adc, adc.optim, params, x, y), steps)
            t_torch = time_steps(tensor_loop(torch, torch.optim, params, x, y), steps)
            t_func = time_steps(functional_loop(params, x, y), steps)
            loops = [tensor_loop(adc, adc.optim, params, x, y),
                     tensor_loop(adc, adc.optim, params, x, y, adc.compile),
                     tensor_loop(torch, torch.optim, params, x, y),
                     functional_loop(params, x, y)]
            t_tc = first_tc = None
            if torch_compile is not None:
                tc = tensor_loop(torch, torch.optim, params, x, y, torch_compile)
                first_tc = first_calls(tc)
                t_tc = time_steps(tc, steps)
                loops.append(tensor_loop(torch, torch.optim, params, x, y, torch_compile))
            diff = disagreement(loops)
            row = {"workload": f"{kind} b{batch}", "adc_tensors_s": t_tensor,
                   "adc_compile_s": t_compiled, "torch_eager_s": t_torch,
                   "torch_compile_s": t_tc, "adc_grad_loop_s": t_func,
                   "torch_over_tensors": t_torch / t_tensor,
                   "tensors_over_adc_grad": t_tensor / t_func,
                   "compile_over_adc_grad": t_compiled / t_func,
                   "torch_over_compile": t_torch / t_compiled,
                   "adc_compile_first_calls_s": first_adc,
                   "torch_compile_first_calls_s": first_tc, "max_param_diff": diff}
            rows.append(row)
            tc_text = fmt(t_tc) if t_tc is not None else "-"
            first_text = f"{fmt(first_adc)}|{fmt(first_tc) if first_tc is not None else '-'}"
            print(f"{row['workload']:<13}{fmt(t_tensor):>12}{fmt(t_compiled):>12}"
                  f"{fmt(t_torch):>12}{tc_text:>14}{fmt(t_func):>14}"
                  f"{row['compile_over_adc_grad']:>16.2f}×{row['torch_over_compile']:>13.2f}×"
                  f"{first_text:>23}{diff:>10.2g}")
    write_json(opts.json, {"machine": machine(torch=torch.__version__, numpy=np.__version__,
                                              adc=adc.__version__), "rows": rows})


if __name__ == "__main__":
    main()
