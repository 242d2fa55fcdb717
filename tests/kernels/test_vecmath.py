"""adc.kernels.vecmath: ulp error against mpmath over sampled ranges, IEEE special values as numpy,
float32 results as float32(correctly rounded), and that a loop calling them vectorizes."""
import math
import re

import mpmath as mp
import numpy as np
import pytest
from llvmlite import binding as llvm
from numba import from_dtype, njit

from adc.kernels.vecmath import vcos, vexp, vlog, vsin

FUNCS = {"exp": (vexp, mp.exp, np.exp), "log": (vlog, mp.log, np.log),
         "sin": (vsin, mp.sin, np.sin), "cos": (vcos, mp.cos, np.cos)}


def _map_loop(fn, fastmath=False):
    @njit(error_model="numpy", fastmath=fastmath)
    def run(x):
        out = np.empty_like(x)
        for i in range(x.shape[0]):
            out[i] = fn(x[i])
        return out
    return run


LOOPS = {name: _map_loop(f[0]) for name, f in FUNCS.items()}


OVERFLOW = mp.mpf(2) ** 1024 - mp.mpf(2) ** 970  # halfway between the largest double and 2^1024


def ulp_errors(name, x):
    """|computed - exact| in units of the exact value's float64 ulp (subnormal ulp below
    2^-1022)."""
    y = LOOPS[name](np.ascontiguousarray(x, dtype=np.float64))
    errs = []
    with mp.workprec(160):
        for xi, yi in zip(x.tolist(), y.tolist()):
            exact = FUNCS[name][1](mp.mpf(xi))
            if abs(exact) >= OVERFLOW:  # rounds to inf
                errs.append(0.0 if yi == math.copysign(math.inf, exact) else math.inf)
                continue
            ulp = mp.ldexp(1, max(int(mp.floor(mp.log(abs(exact), 2))), -1022) - 52)
            errs.append(float(abs(mp.mpf(yi) - exact) / ulp))
    return np.array(errs)


RNG = np.random.default_rng(20261123)
N = 400


def _logspace(lo, hi, n=N):
    return np.exp(RNG.uniform(math.log(lo), math.log(hi), n)) * RNG.choice([-1.0, 1.0], n)


