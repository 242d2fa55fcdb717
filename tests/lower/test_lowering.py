"""The lowering registry and the shared code generator: one rule table RULES[target][prim],
a primitive without a rule raising NotImplementedError naming it and the target, lowering by
composition expanded once by adc.opt.prepare (never inside a backend), and generated headers
importing exactly what the kernel modules list in `__all__`."""
from __future__ import annotations

import importlib
import re
from pathlib import Path

import numpy as np
import pytest

import adc
import adc.numpy as anp
from adc.backends import compile_graph
from adc.lower.registry import RULES, Composition, cpu_rule, lowering
from adc.opt import prepare
from adc.prims import linalg as L

KERNELS = Path(__file__).resolve().parents[2] / "kernels"


def _matmul_graph():
    return adc.make_ir(lambda a, b: a @ b)(np.ones((2, 3)), np.ones((3, 4)))


def _einsum_graph():
    return adc.make_ir(lambda a, b: anp.einsum("ij,jk->ik", a, b))(np.ones((2, 3)),
                                                                   np.ones((3, 4)))


@pytest.mark.parametrize("target", ["cpu", "cuda"])
def test_a_primitive_without_a_rule_names_itself_and_the_target(monkeypatch, target):
    if target == "cuda":
        pytest.importorskip("numba.cuda")
    importlib.import_module(f"adc.lower.{target}")  # registers the rules this test removes
    monkeypatch.delitem(RULES[target], L.matmul_p)
    with pytest.raises(NotImplementedError, match=rf"{target}.*'matmul'"):
        compile_graph(_matmul_graph(), target)


def test_a_second_rule_for_one_primitive_fails_at_registration():
    importlib.import_module("adc.lower.cpu")
    with pytest.raises(AssertionError, match="matmul"):
        cpu_rule(L.matmul_p)(lambda gen, eqn: None)


def test_composition_runs_in_prepare_not_in_the_backend():
    graph = _einsum_graph()
    assert isinstance(RULES["cpu"][L.einsum_p], Composition)
    assert any(e.prim is L.einsum_p for e in prepare(graph, "numpy").eqns)
    prepared = prepare(graph, "cpu")
    assert not any(e.prim is L.einsum_p for e in prepared.eqns)
    assert any(e.prim is L.matmul_p for e in prepared.eqns)
    with pytest.raises(NotImplementedError, match=r"'einsum'.*adc\.opt\.prepare"):
        lowering("cpu", L.einsum_p)
    from adc.lower.cpu import compile_cpu

    with pytest.raises(NotImplementedError, match=r"'einsum'.*prepare"):
        compile_cpu(graph)
    np.testing.assert_array_equal(compile_graph(graph, "cpu")(np.ones((2, 3)), np.ones((3, 4)))[0],
                                  np.full((2, 4), 3.0))


def _header_imports(source: str) -> dict:
    return {m: set(names.split(", ")) for m, names in
            re.findall(r"^from (adc\.kernels\.\S+) import (.+)$", source, re.M)}


@pytest.mark.parametrize("target", ["cpu", "cuda"])
def test_generated_header_imports_every_kernel_modules_all(target):
    if target == "cuda":
        pytest.importorskip("numba.cuda")
    expected = {}
    for path in sorted((KERNELS / target).glob("*.py")):
        if path.stem == "__init__":
            continue
        module = importlib.import_module(f"adc.kernels.{target}.{path.stem}")
        assert all(hasattr(module, name) for name in module.__all__), path
        expected[module.__name__] = set(module.__all__)
    source = adc.show_source(lambda x: anp.sum(anp.exp(x)), backend=target)(np.ones(3))
    assert _header_imports(source) == expected
