"""The sympy bridge: scalar forms of elementwise primitives, their derivatives, and the
translation of sympy expressions back into traced adc operations.

Stage: differentiate (elementwise VJPs are `sympy.diff` of the scalar form, cached per
primitive and parameters). Invariant: derivative expressions only use functions that map
to registered primitives, so every derivative is itself traceable and differentiable.
Functions whose textbook derivative is numerically unsafe (sigmoid, softplus, logaddexp,
pow) are sympy Functions with their own stable `fdiff`.
"""
from __future__ import annotations

import functools
import inspect

import numpy as np
import sympy as sp
from sympy.codegen.cfunctions import expm1, log1p

from .base import REGISTRY

SYMBOLS = sp.symbols("x0 x1 x2", real=True)
OUT = sp.Symbol("out", real=True)  # stands for the primitive's own output in a derivative


def _piece(cond, value=1):
    return sp.Piecewise((value, cond), (0, True))


class Sigmoid(sp.Function):
    def fdiff(self, argindex=1):
        return Sigmoid(self.args[0]) * (1 - Sigmoid(self.args[0]))


class Softplus(sp.Function):
    def fdiff(self, argindex=1):
        return Sigmoid(self.args[0])


class Silu(sp.Function):
    """x * sigmoid(x); torch's derivative sigmoid(x) (1 + x (1 - sigmoid(x))), finite at the
    largest floats (the product rule's x * sigmoid'(x) is inf * 0 there)."""

    def fdiff(self, argindex=1):
        x = self.args[0]
        return Sigmoid(x) * (1 + x * (1 - Sigmoid(x)))


class LogAddExp(sp.Function):
    def fdiff(self, argindex=1):
        x, y = self.args
        return Sigmoid(x - y) if argindex == 1 else Sigmoid(y - x)


# torch's conventions at the non-smooth points below: each derivative is written as "0 where
# a comparison holds, else 1", so that NaN (for which every comparison is false) passes the
# gradient on, as torch's backward formulas do.
class Relu(sp.Function):
    def fdiff(self, argindex=1):
        return sp.Piecewise((0, self.args[0] <= 0), (1, True))  # relu'(0) = 0, relu'(nan) = 1


class Maximum(sp.Function):
    def fdiff(self, argindex=1):
        x, y = self.args if argindex == 1 else self.args[::-1]
        return sp.Piecewise((0, x < y), (sp.S.Half, sp.Eq(x, y)), (1, True))  # ties split


class Minimum(sp.Function):
    def fdiff(self, argindex=1):
        x, y = self.args if argindex == 1 else self.args[::-1]
        return sp.Piecewise((0, x > y), (sp.S.Half, sp.Eq(x, y)), (1, True))


class Clip(sp.Function):
    """clip(x, lo, hi); torch's clamp passes the gradient to x at the bounds (inclusive), and
    to a bound only while lo < hi (lo > hi gives hi everywhere)."""

    def fdiff(self, argindex=1):
        x, lo, hi = self.args
        return {1: _piece(sp.And(x >= lo, x <= hi)), 2: _piece(sp.And(x < lo, lo < hi)),
                3: _piece(sp.Or(x > hi, hi < lo))}[argindex]


class Power(sp.Function):
    """x ** y with torch's masking: d/dx is 0 where y == 0, d/dy is 0 where x == 0 and y >= 0."""

    def fdiff(self, argindex=1):
        x, y = self.args
        if argindex == 1:
            if y.is_number:
                return y * Power(x, y - 1) if y != 0 else sp.S.Zero
            return sp.Piecewise((0, sp.Eq(y, 0)), (y * Power(x, y - 1), True))
        # log's argument is 1 where the result is masked, so a second derivative (0 * 1/x)
        # stays 0 there instead of 0 * inf
        masked = sp.And(sp.Eq(x, 0), y >= 0)
        return sp.Piecewise((0, masked),
                            (Power(x, y) * sp.log(sp.Piecewise((1, masked), (x, True))), True))


