"""torch's legacy and convenience spellings that tutorials use, run side by side with torch
2.13: Size, typed constructors, Tensor(...), dtype aliases, type(), new_*, formatting,
adc.cuda."""
from __future__ import annotations

import numpy as np
import pytest

import adc

torch = pytest.importorskip("torch")


def _same(ours, theirs):
    assert tuple(ours.shape) == tuple(theirs.shape)
    assert str(ours.dtype) == str(theirs.dtype)
    np.testing.assert_array_equal(ours.numpy(), theirs.numpy())


def test_size_is_a_tuple_that_prints_as_torch():
    for lib in (adc, torch):
        s = lib.ones(3, 4).shape
        assert isinstance(s, tuple) and s == (3, 4) and s.numel() == 12
        assert repr(s) == "torch.Size([3, 4])" and lib.ones(3, 4).size() == s
        assert lib.ones(3, 4).size(1) == 4
        made = [s[1:], s[::-1], s + (1,), (1,) + s, s * 2, 2 * s, s + s]
        assert all(type(m) is type(s) for m in made) and type(s[0]) is int
        assert [list(m) for m in made] == [[4], [4, 3], [3, 4, 1], [1, 3, 4]] + [[3, 4] * 2] * 3


@pytest.mark.parametrize("make", [
    lambda L: L.Tensor([1, 2]), lambda L: L.Tensor(L.tensor([1, 2])), lambda L: L.Tensor(),
    lambda L: L.FloatTensor([1, 2]), lambda L: L.LongTensor([1.7, 2]),
    lambda L: L.IntTensor([3]), lambda L: L.BoolTensor([1, 0]), lambda L: L.DoubleTensor([[1]])])
def test_legacy_constructors_from_data(make):
    _same(make(adc), make(torch))


@pytest.mark.parametrize("make", [
    lambda L: L.Tensor(2, 3), lambda L: L.Tensor(L.ones(2, 3).shape), lambda L: L.DoubleTensor(2),
    lambda L: L.LongTensor(3, 1)])
def test_legacy_constructors_from_sizes(make):
    ours, theirs = make(adc), make(torch)  # torch leaves the memory uninitialized; adc zeroes it
    assert ours.shape == theirs.shape and str(ours.dtype) == str(theirs.dtype)
    assert not ours.numpy().any()


def test_typed_constructor_of_another_dtype_raises_like_torch():
    with pytest.raises(TypeError):
        adc.FloatTensor(adc.tensor([1, 2]))
    with pytest.raises(TypeError):
        torch.FloatTensor(torch.tensor([1, 2]))


@pytest.mark.parametrize("name", ["float", "double", "long", "int", "bool"])
def test_dtype_aliases(name):
    ours = adc.tensor([1, 0], dtype=getattr(adc, name))
    _same(ours, torch.tensor([1, 0], dtype=getattr(torch, name)))


def test_type_names_and_conversion():
    for data in ([1.5], [1], [True]):
        assert adc.tensor(data).type() == torch.tensor(data).type()
    for name in ("float16", "int16", "int8", "uint8"):
        assert (adc.ones(1, dtype=getattr(adc, name)).type()
                == torch.ones(1, dtype=getattr(torch, name)).type())
    t = adc.tensor([1.5, 2.5])
    for target in ("torch.DoubleTensor", "torch.LongTensor", "torch.ByteTensor",
                   "torch.ShortTensor", "torch.CharTensor"):
        _same(t.type(target), torch.tensor([1.5, 2.5]).type(target))
    assert t.type(adc.LongTensor).dtype == np.int64 and t.type(adc.double).dtype == np.float64
    with pytest.raises(ValueError):
        t.type("torch.NoSuchTensor")


@pytest.mark.parametrize("data", [[1.0, 2.0], [1, 2]])
def test_new_constructors_keep_dtype(data):
    ours, theirs = adc.tensor(data), torch.tensor(data)
    _same(ours.new_ones(2, 3), theirs.new_ones(2, 3))
    _same(ours.new_zeros((2,)), theirs.new_zeros((2,)))
    _same(ours.new_full((2,), 7), theirs.new_full((2,), 7))
    _same(ours.new_tensor([3, 4]), theirs.new_tensor([3, 4]))
    assert ours.new_empty(2, 2).shape == theirs.new_empty(2, 2).shape


