"""Property test: random small programs (unary ops with safe domains, broadcasting binary ops,
reductions with random axes/keepdims, reshape/transpose, basic and integer-array indexing,
matmul) over one or two float64 inputs, ending in a weighted sum.

Each program is written twice, once with adc.numpy and once with native torch operations, so
two independent checks run: `adc.validate` (adc's VJP vs torch.autograd.grad over the same
traced graph: checks the VJP rules), and adc.grad vs torch.autograd.grad of the native torch
program (checks the adc.numpy compositions and indexing lowering too). Domains are safe by
construction: log only sees 1 + softplus(.), sqrt only x*x + 1, exp only tanh(.), division
only by y*y + 1, so no NaN/inf and no non-smooth points are reached.

The programs run on the numpy reference backend: this test targets tracing and the reverse
transform, and numba compilation per random program would dominate the run time."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import adc
import adc.numpy as anp

torch = pytest.importorskip("torch")
F = torch.nn.functional
BACKEND = "numpy"

# name: (adc.numpy version, torch version); each maps all reals to finite values smoothly.
UNARY = {
    "sin": (anp.sin, torch.sin),
    "cos": (anp.cos, torch.cos),
    "tanh": (anp.tanh, torch.tanh),
    "arctan": (anp.arctan, torch.atan),
    "sigmoid": (anp.sigmoid, torch.sigmoid),
    "softplus": (anp.softplus, F.softplus),
    "neg": (lambda x: -x, lambda x: -x),
    "square": (lambda x: x * x, lambda x: x * x),
    "cube": (lambda x: x ** 3, lambda x: x ** 3),
    "exp_tanh": (lambda x: anp.exp(anp.tanh(x)), lambda x: torch.exp(torch.tanh(x))),
    "expm1_tanh": (lambda x: anp.expm1(anp.tanh(x)), lambda x: torch.expm1(torch.tanh(x))),
    "sinh_tanh": (lambda x: anp.sinh(anp.tanh(x)), lambda x: torch.sinh(torch.tanh(x))),
    "log_1p_softplus": (lambda x: anp.log(1.0 + anp.softplus(x)),
                        lambda x: torch.log(1.0 + F.softplus(x))),
    "log1p_square": (lambda x: anp.log1p(x * x), lambda x: torch.log1p(x * x)),
    "sqrt_square_1": (lambda x: anp.sqrt(x * x + 1.0), lambda x: torch.sqrt(x * x + 1.0)),
    "pow_1_5": (lambda x: (x * x + 1.0) ** 1.5, lambda x: (x * x + 1.0) ** 1.5),
    "reciprocal": (lambda x: 1.0 / (x * x + 1.0), lambda x: 1.0 / (x * x + 1.0)),
    "numpy_ufunc": (lambda x: np.cos(x) * np.tanh(x), lambda x: torch.cos(x) * torch.tanh(x)),
}

BINARY = {
    "add": (lambda a, b: a + b, lambda a, b: a + b),
    "sub": (lambda a, b: a - b, lambda a, b: a - b),
    "mul": (lambda a, b: a * b, lambda a, b: a * b),
    "div": (lambda a, b: a / (b * b + 1.0), lambda a, b: a / (b * b + 1.0)),
    "logaddexp": (anp.logaddexp, torch.logaddexp),
    "hypot1": (lambda a, b: anp.sqrt(a * a + b * b + 1.0),
               lambda a, b: torch.sqrt(a * a + b * b + 1.0)),
    "where": (lambda a, b: anp.where(b > 0.1, a * b, a - b),
              lambda a, b: torch.where(b > 0.1, a * b, a - b)),
}


def _t_axes(axis, nd):
    return tuple(range(nd)) if axis is None else tuple(a % nd for a in axis)


def _t_prod(x, axis, keepdims):
    for a in sorted(_t_axes(axis, x.dim()), reverse=True):
        x = x.prod(a, keepdim=True)
    return x if keepdims else x.reshape([d for i, d in enumerate(x.shape)
                                         if i not in _t_axes(axis, x.dim())])


REDUCE = {
    "sum": (anp.sum, lambda x, ax, kd: x.sum(_t_axes(ax, x.dim()), keepdim=kd)),
    "mean": (anp.mean, lambda x, ax, kd: x.mean(_t_axes(ax, x.dim()), keepdim=kd)),
    "max": (anp.max, lambda x, ax, kd: x.amax(_t_axes(ax, x.dim()), keepdim=kd)),
    "min": (anp.min, lambda x, ax, kd: x.amin(_t_axes(ax, x.dim()), keepdim=kd)),
    "logsumexp": (anp.logsumexp,
                  lambda x, ax, kd: torch.logsumexp(x, _t_axes(ax, x.dim()), keepdim=kd)),
    "var": (anp.var, lambda x, ax, kd: x.var(_t_axes(ax, x.dim()), correction=0, keepdim=kd)),
    "prod": (anp.prod, _t_prod),
}

INPUT_SHAPES = [(), (3,), (4,), (2, 3), (1, 3), (2, 1), (3, 2), (2, 2, 3)]


# ---- programs: a list of steps, each appending one value to a pool ----

def _np_key(key):
    out = []
    for entry in key:
        out.append(entry[1] if entry[0] == "int" else None if entry[0] == "none"
                   else slice(*entry[1:]))
    return tuple(out)


def _t_getitem(x, key):
    ax = 0
    for entry in key:
        if entry[0] == "int":
            x = x.select(ax, entry[1])
        elif entry[0] == "none":
            x = x.unsqueeze(ax)
            ax += 1
        else:
            idx = np.arange(x.shape[ax])[slice(*entry[1:])].copy()
            x = x.index_select(ax, torch.from_numpy(idx))
            ax += 1
    return x


def _t_take(x, idx, axis):
    norm = np.where(idx < 0, idx + x.shape[axis], idx).reshape(-1)
    flat = x.index_select(axis, torch.from_numpy(norm))
    return flat.reshape(x.shape[:axis] + idx.shape + x.shape[axis + 1:])


def _apply(step, pool, lib):
    """One step with adc.numpy (lib=0) or torch (lib=1)."""
    kind = step[0]
    if kind == "unary":
        return UNARY[step[1]][lib](pool[step[2]])
    if kind == "binary":
        return BINARY[step[1]][lib](pool[step[2]], pool[step[3]])
    if kind == "reduce":
        _, name, i, axis, keepdims = step
        if lib == 0:
            return REDUCE[name][0](pool[i], axis=axis, keepdims=keepdims)
        return REDUCE[name][1](pool[i], axis, keepdims)
    if kind == "reshape":
        return pool[step[1]].reshape(step[2])
    if kind == "transpose":
        x = pool[step[1]]
        return anp.transpose(x, step[2]) if lib == 0 else x.permute(*step[2])
    if kind == "index":
        x = pool[step[1]]
        return x[_np_key(step[2])] if lib == 0 else _t_getitem(x, step[2])
    if kind == "take":
        _, i, idx, axis = step
        x = pool[i]
        if lib == 0:
            key = (slice(None),) * axis + (idx,)
            return x[key]
        return _t_take(x, idx, axis)
    if kind == "matmul":
        a, b = pool[step[1]], pool[step[2]]
        return a @ b if lib == 0 else torch.matmul(a, b)
    raise AssertionError(step)


def _program(steps, weights, lib):
    """The steps, then a weighted sum of every value they computed (so none is dead)."""
    def f(*xs):
        pool = list(xs)
        for step in steps:
            pool.append(_apply(step, pool, lib))
        total = 0.0
        for value, w in zip(pool[len(xs):], weights):
            total = total + (value * (w if lib == 0 else torch.from_numpy(w))).sum()
        return total

    return f


def _shape_of(step, shapes):
    pool = [np.full(s, 0.5) for s in shapes]
    with warnings.catch_warnings(), np.errstate(all="ignore"):
        warnings.simplefilter("ignore")
        return np.shape(_apply(step, pool, 0))


def _broadcasts(a, b) -> bool:
    try:
        np.broadcast_shapes(a, b)
        return True
    except ValueError:
        return False


class _Choices:
    """Random structural choices for one program, from a seed that hypothesis draws (a numpy
    generator gives far more varied programs in 60 examples than per-choice draws do)."""

    def __init__(self, seed):
        self.rng = np.random.default_rng(seed)

    def integer(self, lo, hi):  # inclusive
        return int(self.rng.integers(lo, hi + 1))

    def choice(self, seq):
        seq = list(seq)
        return seq[self.integer(0, len(seq) - 1)]

    def boolean(self):
        return bool(self.integer(0, 1))

    def permutation(self, seq):
        return tuple(seq[k] for k in self.rng.permutation(len(seq)))


def _draw_axis(r, nd):
    if nd == 0 or r.boolean():
        return None
    k = r.integer(1, nd)
    axes = r.rng.choice(nd, size=k, replace=False)
    return tuple(int(a) - (nd if r.boolean() else 0) for a in axes)  # some negative


def _draw_slice(r, d):
    step = r.choice([1, 1, 2, -1, -2])
    start = None if r.boolean() else r.integer(-d, d)
    stop = None if r.boolean() else r.integer(-d, d)
    if len(range(*slice(start, stop, step).indices(d))) == 0:
        return ("slice", None, None, step)
    return ("slice", start, stop, step)


def _draw_factorization(r, size):
    dims, rest = [], size
    while rest > 1 and len(dims) < 3:
        k = r.choice([k for k in range(2, rest + 1) if rest % k == 0])
        dims.append(k)
        rest //= k
    order = list(r.permutation(dims))
    if r.boolean():
        order.insert(r.integer(0, len(order)), 1)
    return tuple(order)


def _contracts(s, t) -> bool:
    return len(s) >= 1 and len(t) >= 1 and t[-1 if len(t) == 1 else -2] == s[-1]


def _draw_step(r, shapes):
    n = len(shapes)
    # mostly the latest value (chains of ops), sometimes an earlier one
    i = n - 1 if r.integer(0, 2) else r.integer(0, n - 1)
    s = shapes[i]
    kinds = ["unary", "unary", "binary", "binary", "reshape"]
    if len(s) >= 1:
        kinds += ["reduce", "reduce", "index", "take"]
    if len(s) >= 2:
        kinds += ["transpose"]
    if any(_contracts(s, t) for t in shapes):
        kinds += ["matmul"]
    kind = r.choice(kinds)
    if kind == "unary":
        return ("unary", r.choice(sorted(UNARY)), i)
    if kind == "binary":
        j = r.choice([j for j in range(n) if _broadcasts(s, shapes[j])])
        return ("binary", r.choice(sorted(BINARY)), i, j)
    if kind == "reduce":
        return ("reduce", r.choice(sorted(REDUCE)), i, _draw_axis(r, len(s)), r.boolean())
    if kind == "reshape":
        return ("reshape", i, _draw_factorization(r, int(np.prod(s, dtype=int))))
    if kind == "transpose":
        return ("transpose", i, r.permutation(range(len(s))))
    if kind == "index":
        key = []
        for d in s[:r.integer(1, len(s))]:
            key.append(("int", r.integer(-d, d - 1)) if r.integer(0, 2) == 0
                       else _draw_slice(r, d))
        if r.boolean():
            key.insert(r.integer(0, len(key)), ("none",))
        return ("index", i, tuple(key))
    if kind == "take":
        axis = r.integer(0, len(s) - 1)
        d = s[axis]
        idx = r.rng.integers(-d, d, size=r.choice([(1,), (3,), (4,), (2, 2)]))
        return ("take", i, idx.astype(np.int64), axis)
    return ("matmul", i, r.choice([j for j, t in enumerate(shapes) if _contracts(s, t)]))


def _draw_program(data):
    """(number of inputs, shapes of all values, steps); structure sizes come from hypothesis
    (so it shrinks to short programs), the choices inside from a drawn seed."""
    n_inputs = data.draw(st.integers(1, 2), label="n_inputs")
    shapes = [data.draw(st.sampled_from(INPUT_SHAPES), label="input shape")
              for _ in range(n_inputs)]
    n_steps = data.draw(st.sampled_from(range(1, 7)), label="n_steps")
    r = _Choices(data.draw(st.integers(0, 2 ** 32 - 1), label="structure seed"))
    steps = []
    for _ in range(n_steps):
        step = _draw_step(r, shapes)
        shapes.append(_shape_of(step, shapes))
        steps.append(step)
        if int(np.prod(shapes[-1], dtype=int)) > 256:  # keep programs small
            break
    return n_inputs, shapes, steps


def _draw_inputs(data):
    """A random program's inputs, weights, steps, differentiated argnums and a description."""
    n_inputs, shapes, steps = _draw_program(data)
    rng = np.random.default_rng(data.draw(st.integers(0, 2 ** 32 - 1), label="value seed"))
    xs = [rng.uniform(-1.5, 1.5, s) for s in shapes[:n_inputs]]
    weights = [rng.uniform(0.5, 1.5, s) for s in shapes[n_inputs:]]
    return xs, weights, steps, tuple(range(n_inputs)), f"shapes={shapes[:n_inputs]} steps={steps}"


