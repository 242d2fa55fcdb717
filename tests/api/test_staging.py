"""The bound on adc's in-memory caches (adc.staging.LRU, ADC_CACHE_ENTRIES): the functional
API's stages, the tensor layer's op graphs and backward regions, the CPU runtime's split
drivers. Counted in traces, entries and evictions, never timed."""
from __future__ import annotations

import importlib
import sys

import numpy as np
import pytest

import adc
import adc.numpy as anp
from adc.errors import AdcError
from adc.staging import LRU, cache_entries


def test_the_lru_keeps_what_is_used_and_drops_the_rest(monkeypatch):
    monkeypatch.setenv("ADC_CACHE_ENTRIES", "4")
    cache = LRU()
    for k in range(20):
        cache[k] = k
        assert cache["hot"] if "hot" in cache else cache.setdefault("hot", "hot")
        assert len(cache) <= 4
    assert "hot" in cache and cache["hot"] == "hot"
    assert 0 not in cache and 19 in cache
    assert cache.evictions == 20 + 1 - len(cache)
    cache.clear()
    assert len(cache) == 0 and "hot" not in cache


@pytest.mark.parametrize("text", ["many", "1", "-3", "2.5"])
def test_a_bad_limit_is_an_error_naming_the_variable(monkeypatch, text):
    monkeypatch.setenv("ADC_CACHE_ENTRIES", text)
    with pytest.raises(AdcError, match="ADC_CACHE_ENTRIES"):
        cache_entries()


def test_a_function_called_at_many_shapes_keeps_a_bounded_number(monkeypatch):
    monkeypatch.setenv("ADC_CACHE_ENTRIES", "4")
    traced = []

    def f(x):
        traced.append(x.shape)
        return anp.sum(anp.sin(x) ** 2)

    g = adc.grad(f, backend="numpy")
    hot = np.linspace(0.0, 1.0, 3)
    for n in range(4, 24):
        np.testing.assert_allclose(g(np.ones(n)), np.sin(2.0) * np.ones(n))
        np.testing.assert_allclose(g(hot), np.sin(2 * hot))
    assert traced.count((3,)) == 1  # used at every step: never dropped
    assert len(traced) == 1 + 20
    g(np.ones(4))  # long unused: dropped, traced again
    assert traced[-1] == (4,) and len(traced) == 22
    stages = next(c.cell_contents for c in g.__closure__
                  if type(c.cell_contents).__name__ == "_StagedFunction")
    assert len(stages._stages) <= 4 and len(stages._compiled) <= 4
    assert stages._stages.evictions >= 20 - 4


def test_the_tensor_layers_caches_stay_bounded(monkeypatch):
    from adc.tensors import engine

    tensor = importlib.import_module("adc.tensors.tensor")  # (adc.tensors.tensor: a function)
    monkeypatch.setenv("ADC_CACHE_ENTRIES", "8")
    monkeypatch.setattr(tensor, "_OP_GRAPHS", LRU())
    monkeypatch.setattr(engine, "_REGIONS", engine.StagingCache())
    w = adc.ones(3, requires_grad=True)
    for n in range(1, 30):
        x = adc.ones(n, 3)
        (x * w).tanh().sum().backward()
        assert len(tensor._OP_GRAPHS) <= 8 and engine.region_count() <= 8
    assert tensor._OP_GRAPHS.evictions > 0 and engine._REGIONS.evictions > 0
    np.testing.assert_allclose(w.grad.numpy(), 29 * 30 / 2 * (1 - np.tanh(1.0) ** 2))


def test_split_drivers_are_not_kept_for_the_process():
    """A split program's driver (plain Python, one per shape: it passes lengths to the
    kernels) lives as long as its compiled graph, not in sys.modules; the kernel modules,
    whose machine code Numba never frees, are kept for the process and shared by every
    shape."""
    from adc.lower.cpu import compile_cpu
    from adc.opt import prepare

    def f(x):
        return anp.sum(anp.exp(anp.cumsum(anp.sin(x), axis=0)) * x)

    before = set(sys.modules)
    for n in (5, 6, 7):
        graph = prepare(adc.make_ir(adc.grad(f))(np.ones((n, 3))), "cpu")
        compiled = compile_cpu(graph, split=True)
        np.testing.assert_allclose(compiled(np.ones((n, 3)))[0],
                                   adc.grad(f, backend="numpy")(np.ones((n, 3))), rtol=1e-12)
        assert compiled._make.__module__ not in sys.modules
    kept = [sys.modules[name] for name in set(sys.modules) - before
            if name.startswith("adc_generated_")]
    assert 0 < len(kept) <= compiled.kernels
    assert all(hasattr(m, "kernel") and not hasattr(m, "make") for m in kept)
