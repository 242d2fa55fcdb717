"""torch's conventions at the non-smooth points of every non-smooth primitive and composition
(issue #19 item 5): values and gradients at NaN, ±inf, ties and ±0, in float32 and float64,
side by side with torch 2.13 — through tensors (backward on the numpy reference and on cpu) and
through adc.grad of adc.numpy code (numpy, cpu, and the cuda simulator for a subset).

The deliberate difference (README, tensor section): amax/amin over a line containing NaN send
the gradient to its NaNs (as torch's max() without dim does); torch's amax/amin give NaN to the
whole line."""
from __future__ import annotations

import numpy as np
import pytest

import adc
import adc.numpy as anp
from adc.tensors import autograd

torch = pytest.importorskip("torch")

nan, inf = np.nan, np.inf
V = np.array([nan, inf, -inf, 0.0, -0.0, 1.0, -1.0, 2.0, -2.0, 6.0, 3.0])
W = np.array([nan, 1.0, inf, 0.0, 0.0, -1.0, nan, 2.0, 1.0, -inf, 3.0])  # ties at 3, 4, 7, 10
ROWS = np.array([[nan, 1.0, 1.0], [2.0, 2.0, -1.0], [-inf, 0.0, -0.0], [inf, inf, 1.0],
                 [-inf, -inf, 0.0]])  # NaN, ties of finite, ±0 and infinite values per row


def _f(lib):
    return lib.nn.functional


# name: (fn(lib, *tensors), inputs); lib is adc or torch
TENSOR_CASES = {
    "relu": (lambda L, x: L.relu(x), [V]),
    "abs": (lambda L, x: L.abs(x), [V]),
    "sign": (lambda L, x: L.sign(x), [V]),
    "maximum": (lambda L, x, y: L.maximum(x, y), [V, W]),
    "minimum": (lambda L, x, y: L.minimum(x, y), [V, W]),
    "clamp": (lambda L, x: L.clamp(x, -1.0, 2.0), [V]),
    "clamp_min": (lambda L, x: L.clamp(x, min=0.0), [V]),
    "clamp_tensor_bounds": (lambda L, x, y: L.clamp(x, y, y + 1), [V, W]),
    "clamp_crossed_bounds": (lambda L, x, y: L.clamp(x, y, y - 1), [V, W]),
    "where": (lambda L, x, y: L.where(x > y, x, y), [V, W]),
    "leaky_relu": (lambda L, x: _f(L).leaky_relu(x, 0.1), [V]),
    "elu": (lambda L, x: _f(L).elu(x, 1.5), [V]),
    "softplus": (lambda L, x: _f(L).softplus(x), [V]),
    "amax_ties": (lambda L, x: L.amax(x, 1), [ROWS[1:]]),
    "amin_ties": (lambda L, x: L.amin(x, 1), [ROWS[1:]]),
    "max_all_nan": (lambda L, x: x.max(), [ROWS]),
    "min_all_ties": (lambda L, x: x[1:].min(), [ROWS]),
    "max_dim": (lambda L, x: x.max(1)[0], [ROWS]),
    "min_dim": (lambda L, x: x.min(1)[0], [ROWS]),
    "sort": (lambda L, x: L.sort(x, 1)[0], [ROWS]),
    "median_nan": (lambda L, x: L.median(x), [ROWS]),
    "median_dim": (lambda L, x: L.median(x, 1)[0], [ROWS]),
}


def _run(lib, fn, arrays, dtype):
    ins = [lib.tensor(a.astype(dtype), requires_grad=True) for a in arrays]
    out = fn(lib, *ins)
    weights = np.linspace(1.0, 2.0, out.numel()).reshape(tuple(out.shape)).astype(dtype)
    (out * lib.tensor(weights)).sum().backward()
    return [out.detach().numpy()] + [t.grad.numpy() for t in ins]


# one-input elementwise cases: torch's vectorized kernels (contiguous tensors of 2 or more
# elements) give other values than its scalar ones at some special points, and which depends on
# the CPU's capability (elu's gradient at NaN: 1 alone, NaN in a longer tensor on AVX2); adc
# matches either
ELEMENTWISE = {"relu", "abs", "sign", "clamp", "clamp_min", "leaky_relu", "elu", "softplus"}


def _same(ours, theirs):
    for a, b in zip(ours, theirs):
        assert a.shape == b.shape and a.dtype == b.dtype
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7)  # NaN where torch has NaN


def _torch_element_by_element(fn, array, dtype):
    pieces = [_run(torch, fn, [array[i:i + 1]], dtype) for i in range(array.size)]
    weights = np.linspace(1.0, 2.0, array.size).astype(dtype)
    value, grad = (np.concatenate([p[k] for p in pieces]) for k in (0, 1))
    return [value, grad * weights]


