"""Elementwise primitives, each defined by a sympy scalar form.

Stage: primitive definitions. Invariant: an elementwise primitive broadcasts its inputs with
numpy rules, requires them to share one dtype (adc.numpy promotes before binding), and has
no hand-written VJP: `Elementwise.vjp` multiplies the cotangent by `sympy.diff` of the form,
translated back to traced ops (replayed from recipes.py, so a warm cache needs no sympy);
ad.py undoes the broadcasting. A form is a function of the
input symbols (and the params) built on first use, so defining the primitives imports
neither sympy nor SciPy (`LazyModule`): only a derivative, a lowering or a numpy reference
that needs them does.
"""

from __future__ import annotations

import numpy as np

from ..ir import Aval
from . import batching as B
from . import lax, recipes
from .base import Primitive, broadcast_shapes
from .cases import case, elementwise_cases, uniform
from .lazy import LazyModule

sp = LazyModule("sympy")
special = LazyModule("scipy.special")
S = LazyModule(".symbolic", __package__)


class Elementwise(Primitive):
    elementwise = True

    def __init__(self, name, form, impl, torch_impl, domains, *, bool_out=False,
                 differentiable=True, code=None, cases=None, **traits):
        # form(*input symbols, **params) -> the sympy scalar form; built once per params
        self.form = form
        self._forms: dict = {}
        self.bool_out = bool_out
        # a format string over the scalar argument names, for a form whose sympy printing is
        # not the code to run (logical ops on bools: `a and b`, not `a > 0 and b > 0`)
        self.code = code
        super().__init__(name, shape_rule=self._shape_rule, impl=impl, torch_impl=torch_impl,
                         vjp=None, domains=domains, batch=B.broadcasting,
                         differentiable=differentiable,
                         cases=elementwise_cases(len(domains)) if cases is None else cases,
                         fusable=True, **traits)

    def form_for(self, params) -> sp.Expr:
        key = tuple(sorted(params.items()))
        form = self._forms.get(key)
        if form is None:
            form = self._forms[key] = self.form(*S.SYMBOLS[: len(self.domains)], **params)
        return form

    def _shape_rule(self, *avals, **params):
        dtypes = {a.dtype for a in avals}
        if len(dtypes) != 1:
            raise TypeError(
                f"{self.name}: mixed dtypes {sorted(map(str, dtypes))} reached a "
                "primitive (adc.numpy should have promoted them)"
            )
        dtype = np.dtype(bool) if self.bool_out else avals[0].dtype
        return Aval(broadcast_shapes(*[a.shape for a in avals]), dtype)

    def vjp(self, cts, ins, outs, needed, **params):
        g = cts[0]
        result = []
        for d, need in zip(recipes.derivatives(self, params, len(ins)), needed):
            if not need or d == recipes.ZERO:
                result.append(None)
            elif d == recipes.ONE:
                result.append(g)
            elif d == recipes.MINUS_ONE:
                result.append(lax.neg(g))
            else:
                result.append(lax.mul(g, recipes.replay(d, ins, outs[0], lax)))
        return tuple(result)


def _stable_sigmoid(x):
    e = np.exp(-np.abs(x))
    return np.where(x >= 0, 1 / (1 + e), e / (1 + e)).astype(x.dtype)


def _unary(name, form, impl, torch_name, domain="real", **kw):
    return Elementwise(name, form, impl, lambda t, a: getattr(t, torch_name)(a), (domain,), **kw)


def _binary(name, form, impl, torch_name, domains=("real", "real"), **kw):
    return Elementwise(
        name, form, impl, lambda t, a, b: getattr(t, torch_name)(a, b), domains, **kw
    )