@settings(max_examples=60, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.filter_too_much])
@given(st.data())
def test_random_programs_match_torch(data):
    xs, weights, steps, nums, note = _draw_inputs(data)

    # 1. adc's VJP of the traced program against torch.autograd.grad on the same graph
    f = _program(steps, weights, lib=0)
    report = adc.validate(f, *xs, argnums=nums, backend=BACKEND)
    assert report.ok, f"{note}\n{report}"

    # 2. adc.grad against torch.autograd.grad of the same program written in torch
    value, grads = adc.value_and_grad(f, argnums=nums, backend=BACKEND)(*xs)
    ts = [torch.from_numpy(x.copy()).requires_grad_() for x in xs]
    t_value = _program(steps, weights, lib=1)(*ts)
    t_grads = torch.autograd.grad(t_value, ts, allow_unused=True)
    assert np.isfinite(value), note
    np.testing.assert_allclose(value, t_value.item(), rtol=1e-10, atol=1e-12, err_msg=note)
    for x, g, t in zip(xs, grads, t_grads):
        t = np.zeros_like(x) if t is None else t.numpy()
        assert g.shape == x.shape and g.dtype == x.dtype, note
        np.testing.assert_allclose(g, t, rtol=1e-9, atol=1e-11, err_msg=note)


@settings(max_examples=8, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                 HealthCheck.filter_too_much])
@given(st.data())
def test_random_programs_cpu_backend_matches_numpy(data):
    """A few programs through the compiled (Numba) backend: values and gradients equal the
    numpy reference backend's. Few examples: each one compiles two generated modules."""
    xs, weights, steps, nums, note = _draw_inputs(data)
    f = _program(steps, weights, lib=0)
    v_ref, g_ref = adc.value_and_grad(f, argnums=nums, backend="numpy")(*xs)
    v_cpu, g_cpu = adc.value_and_grad(f, argnums=nums, backend="cpu")(*xs)
    np.testing.assert_allclose(v_cpu, v_ref, rtol=1e-12, atol=1e-12, err_msg=note)
    for a, b in zip(g_cpu, g_ref):
        assert a.shape == b.shape and a.dtype == b.dtype, note
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-12, err_msg=note)
