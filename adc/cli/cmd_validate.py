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
        missing = None
    except Exception as err:  # noqa: BLE001 - any failure to import torch means no torch half
        missing = str(err)
    report = None
    if missing is None:
        with progress.step(f"gradient of {fn.__name__} on backend {name} vs "
                           "torch.autograd.grad"):
            report = guarded(lambda: validate(fn, *inputs.arrays, argnums=inputs.argnums,
                                              grad_outputs=opts.grad_outputs, backend=name, rtol=opts.rtol,
                                              atol=opts.atol, rng_seed=inputs.rng_seed),
                             f"validating {label}")
    with progress.step("finite differences (float64, numpy reference)"):
        fd = guarded(lambda: fd_check(fn, inputs, name, opts), f"finite differences of {label}")

    print(f"{label} on backend {name}; grad outputs {opts.grad_outputs}")
    for n, aval, origin in describe_inputs(inputs):
        print(f"  {n}: {aval} ({origin})")
    if any(o.startswith("random") for o in inputs.origins):
        print(f"  rng seed {inputs.rng_seed} (--rng-seed {inputs.rng_seed} reproduces the data)")
    if missing is not None:
        print(f"  torch half skipped: {missing}")
    print()
    all_ok = _print_table(inputs, report, fd)
    print()
    if report is not None:
        print(f"forward max abs err vs torch {report.output_max_abs_err:.2e}")
    against = "finite differences" if report is None else \
        "torch.autograd.grad and finite differences"
    if all_ok:
        print(f"all gradients agree with {against}")
        return 0
    print("GRADIENTS DISAGREE (exit status 1)")
    return 1


def _print_table(inputs, report, fd) -> bool:
    """One row per differentiated argument (without torch's columns when `report` is None);
    True when every row agrees."""
    rows, all_ok = [], True
    torch_rows = report.rows if report is not None else [None] * len(fd)
    for i, r, (num, ana, err, fd_ok) in zip(inputs.argnums, torch_rows, fd):
        ok = fd_ok and (r is None or r.ok)
        all_ok &= ok
        dtype = str(inputs.arrays[i].dtype)
        torch_cells = [] if r is None else [f"{r.max_abs_err:.2e}", f"{r.max_rel_err:.2e}",
                                            "ok" if r.ok else "MISMATCH"]
        rows.append((inputs.names[i], str(np.shape(inputs.arrays[i])), _SHORT.get(dtype, dtype),
                     *torch_cells, f"{ana:.8g}", f"{num:.8g}", f"{err:.2e}",
                     "ok" if fd_ok else "MISMATCH", "ok" if ok else "MISMATCH"))
    torch_head = [] if report is None else ["torch abs err", "torch rel err", "torch"]
    right = (3, 4, 6, 7, 8) if report is not None else (3, 4, 5)
    print(table(["arg", "shape", "dtype", *torch_head, "adc <g,v>", "FD <g,v>", "FD rel err",
                 "FD", "result"], rows, right=right))
    return all_ok


def fd_check(fn, inputs, backend, opts, n_dirs: int = 3):
    """Per differentiated argument: (numeric, adc, relative error, ok) for the worst of
    `n_dirs` random directions; the error is relative to |adc's VJP| * |v|."""
    from ..check import finite_differences, seeded_vjp
    from ..validate import make_seeds

    rng = np.random.default_rng([inputs.rng_seed, 7])
    arrays, nums = inputs.arrays, inputs.argnums
    _, seeds, cts = seeded_vjp(fn, arrays, nums,
                               lambda avals: make_seeds(avals, opts.grad_outputs, rng), backend)
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
