"""Compile-time benchmark (issues #15, #21): how the first `adc.grad` call grows with program
size, and what a new batch size costs.

Three programs, repeated L times: the "L-stack" block of issue #15 (`tanh(h @ W + sin(h) *
0.1)`, a reversed slice, `exp(-h*h)` and a concatenate, on an 8x16 input), a depth-L MLP (width
256, batch 128, relu, squared loss) and an LSTM-like recurrence over 14-element vectors whose
Python loop of L steps unrolls (issue #21's case). Each measurement runs in a fresh process:
- cold: an empty disk cache (first `adc.grad` call: trace, differentiate, optimize, compile);
- warm: a second process with the disk cache the cold one filled;
- steady: the median call afterwards (in the warm process);
and, with --whole, the same programs compiled as one njit function (the code generator's
"whole" shape; split kernels are the default past adc.lower.cpu.runtime.SPLIT_MIN_NESTS nests).
Then, in one process each, the first call at a second batch size (48 after 64) of the tensor
MLP training step and of adc.grad of the MLP (benchmarks/tensors.py's 64-256-10 MLP).

    python benchmarks/compile.py [--only lstack mlp lstm] [--depths 1 2 4 8 16 40] [--whole 8]
                                 [--json benchmarks/compile.json]

Prints a table (and, with --json PATH, writes JSON). (Time limit per process: --timeout
seconds, default 600.)
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from report import add_json_option, child_env, machine, write_json  # noqa: E402

from adc.progress import fmt_time as fmt  # noqa: E402

DEPTHS = {"lstack": (1, 2, 4, 8, 16, 40), "mlp": (10, 40, 100), "lstm": (8, 32, 128)}


def lstack_program(depth, rng):
    import adc.numpy as anp

    def f(h, *Ws):
        for W in Ws:
            h = anp.tanh(h @ W + anp.sin(h) * 0.1)
            h = h[:, ::-1]
            h = anp.concatenate([anp.exp(-h * h), h], axis=1)[:, :16]
        return anp.sum(h * h)

    return f, [rng.standard_normal((8, 16))] + [rng.standard_normal((16, 16)) * 0.3
                                                  for _ in range(depth)]


def mlp_program(depth, rng):
    import adc.numpy as anp

    def f(X, Y, *Ws):
        h = X
        for W in Ws[:-1]:
            h = anp.maximum(h @ W, 0.0)
        return anp.mean((h @ Ws[-1] - Y) ** 2)

    Ws = [rng.standard_normal((256, 256)) * (2 / 256) ** 0.5 for _ in range(depth)]
    return f, [rng.standard_normal((128, 256)), rng.standard_normal((128, 256))] + Ws


def lstm_program(depth, rng):
    import adc.numpy as anp

    def f(w, b, xs):
        h, c, loss = anp.zeros(14), anp.zeros(14), 0.0
        for t in range(xs.shape[0]):
            forget = 1 / (1 + anp.exp(-(xs[t] * w[0] + b[0])))
            keep = 1 / (1 + anp.exp(-(h * w[1] + b[1])))
            out = 1 / (1 + anp.exp(-(xs[t] * w[2] + b[2])))
            c = c * forget + keep * anp.tanh(h * w[3] + b[3])
            h = out * anp.tanh(c)
            loss = loss + anp.log(anp.sum(anp.exp(h)))
        return loss

    return f, [rng.standard_normal((4, 14)), rng.standard_normal((4, 14)),
               rng.standard_normal((depth, 14))]


PROGRAMS = {"lstack": lstack_program, "mlp": mlp_program, "lstm": lstm_program}
ARGNUMS = {"lstack": lambda n: tuple(range(n)), "mlp": lambda n: tuple(range(2, n)),
           "lstm": lambda n: (0, 1)}


def _child(name, depth, split):
    """Run in a fresh process: print {"first_s", "steady_s", "kernels", "hits", "misses",
    "sympy" (whether the first call imported it)}."""
    import numpy as np

    import adc
    from adc.backends import compile_graph
    from adc.lower.cpu import runtime

    if split == "whole":
        runtime.SPLIT_MIN_NESTS = 1 << 30
    f, args = PROGRAMS[name](depth, np.random.default_rng(0))
    g = adc.grad(f, argnums=ARGNUMS[name](len(args)))
    t = time.perf_counter()
    g(*args)
    first = time.perf_counter() - t
    sympy = "sympy" in sys.modules  # a warm process loads the program: no derivative taken
    times = []
    for _ in range(20):
        t = time.perf_counter()
        g(*args)
        times.append(time.perf_counter() - t)
    # the same graph compiled again finds its modules loaded: its kernels' counters are those
    # of the first call
    compiled = compile_graph(adc.make_ir(g)(*args), "cpu")
    hits, misses = compiled.cache_stats()
    print(json.dumps({"first_s": first, "steady_s": sorted(times)[len(times) // 2],
                      "kernels": compiled.kernels, "hits": hits, "misses": misses,
                      "sympy": sympy}))


def _batch_child():
    """Print the first call at batch 64, then at 48, of the tensor MLP step and adc.grad's."""
    import numpy as np

    import adc
    import tensors

    rng = np.random.default_rng(0)
    params, _, _ = tensors.make_data("mlp", 64, rng)
    row = {}
    for mode in ("tensor_step", "adc_grad"):
        for batch in (64, 48):
            _, x, y = tensors.make_data("mlp", batch, np.random.default_rng(batch))
            step, _ = (tensors.tensor_loop(adc, adc.optim, params, x, y) if mode == "tensor_step"
                       else tensors.functional_loop(params, x, y))
            t = time.perf_counter()
            step()
            row[f"{mode}_b{batch}_first_s"] = time.perf_counter() - t
    print(json.dumps(row))


