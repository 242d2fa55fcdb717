"""Scalar functions for fused loop bodies, matching the numpy references bit for bit where
numpy defines the result (NaN propagation of maximum/minimum, torch-style clip), and stable
where a textbook formula overflows (sigmoid, softplus, logaddexp)."""
import math

from numba import njit


@njit(inline="always", cache=True)
def maximum(a, b):
    if a != a or b != b:
        return a + b
    return a if a >= b else b


@njit(inline="always", cache=True)
def minimum(a, b):
    if a != a or b != b:
        return a + b
    return a if a <= b else b


@njit(inline="always", cache=True)
def clip(x, lo, hi):
    return minimum(maximum(x, lo), hi)


@njit(inline="always", cache=True)
def relu(x):
    return x if x > 0 else x * 0


@njit(inline="always", cache=True)
def sigmoid(x):
    e = math.exp(-abs(x))
    return 1 / (1 + e) if x >= 0 else e / (1 + e)


@njit(inline="always", cache=True)
def logaddexp(a, b):
    if a == b:
        return a + math.log(2.0)
    m = maximum(a, b)
    return m + math.log1p(math.exp(-abs(a - b)))


@njit(inline="always", cache=True)
def softplus(x):
    return logaddexp(x * 0, x)


@njit(inline="always", cache=True)
def sign(x):
    if x > 0:
        return x * 0 + 1
    if x < 0:
        return x * 0 - 1
    return x * 0 if x == x else x
