"""Vectorizable exp, log, sin and cos for the CPU loops adc generates (stage: kernels, the
numba.njit runtime layer, like kernels/cpu/scalar.py).

Invariants: each function is straight-line float64/int64 arithmetic whose only branches are
`a if c else b` selects, with no libm call (sin/cos add four loads from a 4 KB constant table,
which vectorize as gathers), so a `range`/`prange` loop calling it vectorizes; every result is
within 1 ulp of the exact value; special values (inf, nan, signed zero, overflow, gradual
underflow, log of 0/negatives) are those of numpy. float32 arguments are computed in float64
and rounded once to float32. The error-free transformations below need IEEE semantics, so the
functions are compiled on their own (fastmath=False) and marked for LLVM to always inline
(forceinline, not Numba's inline="always"): a fastmath=True caller's flags do not reach them,
and each is compiled once instead of re-inlined as Numba IR into every loop.

Polynomial coefficients are Chebyshev fits made with mpmath (chebyfit, 60 digits) of the
functions named above each tuple on intervals 2^-10 wider than needed, rounded to double; each
rounded polynomial is within 2^-54.5 of its function.
"""
import math

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.core.extending import intrinsic

_vm = njit(forceinline=True, cache=True)


@intrinsic
def _bits(typingctx, x):
    """The IEEE bits of a float64 as an int64."""
    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.IntType(64))
    return types.int64(types.float64), codegen


@intrinsic
def _from_bits(typingctx, i):
    def codegen(context, builder, sig, args):
        return builder.bitcast(args[0], ir.DoubleType())
    return types.float64(types.int64), codegen


@intrinsic
def _fma(typingctx, a, b, c):
    """a * b + c with one rounding (llvm.fma; a vector FMA instruction on x86-64 with FMA)."""
    def codegen(context, builder, sig, args):
        return builder.fma(*args)
    return types.float64(types.float64, types.float64, types.float64), codegen


@intrinsic
def _div(typingctx, a, b):
    """a / b without the ZeroDivisionError check error_model='python' would add."""
    def codegen(context, builder, sig, args):
        return builder.fdiv(*args)
    return types.float64(types.float64, types.float64), codegen


@intrinsic
def _like(typingctx, x, y):
    """y (float64) rounded to float32 if x is float32 (float32 in, float32 out), else y."""
    def codegen(context, builder, sig, args):
        return context.cast(builder, args[1], types.float64, sig.return_type)
    return (types.float32 if x == types.float32 else types.float64)(x, types.float64), codegen


_MAGIC = 6755399441055744.0  # 1.5 * 2^52: v + _MAGIC - _MAGIC rounds |v| < 2^51 to an integer
_INF = math.inf

# exp: (e^r - 1 - r - r^2/2) / r^3 on |r| <= ln2/2
_E = (0.16666666666666669, 0.041666666666666664, 0.008333333333330039, 0.0013888888888886537,
      0.00019841269863168478, 2.4801587317226525e-05, 2.7557268281679976e-06,
      2.75572828422099e-07, 2.5100470238808523e-08, 2.091129714711246e-09)
# log: (2 atanh(s)/s - 2) / s^2 as a polynomial in z = s^2, |s| <= 3 - 2 sqrt(2)
_L = (0.6666666666666666, 0.40000000000000885, 0.2857142857079987, 0.2222222239256068,
      0.1818179554969504, 0.15386244619495787, 0.13268641529664726, 0.1308800183236331)
# sin: (sin(r) - r) / r^3 and cos: (cos(r) - 1 + r^2/2) / r^4, polynomials in z = r^2, |r| <= pi/4
_S = (-0.16666666666666666, 0.008333333333333331, -0.0001984126984126502, 2.7557319219302796e-06,
      -2.5052106219825576e-08, 1.6058529620307735e-10, -7.586579414439557e-13)
_C = (0.041666666666666664, -0.0013888888888888887, 2.480158730158462e-05,
      -2.75573192213826e-07, 2.0876755784062878e-09, -1.1470459776384825e-11,
      4.7458064611169654e-14)

_LN2_1, _LN2_2 = 0.6931471805599453, 2.3190468138462996e-17  # ln 2 = _LN2_1 + _LN2_2 + O(2^-110)
_LN2_HI, _LN2_LO = 0.6931471805598903, 5.497923018708371e-14  # _LN2_HI has 42 bits: k*_LN2_HI exact
_PIO2_1, _PIO2_2 = 1.5707963267948966, 6.123233995736766e-17


@_vm
def _two_sum(a, b):
    s = a + b
    t = s - a
    return s, (a - (s - t)) + (b - t)


