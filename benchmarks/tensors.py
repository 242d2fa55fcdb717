"""Tensor-API training-loop benchmark: adc tensors vs torch eager vs adc's functional
`adc.grad` version of the same loop, side by side in one run.

    python benchmarks/tensors.py [--json benchmarks/tensors.json] [--steps N]

One step = zero the gradients, forward, backward, SGD update (float32). Workloads: linear
regression (16 features) and a 2-layer MLP (64 → 256 → 10, relu, mean-squared loss), each
at batch 64 and batch 4096. Prints median time per step and the ratios the issue asks
about (and, with --json PATH, writes JSON).
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


def tensor_loop(lib, optim, params, x, y):
    ps = [lib.tensor(p, requires_grad=True) for p in params]
    xt, yt = lib.tensor(x), lib.tensor(y)
    opt = optim.SGD(ps, lr=LR)

    def step():
        opt.zero_grad()
        loss = loss_fn(lib, ps, xt, yt)
        loss.backward()
        opt.step()
    return step, lambda: [p.detach().numpy().copy() for p in ps]


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
    opts = parser.parse_args()
    import torch

    torch.set_num_threads(os.cpu_count() or 1)
    rng = np.random.default_rng(0)
    rows = []
    header = (f"{'workload':<16}{'adc tensors':>13}{'torch eager':>13}{'adc.grad loop':>15}"
              f"{'torch/tensors':>15}{'tensors/adc.grad':>18}{'max param diff':>16}")
    print(header)
    print("-" * len(header))
    for kind in opts.only:
        for batch in opts.batches:
            params, x, y = make_data(kind, batch, rng)
            steps = opts.steps if batch == 64 else max(3, opts.steps // 4)
            t_tensor = time_steps(tensor_loop(adc, adc.optim, params, x, y), steps)
            t_torch = time_steps(tensor_loop(torch, torch.optim, params, x, y), steps)
            t_func = time_steps(functional_loop(params, x, y), steps)
            diff = disagreement([tensor_loop(adc, adc.optim, params, x, y),
                                 tensor_loop(torch, torch.optim, params, x, y),
                                 functional_loop(params, x, y)])
            row = {"workload": f"{kind} b{batch}", "adc_tensors_s": t_tensor,
                   "torch_eager_s": t_torch, "adc_grad_loop_s": t_func,
                   "torch_over_tensors": t_torch / t_tensor,
                   "tensors_over_adc_grad": t_tensor / t_func, "max_param_diff": diff}
            rows.append(row)
            print(f"{row['workload']:<16}{fmt(t_tensor):>13}{fmt(t_torch):>13}{fmt(t_func):>15}"
                  f"{row['torch_over_tensors']:>14.2f}×{row['tensors_over_adc_grad']:>17.2f}×"
                  f"{diff:>16.2g}")
    write_json(opts.json, {"machine": machine(torch=torch.__version__, numpy=np.__version__,
                                              adc=adc.__version__), "rows": rows})


if __name__ == "__main__":
    main()
