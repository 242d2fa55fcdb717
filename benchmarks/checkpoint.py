"""Memory for time with adc.checkpoint: peak memory and gradient time of a deep chain, plain and
with every block checkpointed.

    python benchmarks/checkpoint.py [--n 1024] [--depth 8] [--json benchmarks/checkpoint.json]

Each block is three `tanh(x @ w) + sin(x)` layers on n × n float64 arrays; the loss is the sum
of squares after `depth` blocks; the gradient is in w, on the cpu backend. Each variant runs in
a fresh process (peak RSS is a process's high-water mark): the first call compiles, then the
peak RSS and the median of `--reps` gradient calls are read. Both variants' gradients must
agree to 1e-12 before the table is printed.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.dirname(HERE))
sys.path.insert(0, HERE)

from report import add_json_option, machine, write_json  # noqa: E402

from adc.progress import fmt_time  # noqa: E402

_CHILD = """
import json, resource, statistics, sys, time
import numpy as np
import adc, adc.numpy as anp
n, depth, reps, variant = {n}, {depth}, {reps}, {variant!r}

def block(x, w):
    for _ in range(3):
        x = anp.tanh(x @ w) + anp.sin(x)
    return x

blk = adc.checkpoint(block) if variant == "checkpoint" else block

def loss(x, w):
    for _ in range(depth):
        x = blk(x, w)
    return anp.sum(x * x)

x = np.random.default_rng(0).standard_normal((n, n)) * 0.1
w = np.eye(n) * 0.5 + 0.01
g = adc.grad(loss, argnums=1, backend="cpu")
first = g(x, w)
times = []
for _ in range(reps):
    t = time.perf_counter()
    g(x, w)
    times.append(time.perf_counter() - t)
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({{"peak_rss_bytes": peak, "grad_s": statistics.median(times),
                  "checksum": float(first.sum()), "corner": first[:4, :4].tolist()}}))
"""


def run(variant, opts) -> dict:
    code = _CHILD.format(n=opts.n, depth=opts.depth, reps=opts.reps, variant=variant)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1024)
    parser.add_argument("--depth", type=int, default=8)
    parser.add_argument("--reps", type=int, default=3)
    add_json_option(parser, "checkpoint")
    opts = parser.parse_args(argv)
    rows = {v: run(v, opts) for v in ("plain", "checkpoint")}
    a, b = rows["plain"], rows["checkpoint"]
    scale = max(abs(a["checksum"]), 1.0)
    if abs(a["checksum"] - b["checksum"]) > 1e-12 * scale or any(
            abs(p - q) > 1e-12 * scale for r, s in zip(a["corner"], b["corner"])
            for p, q in zip(r, s)):
        raise SystemExit(f"the gradients disagree: {a['checksum']} vs {b['checksum']}")
    print(f"{'variant':<12} {'peak RSS':>10} {'gradient':>10}")
    for name, r in rows.items():
        print(f"{name:<12} {r['peak_rss_bytes'] / 2**20:>8.0f} MB {fmt_time(r['grad_s']):>10}")
    write_json(opts.json, {"machine": machine(load_average=list(os.getloadavg())),
                           "n": opts.n, "depth": opts.depth, "rows": rows},
               f"checkpointing {opts.depth} blocks of n = {opts.n}: peak memory "
               f"{a['peak_rss_bytes'] / b['peak_rss_bytes']:.1f}x lower, gradient "
               f"{b['grad_s'] / a['grad_s']:.2f}x the time")


if __name__ == "__main__":
    main()