@_vm
def _exp(x):
    xc = 0.0 if x != x else (710.0 if x > 710.0 else (-746.0 if x < -746.0 else x))
    t = _fma(xc, 1.4426950408889634, _MAGIC)
    n = t - _MAGIC
    # r + r_lo = x - n ln2 to ~2^-100: the first FMA is exact (for n != 0 its result is a
    # multiple of 2^-54 below 1/2), the product n * _LN2_2 is split exactly by the second.
    a = _fma(-n, _LN2_1, xc)
    p = n * _LN2_2
    pe = _fma(n, _LN2_2, -p)
    r = a - p
    r_lo = ((a - r) - p) - pe
    q = _E[9]
    for c in _E[8::-1]:
        q = _fma(q, r, c)
    r2 = r * r
    # e^r = (1 + r) + (r^2 (1/2 + r q) + r_lo (1 + r)), 1 + r split exactly into y + y_lo
    y = 1.0 + r
    y_lo = (1.0 - y) + r
    tail = _fma(r2, _fma(r, q, 0.5), _fma(r_lo, r, r_lo))
    e = y + (y_lo + tail)
    # Scale by 2^n as 2^(n//2) * 2^(n - n//2): both factors are normal for n in [-1077, 1025],
    # the first product is exact and the second rounds once (overflow, subnormals, zero).
    ni = _bits(t) - _bits(_MAGIC)
    n1 = ni >> 1
    e = e * _from_bits((n1 + 1023) << 52) * _from_bits((ni - n1 + 1023) << 52)
    return x if x != x else e


@_vm
def _log(x):
    sub = x < 2.2250738585072014e-308
    xs = x * 18014398509481984.0 if sub else x  # subnormals times 2^54
    # x = 2^k m with m in [sqrt(1/2), sqrt(2)): k from the bits of x over those of sqrt(1/2)
    b = _bits(abs(xs))  # non-negative: the subtraction below cannot overflow
    k = (b - 0x3FE6A09E667F3BCD) >> 52
    f = _from_bits(b - (k << 52)) - 1.0
    kf = float(k) - (54.0 if sub else 0.0)
    # log(1 + f) = f - f^2/2 + s (f^2/2 + R(s^2)) with s = f / (2 + f) (an identity: the terms
    # in f^2/2 cancel to 2 atanh(s)); f^2/2 = h + h_lo exactly, so the rounding of s and of
    # 2 + f only touches the small correction.
    s = _div(f, 2.0 + f)
    z = s * s
    w = _L[7]
    for c in _L[6::-1]:
        w = _fma(w, z, c)
    hf = 0.5 * f
    h = hf * f
    h_lo = _fma(hf, f, -h)
    tail = _fma(s, _fma(z, w, h), _fma(s, h_lo, -h_lo))
    # k ln2 + f - h summed exactly (Fast2Sum twice: |a| >= |f| unless a = 0, and |a + f| > h)
    a = kf * _LN2_HI  # exact: 42 + 11 bits
    hi = a + f
    lo = (a - hi) + f
    hi2 = hi - h
    lo = lo + ((hi - hi2) - h)
    r = hi2 + (lo + _fma(kf, _LN2_LO, tail))
    r = r if x > 0.0 else (-_INF if x == 0.0 else math.nan)
    return r if x < _INF else x


# sin/cos reduce every argument by x 2/pi mod 4 (Payne-Hanek) with only the bits of 2/pi that
# matter for x's binade: four double chunks from a table row per 8 binades, gathered per lane.
# floor(2/pi 2^1280), from mpmath:
_TWO_OVER_PI = int(
    "a2f9836e4e441529fc2757d1f534ddc0db6295993c439041fe5163abdebbc561b7246e3a424dd2e0"
    "06492eea09d1921cfe1deb1cb129a73ee88235f52ebb4484e99c7026b45f7e413991d639835339f4"
    "9c845f8bbdf9283b1ff897ffde05980fef2f118b5a0a6d1f6d367ecf27cb09b74f463f669e5fea2d"
    "7527bac7ebe5f17b3d0739f78a5292ea6bfb5fb11f8d5d0856033046fc7b6babf0cfbc209af4361d", 16)


