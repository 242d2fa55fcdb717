"""CNN benchmark (issue #14): one training step (forward + backward + SGD) of the PyTorch
tutorial's `Net` at batch 64 and 256 on 28x28 inputs, and of a ResNet-style block (3x3 convs,
batch norm, relu, residual) on 16x32x32 at batch 64, float32, side by side in one run:
adc.grad (functional, adc.numpy.nn), adc tensors (the same code as torch's, run with adc in
torch's place), torch eager and torch.compile. (No JAX column: JAX is not installed on our
machines, and an untested peer would be worse than none.)

    python benchmarks/cnn.py [--only NAME ...] [--json benchmarks/cnn.json] [--no-compile]
                             [--threads N] [--profile]

Prints a table (and, with --json PATH, writes JSON): steady-state median of each step,
adc.grad's forward-only time and gradient/forward ratio, and the first call (trace + compile)
of adc.grad. The Net runs without its dropout layers so that every library computes the same
numbers (each step's loss is checked against torch's before timing).

--threads N runs every library with N threads (OpenBLAS, Numba's pool, OpenMP, torch; by
default all cores): on a shared machine the single-threaded comparison is the one that stays
put, since a thread pool whose workers wait for a descheduled peer runs several times slower.
--profile prints, instead of the table, where adc.grad's step spends its time: the step runs
as split kernels under a Python driver, so each kernel, BLAS call and copy is one timed line.
"""
from __future__ import annotations

import argparse
import collections
import linecache
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from report import add_json_option, machine, write_json  # noqa: E402

from cpu import timeit  # noqa: E402  (the same steady-state median as benchmarks/cpu.py)

from adc.progress import fmt_time as fmt  # noqa: E402

LR = 0.01


# ---- the workloads: parameters, inputs and the loss, written once per library style ----

def _uniform(rng, shape, fan_in):
    bound = 1.0 / np.sqrt(fan_in)
    return rng.uniform(-bound, bound, shape).astype(np.float32)


def net_params(rng):
    return [_uniform(rng, (10, 1, 5, 5), 25), _uniform(rng, (10,), 25),
            _uniform(rng, (20, 10, 5, 5), 250), _uniform(rng, (20,), 250),
            _uniform(rng, (50, 320), 320), _uniform(rng, (50,), 320),
            _uniform(rng, (10, 50), 50), _uniform(rng, (10,), 50)]


def net_inputs(rng, batch):
    return (rng.normal(size=(batch, 1, 28, 28)).astype(np.float32),
            rng.integers(0, 10, batch).astype(np.int64))


def net_loss_adc(w1, b1, w2, b2, w3, b3, w4, b4, x, labels):
    """The tutorial Net with adc.numpy (inside adc.grad; adc's inputs are arrays, so each
    parameter is an argument)."""
    import adc.numpy as anp

    h = anp.maximum(anp.nn.max_pool(anp.nn.conv(x, w1, b1), 2), 0)
    h = anp.maximum(anp.nn.max_pool(anp.nn.conv(h, w2, b2), 2), 0)
    h = anp.maximum(h.reshape(-1, 320) @ w3.T + b3, 0)
    logp = anp.log_softmax(h @ w4.T + b4, axis=1)
    return -anp.mean(anp.take_along_axis(logp, labels[:, None], 1))


def net_loss_torch(lib, params, x, labels):
    """The tutorial Net in torch's API: run with torch, or with adc in torch's place."""
    F = lib.nn.functional
    w1, b1, w2, b2, w3, b3, w4, b4 = params
    h = F.relu(F.max_pool2d(F.conv2d(x, w1, b1), 2))
    h = F.relu(F.max_pool2d(F.conv2d(h, w2, b2), 2))
    h = F.relu(F.linear(h.view(-1, 320), w3, b3))
    return F.nll_loss(F.log_softmax(F.linear(h, w4, b4), dim=1), labels)


def block_params(rng):
    return [_uniform(rng, (16, 16, 3, 3), 144), np.ones(16, np.float32), np.zeros(16, np.float32),
            _uniform(rng, (16, 16, 3, 3), 144), np.ones(16, np.float32), np.zeros(16, np.float32)]


