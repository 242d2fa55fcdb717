"""Tensor printing equals torch's (issue #13): formatter modes, widths, wrapping,
summarization, suffixes and print options, compared with torch 2.13's text."""
from __future__ import annotations

import numpy as np
import pytest

import adc

torch = pytest.importorskip("torch")

VALUES = [
    np.float32(3.0), np.float32(-0.5), np.int64(7), np.bool_(True),
    np.array([5.5, 3.0], np.float32), np.array([1e-5, 1.0], np.float32),
    np.array([1e10, 1.0], np.float32), np.array([100.0, 2.5], np.float32),
    np.array([1.0, np.nan, np.inf, -np.inf], np.float32), np.array([0.0, -0.0], np.float32),
    np.array([1e-9, 0.0], np.float64), np.array([0.1, 0.25], np.float64),
    np.array([[1, -2], [300, 4]], np.int64), np.array([1, 2], np.int32),
    np.array([True, False]), np.zeros((2, 0), np.float32), np.zeros(0, np.int64),
    np.arange(2000, dtype=np.float32).reshape(40, 50), np.arange(1500, dtype=np.int64),
    np.arange(30, dtype=np.int64).reshape(2, 3, 5) - 7, np.linspace(-1, 1, 33, dtype=np.float32),
    np.array([[1.5, -2.25], [1000.0, 0.001]], np.float32), np.full((2, 2), 1 / 3, np.float32),
    np.arange(24, dtype=np.float64).reshape(2, 3, 4) / 7,
]


@pytest.mark.parametrize("value", VALUES, ids=lambda v: f"{v.dtype}{list(np.shape(v))}")
def test_repr_matches_torch(value):
    assert repr(adc.tensor(value)) == repr(torch.tensor(value))


def test_autograd_suffixes_and_wrapping():
    for lib in (adc, torch):
        lib.manual_seed(0)
    a = adc.ones(3, 30, dtype=adc.float64, requires_grad=True)
    t = torch.ones(3, 30, dtype=torch.float64, requires_grad=True)
    assert repr(a) == repr(t)
    assert repr(a * 2) == repr(t * 2)
    assert repr((a * 2).sum()) == repr((t * 2).sum())
    assert repr(adc.nn.Parameter(adc.zeros(2))) == repr(torch.nn.Parameter(torch.zeros(2)))


@pytest.mark.parametrize("options", [dict(precision=2), dict(profile="short"),
                                     dict(threshold=5, edgeitems=1), dict(linewidth=30),
                                     dict(sci_mode=True), dict(profile="full")])
def test_print_options(options):
    value = np.arange(1, 41, dtype=np.float32).reshape(4, 10) / 3
    try:
        adc.set_printoptions(**options)
        torch.set_printoptions(**options)
        assert repr(adc.tensor(value)) == repr(torch.tensor(value))
    finally:
        adc.set_printoptions(profile="default")
        torch.set_printoptions(profile="default")


def test_unknown_profile_is_refused():
    with pytest.raises(ValueError, match="profile"):
        adc.set_printoptions(profile="tiny")


@pytest.mark.parametrize("name", ["uint8", "int8", "int16", "int32", "int64", "float32",
                                  "float64", "bool", "short", "long", "int", "float", "double"])
def test_dtype_objects_match_torch(name):
    ours, theirs = getattr(adc, name), getattr(torch, name)
    assert repr(ours) == repr(theirs) and str(ours) == str(theirs)
    assert ours.is_floating_point == theirs.is_floating_point
    assert ours.itemsize == theirs.itemsize
    t, u = adc.tensor([1, 2], dtype=ours), torch.tensor([1, 2], dtype=theirs)
    assert repr(t) == repr(u) and t.dtype == ours and np.zeros(2, t.dtype).dtype == t.numpy().dtype
    assert repr((t + 1).dtype) == repr((u + 1).dtype)
