"""`check_grad`: gradients checked against central finite differences (dot-product test with
random directions, recursively for higher orders) and, when installed, against torch.

Stage: validate. Invariant: finite differences always run in float64, whatever the inputs'
dtype, so the reference is accurate; a failure raises AssertionError naming each argument.
"""
from __future__ import annotations

import numpy as np

from .trace import as_aval, tree_flatten


def _vdot(a, b) -> float:
    return float(np.sum(np.asarray(a, np.float64) * np.asarray(b, np.float64)))


def _fd_errors(f, args, nums, eps, rng):
    """Per argument: (numerical directional derivative, adc's) for random seeds/directions."""
    from .api import jit, partial_in, vjp

    args64 = [np.asarray(a, np.float64) if np.asarray(a).dtype.kind == "f" else np.asarray(a)
              for a in args]
    out, vjp_fn = vjp(partial_in(f, args64, nums), *[args64[i] for i in nums])
    leaves, tree = tree_flatten(out)
    seeds = [rng.standard_normal(np.shape(o)) for o in leaves]
    from .trace import tree_unflatten

    cts = vjp_fn(tree_unflatten(tree, seeds))
    f_jit = jit(f)
    results = []
    for k, i in enumerate(nums):
        v = rng.standard_normal(np.shape(args64[i]))

        def phi(t, i=i, v=v):
            shifted = list(args64)
            shifted[i] = args64[i] + t * v
            outs = tree_flatten(f_jit(*shifted))[0]
            return sum(_vdot(s, o) for s, o in zip(seeds, outs))

        numeric = (phi(eps) - phi(-eps)) / (2 * eps)
        results.append((i, numeric, _vdot(cts[k], v)))
    return results


def check_grad(f, *args, argnums=0, order=1, rtol=1e-5, atol=1e-6, eps=1e-6, torch=True,
               rng_seed=0):
    """Raise AssertionError (with per-argument errors) when adc's VJP of f disagrees with
    central finite differences, or with torch.autograd.grad when torch is installed."""
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    nums = tuple(i % len(args) for i in nums)
    rng = np.random.default_rng(rng_seed)
    failures = []
    for i, numeric, analytic in _fd_errors(f, args, nums, eps, rng):
        err = abs(numeric - analytic)
        if not err <= atol + rtol * abs(numeric):
            failures.append(f"argument {i}: finite differences {numeric:.10g} vs adc "
                            f"{analytic:.10g} (abs err {err:.3e})")
    if torch and _has_torch():
        from .validate import validate

        report = validate(f, *args, argnums=nums)
        for row in report.rows:
            if not row.ok:
                failures.append(f"argument {row.argnum}: torch.autograd.grad disagrees (max abs "
                                f"err {row.max_abs_err:.3e}, max rel err {row.max_rel_err:.3e})")
    if failures:
        raise AssertionError("check_grad failed:\n  " + "\n  ".join(failures))
    if order > 1:
        check_grad(_directional_vjp(f, args, nums, rng), *args, argnums=nums, order=order - 1,
                   rtol=rtol, atol=atol, eps=eps, torch=torch, rng_seed=rng_seed + 1)


def _directional_vjp(f, args, nums, rng):
    """x ↦ (VJP of f at x with a fixed random seed) · fixed random directions: a scalar
    function whose gradient is a second-order quantity of f."""
    from . import numpy as anp
    from .api import partial_in, vjp
    from .trace import tree_unflatten

    out_leaves, tree = tree_flatten(f(*[np.asarray(a) for a in args]))
    seeds = [rng.standard_normal(np.shape(o)) for o in out_leaves]
    dirs = [rng.standard_normal(np.shape(args[i])) for i in nums]

    def g(*xs):
        _, vjp_fn = vjp(partial_in(f, xs, nums), *[xs[i] for i in nums])
        cts = vjp_fn(tree_unflatten(tree, [anp.astype(s, as_aval(o).dtype)
                                           for s, o in zip(seeds, out_leaves)]))
        return sum(anp.sum(c * d) for c, d in zip(cts, dirs))

    return g


def _has_torch() -> bool:
    try:
        import torch  # noqa: F401
    except ImportError:
        return False
    return True
