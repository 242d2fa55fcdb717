"""Elementwise derivatives replayed from recipes (adc/prims/recipes.py): for every
differentiable elementwise primitive and the parameters of its cases, the graph a recipe
replays is the graph sympy's derivative translates to, also after the recipe went through
JSON; kept on disk, a torn or ill-formed file is recorded afresh; and a second process
differentiates from the cache without importing sympy."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

import adc
from adc import disk
from adc.prims import lax, recipes
from adc.prims import symbolic as S
from adc.prims.base import REGISTRY
from adc.tracer import bind

ROOT = str(Path(__file__).resolve().parents[2])
ELEMENTWISE = sorted((p for p in REGISTRY.values() if p.elementwise and p.differentiable),
                     key=lambda p: p.name)
CASES = [(prim, params) for prim in ELEMENTWISE
         for params in {repr(c["params"]): c["params"] for c in prim.cases}.values()]


def _kind(d):
    return {0: recipes.ZERO, 1: recipes.ONE, -1: recipes.MINUS_ONE}.get(d, "ops") \
        if d.is_Number else "ops"


def _graph(prim, params, derive) -> str:
    def f(*xs):
        return derive(bind(prim, *xs, **params), xs)
    return str(adc.make_ir(f)(*[np.linspace(0.25, 1.5, 3)] * len(prim.domains)))


@pytest.mark.parametrize("prim, params", CASES,
                         ids=[f"{p.name}-{k}" for k, (p, _) in enumerate(CASES)])
def test_a_replayed_recipe_is_the_graph_of_the_translated_derivative(prim, params, tmp_path,
                                                                      monkeypatch):
    monkeypatch.setenv("ADC_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(recipes, "_MEMORY", {})
    nin = len(prim.domains)
    exprs = S.derivatives(prim.form_for(params), nin)
    recipe = recipes.derivatives(prim, params, nin)
    assert [d if isinstance(d, str) else "ops" for d in recipe] == [_kind(d) for d in exprs]

    def translated(out, xs):
        env = {**dict(zip(S.SYMBOLS, xs)), S.OUT: out}
        return [S.to_ops(d, env, lax, out.dtype) for d in exprs if _kind(d) == "ops"]

    def replayed(steps):
        return lambda out, xs: [recipes.replay(d, xs, out, lax) for d in steps
                                if isinstance(d, dict)]

    if "ops" not in map(_kind, exprs):
        return
    expected = _graph(prim, params, translated)
    assert _graph(prim, params, replayed(recipe)) == expected
    assert _graph(prim, params, replayed(json.loads(json.dumps(recipe)))) == expected


def _stored(tmp_path):
    (path,) = tmp_path.glob("adc_*.vjp")
    key = path.read_bytes().split(b"\n", 1)[0].split(b" ")[1].decode()
    return path, key


_ILL_FORMED = {
    "not json": b"[{]",
    "unknown operation": [{"steps": [["system", [["in", 0]]]], "result": ["step", 0]}],
    "later step": [{"steps": [["mul", [["step", 0], ["out"]]]], "result": ["step", 0]}],
    "lax but not replayed": [{"steps": [["bind", [["prim", "sin"], ["in", 0]]]],
                              "result": ["step", 0]}],
    "operand missing": [{"steps": [["mul", [["in", 0]]]], "result": ["step", 0]}],
    "float index": [{"steps": [["mul", [["in", 0.0], ["out"]]]], "result": ["step", 0]}],
    "not elementwise": [{"steps": [["elementwise", [["prim", "reduce_sum"], ["in", 0]]]],
                         "result": ["step", 0]}],
    "int exponent": [{"steps": [["pow_scalar", [["in", 0], ["float", 2]]]],
                      "result": ["step", 0]}],
    "deeply nested": b"[" * 100000,
}


@pytest.mark.parametrize("damage", ["torn", *_ILL_FORMED])
def test_a_damaged_recipe_file_is_recorded_afresh(tmp_path, monkeypatch, damage):
    monkeypatch.setenv("ADC_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(recipes, "_MEMORY", {})
    prim = REGISTRY["tanh"]
    good = recipes.derivatives(prim, {}, 1)
    path, key = _stored(tmp_path)
    text = path.read_bytes()
    if damage == "torn":
        path.write_bytes(text[:-5])
    else:
        bad = _ILL_FORMED[damage]
        disk.store_entry(path.name, key, bad if isinstance(bad, bytes) else
                         json.dumps(bad).encode())
    monkeypatch.setattr(recipes, "_MEMORY", {})
    assert recipes.derivatives(prim, {}, 1) == good
    assert path.read_bytes() == text  # rewritten whole


def test_a_cache_that_cannot_be_written_still_differentiates(tmp_path, monkeypatch):
    monkeypatch.setenv("ADC_CACHE_DIR", str(tmp_path))
    monkeypatch.setattr(recipes, "_MEMORY", {})
    prim = REGISTRY["sin"]
    good = recipes.derivatives(prim, {}, 1)
    path, _ = _stored(tmp_path)
    path.unlink()
    path.mkdir()  # a directory where the recipe's file goes: the write fails
    monkeypatch.setattr(recipes, "_MEMORY", {})
    assert recipes.derivatives(prim, {}, 1) == good
    assert path.is_dir() and not list(tmp_path.glob("*.tmp"))


_CHILD = textwrap.dedent("""
    import sys
    import numpy as np
    import adc, adc.numpy as anp

    def f(x, y):
        return anp.sum(anp.tanh(x) * anp.sin(y) / y + anp.maximum(x, y) ** 2.5
                       + anp.logaddexp(x, -y) + anp.sqrt(anp.abs(x - y) + 1.0))

    g = adc.grad(f, argnums=(0, 1), backend="numpy")(np.linspace(-1, 1, 5), np.linspace(1, 2, 5))
    print(repr([v.tolist() for v in g]), "sympy" in sys.modules)
""")


def test_a_second_process_differentiates_from_the_cache_without_sympy(tmp_path):
    env = dict(os.environ, ADC_CACHE_DIR=str(tmp_path), PYTHONPATH=ROOT)
    runs = [subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True,
                           text=True, timeout=300) for _ in range(2)]
    for run in runs:
        assert run.returncode == 0, run.stderr
    (first, first_sympy), (second, second_sympy) = (r.stdout.rsplit(" ", 1) for r in runs)
    assert first == second
    assert first_sympy.strip() == "True" and second_sympy.strip() == "False"
