"""Every tensor op family at special inputs, side by side with torch 2.13 (issue #13: no silent
difference): NaN, ±inf, ±0, ties, huge and tiny magnitudes in float32 and float64, integer and
bool inputs (result dtypes), 0-d and empty tensors. For each op and input kind both libraries
run the same call; compared are whether an error is raised (and its type), the values (NaN
where torch has NaN, the sign of a zero result), the dtype, the shape and the input gradients
of a weighted sum. Backward runs on the numpy reference; a subset also on cpu.

The deliberate differences (README, tensor section) are in DELIBERATE, each checked to be the
difference it is said to be.
"""
from __future__ import annotations

import numpy as np
import pytest

import adc
import adc.numpy as anp
from adc.tensors import autograd

torch = pytest.importorskip("torch")

nan, inf = np.nan, np.inf


def specials(dtype) -> np.ndarray:
    """NaN, the infinities, signed zeros, ordinary values with ties, the largest finite value
    and a subnormal one, of `dtype`."""
    fi = np.finfo(dtype)
    return np.array([nan, inf, -inf, 0.0, -0.0, 1.0, -1.0, 0.5, -2.5, 3.0, 3.0, fi.max, -fi.max,
                     fi.smallest_subnormal, 1e4], dtype)


def _pairs(dtype):
    """Every pair of special values (as two flat arrays: a broadcast would sum the gradients)."""
    v = specials(dtype)
    return [np.repeat(v, v.size), np.tile(v, v.size)]


def _rows(dtype):
    """Rows for reductions: each with NaN, infinities, ties, zeros or huge values."""
    fi = np.finfo(dtype)
    return [np.array([[nan, 1.0, 2.0, 1.0], [inf, -inf, 0.0, 1.0], [inf, inf, 1.0, 2.0],
                      [-inf, 3.0, -inf, 3.0], [0.0, -0.0, 0.0, -0.0], [fi.max, fi.max, 1.0, -1.0],
                      [2.0, 1.0, 2.0, 1.0], [-1.0, nan, inf, nan]], dtype)]


INTS = np.array([-7, -3, -1, 0, 1, 2, 5, 8])


def _int_pair(dtype):
    return [INTS.astype(dtype)[:, None], np.array([-3, -1, 1, 2, 4]).astype(dtype)[None, :]]


def _unit(dtype):
    """Probabilities for the losses: 0, 1, inside, NaN."""
    return [np.array([0.0, 1.0, 0.25, 0.5, nan, 1e-30, 1.0 - 1e-7], dtype)]


def _f(L):
    return L.nn.functional