@functools.lru_cache(maxsize=None)
def function_prims() -> dict:
    """sympy function class -> the elementwise primitive whose form is that function of its
    inputs (sp.exp -> exp_p), so a derivative that calls a function becomes that primitive
    again. Built on first use, when every primitive is registered."""
    table = {}
    for prim in REGISTRY.values():
        nin = len(prim.domains)
        if not prim.elementwise or len(inspect.signature(prim.form).parameters) > nin:
            continue  # a form with params (pow_scalar) is not a function of its inputs alone
        form = prim.form_for({})
        if (isinstance(form, sp.Expr) and not isinstance(form, (sp.Pow, sp.Add, sp.Mul))
                and form.args == SYMBOLS[:nin]):
            table[form.func] = prim
    return table


def _sgn(x):
    """sign in a derivative (abs') is torch's sgn: 0 at NaN, where numpy's sign gives NaN."""
    return sp.Piecewise((1, x > 0), (-1, x < 0), (0, True))


@functools.lru_cache(maxsize=None)
def derivatives(form: sp.Expr, nin: int) -> tuple:
    """d form / d x_i for each input, with the form itself replaced by OUT where it appears."""
    result = []
    for sym in SYMBOLS[:nin]:
        d = sp.diff(form, sym).replace(sp.DiracDelta, lambda *a: sp.S.Zero)
        d = d.replace(sp.sign, _sgn)
        result.append(d.xreplace({form: OUT}))
    return tuple(result)


def to_ops(expr, env: dict, ops, dtype):
    """Build traced operations computing `expr`; `env` maps sympy symbols to arrays/tracers.

    `ops` is the internal op layer `adc.prims.lax` (passed in: it imports the primitives,
    which import this module); numeric constants become 0-d arrays of `dtype`.
    """
    rec = functools.partial(to_ops, env=env, ops=ops, dtype=dtype)
    if expr in env:
        return env[expr]
    if expr.is_Number or expr in (sp.pi, sp.E):
        return np.asarray(float(expr), dtype)
    if isinstance(expr, sp.Add):
        terms = list(expr.args)
        return functools.reduce(ops.add, [rec(t) for t in terms])
    if isinstance(expr, sp.Mul):
        num, den = [], []
        for f in expr.args:
            base, e = f.as_base_exp()
            if e.is_Number and e < 0:
                den.append(base if e == -1 else sp.Pow(base, -e, evaluate=False))
            else:
                num.append(f)
        if num and num[0] == -1:
            out = ops.neg(_product(ops, [rec(f) for f in num[1:]])) if num[1:] else \
                rec(sp.S.NegativeOne)
        else:
            out = _product(ops, [rec(f) for f in num]) if num else rec(sp.S.One)
        return ops.div(out, _product(ops, [rec(f) for f in den])) if den else out
    if isinstance(expr, (sp.Pow, Power)):
        base, e = expr.args
        return _power(rec(base), e, rec, ops, dtype)
    if isinstance(expr, sp.Piecewise):
        (value, cond), rest = expr.args[0], expr.args[1:]
        if cond == sp.true:
            return rec(value)
        other = rec(sp.Piecewise(*rest)) if rest else rec(sp.S.Zero)
        return ops.where(rec(cond), rec(value), other)
    if isinstance(expr, sp.Eq):
        return ops.equal(rec(expr.args[0]), rec(expr.args[1]))
    if isinstance(expr, sp.core.relational.Relational):
        return _RELATIONS[type(expr)](ops)(rec(expr.lhs), rec(expr.rhs))
    if isinstance(expr, sp.And):
        return functools.reduce(ops.logical_and, [rec(a) for a in expr.args])
    if isinstance(expr, sp.Or):
        return functools.reduce(ops.logical_or, [rec(a) for a in expr.args])
    if isinstance(expr, sp.Not):
        return ops.logical_not(rec(expr.args[0]))
    prim = function_prims().get(expr.func)
    if prim is None:
        raise NotImplementedError(f"no adc primitive for sympy function {expr.func}")
    return ops.elementwise(prim, *[rec(a) for a in expr.args])


def _product(ops, factors):
    return functools.reduce(ops.mul, factors)


def _power(base, e, rec, ops, dtype):
    if not e.is_Number:
        return ops.power(base, rec(e))
    e = sp.nsimplify(e)
    if e == 1:
        return base
    if e == 2:
        return ops.mul(base, base)
    if e == sp.S.Half:
        return ops.sqrt(base)
    if e == -1:
        return ops.div(np.asarray(1.0, dtype), base)
    return ops.pow_scalar(base, float(e))


