"""Scalar code for fused loop bodies: each fusable equation becomes one Python/Numba
expression over scalar names, printed from the primitive's sympy form.

Stage: lower. Invariant: the printed expression computes the numpy reference of the
primitive for one element; numeric literals carry the loop's dtype (np.float32(...) in float32
code) so float32 kernels stay float32.
"""
from __future__ import annotations

import numpy as np

from ..prims.lazy import LazyModule

# code generation alone needs sympy: a process running programs from the disk cache does not
sp = LazyModule("sympy")
S = LazyModule("adc.prims.symbolic")
_printer = LazyModule("adc.lower.printer")


def elementwise_expr(prim, params, args, dtype, libm: bool = False) -> str:
    """A scalar expression for one element of `prim` applied to scalar names `args`; with
    libm, exp/log/sin/cos are called as math.*."""
    if prim.code is not None:
        return prim.code.format(*args)
    form = prim.form_for(params)
    # one Dummy per input even where two inputs are the same name: with one Symbol sympy
    # would fold `x == x` to True and `x != x` to False, which NaN contradicts
    names = {sym: sp.Dummy(a, real=True) for sym, a in zip(S.SYMBOLS, args)}
    return _printer.Printer(np.dtype(dtype), libm).doprint(form.xreplace(names))


def literal(value, dtype) -> str:
    """A scalar literal of `dtype` for a size-1 constant."""
    dtype = np.dtype(dtype)
    value = np.asarray(value).reshape(-1)[0]
    if dtype.kind == "b":
        return "True" if value else "False"
    if dtype.kind in "iu":
        return f"np.{dtype.name}({int(value)})"
    return _printer.Printer(dtype)._literal(value)