# name: (fn(lib, *tensors), arity); the inputs come from the kind (below)
UNARY = {
    "abs": lambda L, x: L.abs(x), "neg": lambda L, x: -x, "sign": lambda L, x: L.sign(x),
    "sgn": lambda L, x: L.sgn(x), "exp": lambda L, x: L.exp(x), "exp2": lambda L, x: L.exp2(x),
    "expm1": lambda L, x: L.expm1(x), "log": lambda L, x: L.log(x),
    "log2": lambda L, x: L.log2(x), "log10": lambda L, x: L.log10(x),
    "log1p": lambda L, x: L.log1p(x), "sqrt": lambda L, x: L.sqrt(x),
    "rsqrt": lambda L, x: L.rsqrt(x), "sin": lambda L, x: L.sin(x), "cos": lambda L, x: L.cos(x),
    "tan": lambda L, x: L.tan(x), "tanh": lambda L, x: L.tanh(x), "sinh": lambda L, x: L.sinh(x),
    "cosh": lambda L, x: L.cosh(x), "asin": lambda L, x: L.asin(x),
    "acos": lambda L, x: L.acos(x), "atan": lambda L, x: L.atan(x),
    "asinh": lambda L, x: L.asinh(x), "acosh": lambda L, x: L.acosh(x),
    "atanh": lambda L, x: L.atanh(x), "erf": lambda L, x: L.erf(x),
    "erfc": lambda L, x: L.erfc(x), "sigmoid": lambda L, x: L.sigmoid(x),
    "reciprocal": lambda L, x: L.reciprocal(x), "square": lambda L, x: L.square(x),
    "floor": lambda L, x: L.floor(x), "ceil": lambda L, x: L.ceil(x),
    "trunc": lambda L, x: L.trunc(x), "round": lambda L, x: L.round(x),
    "round_decimals": lambda L, x: L.round(x, decimals=1), "frac": lambda L, x: L.frac(x),
    "relu": lambda L, x: L.relu(x), "signbit": lambda L, x: L.signbit(x),
    "isnan": lambda L, x: L.isnan(x), "isinf": lambda L, x: L.isinf(x),
    "isfinite": lambda L, x: L.isfinite(x), "nan_to_num": lambda L, x: L.nan_to_num(x),
    "logit": lambda L, x: L.logit(x), "sinc": lambda L, x: L.sinc(x),
    "rad2deg": lambda L, x: L.rad2deg(x), "deg2rad": lambda L, x: L.deg2rad(x),
    "logical_not": lambda L, x: L.logical_not(x), "pow2": lambda L, x: x ** 2,
    "pow_half": lambda L, x: x ** 0.5, "pow_minus1": lambda L, x: x ** -1,
    "pow0": lambda L, x: x ** 0, "rpow": lambda L, x: 2 ** x, "rdiv": lambda L, x: 1 / x,
    "clamp": lambda L, x: L.clamp(x, -1, 2), "clamp_min": lambda L, x: L.clamp(x, min=0.5),
    "softplus": lambda L, x: _f(L).softplus(x),
    "softplus_beta": lambda L, x: _f(L).softplus(x, beta=2.0, threshold=5.0),
    "gelu": lambda L, x: _f(L).gelu(x), "gelu_tanh": lambda L, x: _f(L).gelu(x, approximate="tanh"),
    "silu": lambda L, x: _f(L).silu(x), "elu": lambda L, x: _f(L).elu(x),
    "leaky_relu": lambda L, x: _f(L).leaky_relu(x, 0.2), "f_tanh": lambda L, x: _f(L).tanh(x),
    "f_sigmoid": lambda L, x: _f(L).sigmoid(x), "f_relu": lambda L, x: _f(L).relu(x),
}
BINARY = {
    "add": lambda L, x, y: x + y, "sub": lambda L, x, y: x - y, "mul": lambda L, x, y: x * y,
    "div": lambda L, x, y: x / y, "div_floor": lambda L, x, y: L.div(x, y, rounding_mode="floor"),
    "div_trunc": lambda L, x, y: L.div(x, y, rounding_mode="trunc"),
    "remainder": lambda L, x, y: L.remainder(x, y), "mod": lambda L, x, y: x % y,
    "fmod": lambda L, x, y: L.fmod(x, y), "pow": lambda L, x, y: x ** y,
    "atan2": lambda L, x, y: L.atan2(x, y), "hypot": lambda L, x, y: L.hypot(x, y),
    "maximum": lambda L, x, y: L.maximum(x, y), "minimum": lambda L, x, y: L.minimum(x, y),
    "fmax": lambda L, x, y: L.fmax(x, y), "fmin": lambda L, x, y: L.fmin(x, y),
    "xlogy": lambda L, x, y: L.xlogy(x, y), "logaddexp": lambda L, x, y: L.logaddexp(x, y),
    "eq": lambda L, x, y: x == y, "ne": lambda L, x, y: x != y, "lt": lambda L, x, y: x < y,
    "le": lambda L, x, y: x <= y, "gt": lambda L, x, y: x > y, "ge": lambda L, x, y: x >= y,
    "logical_and": lambda L, x, y: L.logical_and(x, y),
    "logical_or": lambda L, x, y: L.logical_or(x, y),
    "where": lambda L, x, y: L.where(x > y, x, y),
    "clamp_tensors": lambda L, x, y: L.clamp(x, y, y + 1),
    "lerp": lambda L, x, y: L.lerp(x, y, 0.25),
    "mse_loss": lambda L, x, y: _f(L).mse_loss(*L.broadcast_tensors(x, y), reduction="none"),
    "l1_loss": lambda L, x, y: _f(L).l1_loss(*L.broadcast_tensors(x, y), reduction="none"),
    "smooth_l1_loss": lambda L, x, y: _f(L).smooth_l1_loss(*L.broadcast_tensors(x, y),
                                                            reduction="none"),
    "mse_loss_mean": lambda L, x, y: _f(L).mse_loss(*L.broadcast_tensors(x, y)),
}
# reductions and order statistics over the rows of _rows (dim 1 where a dim is taken)
ROWWISE = {
    "sum": lambda L, x: x.sum(1), "mean": lambda L, x: x.mean(1), "prod": lambda L, x: x.prod(1),
    "sum_all": lambda L, x: x.sum(), "amax": lambda L, x: L.amax(x[1:], 1),
    "amin": lambda L, x: L.amin(x[1:], 1), "max_all": lambda L, x: x.max(),
    "min_all": lambda L, x: x.min(), "max_dim": lambda L, x: x.max(1),
    "min_dim": lambda L, x: x.min(1), "argmax": lambda L, x: x.argmax(1),
    "argmin": lambda L, x: x.argmin(1), "std": lambda L, x: x.std(1),
    "var": lambda L, x: x.var(1), "norm": lambda L, x: x.norm(dim=1),
    "logsumexp": lambda L, x: L.logsumexp(x, 1), "softmax": lambda L, x: L.softmax(x, 1),
    "log_softmax": lambda L, x: L.log_softmax(x, 1), "cumsum": lambda L, x: x.cumsum(1),
    "cumprod": lambda L, x: x.cumprod(1), "logcumsumexp": lambda L, x: L.logcumsumexp(x, 1),
    "nansum": lambda L, x: L.nansum(x, 1), "nanmean": lambda L, x: L.nanmean(x, 1),
    "median_all": lambda L, x: x.median(), "median_row": lambda L, x: x[-1].median(),
    "median_inf_row": lambda L, x: x[3 % len(x)].median(), "median_dim": lambda L, x: x.median(1),
    "kthvalue": lambda L, x: x.kthvalue(2, 1), "sort": lambda L, x: x.sort(1),
    "sort_descending": lambda L, x: x.sort(1, descending=True),
    "argsort": lambda L, x: x.argsort(1), "topk": lambda L, x: x.topk(2, 1),
    "topk_smallest": lambda L, x: x.topk(2, 1, largest=False),
    "cummax": lambda L, x: x.cummax(1), "cummin": lambda L, x: x.cummin(1),
    "any": lambda L, x: x.any(1), "all": lambda L, x: x.all(1),
    "count_nonzero": lambda L, x: L.count_nonzero(x, 1),
    "cross_entropy": lambda L, x: _f(L).cross_entropy(x, L.tensor([0, 1, 2, 3, 0, 1, 2, 3])),
    "nll_loss": lambda L, x: _f(L).nll_loss(x, L.tensor([0, 1, 2, 3, 0, 1, 2, 3])),
}
PROBABILITY = {
    "binary_cross_entropy": lambda L, p: _f(L).binary_cross_entropy(
        p.clamp(0, 1), L.tensor([0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0], dtype=p.dtype),
        reduction="none"),
    "bce_with_logits": lambda L, p: _f(L).binary_cross_entropy_with_logits(
        p, L.tensor([0.0, 1.0, 1.0, 0.0, 1.0, 0.0, 1.0], dtype=p.dtype), reduction="none"),
}
# 0-d and empty inputs of each family: (fn, the shape)
SHAPED = {
    "topk_0d_k0": (lambda L, x: L.topk(x, 0), ()), "topk_0d_k1": (lambda L, x: L.topk(x, 1), ()),
    "topk_0d_k2": (lambda L, x: L.topk(x, 2), ()),
    "sort_0d": (lambda L, x: L.sort(x), ()), "median_0d": (lambda L, x: L.median(x), ()),
    "median_0d_dim": (lambda L, x: L.median(x, 0), ()),
    "kthvalue_0d": (lambda L, x: L.kthvalue(x, 1), ()),
    "max_0d_dim": (lambda L, x: L.max(x, 0), ()), "cumsum_0d": (lambda L, x: L.cumsum(x, 0), ()),
    "softmax_0d": (lambda L, x: L.softmax(x, 0), ()), "std_0d": (lambda L, x: x.std(), ()),
    "logsumexp_0d": (lambda L, x: L.logsumexp(x, 0), ()),
    "sum_empty": (lambda L, x: x.sum(), (0,)), "mean_empty": (lambda L, x: x.mean(), (0,)),
    "prod_empty": (lambda L, x: x.prod(), (0,)), "max_empty": (lambda L, x: x.max(), (0,)),
    "amax_empty_dim": (lambda L, x: L.amax(x, 1), (2, 0)),
    "median_empty": (lambda L, x: x.median(), (0,)),
    "topk_empty": (lambda L, x: L.topk(x, 0), (0,)), "sort_empty": (lambda L, x: L.sort(x), (0,)),
    "std_empty": (lambda L, x: x.std(), (0,)), "var_one": (lambda L, x: x.var(), (1,)),
    "logsumexp_empty": (lambda L, x: L.logsumexp(x, 0), (0,)),
    "softmax_empty": (lambda L, x: L.softmax(x, 0), (0,)),
    "cumprod_empty": (lambda L, x: L.cumprod(x, 0), (0,)),
    "norm_empty": (lambda L, x: x.norm(), (0,)),
    "mse_loss_empty": (lambda L, x: _f(L).mse_loss(x, x.detach()), (0,)),
    "index_out_of_range": (lambda L, x: x[3], (3,)),
    "index_array_out_of_range": (lambda L, x: x[:, [0, 2]], (3, 2)),
    "index_negative_out_of_range": (lambda L, x: x[-4], (3,)),
}

