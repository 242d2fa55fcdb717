"""Jacobian and Hessian benchmark: adc's reverse mode (`adc.jacobian`, `adc.jacrev(adc.grad(f))`)
and forward mode (`adc.jacfwd`, `adc.hessian` = `adc.jacfwd(adc.grad(f))`), each one compiled
program (a vmap over identity seeds), against torch.autograd.functional (vectorize=True),
torch.func, jax (jacrev, jacfwd and jacfwd(grad) under jit, when installed) and a hand-written
Numba reference, side by side in one run, at n = 3, 30, 300 (float64).

    python benchmarks/jacobians.py [--sizes 3 30 300] [--json PATH]

Objectives (A a fixed n x n matrix): the Jacobian of g(x) = tanh(A x), and the Hessian of
f(x) = sum(tanh(A x)), whose analytic forms the Numba reference computes
(diag(1 - t^2) A and A^T diag(-2 t (1 - t^2)) A with t = tanh(A x)). Every result is checked
against the reference before timing. Prints a table of steady-state medians and first calls.
"""
from __future__ import annotations

import argparse
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.dirname(HERE))

from cpu import timeit  # noqa: E402
from report import add_json_option, machine, write_json  # noqa: E402

from adc.progress import fmt_time as fmt  # noqa: E402


def reference(A):
    import numba

    @numba.njit(cache=False)
    def jac(x):
        t = np.tanh(A @ x)
        return (1 - t * t).reshape(-1, 1) * A

    @numba.njit(cache=False)
    def hess(x):
        t = np.tanh(A @ x)
        return A.T @ ((-2 * t * (1 - t * t)).reshape(-1, 1) * A)

    return jac, hess


def adc_impls(A):
    import adc
    import adc.numpy as anp

    g = lambda x: anp.tanh(A @ x)  # noqa: E731
    f = lambda x: anp.sum(anp.tanh(A @ x))  # noqa: E731
    return {"adc jacrev": ("jac", adc.jacrev(g)),
            "adc jacfwd": ("jac", adc.jacfwd(g)),
            "adc hessian (fwd over rev)": ("hess", adc.hessian(f)),
            "adc jacrev(grad) (rev/rev)": ("hess", adc.jacrev(adc.grad(f)))}


def torch_impls(A):
    try:
        import torch
    except ImportError:
        return {}
    At = torch.tensor(A)
    g = lambda x: torch.tanh(At @ x)  # noqa: E731
    f = lambda x: torch.tanh(At @ x).sum()  # noqa: E731
    F = torch.autograd.functional
    wrap = lambda fn: lambda x: fn(torch.from_numpy(x)).numpy()  # noqa: E731
    return {"torch jacobian (vectorize)": ("jac", wrap(lambda x: F.jacobian(g, x,
                                                                         vectorize=True))),
            "torch.func.jacfwd": ("jac", wrap(torch.func.jacfwd(g))),
            "torch hessian (vectorize)": ("hess", wrap(lambda x: F.hessian(f, x,
                                                                         vectorize=True))),
            "torch.func.hessian": ("hess", wrap(torch.func.hessian(f)))}


def jax_impls(A):
    try:
        import jax
    except ImportError:
        return {}
    jax.config.update("jax_enable_x64", True)
    import jax.numpy as jnp
    Aj = jnp.asarray(A)
    g = lambda x: jnp.tanh(Aj @ x)  # noqa: E731
    f = lambda x: jnp.sum(jnp.tanh(Aj @ x))  # noqa: E731
    wrap = lambda fn: lambda x: np.asarray(fn(x).block_until_ready())  # noqa: E731
    return {"jax jit(jacrev)": ("jac", wrap(jax.jit(jax.jacrev(g)))),
            "jax jit(jacfwd)": ("jac", wrap(jax.jit(jax.jacfwd(g)))),
            "jax jit(jacfwd(grad))": ("hess", wrap(jax.jit(jax.jacfwd(jax.grad(f)))))}


def run(n):
    rng = np.random.default_rng(n)
    A = rng.standard_normal((n, n)) / np.sqrt(n)
    x = rng.standard_normal(n)
    jac, hess = reference(A)
    expected = {"jac": jac(x), "hess": hess(x)}
    rows = [{"impl": "numba reference (jac)", "kind": "jac", "first": None,
             "steady": timeit(lambda: jac(x))},
            {"impl": "numba reference (hess)", "kind": "hess", "first": None,
             "steady": timeit(lambda: hess(x))}]
    for impls in (adc_impls(A), torch_impls(A), jax_impls(A)):
        for name, (kind, fn) in impls.items():
            t = time.perf_counter()
            got = fn(x)
            first = time.perf_counter() - t
            np.testing.assert_allclose(got, expected[kind], rtol=1e-8, atol=1e-10,
                                       err_msg=name)
            rows.append({"impl": name, "kind": kind, "first": first,
                         "steady": timeit(lambda: fn(x))})
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[3, 30, 300])
    add_json_option(parser, "jacobians")
    opts = parser.parse_args(argv)
    table = {n: run(n) for n in opts.sizes}
    print(f"{'impl':<28}" + "".join(f"{'n=' + str(n):>22}" for n in opts.sizes))
    print(f"{'':<28}" + "".join(f"{'steady (first)':>22}" for _ in opts.sizes))
    for i, row in enumerate(table[opts.sizes[0]]):
        cells = []
        for n in opts.sizes:
            r = table[n][i]
            first = f" ({fmt(r['first'])})" if r["first"] is not None else ""
            cells.append(f"{fmt(r['steady']) + first:>22}")
        print(f"{row['impl']:<28}" + "".join(cells))
    write_json(opts.json, {"machine": machine(), "sizes": {str(n): table[n] for n in opts.sizes}},
               "steady: median seconds per call; first: the first call (trace + compile)")


if __name__ == "__main__":
    main()