def block_inputs(rng, batch):
    return (rng.normal(size=(batch, 16, 32, 32)).astype(np.float32),
            rng.normal(size=(batch, 16, 32, 32)).astype(np.float32))


def _batch_norm_adc(h, gamma, beta):
    import adc.numpy as anp

    mean = anp.mean(h, axis=(0, 2, 3), keepdims=True)
    var = anp.mean(anp.square(h - mean), axis=(0, 2, 3), keepdims=True)
    return ((h - mean) / anp.sqrt(var + 1e-5)) * gamma.reshape(1, -1, 1, 1) \
        + beta.reshape(1, -1, 1, 1)


def block_loss_adc(w1, g1, b1, w2, g2, b2, x, target):
    import adc.numpy as anp

    h = anp.maximum(_batch_norm_adc(anp.nn.conv(x, w1, padding=1), g1, b1), 0)
    h = _batch_norm_adc(anp.nn.conv(h, w2, padding=1), g2, b2)
    return anp.mean(anp.square(anp.maximum(h + x, 0) - target))


def block_loss_torch(lib, params, x, target):
    F = lib.nn.functional
    w1, g1, b1, w2, g2, b2 = params
    h = F.relu(F.batch_norm(F.conv2d(x, w1, padding=1), None, None, g1, b1, training=True))
    h = F.batch_norm(F.conv2d(h, w2, padding=1), None, None, g2, b2, training=True)
    return F.mse_loss(F.relu(h + x), target)


WORKLOADS = {
    "net64": (net_params, lambda rng: net_inputs(rng, 64), net_loss_adc, net_loss_torch),
    "net256": (net_params, lambda rng: net_inputs(rng, 256), net_loss_adc, net_loss_torch),
    "resblock64": (block_params, lambda rng: block_inputs(rng, 64), block_loss_adc,
                   block_loss_torch),
}


# ---- the measured steps ----

def measure_adc_grad(name, params, inputs):
    import adc

    loss = WORKLOADS[name][2]
    step_fn = adc.value_and_grad(loss, argnums=tuple(range(len(params))))
    forward = adc.jit(loss)
    t = time.perf_counter()
    value, _ = step_fn(*params, *inputs)
    first = time.perf_counter() - t

    def step():
        _, grads = step_fn(*params, *inputs)
        for p, g in zip(params, grads):
            p -= LR * g

    return float(value), {"first_call_s": first, "step_s": timeit(step),
                          "forward_s": timeit(lambda: forward(*params, *inputs))}


def measure_lib(lib, name, params, inputs, compiled=False):
    """A training step written in torch's API (torch itself, or adc in torch's place)."""
    loss = WORKLOADS[name][3]
    ps = [lib.tensor(p.copy(), requires_grad=True) for p in params]
    xs = [lib.from_numpy(a) for a in inputs]
    fn = lib.compile(lambda *a: loss(lib, *a)) if compiled else (lambda *a: loss(lib, *a))
    value = fn(ps, *xs).item()

    def step():
        out = fn(ps, *xs)
        for p in ps:
            p.grad = None
        out.backward()
        with lib.no_grad():
            for p in ps:
                p -= LR * p.grad

    def forward():
        with lib.no_grad():
            fn(ps, *xs)

    t = time.perf_counter()
    step()
    first = time.perf_counter() - t
    return value, {"first_call_s": first, "step_s": timeit(step), "forward_s": timeit(forward)}


THREAD_VARIABLES = ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS",
                    "NUMBA_NUM_THREADS")


def limit_threads(n: int) -> None:
    """Run this script again with every library's thread count set to n (they read it when
    they load, and numpy has loaded)."""
    if all(os.environ.get(v) == str(n) for v in THREAD_VARIABLES):
        return
    env = dict(os.environ, **{v: str(n) for v in THREAD_VARIABLES})
    os.execve(sys.executable, [sys.executable] + sys.argv, env)