FLOATS = ("float32", "float64")
INTEGERS = ("int64", "bool")


def kinds(family):
    """The input kinds a family runs on: a dtype (and for SHAPED only floats)."""
    # int32 where its result dtype is its own (reductions accumulate it as int64)
    return {"unary": FLOATS + INTEGERS, "binary": FLOATS + INTEGERS,
            "rowwise": FLOATS + INTEGERS + ("int32",),
            "probability": FLOATS, "shaped": FLOATS}[family]


def inputs(family, name, kind):
    dt = np.dtype(kind)
    if family == "shaped":
        shape = SHAPED[name][1]
        return [np.arange(1, int(np.prod(shape)) + 1, dtype=dt).reshape(shape) * 2.5]
    if family == "probability":
        return _unit(dt)
    if dt.kind == "f":
        v = _pairs(dt)
        return {"unary": [specials(dt)], "binary": v, "rowwise": _rows(dt)}[family]
    if dt.kind == "b":
        b = np.array([True, False])
        return {"unary": [b], "binary": [b[:, None], b[None, :]],
                "rowwise": [np.array([[True, False, True], [False, False, True]])]}[family]
    return {"unary": [INTS.astype(dt)], "binary": _int_pair(dt),
            "rowwise": [np.array([[3, -1, 3, 0], [2, 2, -5, 7]], dt)]}[family]


