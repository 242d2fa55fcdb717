"""The CUDA lowering of every primitive that is not fused into loop nests: data movement as
one-thread-per-element kernels (reshape stays a view), matrix products as host calls into
adc's CUDA kernels (gathers and scatters run inside loop nests: lower/nest.py).

Stage: lower. Invariant: every output is a C-contiguous device array the launcher allocated,
or a view recorded with `gen.alias`; kernels that can fail (bounds, pivots) set a flag in the
launcher's error array instead of raising on the device.
"""
from __future__ import annotations

import numpy as np

from ...errors import UnsupportedError
from ...prims import index as I
from ...prims import linalg as L
from ...prims import shape as SH
from ...prims import window as W
from ..codegen import three
from ..nest import storage
from ..registry import axis_kernel_rule, cuda_rule
from ..window import fill_text, window_call


@cuda_rule(SH.reshape_p)
def _reshape(gen, eqn):
    (x,), (out,) = eqn.ins, eqn.outs
    gen.alias(x, out)
    gen.host.line(f"{gen.arr(out)} = {gen.arr(x)}.reshape({storage(out.aval.shape)})")


@cuda_rule(SH.transpose_p)
def _transpose(gen, eqn):
    (x,), (out,) = eqn.ins, eqn.outs
    perm = eqn.params["perm"]

    def element(idx):
        src = [""] * len(perm)
        for k, p in enumerate(perm):
            src[p] = idx[k]
        return f"{gen.arr(x)}[{', '.join(src)}]"

    gen.map_kernel(out, element)


@cuda_rule(SH.slice_p)
def _slice(gen, eqn):
    (x,), (out,) = eqn.ins, eqn.outs
    p = eqn.params
    gen.map_kernel(out, lambda idx: f"{gen.arr(x)}[" + ", ".join(
        f"{a} + {s} * {i}" for a, s, i in zip(p["start"], p["step"], idx)) + "]")


@cuda_rule(SH.rev_p)
def _rev(gen, eqn):
    (x,), (out,) = eqn.ins, eqn.outs
    axes, shape = eqn.params["axes"], x.aval.shape
    gen.map_kernel(out, lambda idx: f"{gen.arr(x)}[" + ", ".join(
        f"{shape[k] - 1} - {i}" if k in axes else i for k, i in enumerate(idx)) + "]")


@cuda_rule(SH.concatenate_p)
def _concatenate(gen, eqn):
    out, axis = eqn.outs[0], eqn.params["axis"]

    def element(idx):
        parts, start = [], 0
        for v in eqn.ins:
            n = v.aval.shape[axis]
            if n:
                at = [f"{i} - {start}" if k == axis else i for k, i in enumerate(idx)]
                parts.append((start + n, f"{gen.arr(v)}[{', '.join(at)}]"))
            start += n
        expr = parts[-1][1]
        for stop, read in reversed(parts[:-1]):
            expr = f"({read} if {idx[axis]} < {stop} else {expr})"
        return expr

    gen.map_kernel(out, element)


@axis_kernel_rule("cuda")
def _axis_kernel(gen, eqn):
    (x,), (out,) = eqn.ins, eqn.outs
    axis = eqn.params["axis"]
    gen.allocate(out)
    if out.aval.size:
        gen.host.line(f"{eqn.prim.axis_kernel}({gen.arr(x)}.reshape("
                      f"{three(x.aval.shape, axis)}), {gen.arr(out)}.reshape("
                      f"{three(out.aval.shape, axis)}))")


@cuda_rule(I.check_index_p)
def _check_index(gen, eqn):
    (idx,), (out,) = eqn.ins, eqn.outs
    if idx.aval.size:
        gen.host.line(f"check_index({gen.arr(idx)}.reshape({idx.aval.size}), "
                      f"{eqn.params['size']}, {gen.error_flags()})")
    gen.host.line(f"{gen.arr(out)} = {gen.arr(idx)}")
    gen.alias(idx, out)


def _batched(gen, eqn, own: bool):
    """The operands as (batch, rows, cols) arrays over the output's batch: reshaped views
    where they already match (or have a batch of one and `own` is false), else broadcast
    copies; `own=True` always copies (the kernel overwrites them)."""
    batch = eqn.outs[0].aval.shape[:-2]
    nb = int(np.prod(batch, dtype=np.int64))
    flat = []
    for v in eqn.ins:
        core = v.aval.shape[-2:]
        vb = int(np.prod(v.aval.shape[:-2], dtype=np.int64))
        if own or (v.aval.shape[:-2] != batch and vb != 1):
            name = gen.broadcast(v, batch + core)
            flat.append(f"{name}.reshape(({nb},) + {core})")
        else:
            flat.append(f"{gen.arr(v)}.reshape(({vb},) + {core})")
    return nb, flat


def _into_new(gen, eqn, kernel: str, own: bool, checks: bool = False):
    """`kernel(operands, out[, err])` on the batched operands (see _batched) and a new output
    array viewed as (batch, rows, cols)."""
    out = eqn.outs[0]
    nb, args = _batched(gen, eqn, own)
    gen.allocate(out)
    if out.aval.size:
        args.append(f"{gen.arr(out)}.reshape(({nb},) + {out.aval.shape[-2:]})")
        if checks:
            args.append(gen.error_flags())
        gen.host.line(f"{kernel}({', '.join(args)})")


@cuda_rule(L.matmul_p)
def _matmul(gen, eqn):
    _into_new(gen, eqn, "matmul3", own=False)


@cuda_rule(L.inv_p)
def _inv(gen, eqn):
    _into_new(gen, eqn, "inv3", own=True, checks=True)


@cuda_rule(L.solve_p)
def _solve(gen, eqn):
    out = eqn.outs[0]
    nb, (work, rhs) = _batched(gen, eqn, own=True)
    if out.aval.size:
        gen.host.line(f"solve3({work}, {rhs}, {gen.error_flags()})")
    gen.host.line(f"{gen.arr(out)} = {rhs}.reshape({out.aval.shape})")


# LAPACK's decompositions: lowered on the cpu target only
CPU_ONLY = (L.det_p, L.slogdet_p, L.svd_p, L.eigh_p)


@cuda_rule(*CPU_ONLY)
def _lapack_only(gen, eqn):
    raise UnsupportedError(
        f"linalg {eqn.prim.name} (primitive {eqn.prim.name!r}) has no CUDA kernel in adc: it "
        "runs on LAPACK, on the cpu backend only; use backend='cpu'")


@cuda_rule(W.patches_p)
def _patches(gen, eqn):
    (x,), (out,) = eqn.ins, eqn.outs
    x5, w8, geometry = window_call(eqn, x.aval.shape)
    gen.allocate(out)
    gen.host.line(f"patches3({gen.arr(x)}.reshape({x5}), {gen.arr(out)}.reshape({w8}), "
                  f"{geometry}, {fill_text(eqn.params['value'], out.aval.dtype)})")


@cuda_rule(W.patches_transpose_p)
def _patches_transpose(gen, eqn):
    (g,), (out,) = eqn.ins, eqn.outs
    x5, w8, geometry = window_call(eqn, out.aval.shape)
    gen.allocate(out)
    gen.host.line(f"patches_transpose3({gen.arr(g)}.reshape({w8}), {gen.arr(out)}.reshape("
                  f"{x5}), {geometry})")
