"""`adc bench`: time the forward pass and the gradient on each adc backend and on each peer
framework, which runs the same optimized forward IR through its own interpreter (so the
function is written once); a table with median and spread, gradient/forward ratio and the
speed-up of adc over each peer, optionally JSON.

Stage: CLI. Invariant: a backend or peer that cannot run is a row with its reason
("unavailable", "skipped", "failed"), never an error and never replaced by another.
"""
from __future__ import annotations

import json
import os
import platform
import sys
import time

import numpy as np

import adc

from .common import (
    KNOWN_BACKENDS,
    arg_line,
    fn_label,
    guarded,
    parse_list,
    resolve_backend,
    stats,
    table,
)
from ..progress import fmt_time
from .specs import CliError, UserCodeError, build_inputs, load_function

PEERS = ("torch", "torch.compile", "jax")
SCHEMA = "adc-bench/1"


def _row(name, kind, status="ok", reason=None, **extra):
    row = {"name": name, "kind": kind, "status": status, "reason": reason,
           "first_call_s": None, "forward_first_call_s": None, "forward": None,
           "gradient": None, "grad_over_forward": None, "speedup": {}}
    row.update(extra)
    return row


def _measure(row, progress, label, fwd, grad, repeat, warmup):
    if row["first_call_s"] is None:
        with progress.step(f"{label} first calls"):
            t = time.perf_counter()
            grad()
            row["first_call_s"] = time.perf_counter() - t
            t = time.perf_counter()
            fwd()
            row["forward_first_call_s"] = time.perf_counter() - t
    for _ in range(warmup):
        fwd()
        grad()
    row["forward"] = stats(progress.repeat(f"{label} forward", fwd, repeat))
    row["gradient"] = stats(progress.repeat(f"{label} gradient", grad, repeat))
    row["grad_over_forward"] = row["gradient"]["median_s"] / row["forward"]["median_s"]


def run(opts, progress) -> int:
    names = parse_list(opts.backend, KNOWN_BACKENDS, "backend") if opts.backend else [None]
    peers = parse_list(opts.vs, PEERS, "peer") if opts.vs else []
    if opts.repeat < 1:
        raise CliError("--repeat must be at least 1")
    fn = load_function(opts.target)
    inputs = build_inputs(fn, opts.arg, opts.data, opts.rng_seed, opts.wrt)
    label = fn_label(fn)
    if opts.threads is not None:
        _set_threads(opts.threads, peers)
    rows = []
    for requested in names:
        name, reason = resolve_backend(requested)
        row = _row(f"adc[{name}]", "adc", backend=name)
        rows.append(row)
        if reason is not None:
            row.update(status="unavailable", reason=reason)
            progress.note(f"adc[{name}] unavailable: {reason}")
            continue
        fwd_fn = adc.jit(fn, backend=name)
        vg = adc.value_and_grad(fn, argnums=inputs.argnums, backend=name)

        def fwd(fwd_fn=fwd_fn):
            return fwd_fn(*inputs.arrays)

        def grad(vg=vg):
            return vg(*inputs.arrays)

        what = f"tracing and compiling {label} for backend {name}"
        try:
            with progress.step(f"compile adc[{name}] (first calls)"):
                t = time.perf_counter()
                guarded(grad, what)
                row["first_call_s"] = time.perf_counter() - t
                t = time.perf_counter()
                guarded(fwd, what)
                row["forward_first_call_s"] = time.perf_counter() - t
        except NotImplementedError as err:
            row.update(status="failed", reason=str(err))
            continue
        _measure(row, progress, row["name"], fwd, grad, opts.repeat, opts.warmup)
    if not any(r["status"] == "ok" for r in rows):
        _print(opts, label, inputs, rows)
        raise CliError("no adc backend could run (see the table)")
    if peers:
        with progress.step(f"trace and optimize {fn.__name__} for the peers"):
            graph = guarded(lambda: adc.make_ir(fn)(*inputs.arrays), f"tracing {label}")
    for peer in peers:
        row = _row(peer, "peer")
        rows.append(row)
        try:
            fwd, grad = _peer(peer, graph, inputs)
        except _Skip as why:
            row.update(status="skipped", reason=str(why))
            progress.note(f"{peer} skipped: {why}")
            continue
        try:
            _measure(row, progress, peer, fwd, grad, opts.repeat, opts.warmup)
        except (UserCodeError, KeyboardInterrupt):
            raise
        except Exception as err:  # a peer's failure is a row, not the end of the benchmark
            row.update(status="failed", reason=f"{type(err).__name__}: {err}".splitlines()[0],
                       forward=None, gradient=None, grad_over_forward=None)
    for r in rows:
        if r["kind"] != "adc" or r["status"] != "ok":
            continue
        for p in rows:
            if p["kind"] == "peer" and p["status"] == "ok":
                r["speedup"][p["name"]] = {
                    "forward": p["forward"]["median_s"] / r["forward"]["median_s"],
                    "gradient": p["gradient"]["median_s"] / r["gradient"]["median_s"]}
    _print(opts, label, inputs, rows)
    if opts.json:
        _write_json(opts, fn, label, inputs, rows)
    return 0