_RELATIONS = {
    sp.StrictGreaterThan: lambda ops: ops.greater,
    sp.GreaterThan: lambda ops: ops.greater_equal,
    sp.StrictLessThan: lambda ops: ops.less,
    sp.LessThan: lambda ops: ops.less_equal,
    sp.Ne: lambda ops: ops.not_equal,
}


class _Step(sp.Function):
    """A piecewise-constant function (floor, ceil, trunc, rint, floor division): derivative 0,
    torch's gradient of the rounding ops."""

    def fdiff(self, argindex=1):
        return sp.S.Zero


class Floor(_Step):
    pass


class Ceil(_Step):
    pass


class Trunc(_Step):
    pass


class Rint(_Step):
    """Rounding half to even (np.rint, torch.round)."""


class FloorDivide(_Step):
    pass


class Remainder(sp.Function):
    """x - y * floor(x / y) (the sign of y); torch's gradient: 1 and -floor_divide(x, y), whose
    NaN for an infinite x and -1 for -5 // inf (floor(x / y) gives inf and -0) torch's has."""

    def fdiff(self, argindex=1):
        x, y = self.args
        return sp.S.One if argindex == 1 else -FloorDivide(x, y)


class Fmod(sp.Function):
    """x - y * trunc(x / y) (the sign of x); torch's gradient: 1 and -trunc(x / y)."""

    def fdiff(self, argindex=1):
        x, y = self.args
        return sp.S.One if argindex == 1 else -Trunc(x / y)


class Acosh(sp.acosh):
    """acosh with torch's derivative 1 / sqrt(x**2 - 1) (the same on [1, inf); a number also
    below -1, and 0 at -inf, where sympy's 1 / (sqrt(x - 1) sqrt(x + 1)) is NaN)."""

    def fdiff(self, argindex=1):
        x = self.args[0]
        return 1 / sp.sqrt(x * x - 1)

    def _pythoncode(self, printer):
        return f"math.acosh({printer._print(self.args[0])})"


class Atan2(sp.Function):
    """atan2(y, x); torch's gradient (x, -y) * r with r = 1 / (x**2 + y**2), and r = 0 where
    that sum is 0 (so (0, 0) and arguments whose squares underflow get 0, not 0 * inf)."""

    def fdiff(self, argindex=1):
        y, x = self.args
        s = x * x + y * y
        r = sp.Piecewise((0, sp.Eq(s, 0)), (1 / s, True))
        return x * r if argindex == 1 else -y * r

    def _pythoncode(self, printer):
        return f"math.atan2({printer._print(self.args[0])}, {printer._print(self.args[1])})"


class Hypot(sp.Function):
    """sqrt(x**2 + y**2) without overflow (libm's hypot); torch's gradient x / hypot, y / hypot
    (0 at (0, max), where a scaled composition's would be 0 / 0)."""

    def fdiff(self, argindex=1):
        return self.args[argindex - 1] / Hypot(*self.args)

    def _pythoncode(self, printer):
        return f"math.hypot({printer._print(self.args[0])}, {printer._print(self.args[1])})"


class Xlogy(sp.Function):
    """x * log(y), 0 where x is 0 unless y is NaN (torch's and scipy's xlogy); torch's
    gradient: log(y) to x (0 where also y <= 0, torch's masked xlogy(grad, y)), x / y to y."""

    def fdiff(self, argindex=1):
        x, y = self.args
        if argindex == 2:
            return Divide(x, y)
        return sp.Piecewise((0, sp.And(sp.Eq(x, 0), y <= 0)), (sp.log(y), True))


class Divide(sp.Function):
    """x / y; the derivative in y is torch's -(x / y) / y (the output over y: no y**2 to
    overflow or underflow)."""

    def fdiff(self, argindex=1):
        x, y = self.args
        return 1 / y if argindex == 1 else -Divide(x, y) / y

    def _pythoncode(self, printer):
        return f"({printer._print(self.args[0])} / {printer._print(self.args[1])})"
