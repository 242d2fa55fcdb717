"""The torch functions and methods tutorials call, run side by side with torch 2.13: values,
shapes, dtypes (integer and bool inputs too), grad_fn names, gradients and errors; torch's
`out=` rules; in-place initializers and hooks; no adc submodule shadowing a torch function."""
from __future__ import annotations

import inspect
import pkgutil
import warnings

import numpy as np
import pytest

import adc
from side_by_side import numpy_backward  # noqa: F401  (the fixture below)
from side_by_side import raises_like_torch, same_as_torch

torch = pytest.importorskip("torch")
pytestmark = pytest.mark.usefixtures("numpy_backward")

RNG = np.random.default_rng(0)
M = RNG.standard_normal((3, 4))
SQ = RNG.standard_normal((3, 3))
V3, V4 = RNG.standard_normal(3), RNG.standard_normal(4)
B1, B2 = RNG.standard_normal((2, 3, 2)), RNG.standard_normal((2, 2, 4))
TIES = np.array([[3.0, 1.0, 2.0, 1.0], [0.0, 5.0, 5.0, -1.0], [2.0, 2.0, 2.0, np.nan]])
INTS = np.array([[3, -1, 2, 0], [4, 7, -5, 1]])
ROUNDS = np.array([-2.5, -1.75, -0.5, 0.5, 1.5, 2.345, 7.0, 1e6 + 0.5])