TABLES = {"unary": UNARY, "binary": BINARY, "rowwise": ROWWISE, "probability": PROBABILITY,
          "shaped": {k: v[0] for k, v in SHAPED.items()}}

_LENGTH = "torch's vectorized CPU kernel (contiguous tensors of 2 or more elements) differs " \
          "from its own scalar one there; adc gives the scalar one's (exact) result"
# (family, name, kind) -> the stated reason (README, tensor section); each is checked by
# test_deliberate_differences to still differ
DELIBERATE = {
    **{("binary", n, k): "NaN where x / y overflows: " + _LENGTH
       for n in ("fmod", "remainder", "mod") for k in FLOATS},
    **{("binary", n, k): "torch multiplies the cotangent into its formula first, so g * x "
       "overflows where x is near the largest float (inf, or NaN times 0); adc multiplies the "
       "derivative by the cotangent, once for every elementwise primitive"
       for n in ("atan2", "hypot", "xlogy") for k in FLOATS},
    **{("rowwise", "prod", k): "torch's gradient is prod / x unless the tensor holds a zero "
       "anywhere (then the product of the others, in every line), so at NaN, inf or an "
       "overflowed product it depends on other lines; adc's is prod / x along lines without "
       "zeros" for k in FLOATS},
    **{("rowwise", n, "float32"): "at the largest floats torch's float32 std and var depend on "
       "the tensor's shape (a line's std is 1.96e38 as a row of 8, inf alone) and its gradient is "
       "-inf (the mean's sum overflows); adc's are inf and NaN" for n in ("std", "var")},
    ("rowwise", "var", "float64"): "the gradient where the mean's sum overflows: torch -inf "
                                   "(x - inf), adc NaN",
    **{("rowwise", n, k): "torch's gradient exp(x - logsumexp) is 2x too large where the result "
       "rounds log 2 away (a line of the largest floats); adc's is softmax"
       for n in ("logsumexp", "logcumsumexp") for k in FLOATS},
    **{("rowwise", n, k): "which of equal elements: torch leaves it unspecified; adc takes "
       "them in their order" for n in ("topk", "topk_smallest", "kthvalue")
       for k in FLOATS + ("int64", "int32")},
    **{("rowwise", n, k): "the gradient over a line that contains NaN goes to its NaNs (README)"
       for n in ("amax", "amin") for k in FLOATS},
}
def _flat(out):
    return list(out) if isinstance(out, (tuple, list)) else [out]


