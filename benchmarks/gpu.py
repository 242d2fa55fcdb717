"""GPU benchmark: float32 gradients with adc's CUDA backend vs torch CUDA eager and
torch.compile, with achieved bandwidth against a measured device-to-device copy.

    python benchmarks/gpu.py [--only NAME ...] [--json benchmarks/gpu.json] [--no-compile]
    python benchmarks/gpu.py --smoke    # tiny sizes on numba's CUDA simulator: correctness only

Workloads: (a) the transcendental elementwise loss over 10^8 elements, (b) the pairwise energy
over 16k points, (c) the 2-layer MLP at batch 16384. Inputs live on the device (torch CUDA
tensors, passed to adc through __cuda_array_interface__), so no host transfer is timed. The
bandwidth column counts the bytes a gradient must move at least (inputs read once, gradients
written once). Without a GPU the script says so and exits with status 0.
"""
from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import time

import numpy as np

if "--smoke" in sys.argv:  # before anything imports numba
    os.environ["NUMBA_ENABLE_CUDASIM"] = "1"
HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from report import add_json_option, machine, write_json  # noqa: E402

from workloads import WORKLOADS  # noqa: E402

from adc.progress import fmt_time as fmt  # noqa: E402

NAMES = ("transcendental", "pairwise", "mlp")


def make_inputs(name, rng, smoke):
    """(float32 arrays, argnums differentiated) at the issue's sizes, or tiny ones."""
    f32 = np.float32
    if name == "transcendental":
        return [rng.uniform(-3, 3, 300 if smoke else 10 ** 8).astype(f32)], (0,)
    if name == "pairwise":
        return [(rng.standard_normal((16 if smoke else 16384, 3)) * 3).astype(f32)], (0,)
    b, w, o = (16, 8, 3) if smoke else (16384, 512, 10)
    return [(rng.standard_normal((w, w)) / math.sqrt(w)).astype(f32), np.zeros(w, f32),
            (rng.standard_normal((w, o)) / math.sqrt(w)).astype(f32), np.zeros(o, f32),
            rng.standard_normal((b, w)).astype(f32), rng.standard_normal((b, o)).astype(f32)], \
        (0, 1, 2, 3)


def timeit(fn, sync, min_time=0.5, max_reps=100):
    fn()
    sync()
    times = []
    start = time.perf_counter()
    while len(times) < 5 or (time.perf_counter() - start < min_time and len(times) < max_reps):
        t = time.perf_counter()
        fn()
        sync()
        times.append(time.perf_counter() - t)
    return statistics.median(times)


def copy_bandwidth(torch, nbytes):
    """Bytes per second of a device-to-device copy of `nbytes` (read + write counted)."""
    src = torch.empty(nbytes // 4, device="cuda", dtype=torch.float32)
    dst = torch.empty_like(src)
    return 2 * nbytes / timeit(lambda: dst.copy_(src), torch.cuda.synchronize)


def run(name, args, nums, torch, device, compiled, timed):
    import adc

    f, f_torch = WORKLOADS[name][0], WORKLOADS[name][1]
    targs = [torch.from_numpy(a).to(device) for a in args]
    g = adc.grad(f, argnums=nums, backend="cuda")
    ours = [np.asarray(r.copy_to_host()) for r in g(*targs)] if device == "cuda" else \
        list(g(*args))

    def torch_grad(fn):
        inputs = [t.clone().requires_grad_(i in nums) for i, t in enumerate(targs)]
        wrt = [inputs[i] for i in nums]
        return lambda: torch.autograd.grad(fn(*inputs), wrt)

    theirs = [t.detach().cpu().numpy() for t in torch_grad(f_torch)()]
    for a, t in zip(ours, theirs):
        scale = float(np.abs(t).max()) or 1.0
        if not np.allclose(a, t, rtol=1e-3, atol=1e-3 * scale):
            raise AssertionError(f"{name}: adc and torch gradients disagree "
                                 f"(max abs diff {np.abs(a - t).max():.3e})")
    row = {"workload": name, "elements": int(sum(a.size for a in args))}
    if not timed:
        return row
    sync = torch.cuda.synchronize
    row["adc_s"] = timeit(lambda: g(*targs), sync)
    row["torch_s"] = timeit(torch_grad(f_torch), sync)
    row["torch_compile_s"] = timeit(torch_grad(torch.compile(f_torch)), sync) if compiled \
        else None
    moved = sum(a.nbytes for a in args) + sum(args[i].nbytes for i in nums)
    row["min_bytes"] = moved
    row["adc_bandwidth_GBs"] = moved / row["adc_s"] / 1e9
    return row


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", default=list(NAMES), choices=NAMES)
    add_json_option(parser, "gpu")
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    parser.add_argument("--smoke", action="store_true",
                        help="tiny sizes on the CUDA simulator; checks results, times nothing")
    opts = parser.parse_args()
    import torch
    from numba import config, cuda

    real = not config.ENABLE_CUDASIM and cuda.is_available() and torch.cuda.is_available()
    if not opts.smoke and not real:
        print("no CUDA GPU available (numba.cuda and torch.cuda must both see one; "
              "NUMBA_ENABLE_CUDASIM must be unset or 0): nothing to benchmark. "
              "`--smoke` checks the workloads on the simulator.")
        return 0
    device = "cuda" if real else "cpu"
    rows = []
    for name in opts.only:
        args, nums = make_inputs(name, np.random.default_rng(0), opts.smoke)
        rows.append(run(name, args, nums, torch, device, not opts.no_compile, real))
        print(f"checked{' and measured' if real else ''} {name}", file=sys.stderr)
    if not real:
        print("smoke run on the CUDA simulator: adc's gradients agree with torch for "
              + ", ".join(r["workload"] for r in rows))
        return 0
    copy_bw = copy_bandwidth(torch, 4 * 10 ** 8)
    print(f"device: {torch.cuda.get_device_name()}; device-to-device copy "
          f"{copy_bw / 1e9:.0f} GB/s")
    print(f"{'workload':<16}{'adc':>11}{'torch':>11}{'t.compile':>11}{'adc GB/s':>10}"
          f"{'% of copy':>11}{'vs compile':>12}")
    for row in rows:
        tc = row["torch_compile_s"]
        row["copy_fraction"] = row["adc_bandwidth_GBs"] * 1e9 / copy_bw
        speed = f"{tc / row['adc_s']:.2f}x" if tc else "-"
        print(f"{row['workload']:<16}{fmt(row['adc_s']):>11}{fmt(row['torch_s']):>11}"
              f"{fmt(tc) if tc else '-':>11}{row['adc_bandwidth_GBs']:>10.0f}"
              f"{100 * row['copy_fraction']:>10.0f}%{speed:>12}")
    write_json(opts.json, {"machine": machine(device=torch.cuda.get_device_name(),
                                              copy_bandwidth_GBs=copy_bw / 1e9), "rows": rows},
               "'vs compile' > 1 means adc is faster than torch.compile")
    return 0


if __name__ == "__main__":
    sys.exit(main())