CASES = {
    "trace": (lambda L, x: L.trace(x), [SQ]),
    "trace_int": (lambda L, x: x.trace(), [INTS]),
    "diag_vector": (lambda L, v: L.diag(v, 1), [V3]),
    "diag_matrix": (lambda L, x: L.diag(x, -1), [M]),
    "diagonal": (lambda L, x: L.diagonal(x, 1), [M]),
    "diagonal_dims": (lambda L, x: x.reshape(2, 2, 3).diagonal(0, 2, 0), [M]),
    "triu": (lambda L, x: L.triu(x, 1), [M]),
    "tril": (lambda L, x: x.tril(-1), [M]),
    "tril_int": (lambda L, x: x.tril(), [INTS]),
    "addmm": (lambda L, x, a, b: L.addmm(x, a, b, beta=0.5, alpha=2), [M, SQ, M]),
    "addmm_broadcast": (lambda L, v, a, b: L.addmm(v, a, b), [V4, SQ, M]),
    "addmm_beta0": (lambda L, x, a, b: L.addmm(x, a, b, beta=0), [M, SQ, M]),
    "addmm_int": (lambda L, x: L.addmm(x, x[:, :2], x[:2], alpha=3.5), [INTS]),
    "addbmm": (lambda L, x, a, b: L.addbmm(x, a, b, alpha=3), [M, B1, B2]),
    "addbmm_cpu_backend": (lambda L, x, a, b: L.addbmm(x, a, b, beta=2), [M, B1, B2]),
    "baddbmm": (lambda L, a, b: L.baddbmm(a @ b, a, b, beta=2), [B1, B2]),
    "addmv": (lambda L, v, a, w: L.addmv(v, a, w), [V3, M, V4]),
    "addr": (lambda L, x, v, w: L.addr(x, v, w, alpha=-1), [M, V3, V4]),
    "addr_promotes": (lambda L, x, v: L.addr(x, v, v), [INTS[:, :2], V3[:2]]),
    "cross": (lambda L, x: L.cross(x, x.flip(0), dim=1), [SQ]),
    "kron": (lambda L, x, y: L.kron(x, y), [SQ[:2], V3]),
    "kron_int": (lambda L, x: L.kron(x, x[:1]), [INTS]),
    "inverse": (lambda L, x: L.inverse(x + 3 * L.eye(3, dtype=x.dtype)), [SQ]),
    "det": (lambda L, x: L.det(x), [SQ]),
    "cumprod": (lambda L, x: L.cumprod(x, 1), [np.array([[3.0, 0.0, 2.0, -1.5], [0.5, 2, 0, 0]])]),
    "cumprod_int": (lambda L, x: x.cumprod(0), [INTS]),
    "cumprod_dtype": (lambda L, x: L.cumprod(x, -1, dtype=L.float64), [INTS]),
    "unflatten": (lambda L, x: x.unflatten(1, (2, -1)), [M]),
    "narrow": (lambda L, x: L.narrow(x, 1, 1, 2), [M]),
    "narrow_negative": (lambda L, x: x.narrow(-1, -3, 3), [M]),
    "chunk": (lambda L, x: L.chunk(x, 3, 1), [M]),
    "chunk_uneven": (lambda L, x: x.chunk(2, 0), [M]),
    "chunk_empty": (lambda L, x: x[:0].chunk(3), [M]),
    "split_empty": (lambda L, x: x[:0].split(2), [M]),
    "split_int": (lambda L, x: L.split(x, 3, 1), [M]),
    "split_list": (lambda L, x: x.split([1, 0, 3], 1), [M]),
    "roll": (lambda L, x: L.roll(x, 1, 1), [M]),
    "roll_dims": (lambda L, x: x.roll((-1, 5), (0, 1)), [M]),
    "roll_flat": (lambda L, x: L.roll(x, 2), [M]),
    "sort": (lambda L, x: L.sort(x), [TIES]),
    "sort_descending": (lambda L, x: x.sort(dim=1, descending=True, stable=True), [TIES]),
    "sort_dim0": (lambda L, x: L.sort(x, dim=0, stable=True), [TIES]),
    "sort_int": (lambda L, x: x.sort(descending=True), [INTS]),
    "argsort": (lambda L, x: L.argsort(x, 1, descending=True), [TIES]),
    "argsort_stable": (lambda L, x: x.argsort(stable=True), [TIES]),
    "any": (lambda L, x: L.any(x > 1), [M]),
    "any_dim": (lambda L, x: x.any(1, keepdim=True), [INTS]),
    "all": (lambda L, x: L.all(x, 0), [INTS]),
    "all_float": (lambda L, x: x.all(), [M]),
    "dist": (lambda L, x, y: L.dist(x, y), [M, M[::-1].copy()]),
    "dist_p": (lambda L, x, y: x.dist(y, 3), [M, M[::-1].copy()]),
    "dist_inf": (lambda L, x, y: L.dist(x, y, float("inf")), [M, M[::-1].copy()]),
    "erf": (lambda L, x: L.erf(x), [M]),
    "erf_int": (lambda L, x: x.erf(), [INTS]),
    "floor": (lambda L, x: L.floor(x * 2), [ROUNDS]),
    "ceil": (lambda L, x: x.ceil(), [ROUNDS]),
    "floor_int": (lambda L, x: x.floor(), [INTS]),
    "round": (lambda L, x: L.round(x), [ROUNDS]),
    "round_decimals": (lambda L, x: L.round(x, decimals=2), [ROUNDS]),
    "round_negative_decimals": (lambda L, x: x.round(decimals=-1), [ROUNDS * 10]),
    "remainder": (lambda L, x: L.remainder(x, 1.5), [ROUNDS]),
    "remainder_negative": (lambda L, x: x.remainder(-1.5), [ROUNDS]),
    "remainder_tensors": (lambda L, x, y: L.remainder(x, y), [M, M[::-1].copy()]),
    "remainder_int": (lambda L, x: L.remainder(x, 3), [INTS]),
    "remainder_int_negative": (lambda L, x: x.remainder(-3), [INTS]),
    "fmod": (lambda L, x: L.fmod(x, 1.5), [ROUNDS]),
    "fmod_tensors": (lambda L, x, y: x.fmod(y), [M, M[::-1].copy()]),
    "fmod_int": (lambda L, x: L.fmod(x, -3), [INTS]),
    "int_pow_int_tensor": (lambda L, x: x.abs() ** x.abs(), [INTS]),
    "number_pow_int_tensor": (lambda L, x: 2 ** x.abs(), [INTS]),
    "int32_pow": (lambda L, x: L.pow(x.int(), x.abs()), [INTS]),
    "int_pow_negative_tensor": (lambda L, x: L.pow(x, -x.abs()), [INTS]),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_function_matches_torch(name):
    fn, arrays = CASES[name]
    same_as_torch(fn, *arrays)


def test_second_derivatives_match_torch():
    def hess_diag(lib, f):
        x = lib.tensor(ROUNDS[:6] * 0.7, requires_grad=True)
        (g,) = lib.autograd.grad(f(lib, x).sum(), x, create_graph=True)
        (h,) = lib.autograd.grad((g * g).sum(), x)
        return h.numpy()

    for f in (lambda L, x: L.erf(x) * x, lambda L, x: x.remainder(0.9) * x * x,
              lambda L, x: L.cumprod(x, 0), lambda L, x: L.floor(x) * L.sin(x),
              lambda L, x: L.dist(x, x.flip(0), 3)):
        np.testing.assert_allclose(hess_diag(adc, f), hess_diag(torch, f), rtol=1e-6,
                                   atol=1e-12)


@pytest.mark.parametrize("call", [
    lambda L, x: L.trace(x[0]),
    lambda L, x: L.diag(x.reshape(1, 2, 6)),
    lambda L, x: L.diagonal(x, 0, 1, 1),
    lambda L, x: L.triu(x[0]),
    lambda L, x: L.addmm(x, x, x),
    lambda L, x: L.addmm(x, x[0], x),
    lambda L, x: L.addmv(x[0], x, x.double()[0]),
    lambda L, x: L.cross(x, x, dim=1),
    lambda L, x: L.cross(x[:, :3], x[0, :3]),
    lambda L, x: x.unflatten(1, (5, 2)),
    lambda L, x: x.narrow(1, 2, 3),
    lambda L, x: x.chunk(0),
    lambda L, x: x.split([2, 3], 1),
    lambda L, x: x.roll((1, 2), 0),
    lambda L, x: L.inverse(x),
    lambda L, x: L.inverse(x[:, :3].long()),
    lambda L, x: L.det(x[0]),
    lambda L, x: L.cumprod(x, 2),
    lambda L, x: L.remainder(x.long(), 0),
    lambda L, x: L.round(x.long(), decimals=1),
    lambda L, x: x.long() ** -1,
    lambda L, x: L.dist(x.long(), x.long()),
    lambda L, x: L.norm(x.long()),
])
def test_errors_match_torch(call):
    raises_like_torch(call, M)


def test_cross_without_dim_warns_and_takes_the_first_dimension_of_size_3():
    # torch warns once per process; adc warns at every call
    with pytest.warns(UserWarning, match="without specifying the dim arg is deprecated"):
        adc.cross(adc.tensor(SQ), adc.tensor(SQ[::-1].copy()))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        same_as_torch(lambda L, x: L.cross(x.T, x.flip(1).T), SQ)


def test_diagonal_is_a_view_as_in_torch():
    for lib in (adc, torch):
        x = lib.zeros(3, 4)
        x.diagonal(1).fill_(1.0)
        x.diagonal(-1).add_(2.0)
        assert x.tolist() == [[0, 1, 0, 0], [2, 0, 1, 0], [0, 2, 0, 1]]
        b = lib.zeros(2, 2, 2)
        b.diagonal(0, 1, 2).copy_(lib.tensor([[1.0, 2.0], [3.0, 4.0]]))
        assert b.tolist() == [[[1, 0], [0, 2]], [[3, 0], [0, 4]]]


def test_chunk_and_split_are_views_as_in_torch():
    for lib in (adc, torch):
        x = lib.zeros(4, 2)
        top, bottom = x.chunk(2)
        bottom.fill_(3.0)
        x.split([1, 3])[0].add_(1.0)
        assert x.tolist() == [[1, 1], [0, 0], [3, 3], [3, 3]]


def test_in_place_variants_match_torch():
    for name, args in [("triu_", (1,)), ("tril_", ()), ("floor_", ()), ("remainder_", (0.7,)),
                       ("erf_", ()), ("addmm_", ("a", "b")), ("round_", ())]:
        results = []
        for lib in (adc, torch):
            x = lib.tensor(SQ.copy())
            extra = [lib.tensor(SQ) if a in ("a", "b") else a for a in args]
            results.append(getattr(x, name)(*extra).numpy().copy())
        np.testing.assert_allclose(*results, rtol=1e-12, err_msg=name)


def test_cumsum_in_place_keeps_the_tensor_dtype():
    for lib in (adc, torch):
        x = lib.tensor([1, 2, 3], dtype=lib.int32)
        assert x.cumsum_(0).dtype == lib.int32 and x.tolist() == [1, 3, 6]
        assert x.cumprod_(0).tolist() == [1, 3, 18] and lib.cumsum(x, 0).dtype == lib.int64
        y = lib.tensor([0.5, 1.5])
        assert y.cumsum_(0).tolist() == [0.5, 2.0]


def test_negative_integer_powers_as_torch():
    for lib in (adc, torch):
        t = lib.tensor([1, 2, 3, -1, 0])
        with pytest.raises(RuntimeError, match="Integers to negative integer powers"):
            t ** -1
        assert (t ** lib.tensor([0, 1, 2, 3, 1])).tolist() == [1, 2, 9, -1, 0]
        assert (t ** lib.tensor([-1, -1, -2, -3, -1])).tolist() == [1, 0, 0, -1, 0]


def test_isinstance_of_typed_tensor_classes_as_torch():
    for lib in (adc, torch):
        f, d, i = lib.ones(2), lib.ones(2, dtype=lib.float64), lib.tensor([1])
        assert isinstance(f, lib.FloatTensor) and not isinstance(f, lib.DoubleTensor)
        assert isinstance(d, lib.DoubleTensor) and isinstance(i, lib.LongTensor)
        assert not isinstance(i, lib.FloatTensor) and not isinstance(np.ones(2), lib.FloatTensor)
        assert isinstance(lib.tensor([True]), lib.BoolTensor) and isinstance(f, lib.Tensor)


def test_uniform_and_normal_fill_in_place_from_the_seeded_generator():
    def draws():
        adc.manual_seed(3)
        w = adc.empty(200, 50)
        with adc.no_grad():
            u = w.uniform_(-2.0, 3.0).numpy().copy()
            n = w.normal_(1.0, 0.5).numpy().copy()
        return w, u, n
    w, u, n = draws()
    assert w.dtype == adc.float32 and w.shape == (200, 50)
    assert u.min() >= -2.0 and u.max() < 3.0 and abs(u.mean() - 0.5) < 0.05
    assert abs(n.mean() - 1.0) < 0.02 and abs(n.std() - 0.5) < 0.02
    np.testing.assert_array_equal(draws()[1], u)
    for lib in (adc, torch):
        leaf = lib.ones(2, requires_grad=True)
        with pytest.raises(RuntimeError, match="leaf Variable that requires grad"):
            leaf.uniform_()
        assert lib.zeros(3, dtype=lib.float64).normal_().dtype == lib.float64
    with pytest.raises(adc.UnsupportedError, match="generator"):
        adc.ones(2).uniform_(generator=object())


def test_post_accumulate_grad_hook_as_torch():
    for lib in (adc, torch):
        p = lib.ones(2, requires_grad=True)
        seen = []
        handle = p.register_post_accumulate_grad_hook(lambda t: seen.append(t.grad.tolist()))
        (p * 3).sum().backward()
        (p * p).sum().backward()
        handle.remove()
        (p * 3).sum().backward()
        assert seen == [[3, 3], [5, 5]] and p.grad.tolist() == [8, 8]
        with pytest.raises(RuntimeError, match="non-leaf"):
            (p * 2).register_post_accumulate_grad_hook(print)
        with pytest.raises(RuntimeError):
            lib.ones(2).register_post_accumulate_grad_hook(print)


# ---- out= ----

OUT_CALLS = {
    "add": lambda L, x, out: L.add(x, 1, alpha=2, out=out),
    "sub": lambda L, x, out: L.sub(x, x, out=out),
    "mul": lambda L, x, out: L.mul(x, 3, out=out),
    "div": lambda L, x, out: L.div(x, 4, out=out),
    "pow": lambda L, x, out: L.pow(x, 2, out=out),
    "exp": lambda L, x, out: L.exp(x, out=out),
    "matmul": lambda L, x, out: L.matmul(x, x.T, out=out),
    "mm": lambda L, x, out: L.mm(x, x.T, out=out),
    "sum": lambda L, x, out: L.sum(x, 1, out=out),
    "mean": lambda L, x, out: L.mean(x, 0, keepdim=True, out=out),
    "cat": lambda L, x, out: L.cat([x, x], out=out),
    "stack": lambda L, x, out: L.stack([x, x], 1, out=out),
    "clamp": lambda L, x, out: L.clamp(x, 0, out=out),
    "where": lambda L, x, out: L.where(x > 0, x, L.zeros((), dtype=x.dtype), out=out),
    "cumsum": lambda L, x, out: L.cumsum(x, 1, out=out),
    "addmm": lambda L, x, out: L.addmm(x[:, :3], x, x.T[:, :3], out=out),
    "linalg.vector_norm": lambda L, x, out: L.linalg.vector_norm(x, dim=1, out=out),
}


@pytest.mark.parametrize("name", sorted(OUT_CALLS))
@pytest.mark.parametrize("out_shape", [(0,), "same", (7,)])
def test_out_writes_the_result_as_torch(name, out_shape):
    call, results = OUT_CALLS[name], []
    for lib in (adc, torch):
        x = lib.tensor(M[:3, :4].copy())
        shape = tuple(call(lib, x, None).shape) if out_shape == "same" else out_shape
        out = lib.full(shape, -1.0, dtype=lib.float64)
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            returned = call(lib, x, out)
        assert returned is out
        resized = [w for w in caught if "was resized" in str(w.message)]
        results.append((out.numpy().copy(), str(out.dtype)[-7:], len(resized)))
    (ours, our_dtype, our_warns), (theirs, their_dtype, their_warns) = results
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    assert our_dtype == their_dtype and our_warns == their_warns


def test_out_refuses_what_torch_refuses():
    for lib in (adc, torch):
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type Long"):
            lib.div(lib.tensor([1, 2]), 2, out=lib.empty(2, dtype=lib.long))
        with pytest.raises(RuntimeError, match="can't be cast to the desired output type Bool"):
            lib.add(lib.ones(2), 1, out=lib.empty(2, dtype=lib.bool))
        with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
            lib.add(lib.ones(2, requires_grad=True), 1, out=lib.empty(2))
        with pytest.raises(RuntimeError, match="don't support automatic differentiation"):
            lib.mul(lib.ones(2), 2, out=lib.empty(2, requires_grad=True))
        with pytest.raises(TypeError, match="argument 'out' must be Tensor"):
            lib.add(lib.ones(2), 1, out=[0.0, 0.0])
        with lib.no_grad():
            out = lib.empty(0, dtype=lib.int32)
            lib.add(lib.ones(2, requires_grad=True).long(), 1, out=out)
        assert out.tolist() == [2, 2] and out.dtype == lib.int32


def test_out_on_a_view_writes_through():
    for lib in (adc, torch):
        base = lib.zeros(2, 3)
        lib.add(lib.ones(3), 1, out=base[1])
        assert base.tolist() == [[0, 0, 0], [2, 2, 2]]


def test_no_adc_submodule_shadows_a_torch_function():
    shadowed = []
    for info in pkgutil.iter_modules(adc.__path__):
        theirs = getattr(torch, info.name, None)
        if theirs is not None and not inspect.ismodule(theirs) and callable(theirs):
            if inspect.ismodule(getattr(adc, info.name, None)):
                shadowed.append(info.name)
    assert shadowed == []
    assert adc.trace(adc.eye(3)).item() == 3.0 and not inspect.ismodule(adc.trace)