def run(lib, family, name, kind, arrays=None):
    """What `lib` does: ("error", type) or ("ok", [(value, dtype, shape)], gradients)."""
    arrays = inputs(family, name, kind) if arrays is None else arrays
    grad = np.dtype(kind).kind == "f"
    ins = [lib.tensor(a, requires_grad=grad) for a in arrays]
    try:
        outs = _flat(TABLES[family][name](lib, *ins))
        results = [(o.detach().numpy(), str(o.dtype), tuple(o.shape)) for o in outs]
        floats = [o for o in outs if o.requires_grad]
        grads = []
        if floats:
            total = sum((o * lib.tensor(np.linspace(1.0, 2.0, o.numel()).reshape(
                tuple(o.shape)), dtype=o.dtype)).sum() for o in floats)
            total.backward()
            grads = [None if t.grad is None else _numpy(lib, t.grad) for t in ins]
    except Exception as e:  # noqa: BLE001 - the error itself is compared
        return ("error", e)
    return ("ok", results, grads)


def run_elements(lib, name, kind):
    """`run` of a unary function with each element in a tensor of its own: torch's scalar
    kernel, where its vectorized one (contiguous tensors of 2 or more elements) gives other
    values at special points, and gives them differently with the CPU's capability (AVX2 or
    AVX-512: elu's gradient at NaN, logit's at -0.0, gelu at inf)."""
    (array,) = inputs("unary", name, kind)
    pieces = [run(lib, "unary", name, kind, [array[i:i + 1]]) for i in range(array.size)]
    if any(piece[0] == "error" for piece in pieces):
        return pieces[0]
    values = [(np.concatenate([piece[1][k][0] for piece in pieces]), dtype, (array.size,))
              for k, (_, dtype, _) in enumerate(pieces[0][1])]
    weights = np.linspace(1.0, 2.0, array.size)
    grads = [None if pieces[0][2][0] is None else
             np.concatenate([piece[2][0] for piece in pieces]) * weights.astype(array.dtype)]
    return ("ok", values, grads if pieces[0][2] else [])