def _payne_hanek_table():
    """Row i serves |x| in [2^8i, 2^(8i+8)) (row 0 also everything smaller): x = x' 2^8i with
    x' a multiple of 2^-52 below 2^8, so x' (2^8i 2/pi mod 2^54) = x 2/pi mod 4; that factor's
    top 212 bits (down to 2^-158) are stored as four 53-bit chunks."""
    rows = []
    for i in range(128):
        w = (_TWO_OVER_PI >> (1280 - 8 * i - 158)) & ((1 << 212) - 1)
        rows += [math.ldexp((w >> (159 - 53 * j)) & ((1 << 53) - 1), 1 - 53 * j) for j in range(4)]
    return np.array(rows)


_PH = _payne_hanek_table()


@_vm
def _mod4(v):
    return _fma(-4.0, np.rint(0.25 * v), v)  # exact, |result| <= 2


@_vm
def _reduce(x):
    """(q, r, r_lo) with x = q pi/2 + r + r_lo, |r| <= pi/4 + 2^-40, q an integer-valued float
    (meaningless for inf and nan x, which the caller maps to nan)."""
    b = _bits(x)
    row = min(max(((b >> 52) & 0x7FF) - 1023, 0) >> 3, 127)
    xs = _from_bits(b - (row << 55))
    c0, c1, c2, c3 = _PH[4 * row], _PH[4 * row + 1], _PH[4 * row + 2], _PH[4 * row + 3]
    # xs (c0 + c1 + c2 + c3) = p0 + e0 + p1 + e1 + p2 + e2 + p3 with each product split exactly
    # by an FMA. p0 mod 4 + e0 mod 4 is exact (if p0 >= 2^54 it is a multiple of 4, else
    # |e0| <= 1), and all the multiples of 2^-51 sit in p0 + e0 + p1.
    p0 = xs * c0
    p1 = xs * c1
    p2 = xs * c2
    s, s_lo = _two_sum(_mod4(p0) + _mod4(_fma(xs, c0, -p0)), p1)
    q = np.rint(s)
    # The fraction needs ~2^-120 absolute accuracy (x can lie within 2^-61 of a multiple of
    # pi/2): the terms near 2^-44 are summed exactly, only terms below 2^-95 are rounded.
    v, v1 = _two_sum(_fma(xs, c1, -p1), p2)
    v, v2 = _two_sum(v, s_lo)
    f, f_lo = _two_sum(s - q, v)
    f_lo = f_lo + (v1 + v2 + _fma(xs, c2, -p2) + xs * c3)
    r = f * _PIO2_1
    return q, r, _fma(f, _PIO2_1, -r) + _fma(f, _PIO2_2, f_lo * _PIO2_1)


@_vm
def _sin_cos_poly(r, r_lo):
    """sin and cos of r + r_lo, |r| <= pi/4 (+ a little), |r_lo| <= ulp(r)."""
    z = r * r
    ps = _S[6]
    for c in _S[5::-1]:
        ps = _fma(ps, z, c)
    pc = _C[6]
    for c in _C[5::-1]:
        pc = _fma(pc, z, c)
    # sin(r + r_lo) = r + (r^3 S(r^2) + r_lo cos r), cos r ~ 1 - r^2/2 there
    s = r + _fma(r * z, ps, _fma(r_lo, -0.5 * z, r_lo))
    # cos(r + r_lo) = 1 - h + (r^4 C(r^2) - r r_lo) with h = r^2/2 = h + h_lo exactly and
    # 1 - h = w + w_lo exactly (Fast2Sum, h <= 1)
    hr = 0.5 * r
    h = hr * r
    h_lo = _fma(hr, r, -h)
    w = 1.0 - h
    w_lo = (1.0 - w) - h
    c = w + ((w_lo - h_lo) + _fma(z * z, pc, -r * r_lo))
    return s, c


@_vm
def _sin_cos(x, cos_shift):
    """sin(x) for cos_shift = 0, cos(x) for cos_shift = 1 (cos x = sin(x + pi/2))."""
    q, r, r_lo = _reduce(x)
    s, c = _sin_cos_poly(r, r_lo)
    # quadrant from the low bits of q (its float value is an integer below 2^51 in magnitude)
    quad = (_bits(q + _MAGIC) + cos_shift) & 3
    v = c if quad & 1 else s
    v = -v if quad & 2 else v
    v = v if abs(x) < _INF else x - x
    return v


@_vm
def vexp(x):
    return _like(x, _exp(np.float64(x)))


@_vm
def vlog(x):
    return _like(x, _log(np.float64(x)))


@_vm
def vsin(x):
    v = np.float64(x)
    s = _sin_cos(v, 0)
    return _like(x, v if abs(v) < 1.4901161193847656e-08 else s)  # below 2^-26 sin v rounds to v


@_vm
def vcos(x):
    return _like(x, _sin_cos(np.float64(x), 1))
