"""The CPU lowering of every primitive that is not fused into loop nests: data movement as
numpy views and copies, matrix products and windows as calls into adc's CPU kernels (gathers
and scatters run inside loop nests: lower/nest.py).

Stage: lower. Invariant: each rule leaves its output C-contiguous (and says so in
`gen.contiguous`) unless it is a view, which it records with `gen.alias`; matrix products go
to BLAS through the kernels (Fortran-contiguous transposes are passed without a copy).
"""
from __future__ import annotations

import numpy as np

from ...errors import UnsupportedError, with_location
from ...prims import index as I
from ...prims import linalg as L
from ...prims import shape as SH
from ...prims import window as W
from ..codegen import three
from ..debug import empty
from ..nest import np_dtype
from ..registry import axis_kernel_rule, cpu_rule
from ..window import fill_text, window_call


@cpu_rule(SH.reshape_p)
def _reshape(gen, eqn):
    (x,), (out,) = eqn.ins, eqn.outs
    gen.alias(x, out)
    gen.src.line(f"{gen.arr(out)} = {gen.c(x)}.reshape({gen.shape(out.aval.shape)})")
    gen.contiguous.add(out)


@cpu_rule(SH.transpose_p)
def _transpose(gen, eqn):
    (x,), (out,) = eqn.ins, eqn.outs
    gen.alias(x, out)
    if x in gen.contiguous and x.aval.ndim == 2:
        # `.T` of a C-contiguous matrix is typed Fortran-contiguous: BLAS takes it without a copy
        gen.fortran.add(out)
        gen.src.line(f"{gen.arr(out)} = {gen.arr(x)}.T")
        return
    perm = tuple(eqn.params["perm"])
    if not perm:  # a 0-d value is its 1-element storage array
        gen.src.line(f"{gen.arr(out)} = {gen.arr(x)}")
        return
    if gen.split:  # the split driver is Python: numpy's own transpose
        gen.src.line(f"{gen.arr(out)} = np.transpose({gen.arr(x)}, {perm})")
        return
    # the same view made from the permuted shape and strides: Numba's transpose with an axes
    # tuple compiles axis checks whose message formatting costs seconds in every new process
    shape, strides = (", ".join(f"{gen.arr(x)}.{a}[{k}]" for k in perm) + ","
                      for a in ("shape", "strides"))
    gen.src.line(f"{gen.arr(out)} = np.lib.stride_tricks.as_strided("
                 f"{gen.arr(x)}, ({shape}), ({strides}))")


def _slice_text(gen, parts):
    return ", ".join(f"{gen.size(a)}:{gen.size(b)}:{gen.size(s)}" for a, b, s in parts)


@cpu_rule(SH.slice_p)
def _slice(gen, eqn):
    (x,), (out,) = eqn.ins, eqn.outs
    gen.alias(x, out)
    p = eqn.params
    gen.src.line(
        f"{gen.arr(out)} = {gen.arr(x)}[{_slice_text(gen, zip(p['start'], p['stop'], p['step']))}]"
    )


@cpu_rule(SH.rev_p)
def _rev(gen, eqn):
    (x,), (out,) = eqn.ins, eqn.outs
    gen.alias(x, out)
    parts = ", ".join("::-1" if k in eqn.params["axes"] else ":" for k in range(x.aval.ndim))
    gen.src.line(f"{gen.arr(out)} = {gen.arr(x)}[{parts}]")


@cpu_rule(SH.pad_p)
def _pad(gen, eqn):
    (x, value), (out,) = eqn.ins, eqn.outs
    p = eqn.params
    gen.src.line(
        f"{gen.arr(out)} = np.full({gen.shape(out.aval.shape)}, {gen.arr(value)}[0], "
        f"{np_dtype(out.aval.dtype)})"
    )
    if x.aval.ndim:
        parts = [
            (lo, lo + (d - 1) * (it + 1) + 1 if d else lo, it + 1)
            for d, lo, it in zip(x.aval.shape, p["lo"], p["interior"])
        ]
        if gen.split:
            gen.src.line(f"{gen.arr(out)}[{_slice_text(gen, parts)}] = {gen.arr(x)}")
        else:
            def store(js):
                at = ", ".join(f"{gen.size(lo)} + {j} * {step}"
                               for (lo, _, step), j in zip(parts, js))
                return f"{gen.arr(out)}[{at}] = {gen.arr(x)}[{', '.join(js)}]"
            gen.src.element_loops(gen.names.fresh, [gen.size(d) for d in x.aval.shape], store)
    gen.contiguous.add(out)


@cpu_rule(SH.concatenate_p)
def _concatenate(gen, eqn):
    out = eqn.outs[0]
    parts = ", ".join(gen.c(v) for v in eqn.ins)
    gen.src.line(f"{gen.arr(out)} = np.concatenate(({parts},), {eqn.params['axis']})")
    gen.contiguous.add(out)


@axis_kernel_rule("cpu")
def _axis_kernel(gen, eqn):
    (x,), (out,) = eqn.ins, eqn.outs
    axis = eqn.params["axis"]
    view = three(out.aval.shape, axis)
    tmp = gen.names.fresh("a")
    gen.src.line(f"{tmp} = {empty(gen.shape(view), out.aval.dtype)}")
    gen.src.line(f"{eqn.prim.axis_kernel}({gen.c(x)}.reshape("
                 f"{gen.shape(three(x.aval.shape, axis))}), "
                 f"{tmp})")
    gen.src.line(f"{gen.arr(out)} = {tmp}.reshape({gen.shape(out.aval.shape)})")
    gen.contiguous.add(out)