def measure(name, depth, split, timeout):
    """{"cold": ..., "warm": ...} for one program, each from a fresh process."""
    with tempfile.TemporaryDirectory() as cache_dir:
        env = child_env(ADC_CACHE_DIR=cache_dir)
        row = {}
        for run in ("cold", "warm"):
            try:
                out = subprocess.run([sys.executable, __file__, "--child", name, str(depth),
                                      split], env=env, capture_output=True, text=True,
                                     timeout=timeout)
            except subprocess.TimeoutExpired:
                row[run] = {"timeout_s": timeout}
                break
            if out.returncode != 0:
                raise RuntimeError(f"{name} L={depth} {split}: {out.stderr[-2000:]}")
            row[run] = json.loads(out.stdout.strip().splitlines()[-1])
        return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", default=list(PROGRAMS))
    parser.add_argument("--depths", nargs="*", type=int, help="override the depths of each")
    parser.add_argument("--whole", type=int, default=0,
                        help="also compile as one function up to this depth")
    parser.add_argument("--timeout", type=int, default=600)
    add_json_option(parser, "compile")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    parser.add_argument("--batch-child", action="store_true", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.child:
        name, depth, split = opts.child
        return _child(name, int(depth), split)
    if opts.batch_child:
        return _batch_child()
    rows = []
    for name in opts.only:
        for depth in opts.depths or DEPTHS[name]:
            for split in ("auto", "whole") if depth <= opts.whole else ("auto",):
                row = {"program": name, "depth": depth, "shape": split,
                       **measure(name, depth, split, opts.timeout)}
                rows.append(row)
                print(f"measured {name} L={depth} {split}", file=sys.stderr)
    print(f"{'program':<9}{'L':>5}{'shape':>7}{'cold first':>12}{'warm first':>12}"
          f"{'steady':>10}{'kernels':>9}{'warm hits/misses':>18}")
    for row in rows:
        cold, warm = row["cold"], row.get("warm", {})
        cells = [fmt(cold.get("first_s")) if "first_s" in cold else f"> {cold['timeout_s']} s",
                 fmt(warm.get("first_s")), fmt(warm.get("steady_s")),
                 str(warm.get("kernels", cold.get("kernels"))),
                 f"{warm.get('hits')}/{warm.get('misses')}" if warm else "-"]
        print(f"{row['program']:<9}{row['depth']:>5}{row['shape']:>7}{cells[0]:>12}"
              f"{cells[1]:>12}{cells[2]:>10}{cells[3]:>9}{cells[4]:>18}")
    with tempfile.TemporaryDirectory() as cache_dir:
        out = subprocess.run([sys.executable, __file__, "--batch-child"], capture_output=True,
                             text=True, timeout=opts.timeout, check=True,
                             env=child_env(ADC_CACHE_DIR=cache_dir))
    batches = json.loads(out.stdout.strip().splitlines()[-1])
    print("first call at a new batch size (empty cache; batch 64, then 48):")
    for mode in ("tensor_step", "adc_grad"):
        print(f"  {mode:<12} b64 {fmt(batches[f'{mode}_b64_first_s']):>9}   "
              f"b48 {fmt(batches[f'{mode}_b48_first_s']):>9}")
    write_json(opts.json, {"machine": machine(), "rows": rows, "new_batch_size": batches})


if __name__ == "__main__":
    main()
