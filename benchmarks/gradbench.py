"""GradBench's objectives (issue #20): adc vs torch eager, torch.compile, jax.jit (when
installed) and a hand-written Numba gradient where practical, side by side in one run, float64.

    python benchmarks/gradbench.py [--only NAME ...] [--sizes small medium] [--no-compile]
                                   [--json benchmarks/gradbench.json]

The objectives and inputs are in benchmarks/gradbench_objectives.py: lse, llsq, ode (RK4, the
Python loop unrolled), kmeans (its "dir": the gradient over the Hessian's diagonal, forward over
reverse), gmm (the Gaussian mixture with a Wishart prior; gradient over alpha, mu, q, l),
ba (ADBench's bundle adjustment: the gradient of half its residuals' squared sum), ba_jac
(ADBench's derivative of ba: the residuals' sparse Jacobian, rows per observation, from the
JVP over 15 compressed seeds: adc.vmap inside adc.jit, torch.func.vmap eager, and 15 JVPs
inside jax.jit, faster there than jax.vmap) and lstm
(ADBench's diagonal LSTM over a character sequence, as a compiled loop: adc.scan,
jax.lax.scan; torch runs the Python loop, and torch.compile is not tried on its thousands of
steps). Every peer's derivative must agree with adc's to 1e-8 (relative to its largest
element) before it is timed. Prints a table (and, with --json PATH, writes JSON): adc's first
call (trace + compile, empty cache), steady-state medians of adc's derivative and primal, their
ratio, each peer's steady-state derivative, and the fastest peer's time over adc's.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from report import add_json_option, machine, write_json  # noqa: E402

import gradbench_objectives as G  # noqa: E402

SIZES = {
    "lse": {"small": {"n": 2500}, "medium": {"n": 160000}},
    "llsq": {"small": {"n": 256, "m": 128}, "medium": {"n": 4096, "m": 128}},
    "ode": {"small": {"n": 1000, "s": 10}, "medium": {"n": 10000, "s": 100}},
    "kmeans": {"small": {"k": 10, "n": 1000, "d": 8}, "medium": {"k": 100, "n": 10000, "d": 16}},
    "gmm": {"small": {"d": 2, "k": 5, "n": 1000}, "medium": {"d": 20, "k": 25, "n": 1000}},
    "ba": {"small": {"n": 49, "m": 7776, "p": 31843},  # ADBench's ba1 and ba5 sizes
           "medium": {"n": 257, "m": 65132, "p": 225911}},
    "ba_jac": {"small": {"n": 49, "m": 7776, "p": 31843},
               "medium": {"n": 257, "m": 65132, "p": 225911}},
    "lstm": {"small": {"l": 2, "c": 1024, "b": 14}, "medium": {"l": 4, "c": 4096, "b": 14}},
}
PEERS = ("torch", "torch.compile", "jax", "numba")


def _derivative(name, f, n_wrt, grad, jvp, divide, push=None, xp=None):
    """The derivative GradBench asks for, built from a library's grad and jvp: kmeans's
    direction J / diag(H) (H·1 is H's diagonal, the Hessian being diagonal in C), ba_jac's
    sparse Jacobian from `push(f, primals, tangents)` -> J·tangents for tangents stacked along
    a leading axis (the library's vmap of its JVP), otherwise the gradient
    over every differentiated argument."""
    if name == "ba_jac":
        seeds = {}  # argument shapes -> the numpy seeds, made once

        def jacobian(*a):
            shapes = tuple(tuple(x.shape) for x in a)
            if shapes not in seeds:
                seeds[shapes] = G.ba_seeds(*[np.zeros(s) for s in shapes])
            return G.ba_sparse_jacobian(push, f, a, seeds[shapes], xp)

        return jacobian
    if name == "kmeans":
        g = grad(f, 1)

        def direction(C):
            return divide(*jvp(g, C))

        return direction
    return grad(f, n_wrt)


def adc_impl(name, f, n_wrt):
    import adc
    import adc.numpy as anp

    def fn(*a):
        return f(*a, xp=anp)

    def grad(fn_, n):
        return adc.grad(fn_, argnums=tuple(range(n)))

    def jvp(g, C):
        return adc.jvp(g, (C,), (np.ones_like(C),))

    def push(fn_, primals, tangents):
        return adc.vmap(lambda *t: adc.jvp(fn_, primals, t)[1])(*tangents)

    derivative = _derivative(name, fn, n_wrt, grad, jvp, lambda d, h: d[0] / h[0], push, anp)
    return (adc.jit(derivative) if name == "ba_jac" else derivative), adc.jit(fn)


def torch_impl(name, f, wrt, compiled):
    import torch

    T = G.torch_namespace()
    torch.set_num_threads(os.cpu_count())
    # One eager call first: the constants become tensors outside torch.func and torch.compile.
    f(*[torch.from_numpy(a) for a in wrt], xp=T)
    if name == "kmeans":
        def cost(C):
            return f(C, xp=T)

        def direction(C):
            g, h = torch.func.jvp(torch.func.grad(cost), (C,), (torch.ones_like(C),))
            return g / h

        fn = torch.compile(direction) if compiled else direction
        return lambda C: fn(torch.from_numpy(C))
    if name == "ba_jac":
        def jacobian(*arrays):
            return _derivative(name, lambda *a: f(*a, xp=T), 0, None, None, None,
                               lambda fn, p, t: torch.func.vmap(
                                   lambda *ts: torch.func.jvp(fn, tuple(p), ts)[1])(
                                   *map(torch.from_numpy, t)), T)(*arrays)

        fn = torch.compile(jacobian) if compiled else jacobian
        return lambda *arrays: fn(*[torch.from_numpy(a) for a in arrays])
    fwd = torch.compile(lambda *a: f(*a, xp=T)) if compiled else (lambda *a: f(*a, xp=T))

    def gradient(*arrays):
        targs = [torch.from_numpy(a).requires_grad_() for a in arrays]
        return torch.autograd.grad(fwd(*targs), targs)

    return gradient


def jax_impl(name, f, n_wrt):
    import jax

    from workloads import jax_namespace

    J = jax_namespace()

    def fn(*a):
        return f(*a, xp=J)

    def grad(fn_, n):
        return jax.grad(fn_, argnums=tuple(range(n)))

    def jvp(g, C):
        return jax.jvp(lambda c: g(c)[0], (C,), (jax.numpy.ones_like(C),))

    def push(fn_, primals, tangents):
        # The 15 JVPs one by one, stacked: XLA folds each one's constant seed, which makes this
        # 1.5-1.9x faster than jax.vmap of the JVP (benchmarks/RESULTS.md, ba_jac).
        columns = [jax.jvp(fn_, tuple(primals), tuple(t[i] for t in tangents))[1]
                   for i in range(len(tangents[0]))]
        return tuple(J.stack(c) for c in zip(*columns))

    d = jax.jit(_derivative(name, fn, n_wrt, grad, jvp, lambda d, h: d / h, push, J))
    return lambda *a: jax.block_until_ready(d(*a))


def _flat(result):
    """Every element of a derivative (an array, a tensor or a tuple of them) in one vector."""
    parts = result if isinstance(result, (tuple, list)) else (result,)
    return np.concatenate([np.asarray(p.detach() if hasattr(p, "detach") else p,
                                      dtype=np.float64).reshape(-1) for p in parts])


def _timed_first(fn, args):
    t = time.perf_counter()
    out = fn(*args)
    return out, time.perf_counter() - t


def measure(name, size, no_compile):
    from cpu import timeit

    f, wrt, reference = G.make(name, size)
    derivative, primal = adc_impl(name, f, len(wrt))
    expected, first = _timed_first(derivative, wrt)
    expected = _flat(expected)
    row = {"objective": name, "size": size,
           "adc": {"first_call_s": first, "grad_s": timeit(lambda: derivative(*wrt)),
                   "primal_s": timeit(lambda: primal(*wrt))}}
    # Numba first, under the same conditions as adc: once torch has run, its OpenMP threads
    # share the cores.
    makers = {"numba": (lambda: reference) if reference else None,
              "torch": lambda: torch_impl(name, f, wrt, False),
              "torch.compile": None if no_compile or name == "lstm" else (
                  lambda: torch_impl(name, f, wrt, True)),
              "jax": lambda: jax_impl(name, f, len(wrt))}
    for peer in PEERS:
        if makers[peer] is None:
            row[peer] = None
            continue
        try:
            fn = makers[peer]()
            got, first = _timed_first(fn, wrt)
        except ImportError as e:
            row[peer] = {"skipped": str(e)}
            continue
        except Exception as e:  # noqa: BLE001  (a peer that cannot run this formulation: reported)
            row[peer] = {"failed": f"{type(e).__name__}: {str(e).splitlines()[0][:200]}"}
            print(f"{name}: {peer} failed: {row[peer]['failed']}", file=sys.stderr)
            continue
        got = _flat(got)
        err = np.max(np.abs(got - expected)) / max(np.max(np.abs(expected)), 1e-300)
        if not err <= 1e-8:
            raise AssertionError(f"{name} {size}: {peer} and adc disagree (relative error "
                                 f"{err:.2e})")
        row[peer] = {"first_call_s": first, "grad_s": timeit(lambda fn=fn: fn(*wrt)),
                     "rel_err": float(err)}
    return row


def _fmt(seconds):
    from adc.progress import fmt_time

    return fmt_time(seconds)


def print_table(rows):
    header = (f"{'objective':<9}{'size':<8}{'adc grad':>10}{'primal':>10}{'ratio':>7}"
              f"{'first':>9}" + "".join(f"{p:>11}" for p in PEERS) + f"{'vs best':>9}")
    print(header)
    for row in rows:
        a = row["adc"]
        peers = {p: row[p]["grad_s"] for p in PEERS[:3] if row[p] and "grad_s" in row[p]}
        best = min(peers.values()) if peers else None
        cells = [_fmt(a["grad_s"]), _fmt(a["primal_s"]), f"{a['grad_s'] / a['primal_s']:.2f}",
                 _fmt(a["first_call_s"])]
        cells += [_fmt(row[p]["grad_s"]) if row[p] and "grad_s" in row[p] else "-"
                  for p in PEERS]
        widths = [10, 10, 7, 9] + [11] * len(PEERS)
        speed = f"{best / a['grad_s']:.2f}x" if best else "-"
        print(f"{row['objective']:<9}{row['label']:<8}"
              + "".join(f"{c:>{w}}" for c, w in zip(cells, widths)) + f"{speed:>9}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", nargs="*", default=list(SIZES), choices=list(SIZES),
                        metavar="NAME", help=f"objectives to run (of {', '.join(SIZES)})")
    parser.add_argument("--sizes", nargs="*", default=["small", "medium"],
                        choices=["small", "medium"])
    parser.add_argument("--no-compile", action="store_true", help="skip torch.compile")
    add_json_option(parser, "gradbench")
    opts = parser.parse_args(argv)
    try:
        import jax

        jax.config.update("jax_enable_x64", True)
    except ImportError:
        pass
    rows = []
    with tempfile.TemporaryDirectory() as cache:
        os.environ["ADC_CACHE_DIR"] = cache  # adc's first calls compile from an empty cache
        for name in opts.only:
            for label in opts.sizes:
                row = measure(name, SIZES[name][label], opts.no_compile)
                row["label"] = label
                rows.append(row)
                print(f"measured {name} {label}", file=sys.stderr)
    print_table(rows)
    write_json(opts.json, {"machine": machine(), "rows": rows},
               "'vs best' > 1 means adc's steady derivative is faster than the fastest of torch "
               "eager, torch.compile and jax; 'first' is adc's first call from an empty cache")


if __name__ == "__main__":
    main()