@cpu_rule(I.check_index_p)
def _check_index(gen, eqn):
    (idx,), (out,) = eqn.ins, eqn.outs
    gen.src.line(f"check_index({gen.c(idx)}.reshape({gen.size(idx.aval.size)}), "
                 f"{gen.size(eqn.params['size'])})")
    gen.src.line(f"{gen.arr(out)} = {gen.arr(idx)}")
    gen.alias(idx, out)
    if idx in gen.contiguous:
        gen.contiguous.add(out)


def _batched(gen, eqn, kernel, single_call):
    """Broadcast batch dims, flatten them, and loop a 2-D kernel; 2-D operands call directly."""
    out = eqn.outs[0]
    core_shapes = [v.aval.shape[-2:] for v in eqn.ins]
    batch = out.aval.shape[:-2]
    if not batch:
        operands = [gen.arr(v) if v in gen.fortran else gen.c(v) for v in eqn.ins]
        gen.src.line(f"{gen.arr(out)} = {single_call(*operands)}")
    else:
        nb = int(np.prod(batch, dtype=np.int64))
        flat = []
        for v, core in zip(eqn.ins, core_shapes):
            target = batch + core
            name = (gen.arr(v) if v.aval.shape == target
                    else f"np.broadcast_to({gen.arr(v)}, {gen.shape(target)})")
            flat.append(f"np.ascontiguousarray({name}).reshape({gen.shape((nb, *core))})")
        tmp = gen.names.fresh("b")
        gen.src.line(f"{tmp} = {empty(gen.shape((nb, *out.aval.shape[-2:])), out.aval.dtype)}")
        gen.src.line(f"{kernel}({', '.join(flat)}, {tmp})")
        gen.src.line(f"{gen.arr(out)} = {tmp}.reshape({gen.shape(out.aval.shape)})")
    gen.contiguous.add(out)


@cpu_rule(L.matmul_p)
def _matmul(gen, eqn):
    kind = eqn.outs[0].aval.dtype.kind
    if kind == "b":
        raise UnsupportedError(with_location(
            "matmul of boolean arrays is not supported by the cpu backend; convert them, e.g. "
            "a.astype(np.int64)"))
    suffix = "_int" if kind in "iu" else ""
    _batched(gen, eqn, f"matmul{suffix}3", lambda x, y: f"matmul{suffix}2({x}, {y})")


@cpu_rule(L.inv_p)
def _inv(gen, eqn):
    _batched(gen, eqn, "inv3", lambda x: f"inv2({x})")


@cpu_rule(L.solve_p)
def _solve(gen, eqn):
    _batched(gen, eqn, "solve3", lambda x, y: f"solve2({x}, {y})")


def _per_matrix(gen, eqn, kernel):
    """`kernel(a viewed (batch, m, n), out viewed (batch, ...))` for a one-operand primitive
    whose result keeps the operand's batch dimensions."""
    (a,), (out,) = eqn.ins, eqn.outs
    batch = a.aval.shape[:-2]
    nb = int(np.prod(batch, dtype=np.int64))
    tmp = gen.names.fresh("d")
    gen.src.line(f"{tmp} = {empty(gen.shape((nb, *out.aval.shape[len(batch):])), out.aval.dtype)}")
    gen.src.line(f"{kernel}({gen.c(a)}.reshape({gen.shape((nb, *a.aval.shape[-2:]))}), {tmp})")
    gen.src.line(f"{gen.arr(out)} = {tmp}.reshape({gen.shape(out.aval.shape)})")
    gen.contiguous.add(out)


for _prim, _kernel in ((L.det_p, "det3"), (L.slogdet_p, "slogdet3"), (L.svd_p, "svd3"),
                       (L.eigh_p, "eigh3")):
    cpu_rule(_prim)(lambda gen, eqn, kernel=_kernel: _per_matrix(gen, eqn, kernel))


@cpu_rule(W.patches_p)
def _patches(gen, eqn):
    (x,), (out,) = eqn.ins, eqn.outs
    x5, w8, geometry = window_call(eqn, x.aval.shape)
    tmp = gen.names.fresh("w")
    gen.src.line(f"{tmp} = {empty(gen.shape(w8), out.aval.dtype)}")
    gen.src.line(f"patches3({gen.c(x)}.reshape({gen.shape(x5)}), {tmp}, {geometry}, "
                 f"{fill_text(eqn.params['value'], out.aval.dtype)})")
    gen.src.line(f"{gen.arr(out)} = {tmp}.reshape({gen.shape(out.aval.shape)})")
    gen.contiguous.add(out)


@cpu_rule(W.patches_transpose_p)
def _patches_transpose(gen, eqn):
    (g,), (out,) = eqn.ins, eqn.outs
    x5, w8, geometry = window_call(eqn, out.aval.shape)
    tmp = gen.names.fresh("w")
    gen.src.line(f"{tmp} = np.zeros({gen.shape(x5)}, {np_dtype(out.aval.dtype)})")
    gen.src.line(f"patches_transpose3({gen.c(g)}.reshape({gen.shape(w8)}), {tmp}, {geometry})")
    gen.src.line(f"{gen.arr(out)} = {tmp}.reshape({gen.shape(out.aval.shape)})")
    gen.contiguous.add(out)