_smooth = dict(second_order=True)
_exact = dict(exact=True)
neg_p = _unary("neg", lambda x: -x, np.negative, "neg", involution=True, **_exact, **_smooth)
exp_p = _unary("exp", lambda x: sp.exp(x), np.exp, "exp", **_smooth)
log_p = _unary("log", lambda x: sp.log(x), np.log, "log", "positive", **_smooth)
log1p_p = _unary("log1p", lambda x: S.log1p(x), np.log1p, "log1p", "positive", **_smooth)
expm1_p = _unary("expm1", lambda x: S.expm1(x), np.expm1, "expm1", **_smooth)
sqrt_p = _unary("sqrt", lambda x: sp.sqrt(x), np.sqrt, "sqrt", "positive", **_smooth)
sin_p = _unary("sin", lambda x: sp.sin(x), np.sin, "sin", **_smooth)
cos_p = _unary("cos", lambda x: sp.cos(x), np.cos, "cos", **_smooth)
tan_p = _unary("tan", lambda x: sp.tan(x), np.tan, "tan", "unit", **_smooth)
tanh_p = _unary("tanh", lambda x: sp.tanh(x), np.tanh, "tanh", **_smooth)
arctan_p = _unary("arctan", lambda x: sp.atan(x), np.arctan, "atan", **_smooth)
sinh_p = _unary("sinh", lambda x: sp.sinh(x), np.sinh, "sinh", **_smooth)
cosh_p = _unary("cosh", lambda x: sp.cosh(x), np.cosh, "cosh", **_smooth)
erf_p = _unary("erf", lambda x: sp.erf(x), lambda x: special.erf(x), "erf", **_smooth)
abs_p = _unary("abs", lambda x: sp.Abs(x), np.abs, "abs", "nonzero", **_exact)
sign_p = _unary("sign", lambda x: sp.sign(x), np.sign, "sign", "nonzero", **_exact)
sigmoid_p = _unary("sigmoid", lambda x: S.Sigmoid(x), _stable_sigmoid, "sigmoid", **_smooth)
relu_p = _unary("relu", lambda x: S.Relu(x), lambda x: np.maximum(x, np.zeros((), x.dtype)),
                "relu", "nonzero", **_exact)
softplus_p = Elementwise(
    "softplus",
    lambda x: S.Softplus(x),
    lambda x: np.logaddexp(np.zeros((), x.dtype), x),
    lambda t, a: t.nn.functional.softplus(a),
    ("real",),
    **_smooth,
)
pow_scalar_p = Elementwise(
    "pow_scalar",
    lambda x, exponent: S.Power(x, sp.nsimplify(exponent)),
    lambda x, exponent: np.power(x, x.dtype.type(exponent)),
    lambda t, a, exponent: t.pow(a, exponent),
    ("positive",),
    cases=[case((s,), {"exponent": e}) for s in [(), (3,), (2, 3), (0,)] for e in (3, 2.5, -1.5)],
    **_exact, **_smooth,
)

add_p = _binary("add", lambda x, y: x + y, np.add, "add",
                identities=((0, 1, -0.0), (1, 0, -0.0)), **_exact, **_smooth)
sub_p = _binary("sub", lambda x, y: x - y, np.subtract, "sub", identities=((0, 1, 0.0),),
                **_exact, **_smooth)
mul_p = _binary("mul", lambda x, y: x * y, np.multiply, "mul",
                identities=((0, 1, 1.0), (1, 0, 1.0)), **_exact, **_smooth)
div_p = _binary("div", lambda x, y: S.Divide(x, y), np.divide, "div", ("real", "nonzero"),
                identities=((0, 1, 1.0),), **_smooth)
pow_p = _binary("pow", lambda x, y: S.Power(x, y), np.power, "pow", ("positive", "real"),
                **_smooth)
maximum_p = _binary("maximum", lambda x, y: S.Maximum(x, y), np.maximum, "maximum", **_exact)
minimum_p = _binary("minimum", lambda x, y: S.Minimum(x, y), np.minimum, "minimum", **_exact)
logaddexp_p = _binary("logaddexp", lambda x, y: S.LogAddExp(x, y), np.logaddexp, "logaddexp",
                      **_smooth)
clip_p = Elementwise(
    "clip",
    lambda x, lo, hi: S.Clip(x, lo, hi),
    lambda x, lo, hi: np.minimum(np.maximum(x, lo), hi),
    lambda t, x, lo, hi: t.clamp(x, lo, hi),
    ("real", "real", "real"),
    cases=[case(((3,), (), ()), values={1: uniform(-1.5, -0.5, ()), 2: uniform(0.5, 1.5, ())}),
           case(((2, 3), (3,), (2, 1)),
                values={1: uniform(-1.5, -0.5, (3,)), 2: uniform(0.5, 1.5, (2, 1))})],
    **_exact,
)

