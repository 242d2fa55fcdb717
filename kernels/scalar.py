"""Scalar math for fused loop bodies, written once as plain Python and compiled per target
(kernels/cpu/scalar.py with numba.njit, kernels/cuda/scalar.py with numba.cuda device
functions). Results match the numpy references bit for bit where numpy defines them (NaN
propagation of maximum/minimum, torch-style clip) and stay finite where a textbook formula
overflows (sigmoid, softplus, logaddexp). Constants take the argument's type (`type(x)(0)`):
`x * 0` would be NaN at infinities."""
import math
import types
from math import exp  # each target rebinds it (MATH below)
from math import fmod as cfmod  # C's fmod, exact; numba's CPU math has none (MATH below)


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


def silu(x):
    return x * sigmoid(x)


def logaddexp(a, b):
    if a == b:
        return a + math.log(2.0)
    m = maximum(a, b)
    return m + math.log1p(exp(-abs(a - b)))


def softplus(x):
    return logaddexp(type(x)(0), x)


def xlogy(x, y):
    if y != y:
        return y
    if x == 0:
        return type(x)(0)
    return x * log(y)


def sign(x):
    if x > 0:
        return type(x)(1)
    if x < 0:
        return type(x)(-1)
    return x  # +-0 and NaN


# Rounding, written without math.floor's int result overflowing or raising (the simulator runs
# these as Python): a float at least 2**52 in size is an integer already (and so are inf and
# NaN, returned as they are); a result takes x's sign, so -0.0 and (-1, 0) keep numpy's -0.0.
def floor(x):
    if not abs(x) < 4503599627370496.0:
        return x
    return type(x)(math.copysign(math.floor(x), x))


def ceil(x):
    return -floor(-x)


def trunc(x):
    return floor(x) if x >= 0 else ceil(x)


def rint(x):  # half to even, as np.rint
    if not abs(x) < 4503599627370496.0:
        return x
    r = math.floor(x)
    d = x - r
    if d > 0.5 or (d == 0.5 and (r & 1) == 1):
        r += 1
    return type(x)(math.copysign(r, x))


# numpy's float remainder/fmod/floor_divide (npy_divmod): NaN where fmod is undefined (a zero
# divisor, an infinite or NaN dividend) instead of math.fmod's error; integers as Python's
# operators, 0 for a zero divisor (numpy's result, without its warning).
def fmod(a, b):
    if b == 0 or a - a != 0:
        return type(a)(math.nan)
    return type(a)(cfmod(a, b))


def remainder(a, b):
    if b == 0 or a - a != 0:
        return type(a)(math.nan)
    m = cfmod(a, b)
    if m == 0:
        return type(a)(math.copysign(0.0, b))
    return type(a)(m + b if (b < 0) != (m < 0) else m)


def floor_divide(a, b):
    if a != a or b != b or (a - a != 0 and b - b != 0):
        return type(a)(math.nan)
    if b == 0:  # a / b without a division by zero
        return type(a)(math.copysign(math.inf, a) * math.copysign(1.0, b) if a != 0 else math.nan)
    if a - a != 0:
        return type(a)(math.nan)
    m = cfmod(a, b)
    q = (a - m) / b
    if m != 0 and (b < 0) != (m < 0):
        q -= 1
    if q == 0:
        return type(a)(math.copysign(0.0, a / b))
    f = floor(q)
    return type(a)(f + 1 if q - f > 0.5 else f)


def iremainder(a, b):
    return type(a)(a % b) if b != 0 else type(a)(0)


def ifmod(a, b):
    if b == 0:
        return type(a)(0)
    r = abs(a) % abs(b)
    return type(a)(r if a >= 0 else -r)


def ifloor_divide(a, b):
    return type(a)(a // b) if b != 0 else type(a)(0)


# In dependency order: each may call only those before it.
HELPERS = ("maximum", "minimum", "clip", "relu", "sigmoid", "silu", "logaddexp", "softplus",
           "xlogy", "sign",
           "floor", "ceil", "trunc", "rint", "fmod", "remainder", "floor_divide", "iremainder",
           "ifmod", "ifloor_divide")
# Called unqualified by the helpers and by generated code; each target binds them (the CPU to
# kernels/vecmath.py, whose loops vectorize, and cfmod to np.fmod; CUDA to math, i.e. libdevice).
MATH = ("exp", "log", "sin", "cos", "cfmod")


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
