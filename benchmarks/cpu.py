"""CPU benchmark: adc (Numba CPU backend) vs torch eager, torch.compile, jax.jit (when
installed) and a hand-written Numba gradient, side by side in one run.

    python benchmarks/cpu.py [--only NAME ...] [--json benchmarks/cpu.json] [--no-compile]

Prints a table (and, with --json PATH, writes JSON). Times: first call (trace + compile,
fresh process, empty adc cache), warm first call (fresh process, filled cache), steady-state
median of the gradient and of the primal, gradient/primal ratio, and each peer's steady-state
gradient.
"""
from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from report import add_json_option, child_env, machine, write_json  # noqa: E402

from workloads import WORKLOADS, make_inputs  # noqa: E402

from adc.progress import fmt_time as fmt  # noqa: E402


def timeit(fn, min_time=0.5, max_reps=200):
    fn()
    times = []
    start = time.perf_counter()
    while len(times) < 5 or (time.perf_counter() - start < min_time and len(times) < max_reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def first_call(name, cache_dir):
    """Seconds for the first gradient call in a fresh process using `cache_dir`."""
    env = child_env(ADC_CACHE_DIR=cache_dir)
    out = subprocess.run([sys.executable, __file__, "--first-call", name], env=env,
                         capture_output=True, text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


def _first_call_child(name):
    import adc

    args, nums = make_inputs(name, np.random.default_rng(0))
    g = adc.grad(WORKLOADS[name][0], argnums=nums)
    t = time.perf_counter()
    g(*args)
    print(time.perf_counter() - t)


def measure_adc(name, args, nums):
    import adc

    f = WORKLOADS[name][0]
    g = adc.grad(f, argnums=nums)
    primal = adc.jit(f)
    with tempfile.TemporaryDirectory() as cache:
        cold = first_call(name, cache)
        warm = first_call(name, cache)
    return {"first_call_s": cold, "warm_first_call_s": warm,
            "grad_s": timeit(lambda: g(*args)), "primal_s": timeit(lambda: primal(*args))}


def _torch_args(args, nums):
    import torch

    return [torch.from_numpy(a).requires_grad_(i in nums) if a.dtype.kind == "f"
            else torch.from_numpy(a) for i, a in enumerate(args)]


def measure_torch(name, args, nums, compiled):
    import torch

    torch.set_num_threads(os.cpu_count())
    f = WORKLOADS[name][1]
    fn = torch.compile(f) if compiled else f
    targs = _torch_args(args, nums)
    wrt = [targs[i] for i in nums]

    def grad():
        return torch.autograd.grad(fn(*targs), wrt)

    t = time.perf_counter()
    grad()
    first = time.perf_counter() - t
    return {"first_call_s": first, "grad_s": timeit(grad)}


def measure_jax(name, args, nums):
    try:
        import jax
    except ImportError:
        return None
    from workloads import jax_namespace

    jax.config.update("jax_enable_x64", True)
    xp = jax_namespace()
    g = jax.jit(jax.grad(lambda *a: WORKLOADS[name][0](*a, xp=xp), argnums=nums))
    t = time.perf_counter()
    jax.block_until_ready(g(*args))
    first = time.perf_counter() - t
    return {"first_call_s": first, "grad_s": timeit(lambda: jax.block_until_ready(g(*args)))}


def measure_numba(name, args):
    import adc

    ref = WORKLOADS[name][2]
    if ref is None:
        return None
    t = time.perf_counter()
    expected = ref(args[0])
    first = time.perf_counter() - t
    got = adc.grad(WORKLOADS[name][0])(*args)
    if not np.allclose(got, expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max()):
        raise AssertionError(f"{name}: adc and the hand-written Numba gradient disagree")
    return {"first_call_s": first, "grad_s": timeit(lambda: ref(args[0]))}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", default=list(WORKLOADS), choices=list(WORKLOADS),
                        metavar="NAME", help=f"workloads to run (of {', '.join(WORKLOADS)})")
    add_json_option(parser, "cpu")
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    parser.add_argument("--first-call", help=argparse.SUPPRESS)
    opts = parser.parse_args()
    if opts.first_call:
        return _first_call_child(opts.first_call)
    rows = []
    for name in opts.only:
        args, nums = make_inputs(name, np.random.default_rng(0))
        # adc and the hand-written Numba kernel first, under the same conditions: once torch
        # has run, its OpenMP threads share the cores (and may share Numba's libgomp)
        row = {"workload": name, "adc": measure_adc(name, args, nums),
               "numba": measure_numba(name, args)}
        row.update({"torch": measure_torch(name, args, nums, False),
                    "torch.compile": None if opts.no_compile else
                    measure_torch(name, args, nums, True),
                    "jax": measure_jax(name, args, nums)})
        rows.append(row)
        print(f"measured {name}", file=sys.stderr)
    header = (f"{'workload':<15}{'adc grad':>11}{'adc primal':>12}{'ratio':>7}{'first':>9}"
              f"{'warm':>9}{'torch':>11}{'t.compile':>11}{'jax':>11}{'numba':>11}"
              f"{'vs best peer':>14}")
    print(header)
    for row in rows:
        a = row["adc"]
        peers = {k: row[k]["grad_s"] for k in ("torch", "torch.compile", "jax")
                 if row[k] and "grad_s" in row[k]}
        best = min(peers.values()) if peers else None
        cells = [fmt(a["grad_s"]), fmt(a["primal_s"]), f"{a['grad_s'] / a['primal_s']:.2f}",
                 fmt(a["first_call_s"]), fmt(a["warm_first_call_s"])]
        cells += [fmt(row[k]["grad_s"]) if row[k] and "grad_s" in row[k] else "-"
                  for k in ("torch", "torch.compile", "jax", "numba")]
        speed = f"{best / a['grad_s']:.2f}x" if best else "-"
        print(f"{row['workload']:<15}" + "".join(f"{c:>11}" if i else f"{c:>11}"
                                                for i, c in enumerate(cells)) + f"{speed:>14}")
    write_json(opts.json, {"machine": machine(), "rows": rows},
               "'vs best peer' > 1 means adc is faster than the fastest of torch eager, "
               "torch.compile and jax")


if __name__ == "__main__":
    main()