def profile(name, params, inputs, reps=10, lines=25):
    """Print the time of each line of adc.grad's step, its driver compiled split."""
    import adc
    from adc.lower.cpu import runtime

    runtime.SPLIT_MIN_NESTS = 1
    step_fn = adc.value_and_grad(WORKLOADS[name][2], argnums=tuple(range(len(params))))
    step_fn(*params, *inputs)
    print(f"{name}: step {fmt(timeit(lambda: step_fn(*params, *inputs)))} (split)")
    times, state = collections.Counter(), {}

    def tracer(frame, event, arg):
        if frame.f_code.co_name != "program":  # the driver's function
            return None

        def line(frame, event, arg):
            now = time.perf_counter()
            if state.get("at") is not None:
                times[state["at"]] += now - state["t"]
            state["at"] = (frame.f_code.co_filename, frame.f_lineno) if event == "line" else None
            state["t"] = time.perf_counter()
            return line
        return line

    sys.settrace(tracer)
    try:
        for _ in range(reps):
            step_fn(*params, *inputs)
    finally:
        sys.settrace(None)
    print(f"  traced: {fmt(sum(times.values()) / reps)} a step; the {lines} slowest lines:")
    for (path, number), t in times.most_common(lines):
        print(f"  {fmt(t / reps):>9}  {linecache.getline(path, number).strip()[:110]}")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", default=list(WORKLOADS))
    add_json_option(parser, "cnn")
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    parser.add_argument("--threads", type=int, help="threads for every library (default: all "
                        "cores)")
    parser.add_argument("--profile", action="store_true",
                        help="print where adc.grad's step spends its time instead")
    opts = parser.parse_args()
    if opts.threads:
        limit_threads(opts.threads)
    import adc
    import torch

    torch.set_num_threads(opts.threads or os.cpu_count())
    if opts.profile:
        for name in opts.only:
            make_params, make_inputs = WORKLOADS[name][:2]
            rng = np.random.default_rng(0)
            profile(name, make_params(rng), make_inputs(rng))
        return
    rows = []
    for name in opts.only:
        make_params, make_inputs = WORKLOADS[name][:2]
        rng = np.random.default_rng(0)
        params, inputs = make_params(rng), make_inputs(rng)
        row = {"workload": name}
        losses = {}
        # adc first, under the same conditions: once torch has run, its OpenMP threads share
        # the cores with Numba's
        losses["adc.grad"], row["adc.grad"] = measure_adc_grad(name, [p.copy() for p in params],
                                                              inputs)
        losses["adc tensors"], row["adc tensors"] = measure_lib(adc, name, params, inputs)
        losses["torch"], row["torch"] = measure_lib(torch, name, params, inputs)
        if not opts.no_compile:
            losses["torch.compile"], row["torch.compile"] = measure_lib(
                torch, name, params, inputs, compiled=True)
        for k, v in losses.items():
            if not np.isclose(v, losses["torch"], rtol=1e-4):
                raise AssertionError(f"{name}: {k}'s loss {v} differs from torch's "
                                     f"{losses['torch']}")
        rows.append(row)
        print(f"measured {name}", file=sys.stderr)
    peers = ["adc.grad", "adc tensors", "torch", "torch.compile"]
    print(f"{'workload':<12}" + "".join(f"{p + ' step':>20}" for p in peers)
          + f"{'adc fwd':>10}{'grad/fwd':>10}{'vs eager':>10}{'vs compile':>12}")
    for row in rows:
        a = row["adc.grad"]
        cells = [fmt(row[p]["step_s"]) if p in row else "-" for p in peers]
        eager = row["torch"]["step_s"] / a["step_s"]
        comp = (f"{row['torch.compile']['step_s'] / a['step_s']:.2f}x"
                if "torch.compile" in row else "-")
        print(f"{row['workload']:<12}" + "".join(f"{c:>20}" for c in cells)
              + f"{fmt(a['forward_s']):>10}{a['step_s'] / a['forward_s']:>10.2f}"
              + f"{eager:>9.2f}x{comp:>12}")
    write_json(opts.json, {"machine": machine(torch=torch.__version__,
                                             threads=opts.threads or os.cpu_count()),
                           "rows": rows},
               "'vs eager' / 'vs compile' > 1 means the adc.grad step is faster than torch "
               "eager / torch.compile")


if __name__ == "__main__":
    main()