def test_format_of_one_element_tensors():
    for lib in (adc, torch):
        loss = lib.tensor(0.123456)
        assert f"{loss:.4f}" == "0.1235" and f"{loss.sum() * 2:.1f}" == "0.2"
        with pytest.raises(TypeError):
            f"{lib.tensor([2.5]):.2f}"
        assert f"{lib.tensor(1.5)}" == "{}".format(lib.tensor(1.5)) == "1.5"  # noqa: UP032
        assert f"{lib.tensor(3)}|{lib.tensor(True)}" == "3|True"
        assert f"{lib.tensor([1.0, 2.0])}" == "tensor([1., 2.])"


def test_python_number_conversions_raise_as_torch():
    def messages(lib):
        found = []
        for convert, value in ((float, [1.0, 2.0]), (int, [1, 2]), (bool, [1, 2]), (bool, []),
                               (lambda t: t.item(), [1.0, 2.0])):
            with pytest.raises((ValueError, RuntimeError)) as err:
                convert(lib.tensor(value))
            found.append((err.type, str(err.value)))
        for make_grad in (lambda t: t.requires_grad_(), lambda t: setattr(t, "requires_grad", True),
                          lambda t: lib.ones_like(t, requires_grad=True),
                          lambda t: t.mean()):
            with pytest.raises(RuntimeError) as err:
                make_grad(lib.tensor([1, 2], dtype=lib.int32))
            found.append(str(err.value))
        return found
    assert messages(adc) == messages(torch)
    for lib in (adc, torch):
        assert not lib.ones(1).is_cuda and lib.ones(1).is_cpu


def test_cuda_queries():
    assert adc.cuda.is_available() == (torch.cuda.is_available() and adc.cuda.is_available())
    assert adc.cuda.device_count() == (0 if not adc.cuda.is_available() else
                                       adc.cuda.device_count())
    device = adc.device("cuda" if adc.cuda.is_available() else "cpu")
    assert adc.ones(2).to(device).tolist() == [1.0, 1.0]


@pytest.mark.parametrize("lib", [adc, torch], ids=["adc", "torch"])
def test_inference_mode(lib):
    x = lib.ones(2, requires_grad=True)
    with lib.inference_mode():
        y = x * 2
        assert lib.is_inference_mode_enabled()
    assert not y.requires_grad and not lib.is_inference_mode_enabled()

    @lib.inference_mode()
    def triple(a):
        return a * 3
    assert not triple(x).requires_grad
    with lib.inference_mode(False):
        assert (x * 2).requires_grad


@pytest.mark.parametrize("lib", [adc, torch], ids=["adc", "torch"])
def test_autograd_backward_takes_the_deprecated_grad_variables(lib):
    x = lib.ones(2, requires_grad=True)
    with pytest.warns(FutureWarning, match="grad_variables"):
        lib.autograd.backward([(x * x).sum()], grad_variables=[lib.tensor(2.0)])
    assert x.grad.tolist() == [4.0, 4.0]
    with pytest.warns(FutureWarning), pytest.raises(RuntimeError, match="both passed"):
        lib.autograd.backward([(x * x).sum()], [lib.tensor(1.0)], None, False, [lib.tensor(1.0)])


def test_optim_and_nn_namespaces_hold_only_their_api():
    """`adc.optim` / `adc.nn` expose torch's names, not their modules' imports (np, math, ...)."""
    import types
    for ns in (adc.optim, adc.nn):
        leaked = [n for n in dir(ns) if not n.startswith("_") and n[0].islower()
                  and not isinstance(getattr(ns, n), types.ModuleType)]
        assert leaked == [], (ns.__name__, leaked)
    for name in ("SGD", "Adam", "AdamW", "Optimizer"):
        assert hasattr(adc.optim, name) and hasattr(torch.optim, name)


def test_half_holds_prints_and_converts_but_does_not_compute():
    """torch.half where numpy allows: float16 tensors are made, printed and converted as in
    torch; an operation on one, or a float16 copy of a tensor that requires grad, raises
    UnsupportedError (adc computes in no float16 op) instead of computing differently."""
    assert adc.half == adc.float16 and str(adc.half) == str(torch.half)
    for make in (lambda lib: lib.tensor([1.5, 2.25]).half(),
                 lambda lib: lib.zeros(2, dtype=lib.half),
                 lambda lib: lib.tensor([0.1, 3.0]).to(lib.float16)):
        ours, theirs = make(adc), make(torch)
        assert repr(ours) == repr(theirs)
        assert repr(ours.float()) == repr(theirs.float())
        np.testing.assert_array_equal(ours.numpy(), theirs.numpy())
    with pytest.raises(adc.UnsupportedError, match="float16"):
        adc.tensor([1.5]).half() + 1
    with pytest.raises(adc.UnsupportedError, match="requires grad"):
        adc.tensor([1.5], requires_grad=True).half()