_cmp = dict(bool_out=True, differentiable=False)
less_p = _binary("less", lambda x, y: x < y, np.less, "lt", **_cmp)
less_equal_p = _binary("less_equal", lambda x, y: x <= y, np.less_equal, "le", **_cmp)
greater_p = _binary("greater", lambda x, y: x > y, np.greater, "gt", **_cmp)
greater_equal_p = _binary("greater_equal", lambda x, y: x >= y, np.greater_equal, "ge", **_cmp)
equal_p = _binary("equal", lambda x, y: sp.Eq(x, y), np.equal, "eq", **_cmp)
not_equal_p = _binary("not_equal", lambda x, y: sp.Ne(x, y), np.not_equal, "ne", **_cmp)
logical_and_p = _binary("logical_and", lambda x, y: sp.And(x > 0, y > 0), np.logical_and,
                        "logical_and", ("bool", "bool"), code="({0} and {1})", **_cmp)
logical_or_p = _binary("logical_or", lambda x, y: sp.Or(x > 0, y > 0), np.logical_or,
                       "logical_or", ("bool", "bool"), code="({0} or {1})", **_cmp)
logical_not_p = _unary("logical_not", lambda x: sp.Not(x > 0), np.logical_not, "logical_not",
                       "bool", code="(not {0})", **_cmp)

# numpy's remaining elementwise functions (issue #16). Each is checked over a short table: a
# 0-d, a broadcast and an empty case per arity (the default tables cover the shared machinery).
_few1 = [case((s,)) for s in [(), (2, 3), (0,)]]
_few2 = [case(s) for s in [((), ()), ((2, 3), (3,)), ((2, 1), (1, 3))]]
erfc_p = _unary("erfc", lambda x: sp.erfc(x), lambda x: special.erfc(x), "erfc", cases=_few1,
                **_smooth)
arcsinh_p = _unary("arcsinh", lambda x: sp.asinh(x), np.arcsinh, "asinh", cases=_few1, **_smooth)
arccosh_p = _unary("arccosh", lambda x: S.Acosh(x), np.arccosh, "acosh", "positive",
                   cases=[case((s,), values={0: uniform(1.1, 3.0, s)}) for s in [(), (2, 3)]],
                   **_smooth)
arctanh_p = _unary("arctanh", lambda x: sp.atanh(x), np.arctanh, "atanh", "unit", cases=_few1,
                   **_smooth)
# Rounding and remainders: piecewise constant / linear, with torch's gradients (the forms'
# fdiff in symbolic.py); floats only for the rounding ops (adc.numpy returns integers as they are)
floor_p = _unary("floor", lambda x: S.Floor(x), np.floor, "floor", cases=_few1)
ceil_p = _unary("ceil", lambda x: S.Ceil(x), np.ceil, "ceil", cases=_few1)
trunc_p = _unary("trunc", lambda x: S.Trunc(x), np.trunc, "trunc", cases=_few1)
rint_p = _unary("rint", lambda x: S.Rint(x), np.rint, "round", cases=_few1)
remainder_p = _binary("remainder", lambda x, y: S.Remainder(x, y), np.remainder, "remainder",
                      ("real", "nonzero"), cases=_few2, **_exact)
fmod_p = _binary("fmod", lambda x, y: S.Fmod(x, y), np.fmod, "fmod", ("real", "nonzero"),
                 cases=_few2, **_exact)
floor_divide_p = Elementwise(
    "floor_divide", lambda x, y: S.FloorDivide(x, y), np.floor_divide,
    lambda t, a, b: t.div(a, b, rounding_mode="floor"), ("real", "nonzero"), cases=_few2, **_exact)
# atan2 as one primitive: libm's quadrants, signed zeros and infinities, and torch's gradient
arctan2_p = _binary("arctan2", lambda y, x: S.Atan2(y, x), np.arctan2, "atan2", cases=_few2,
                    **_smooth)
# torch's silu and xlogy as primitives: their torch gradients are not a composition's
silu_p = Elementwise("silu", lambda x: S.Silu(x), lambda x: x * _stable_sigmoid(x),
                     lambda t, a: t.nn.functional.silu(a), ("real",), cases=_few1, **_smooth)
xlogy_p = _binary("xlogy", lambda x, y: S.Xlogy(x, y), lambda x, y: special.xlogy(x, y),
                  "xlogy", ("real", "positive"), cases=_few2, **_smooth)
hypot_p = _binary("hypot", lambda x, y: S.Hypot(x, y), np.hypot, "hypot", cases=_few2, **_smooth)