def _same_as_torch(fn, name, arrays, dtype):
    ours = _run(adc, fn, arrays, dtype)
    try:
        _same(ours, _run(torch, fn, arrays, dtype))
    except AssertionError:
        if name not in ELEMENTWISE:
            raise
        _same(ours, _torch_element_by_element(fn, arrays[0], dtype))


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(TENSOR_CASES))
def test_tensor_values_and_gradients(name, dtype, monkeypatch):
    monkeypatch.setattr(autograd, "_BACKEND", "numpy")
    fn, arrays = TENSOR_CASES[name]
    _same_as_torch(fn, name, arrays, dtype)


@pytest.mark.parametrize("name", ["relu", "maximum", "clamp_tensor_bounds", "elu", "max_all_nan",
                                  "amax_ties", "median_nan"])
def test_tensor_values_and_gradients_cpu_backend(name, monkeypatch):
    monkeypatch.setattr(autograd, "_BACKEND", "cpu")
    fn, arrays = TENSOR_CASES[name]
    _same_as_torch(fn, name, arrays, np.float32)


def test_amax_over_a_nan_line_routes_to_the_nans():
    """The deliberate difference: torch's amax gives NaN to every element of the line."""
    x = adc.tensor(ROWS, requires_grad=True)
    adc.amax(x, 1).sum().backward()
    np.testing.assert_array_equal(x.grad.numpy()[0], [1.0, 0.0, 0.0])
    t = torch.tensor(ROWS, requires_grad=True)
    torch.amax(t, 1).sum().backward()
    assert np.isnan(t.grad.numpy()[0]).all()


# adc.numpy code under adc.grad: (adc.numpy fn, torch fn, inputs); values follow numpy (equal
# to torch's here), gradients torch's conventions
FUNCTIONAL_CASES = {
    "relu": (anp.relu, torch.relu, [V]),
    "abs": (anp.abs, torch.abs, [V]),
    "maximum": (anp.maximum, torch.maximum, [V, W]),
    "minimum": (anp.minimum, torch.minimum, [V, W]),
    "clip": (lambda x: anp.clip(x, -1.0, 2.0), lambda x: torch.clamp(x, -1.0, 2.0), [V]),
    "clip_arrays": (lambda x, y: anp.clip(x, y, y + 1), lambda x, y: torch.clamp(x, y, y + 1),
                    [V, W]),
    "where": (lambda x, y: anp.where(x > y, x, y), lambda x, y: torch.where(x > y, x, y), [V, W]),
    "max_ties": (lambda x: anp.max(x, axis=1), lambda x: torch.amax(x, 1), [ROWS[1:]]),
    "min_ties": (lambda x: anp.min(x, axis=1), lambda x: torch.amin(x, 1), [ROWS[1:]]),
    "max_all_nan": (anp.max, torch.max, [ROWS]),
}


def _functional(fn, tfn, arrays, dtype, backend):
    arrays = [a.astype(dtype) for a in arrays]
    ts = [torch.tensor(a, requires_grad=True) for a in arrays]
    out = tfn(*ts)
    weights = np.linspace(1.0, 2.0, out.numel()).reshape(tuple(out.shape)).astype(dtype)
    (out * torch.tensor(weights)).sum().backward()
    argnums = tuple(range(len(arrays)))
    grads = adc.grad(lambda *xs: anp.sum(fn(*xs) * weights), argnums=argnums,
                     backend=backend)(*arrays)
    value = adc.jit(fn, backend=backend)(*arrays)
    _same([value, *grads], [out.detach().numpy()] + [t.grad.numpy() for t in ts])


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("name", sorted(FUNCTIONAL_CASES))
def test_functional_values_and_gradients(name, dtype):
    _functional(*FUNCTIONAL_CASES[name], dtype, "numpy")


@pytest.mark.parametrize("name", sorted(FUNCTIONAL_CASES))
def test_functional_values_and_gradients_cpu(name):
    _functional(*FUNCTIONAL_CASES[name], np.float32, "cpu")


# not max_all_nan: the simulator's cuda.atomic.max (Python's max) drops a block's NaN
@pytest.mark.parametrize("name", ["relu", "abs", "maximum", "clip_arrays", "max_ties"])
def test_functional_values_and_gradients_cuda_simulator(name):
    pytest.importorskip("numba.cuda")
    _functional(*FUNCTIONAL_CASES[name], np.float32, "cuda")


def test_numpy_sign_keeps_numpys_nan_and_tensors_torchs_zero():
    x = np.array([nan, -0.0, 2.0])
    np.testing.assert_array_equal(adc.jit(anp.sign, backend="cpu")(x), np.sign(x))
    np.testing.assert_array_equal(adc.sign(adc.tensor(x)).numpy(), [0.0, 0.0, 1.0])