def _numpy(lib, t):
    return t.numpy(force=True) if lib is torch else t.numpy()  # torch's sgn grad: a ZeroTensor


def _tolerance(dtype):
    return 2e-6 if dtype == np.float32 else 1e-12


# float32 results whose formula cancels (1 + tanh(x) near x = -2.5; softmax's gradient
# s * (g - sum(g * s)), which torch computes fused and adc as a composition), so last-bit
# differences grow to ~3e-5 relative there
CANCELLING = {"gelu_tanh", "softmax"}


def differences(family, name, kind) -> list:
    """Each way adc's result differs from torch's, as text: from torch's result for the whole
    tensor and, for unary functions, also from its result element by element."""
    ours = run(adc, family, name, kind)
    found = _differences(family, name, kind, ours, run(torch, family, name, kind))
    if found and family == "unary" and ours[0] == "ok":
        if not _differences(family, name, kind, ours, run_elements(torch, name, kind)):
            return []
    return found


def _differences(family, name, kind, ours, theirs) -> list:
    loose = 20.0 if name in CANCELLING else 1.0
    arrays = np.broadcast_arrays(*inputs(family, name, kind))
    where = f"{family} {name} {kind}"
    if ours[0] != theirs[0]:
        return [f"{where}: adc {ours[0]} {ours[1] if ours[0] == 'error' else ''!r}, "
                f"torch {theirs[0]} {theirs[1] if theirs[0] == 'error' else ''!r}"]
    if ours[0] == "error":
        if not isinstance(ours[1], type(theirs[1]).__mro__[:-3]):
            return [f"{where}: adc raised {ours[1]!r}, torch {theirs[1]!r}"]
        return []
    found = []
    if len(ours[1]) != len(theirs[1]):
        return [f"{where}: {len(ours[1])} outputs, torch {len(theirs[1])}"]
    for k, ((a, adt, ash), (b, bdt, bsh)) in enumerate(zip(ours[1], theirs[1])):
        if (adt, ash) != (bdt, bsh):
            found.append(f"{where} output {k}: {adt} {ash}, torch {bdt} {bsh}")
        elif not _close(a, b, loose * _tolerance(a.dtype)):
            found.append(f"{where} output {k}: {_mismatch(a, b, arrays)}")
    if len(ours[2]) != len(theirs[2]):
        return found + [f"{where}: gradients {len(ours[2])}, torch {len(theirs[2])}"]
    for i, (a, b) in enumerate(zip(ours[2], theirs[2])):
        if (a is None) != (b is None) or (a is not None and not _close(a, b, loose * _tolerance(a.dtype))):
            found.append(f"{where} grad {i}: " + (f"adc {a}, torch {b}" if a is None or b is None
                                                   else _mismatch(a, b, arrays)))
    return found


def _mismatch(a, b, arrays) -> str:
    """The first few elements where `a` and `b` differ, with the inputs there."""
    bad = [i for i in np.ndindex(a.shape) if not _close(a[i], b[i], _tolerance(a.dtype))]
    shown = [f"at {[x[i] for x in arrays] if arrays[0].shape == a.shape else i}: "
             f"{a[i]!r} torch {b[i]!r}" for i in bad[:6]]
    return f"{len(bad)} of {a.size} differ: " + "; ".join(shown)


def _close(a, b, tol) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    if a.shape != b.shape:
        return False
    if a.dtype.kind != "f" or b.dtype.kind != "f":
        return np.array_equal(a, b)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    same_nan = np.array_equal(np.isnan(a64), np.isnan(b64))
    fin = np.isfinite(a64) & np.isfinite(b64)
    same_inf = np.array_equal(a64[~fin & ~np.isnan(a64)], b64[~fin & ~np.isnan(b64)])
    close = np.allclose(a64[fin], b64[fin], rtol=tol, atol=1e-30)
    return same_nan and same_inf and close


