"""Validation against PyTorch: any Graph run by the graph interpreter with torch operations
(`run_torch`), and `validate`, which compares adc's VJP with `torch.autograd.grad` on the
same function.

Stage: validate. Invariant: torch is imported lazily (never by `import adc`); each primitive
runs as its native torch operation, so torch's own derivative formulas are the reference.
"""
from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .errors import UnsupportedError
from .interpret import interpret, outputs
from .tracer import as_aval, trace, tree_flatten

TOLERANCES = {np.dtype(np.float64): (1e-7, 1e-9), np.dtype(np.float32): (1e-4, 1e-5)}


def import_torch():
    try:
        import torch
    except ImportError:
        raise UnsupportedError(
            "validation against torch needs PyTorch 2.13: pip install torch==2.13.0 (the "
            "CPU-only build: add --index-url https://download.pytorch.org/whl/cpu; in a clone of "
            "adc: pip install -e '.[validate]' -c constraints.txt)") from None
    return torch


def to_torch(x):
    torch = import_torch()
    return torch.from_numpy(np.array(x, copy=True))


def run_torch(graph, *tensors):
    """Evaluate a Graph with torch tensors (differentiable by torch.autograd)."""
    torch = import_torch()

    def apply(eqn, ins):
        return outputs(eqn, eqn.prim.torch_impl(torch, *ins, **eqn.params))

    return interpret(graph, tensors, apply, const=to_torch)


def torch_vjp(f, args, seeds, argnums):
    """(outputs, gradients) of f computed by torch.autograd.grad over f's traced graph."""
    torch = import_torch()
    traced = trace(f, [as_aval(np.asarray(a)) for a in args])
    inputs = [to_torch(a).requires_grad_(i in argnums) for i, a in enumerate(args)]
    outs = run_torch(traced.graph, *inputs)
    wrt = [inputs[i] for i in argnums]
    pairs = [(o, torch.as_tensor(s, dtype=o.dtype)) for o, s in zip(outs, seeds)
             if o.requires_grad]
    if pairs:
        grads = torch.autograd.grad([o for o, _ in pairs], wrt, [s for _, s in pairs],
                                    allow_unused=True)
    else:
        grads = [None] * len(wrt)
    grads = [np.zeros(w.shape, dtype=np.asarray(args[i]).dtype) if g is None else
             g.detach().numpy() for g, w, i in zip(grads, wrt, argnums)]
    return [o.detach().numpy() for o in outs], grads


@dataclass
class ArgReport:
    argnum: int
    shape: tuple
    dtype: str
    max_abs_err: float
    max_rel_err: float
    ok: bool


@dataclass
class ValidationReport:
    rows: list = field(default_factory=list)
    output_max_abs_err: float = 0.0

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.rows)

    def __str__(self) -> str:
        lines = [f"{'arg':>4} {'shape':>14} {'dtype':>8} {'max abs err':>12} {'max rel err':>12}"
                 "  result"]
        for r in self.rows:
            lines.append(f"{r.argnum:>4} {str(r.shape):>14} {r.dtype:>8} {r.max_abs_err:>12.3e} "
                         f"{r.max_rel_err:>12.3e}  {'ok' if r.ok else 'MISMATCH'}")
        lines.append(f"forward max abs err {self.output_max_abs_err:.3e}; "
                     f"{'all gradients agree with torch' if self.ok else 'GRADIENTS DISAGREE'}")
        return "\n".join(lines)


def compare(a, b, rtol, atol):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    both_nan = np.isnan(a) & np.isnan(b)
    same_inf = np.isinf(a) & (a == b)
    diff = np.where(both_nan | same_inf, 0.0, np.abs(a - b))
    abs_err = float(np.max(diff, initial=0.0))
    rel_err = float(np.max(diff / np.maximum(np.abs(b), np.finfo(np.float64).tiny), initial=0.0))
    ok = bool(np.all((diff <= atol + rtol * np.abs(np.nan_to_num(b))) | both_nan | same_inf))
    return abs_err, rel_err, ok


def make_seeds(out_avals, seed, rng):
    if seed is None or (isinstance(seed, str) and seed == "random"):
        return [np.ones(a.shape, a.dtype) if a.shape == () else
                rng.standard_normal(a.shape).astype(a.dtype) for a in out_avals]
    if isinstance(seed, str) and seed == "ones":
        return [np.ones(a.shape, a.dtype) for a in out_avals]
    return [np.asarray(s, a.dtype) for s, a in zip(tree_flatten(seed)[0], out_avals)]


def validate(f, *args, argnums=0, grad_outputs=None, backend=None, rtol=None, atol=None,
             rng_seed=0):
    """Compare adc's gradient of f with torch.autograd.grad on the same function.

    `grad_outputs` (torch.autograd.grad's name for the output gradient seeds): None/'random'
    (ones for scalar outputs, standard normal otherwise), 'ones', or explicit arrays shaped like
    the outputs; `rng_seed` seeds the random ones. Returns a ValidationReport (`.ok`, `str()`).
    """
    from .api import partial_in
    from .check import seeded_vjp

    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    args = [np.asarray(a) for a in args]
    nums = tuple(i % len(args) for i in nums)
    rng = np.random.default_rng(rng_seed)
    leaves, seeds, adc_grads = seeded_vjp(f, args, nums,
                                          lambda avals: make_seeds(avals, grad_outputs, rng),
                                          backend)
    t_outs, t_grads = torch_vjp(partial_in(f, args, nums), [args[i] for i in nums], seeds,
                                tuple(range(len(nums))))
    report = ValidationReport()
    report.output_max_abs_err = max((compare(a, b, 0, 0)[0] for a, b in zip(leaves, t_outs)),
                                    default=0.0)
    for i, a, t in zip(nums, adc_grads, t_grads):
        dt = np.asarray(args[i]).dtype
        r0, a0 = TOLERANCES.get(dt, (1e-4, 1e-5))
        abs_err, rel_err, ok = compare(a, t, rtol if rtol is not None else r0,
                                       atol if atol is not None else a0)
        report.rows.append(ArgReport(i, tuple(np.shape(args[i])), dt.name, abs_err, rel_err, ok))
    return report