RANGES = [
    ("exp", "[-1, 1]", RNG.uniform(-1, 1, N)),
    ("exp", "[-746, 710]", np.r_[RNG.uniform(-746, 710, N), 709.79, 709.9]),
    ("exp", "subnormal results", RNG.uniform(-745.13, -708.4, N)),
    ("exp", "tiny", _logspace(1e-300, 1e-8)),
    ("log", "[0.5, 2]", RNG.uniform(0.5, 2, N)),
    ("log", "1 +- 2^-30", 1 + RNG.uniform(-2.0**-30, 2.0**-30, N)),
    ("log", "all normal binades", np.exp2(RNG.uniform(-1022, 1024, N))),
    ("log", "subnormals", np.exp2(RNG.uniform(-1074, -1022, N))),
]
for _f in ("sin", "cos"):
    for _lo, _hi in ((1e-8, 1), (1, 10), (10, 1e3), (1e3, 1e6), (1e6, 1e15), (1e15, 1e100),
                     (1e100, 1.7976931348623157e308)):
        RANGES.append((_f, f"|x| in [{_lo:g}, {_hi:g}]", _logspace(_lo, _hi, N // 2)))
    # doubles nearest to multiples of pi/2 (heavy cancellation); the first is the double
    # closest to a multiple of pi/2 of all (x mod pi/2 ~ 2^-61)
    RANGES.append((_f, "near k pi/2", np.array(
        [6381956970095103 * 2.0**797, 5 * math.pi / 2, 1.5707963267948966]
        + [float(int(k) * mp.pi / 2) for k in RNG.integers(1, 2**62, 60)]
        + [float(int(k) * mp.pi / 2) for k in RNG.integers(1, 2**20, 60)])))


@pytest.mark.parametrize("name, label, x", RANGES, ids=[f"{r[0]} {r[1]}" for r in RANGES])
def test_within_one_ulp(name, label, x):
    errs = ulp_errors(name, x)
    assert errs.max() <= 1.0, (x[errs.argmax()], errs.max())


# Results these functions must return exactly as numpy does (compared bit for bit, any nan for nan).
SPECIAL = {
    "exp": [0.0, -0.0, math.inf, -math.inf, math.nan, 710.0, 709.7827128933841, 1e308, -746.0,
            -745.1332191019412, -1e308, 5e-324, -5e-324],
    "log": [1.0, 0.0, -0.0, -1.0, -5e-324, -math.inf, math.inf, math.nan],
    "sin": [0.0, -0.0, 5e-324, -5e-324, 1e-300, -2.2250738585072014e-308, math.inf, -math.inf,
            math.nan],
    "cos": [0.0, -0.0, 5e-324, -1e-300, math.inf, -math.inf, math.nan],
}


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", SPECIAL)
def test_special_values_as_numpy(name, dtype):
    with np.errstate(all="ignore"):
        x = np.array(SPECIAL[name], dtype=dtype)
        want = FUNCS[name][2](x)
    got = LOOPS[name](x)
    assert got.dtype == want.dtype
    bits = f"i{got.itemsize}"
    same = (got.view(bits) == want.view(bits)) | (np.isnan(got) & np.isnan(want))
    assert same.all(), list(zip(x[~same], got[~same], want[~same]))


def test_exp_overflow_and_underflow_thresholds():
    x = np.array([709.782712893384, np.nextafter(709.782712893384, 800), -745.1332191019411,
                  -745.1332191019412, -708.3964185322641, 1.0, 2.0])
    got = LOOPS["exp"](x)
    assert np.isfinite(got[0]) and got[1] == math.inf
    assert got[2] == 5e-324 and got[3] == 0.0
    assert np.array_equal(got[4:], np.exp(x[4:]))


def test_log_exact_and_extreme_values():
    x = np.array([5e-324, 2.2250738585072014e-308, 1.7976931348623157e308, 2.0, 0.5, 1024.0])
    assert np.array_equal(LOOPS["log"](x), np.log(x))


@pytest.mark.parametrize("name", FUNCS)
def test_float32_results_are_rounded_float64(name):
    x = {"exp": RNG.uniform(-104, 89, 20000),
         "log": np.exp2(RNG.uniform(-149, 128, 20000)),
         "sin": _logspace(1e-9, 3e38, 20000), "cos": _logspace(1e-9, 3e38, 20000)}[name]
    x = x.astype(np.float32)
    got = LOOPS[name](x)
    assert got.dtype == np.float32
    ref = getattr(math, name)
    with np.errstate(over="ignore", invalid="ignore"):
        want = np.array([np.float32(ref(float(v))) for v in x])
        near = np.abs(got.astype(np.float64) - want) <= np.spacing(np.abs(want))
    assert np.mean(got != want) <= 1e-4
    assert np.all((got == want) | near)


@pytest.mark.skipif("+avx2" not in llvm.get_host_cpu_features().flatten(),
                    reason="checks for AVX2/AVX-512 vector instructions")
@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("name", FUNCS)
def test_loop_vectorizes_without_libm_calls(name, dtype):
    loop = LOOPS[name]
    loop(np.ones(4, dtype=dtype))
    sig = next(s for s in loop.signatures if s[0].dtype == from_dtype(np.dtype(dtype)))
    asm = loop.inspect_asm(sig)
    assert re.search(r"\tv\w+pd\t.*%[yz]mm", asm), "no packed double instructions"
    llvm_ir = loop.inspect_llvm(sig)
    assert not re.search(r"call .*@(llvm\.)?(exp|log|sin|cos)(\.f(32|64))?\(", llvm_ir)


@pytest.mark.parametrize("name", FUNCS)
def test_fastmath_caller_does_not_change_results(name):
    # the functions are compiled on their own with IEEE semantics and inlined by LLVM, so a
    # fastmath=True loop must not reassociate their error-free transformations
    x = np.r_[_logspace(1e-3, 700, 2000), _logspace(1e10, 1e300, 500)]
    x = np.abs(x) if name == "log" else x
    with np.errstate(all="ignore"):
        got = _map_loop(FUNCS[name][0], fastmath=True)(x)
    want = LOOPS[name](x)
    assert np.array_equal(got, want, equal_nan=True)