def _set_threads(n, peers):
    """The same thread count for every framework (numba's pool, torch's intra-op pool)."""
    if n < 1:
        raise CliError("--threads must be at least 1")
    import numba

    if n > numba.config.NUMBA_NUM_THREADS:
        raise CliError(f"--threads {n}: numba was started with at most "
                       f"{numba.config.NUMBA_NUM_THREADS} threads")
    numba.set_num_threads(n)
    if any(p.startswith("torch") for p in peers):
        try:
            import torch
        except ImportError:
            return
        torch.set_num_threads(n)


class _Skip(Exception):
    pass


def _peer(peer, graph, inputs):
    """(forward, gradient) thunks running the optimized forward IR under a peer framework."""
    if peer == "jax":
        try:
            import jax  # noqa: F401
        except ImportError:
            raise _Skip("jax is not installed") from None
        raise _Skip("adc has no jax interpreter of its IR yet (primitives map to numpy and "
                    "torch only)")
    try:
        import torch
    except ImportError:
        raise _Skip("torch is not installed") from None
    from ..validate import run_torch

    def run(*ts):
        return run_torch(graph, *ts)

    if peer == "torch.compile":
        run = torch.compile(run)
    base = [torch.from_numpy(np.array(a, copy=True)) for a in inputs.arrays]
    leaves = [t.detach().clone().requires_grad_(i in inputs.argnums)
              for i, t in enumerate(base)]
    wrt = [leaves[i] for i in inputs.argnums]

    def fwd():
        with torch.no_grad():
            return run(*base)

    def grad():
        return torch.autograd.grad(run(*leaves)[0], wrt)

    return fwd, grad


def _print(opts, label, inputs, rows):
    print(f"{label}: {arg_line(inputs)}; gradient w.r.t. {', '.join(inputs.wrt)}")
    random = any(o.startswith("random") for o in inputs.origins)
    threads = f"{opts.threads} thread(s)" if opts.threads else "default threads"
    print(f"{opts.repeat} runs each after {opts.warmup} warm-up, {threads}; median ± half the "
          "interquartile range" + (f"; --rng-seed {inputs.rng_seed}" if random else ""))
    print()
    cells = []
    for r in rows:
        if r["status"] != "ok":
            cells.append((r["name"], r["status"] + ": " + (r["reason"] or "")))
            continue
        f, g = r["forward"], r["gradient"]
        cells.append((r["name"], r["status"], fmt_time(r["first_call_s"]),
                      fmt_time(f["median_s"]), _spread(f), fmt_time(g["median_s"]), _spread(g),
                      f"{r['grad_over_forward']:.2f}"))
    print(table(["impl", "status", "first call", "forward", "±", "gradient", "±", "grad/fwd"],
                cells, right=(2, 3, 4, 5, 6, 7)))
    ok_peers = [p["name"] for p in rows if p["kind"] == "peer" and p["status"] == "ok"]
    ok_adc = [r for r in rows if r["kind"] == "adc" and r["status"] == "ok"]
    if ok_peers and ok_adc:
        print()
        print("speed-up of adc (peer median / adc median; > 1 means adc is faster), "
              "gradient (forward)")
        cells = [[r["name"]] + [f"{r['speedup'][p]['gradient']:.2f}x "
                                f"({r['speedup'][p]['forward']:.2f}x)" for p in ok_peers]
                 for r in ok_adc]
        print(table(["impl"] + [f"vs {p}" for p in ok_peers], cells,
                    right=tuple(range(1, len(ok_peers) + 1))))
    sys.stdout.flush()


def _spread(s) -> str:
    return fmt_time(s["iqr_s"] / 2)


def _write_json(opts, fn, label, inputs, rows):
    def version(mod):
        try:
            return __import__(mod).__version__
        except Exception:
            return None

    doc = {
        "schema": SCHEMA,
        "adc_version": adc.__version__,
        "function": {"target": opts.target, "name": fn.__name__, "label": label},
        "arguments": [{"name": n, "dtype": a.dtype.name, "shape": list(a.shape), "source": o}
                      for n, a, o in zip(inputs.names, inputs.arrays, inputs.origins)],
        "wrt": inputs.wrt,
        "rng_seed": inputs.rng_seed,
        "repeat": opts.repeat,
        "warmup": opts.warmup,
        "threads": opts.threads,
        "machine": {"platform": platform.platform(), "processor": platform.processor(),
                    "cpu_count": os.cpu_count(), "python": platform.python_version(),
                    "numpy": np.__version__, "numba": version("numba"),
                    "torch": version("torch")},
        "results": rows,
    }
    directory = os.path.dirname(os.path.abspath(opts.json))
    os.makedirs(directory, exist_ok=True)
    with open(opts.json, "w") as f:
        json.dump(doc, f, indent=2)
        f.write("\n")
    print(f"\nwrote {opts.json}")
