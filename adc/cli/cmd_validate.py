"""`adc validate`: adc's gradient against torch.autograd.grad and central finite differences,
one row per differentiated argument; exit status 1 on any mismatch.

Stage: CLI. Invariant: finite differences (adc.check's checker, as check_grad uses it) run
in float64 on the numpy reference interpreter (whatever the arguments' dtype and the backend
under test), with a dot-product test along random directions: <seed, f(x + h v) - f(x - h v)>
/ 2h against <adc's VJP, v>.
"""
from __future__ import annotations

import numpy as np

from .common import describe_inputs, fn_label, guarded, resolve_backend, table
from .specs import CliError, build_inputs, load_function

_SHORT = {"float64": "f64", "float32": "f32"}
FD_RTOL = {np.dtype(np.float64): 1e-5, np.dtype(np.float32): 1e-3}


def run(opts, progress) -> int:
    name, reason = resolve_backend(opts.backend)
    if reason is not None:
        raise CliError(f"backend {name} is unavailable: {reason}")
    fn = load_function(opts.target)
    inputs = build_inputs(fn, opts.arg, opts.data, opts.rng_seed, opts.wrt)
    label = fn_label(fn)
    from ..validate import import_torch, validate

    try:
        import_torch()
    except Exception as err:
        raise CliError(str(err)) from None
    with progress.step(f"gradient of {fn.__name__} on backend {name} vs torch.autograd.grad"):
        report = guarded(lambda: validate(fn, *inputs.arrays, argnums=inputs.argnums,
                                          seed=opts.seed, backend=name, rtol=opts.rtol,
                                          atol=opts.atol, rng_seed=inputs.rng_seed),
                         f"validating {label}")
    with progress.step("finite differences (float64, numpy reference)"):
        fd = guarded(lambda: fd_check(fn, inputs, name, opts), f"finite differences of {label}")

    rows, all_ok = [], True
    for r, (num, ana, err, fd_ok) in zip(report.rows, fd):
        ok = r.ok and fd_ok
        all_ok &= ok
        rows.append((inputs.names[r.argnum], str(r.shape), _SHORT.get(r.dtype, r.dtype),
                     f"{r.max_abs_err:.2e}", f"{r.max_rel_err:.2e}",
                     "ok" if r.ok else "MISMATCH", f"{ana:.8g}", f"{num:.8g}", f"{err:.2e}",
                     "ok" if fd_ok else "MISMATCH", "ok" if ok else "MISMATCH"))
    print(f"{label} on backend {name}; seed {opts.seed}")
    for n, aval, origin in describe_inputs(inputs):
        print(f"  {n}: {aval} ({origin})")
    if any(o.startswith("random") for o in inputs.origins):
        print(f"  rng seed {inputs.rng_seed} (--rng-seed {inputs.rng_seed} reproduces the data)")
    print()
    print(table(["arg", "shape", "dtype", "torch abs err", "torch rel err", "torch",
                 "adc <g,v>", "FD <g,v>", "FD rel err", "FD", "result"], rows,
                right=(3, 4, 6, 7, 8)))
    print()
    print(f"forward max abs err vs torch {report.output_max_abs_err:.2e}")
    if all_ok:
        print("all gradients agree with torch.autograd.grad and finite differences")
        return 0
    print("GRADIENTS DISAGREE (exit status 1)")
    return 1


def fd_check(fn, inputs, backend, opts, n_dirs: int = 3):
    """Per differentiated argument: (numeric, adc, relative error, ok) for the worst of
    `n_dirs` random directions; the error is relative to |adc's VJP| * |v|."""
    from ..check import finite_differences, seeded_vjp
    from ..validate import make_seeds

    rng = np.random.default_rng([inputs.rng_seed, 7])
    arrays, nums = inputs.arrays, inputs.argnums
    _, seeds, cts = seeded_vjp(fn, arrays, nums, lambda avals: make_seeds(avals, opts.seed, rng),
                               backend)
    rows = finite_differences(fn, arrays, nums, seeds, cts, rng, eps=opts.eps, n_dirs=n_dirs,
                              relative_step=True, backend="numpy")
    results = []
    for i, per_dir in zip(nums, rows):
        dtype = arrays[i].dtype
        rtol = opts.fd_rtol if opts.fd_rtol is not None else FD_RTOL.get(dtype, 1e-3)
        worst = None
        for numeric, analytic, scale in per_dir:
            err = abs(numeric - analytic) / max(scale, abs(numeric), 1e-300)
            if worst is None or err > worst[2] or not np.isfinite(err):
                worst = (numeric, analytic, err, bool(err <= rtol))
        results.append(worst)
    return results