CASES = [(family, name, kind) for family, table in TABLES.items() for name in table
         for kind in kinds(family)]


@pytest.fixture
def numpy_backward(monkeypatch):
    monkeypatch.setattr(autograd, "_BACKEND", "numpy")


@pytest.mark.parametrize("family,name", sorted({(f, n) for f, n, _ in CASES}))
def test_same_as_torch(family, name, numpy_backward):
    found = [d for kind in kinds(family) if (family, name, kind) not in DELIBERATE
             for d in differences(family, name, kind)]
    assert not found, "\n".join(found)


@pytest.mark.parametrize("case", sorted(DELIBERATE))
def test_deliberate_differences(case, numpy_backward):
    """Each deliberate difference is still one (the entry goes when adc or torch changes)."""
    assert differences(*case), DELIBERATE[case]


# the primitives fixed here, under adc.grad on every backend: (adc.numpy fn, torch fn, inputs)
# at (0, 0), infinities, the largest float and a subnormal, with a unit cotangent
_P = np.array([0.0, 0.0, inf, 5.0, -5.0, 3.0, 3.0e38, 0.0, nan, 2.0], np.float32)
_Q = np.array([0.0, 1e-45, 3.0e38, inf, inf, -inf, 1.0, 2.0, 1.0, -3.0], np.float32)
_ACOSH = np.array([-inf, -2.5, -1.0, 1.0, 3.0, inf], np.float32)
FUNCTIONAL = [(anp.arctan2, torch.atan2, [_P, _Q]), (anp.hypot, torch.hypot, [_P, _Q]),
              (anp.remainder, torch.remainder, [_P, _Q]), (anp.divide, torch.div, [_P, _Q]),
              (anp.arccosh, torch.acosh, [_ACOSH]), (anp.xlogy, torch.xlogy, [_P, _Q]),
              (anp.silu, torch.nn.functional.silu, [_Q])]


# the simulator's Python math raises where a device gives NaN: acosh below 1, log at 0 and below
_SIMULATOR_SAFE = {anp.arccosh: lambda x: x >= 1, anp.xlogy: lambda x, y: y > 0}


@pytest.mark.parametrize("backend", ["numpy", "cpu", "cuda"])
def test_functional_gradients(backend):
    """All of FUNCTIONAL in one program (one compilation per backend); on the simulator without
    the arguments of _SIMULATOR_SAFE."""
    if backend == "cuda":
        pytest.importorskip("numba.cuda")
    cases = [(f, t, [a[_SIMULATOR_SAFE[f](*arrays)] for a in arrays]
              if backend == "cuda" and f in _SIMULATOR_SAFE else arrays)
             for f, t, arrays in FUNCTIONAL]
    flat = [a for _, _, arrays in cases for a in arrays]
    spans = np.cumsum([0] + [len(arrays) for _, _, arrays in cases])

    def values(*xs):
        return tuple(f(*xs[i:j]) for (f, _, _), i, j in zip(cases, spans, spans[1:]))

    grads = adc.grad(lambda *xs: sum(anp.sum(v) for v in values(*xs)),
                     argnums=tuple(range(len(flat))), backend=backend)(*flat)
    ours = list(adc.jit(values, backend=backend)(*flat)) + list(grads)
    theirs, leaves = [], []
    for _, tfn, arrays in cases:
        ts = [torch.tensor(a, requires_grad=True) for a in arrays]
        out = tfn(*ts)
        out.sum().backward()
        theirs.append(out.detach().numpy())
        leaves += [t.grad.numpy() for t in ts]
    for k, (a, b) in enumerate(zip(ours, theirs + leaves)):
        assert _close(np.asarray(a), b, 2e-6), (k, a, b)
