"""`check_grad`: gradients checked against central finite differences (dot-product test with
random directions, recursively for higher orders) and, when installed, against torch; the
finite-difference checker itself (`finite_differences`, also behind `adc validate`).

Stage: validate. Invariant: finite differences always run in float64, whatever the inputs'
dtype, so the reference is accurate; a failure raises AssertionError naming each argument.
"""
from __future__ import annotations

import numpy as np

from .tracer import as_aval, tree_flatten, tree_unflatten


def _vdot(a, b) -> float:
    return float(np.sum(np.asarray(a, np.float64) * np.asarray(b, np.float64)))


def _float64(args) -> list:
    return [np.asarray(a, np.float64) if np.asarray(a).dtype.kind == "f" else np.asarray(a)
            for a in args]


def seeded_vjp(f, args, nums, make_seeds, backend=None):
    """adc's VJP of f with respect to `args[nums]` (the others fixed): (output leaves, the seeds
    `make_seeds(output avals)`, one cotangent per differentiated argument)."""
    from .api import partial_in, vjp

    out, vjp_fn = vjp(partial_in(f, args, nums), *[args[i] for i in nums], backend=backend)
    leaves, tree = tree_flatten(out)
    seeds = make_seeds([as_aval(o) for o in leaves])
    return leaves, seeds, vjp_fn(tree_unflatten(tree, seeds))


def finite_differences(f, args, nums, seeds, cts, rng, *, eps, n_dirs=1, relative_step=False,
                       backend=None):
    """The finite-difference checker: per differentiated argument `args[i]`, for `n_dirs`
    random directions v, (<seeds, f(x + h v) - f(x - h v)> / 2h, <cts, v>, |cts| |v|), with
    f run in float64 on `backend`. The step h is `eps`, times max(1, max|x|) with
    `relative_step`."""
    from .api import jit

    args64 = _float64(args)
    f64 = jit(f, backend=backend)
    results = []
    for k, i in enumerate(nums):
        h = eps * max(1.0, float(np.max(np.abs(args64[i]), initial=0.0))) if relative_step \
            else eps
        ct = np.asarray(cts[k], np.float64)
        rows = []
        for _ in range(n_dirs):
            v = rng.standard_normal(np.shape(args64[i]))

            def phi(t, i=i, v=v):
                shifted = list(args64)
                shifted[i] = args64[i] + t * v
                outs = tree_flatten(f64(*shifted))[0]
                return sum(_vdot(s, o) for s, o in zip(seeds, outs))

            numeric = (phi(h) - phi(-h)) / (2 * h)
            rows.append((numeric, _vdot(ct, v), float(np.linalg.norm(ct) * np.linalg.norm(v))))
        results.append(rows)
    return results


def _fd_errors(f, args, nums, eps, rng, backend):
    """Per argument: (i, numerical directional derivative, adc's) for random seeds/directions."""
    args64 = _float64(args)
    _, seeds, cts = seeded_vjp(f, args64, nums,
                               lambda avals: [rng.standard_normal(a.shape) for a in avals],
                               backend)
    rows = finite_differences(f, args64, nums, seeds, cts, rng, eps=eps, backend=backend)
    return [(i, numeric, analytic) for i, [(numeric, analytic, _)] in zip(nums, rows)]


def check_grad(f, *args, argnums=0, order=1, rtol=1e-5, atol=1e-6, eps=1e-6, torch=True,
               rng_seed=0, backend=None):
    """Raise AssertionError (with per-argument errors) when adc's VJP of f disagrees with
    central finite differences, or with torch.autograd.grad when torch is installed; f and
    its VJP run on `backend` (the default one when None)."""
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    nums = tuple(i % len(args) for i in nums)
    rng = np.random.default_rng(rng_seed)
    failures = []
    for i, numeric, analytic in _fd_errors(f, args, nums, eps, rng, backend):
        err = abs(numeric - analytic)
        if not err <= atol + rtol * abs(numeric):
            failures.append(f"argument {i}: finite differences {numeric:.10g} vs adc "
                            f"{analytic:.10g} (abs err {err:.3e})")
    if torch and _has_torch():
        from .validate import validate

        report = validate(f, *args, argnums=nums, backend=backend)
        for row in report.rows:
            if not row.ok:
                failures.append(f"argument {row.argnum}: torch.autograd.grad disagrees (max abs "
                                f"err {row.max_abs_err:.3e}, max rel err {row.max_rel_err:.3e})")
    if failures:
        raise AssertionError("check_grad failed:\n  " + "\n  ".join(failures))
    if order > 1:
        check_grad(_directional_vjp(f, args, nums, rng), *args, argnums=nums, order=order - 1,
                   rtol=rtol, atol=atol, eps=eps, torch=torch, rng_seed=rng_seed + 1,
                   backend=backend)


def _directional_vjp(f, args, nums, rng):
    """x ↦ (VJP of f at x with a fixed random seed) · fixed random directions: a scalar
    function whose gradient is a second-order quantity of f."""
    from . import numpy as anp
    from .api import partial_in, vjp

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
