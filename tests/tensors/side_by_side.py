"""Helpers for tests that run one function on adc and on torch 2.13 and compare what comes out:
values, shapes, dtypes, grad_fn names, input gradients, and raised errors."""
from __future__ import annotations

import numpy as np
import pytest

import adc
from adc.tensors import autograd

torch = pytest.importorskip("torch")


@pytest.fixture
def numpy_backward(request, monkeypatch):
    """Backward on the numpy reference (long gradient graphs are slow to compile; the cpu
    backend's gradients are the reference's, which the engine's own tests check), except in
    tests named *cpu_backend*."""
    if "cpu_backend" not in request.node.name:
        monkeypatch.setattr(autograd, "_BACKEND", "numpy")


def _leaf(lib, a, grad):
    return lib.tensor(a, requires_grad=grad and a.dtype.kind == "f")


def _run(lib, fn, arrays, grad):
    ins = [_leaf(lib, a, grad) for a in arrays]
    out = fn(lib, *ins)
    outs = list(out) if isinstance(out, (tuple, list)) else [out]
    names = [o.grad_fn.name() if o.grad_fn is not None else None for o in outs]
    floats = [o for o in outs if o.requires_grad]
    grads = []
    if grad and floats:
        sum((o * o).sum() for o in floats).backward()
        grads = [None if t.grad is None else t.grad.numpy() for t in ins]
    return [o.detach().numpy() for o in outs], [str(o.dtype) for o in outs], names, grads


def same_as_torch(fn, *arrays, grad=True, rtol=1e-7):
    """fn(lib, *tensors) gives torch's values, dtypes, grad_fn names and input gradients."""
    ours, theirs = _run(adc, fn, arrays, grad), _run(torch, fn, arrays, grad)
    for a, b in zip(ours[0], theirs[0]):
        assert a.shape == b.shape
        np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-12)
    assert ours[1] == theirs[1]
    assert ours[2] == theirs[2]
    assert len(ours[3]) == len(theirs[3])
    for a, b in zip(ours[3], theirs[3]):
        assert (a is None) == (b is None)
        if a is not None:
            np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-10)


def raises_like_torch(fn, *arrays, match=None):
    errors = []
    for lib in (adc, torch):
        with pytest.raises(Exception) as info:
            fn(lib, *[lib.tensor(a) for a in arrays])
        errors.append(info.value)
    ours, theirs = errors
    assert isinstance(ours, type(theirs).__mro__[:-3]), (ours, theirs)
    if match is not None:
        assert match in str(ours) and match in str(theirs)
