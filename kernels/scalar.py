"""Scalar math for fused loop bodies, written once as plain Python and compiled per target
(kernels/cpu/scalar.py with numba.njit, kernels/cuda/scalar.py with numba.cuda device
functions). Results match the numpy references bit for bit where numpy defines them (NaN
propagation of maximum/minimum, torch-style clip) and stay finite where a textbook formula
overflows (sigmoid, softplus, logaddexp). Constants take the argument's type (`type(x)(0)`):
`x * 0` would be NaN at infinities."""
import math
import types
from math import exp  # each target rebinds it (MATH below)


def maximum(a, b):
    if a != a or b != b:
        return a + b
    return a if a >= b else b


def minimum(a, b):
    if a != a or b != b:
        return a + b
    return a if a <= b else b


def clip(x, lo, hi):
    return minimum(maximum(x, lo), hi)


def relu(x):
    return x if x > 0 or x != x else type(x)(0)  # not x * 0: NaN at -inf, -0.0 at -2


def sigmoid(x):
    e = exp(-abs(x))
    return 1 / (1 + e) if x >= 0 else e / (1 + e)


def logaddexp(a, b):
    if a == b:
        return a + math.log(2.0)
    m = maximum(a, b)
    return m + math.log1p(exp(-abs(a - b)))


def softplus(x):
    return logaddexp(type(x)(0), x)


def sign(x):
    if x > 0:
        return type(x)(1)
    if x < 0:
        return type(x)(-1)
    return x  # +-0 and NaN


# In dependency order: each may call only those before it.
HELPERS = ("maximum", "minimum", "clip", "relu", "sigmoid", "logaddexp", "softplus", "sign")
# Called unqualified by the helpers and by generated code; each target binds them (the CPU to
# kernels/vecmath.py, whose loops vectorize, CUDA to math, i.e. libdevice).
MATH = ("exp", "log", "sin", "cos")


def compile_helpers(jit, namespace: dict) -> None:
    """Compile every helper with `jit` into `namespace` (a target module's globals, which
    already binds the MATH names), rebinding each one's global names to that namespace so it
    calls the target's functions and the other compiled helpers."""
    namespace.setdefault("math", math)
    for name in HELPERS:
        f = globals()[name]
        rebound = types.FunctionType(f.__code__, namespace, name, f.__defaults__)
        rebound.__module__ = namespace["__name__"]
        rebound.__qualname__ = name
        namespace[name] = jit(rebound)
