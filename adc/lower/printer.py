"""The sympy printer of scalar code (see lower.scalar): sympy forms as Python/Numba
expressions, numeric literals in the loop's dtype.

Stage: lower (code generation only; imports sympy, so a process that loads compiled programs
from the disk cache never imports this module).
"""
from __future__ import annotations

import numpy as np
import sympy as sp
from sympy.printing.pycode import PythonCodePrinter

from ..kernels.scalar import MATH


class Printer(PythonCodePrinter):
    def __init__(self, dtype, libm: bool = False):
        super().__init__({"fully_qualified_modules": True, "standard": "python3"})
        self.dtype = dtype
        self.libm = libm

    def _literal(self, value) -> str:
        text = repr(float(value))
        if text in ("inf", "-inf", "nan"):
            text = f"math.{text.lstrip('-')}" if text != "-inf" else "-math.inf"
        return f"np.{self.dtype.name}({text})" if self.dtype.kind == "f" else text

    def _print_Integer(self, expr):
        return self._literal(expr) if self.dtype.kind == "f" else str(int(expr))

    def _print_Float(self, expr):
        return self._literal(expr)

    def _print_Rational(self, expr):
        return self._literal(expr)

    def _print_Half(self, expr):
        return self._literal(expr)

    def _print_Infinity(self, expr):
        return self._literal(np.inf)

    def _print_NegativeInfinity(self, expr):
        return self._literal(-np.inf)

    def _print_Pow(self, expr, rational=False):
        base, e = expr.args
        if e == sp.S.Half:
            return f"math.sqrt({self._print(base)})"
        if e in (2, 3):  # sympy turns x*x into x**2; keep it a product (no pow() call)
            b = self._print(base)
            return "(" + "*".join([b] * int(e)) + ")"
        if e == 0:  # numpy's x ** 0 is 1 for every x, nan and inf included
            return self._print(sp.S.One)
        if e == -1 and self.dtype.kind == "f":  # one correctly rounded division, as pow's
            return f"({self._print(sp.S.One)} / {self._print(base)})"
        return f"({self._print(base)} ** {self._print(e)})"

    def _print_Power(self, expr):
        return self._print_Pow(sp.Pow(*expr.args, evaluate=False))

    def _print_Dummy(self, expr):
        return expr.name

    def _print_Abs(self, expr):
        return f"abs({self._print(expr.args[0])})"

    def _print_sign(self, expr):
        return f"sign({self._print(expr.args[0])})"

    def _print_And(self, expr):
        return "(" + " and ".join(self._print(a) for a in expr.args) + ")"

    def _print_Or(self, expr):
        return "(" + " or ".join(self._print(a) for a in expr.args) + ")"

    def _print_Not(self, expr):
        return f"(not {self._print(expr.args[0])})"

    def _print_Function(self, expr):
        args = ", ".join(self._print(a) for a in expr.args)
        name = {"exp": "exp", "log": "log", "sin": "sin", "cos": "cos",
                "log1p": "math.log1p", "expm1": "math.expm1", "Sigmoid": "sigmoid",
                "Softplus": "softplus", "LogAddExp": "logaddexp", "Relu": "relu", "Silu": "silu",
                "Xlogy": "xlogy",
                "Maximum": "maximum", "Minimum": "minimum", "Clip": "clip", "Floor": "floor",
                "Ceil": "ceil", "Trunc": "trunc", "Rint": "rint", "Remainder": "remainder",
                "Fmod": "fmod", "FloorDivide": "floor_divide"}.get(type(expr).__name__)
        if name is None:
            return super()._print_Function(expr)
        if self.dtype.kind in "iu" and name in ("remainder", "fmod", "floor_divide"):
            name = f"i{name}"  # the integer versions (kernels/scalar.py)
        if self.libm and name in MATH:
            name = f"math.{name}"
        return f"{name}({args})"

    # exp/log/sin/cos print unqualified (each target module binds them, kernels.scalar.MATH)
    # unless libm is set (see nest.Assign)
    _print_exp = _print_log = _print_sin = _print_cos = _print_Function
    _print_log1p = _print_expm1 = _print_Function
