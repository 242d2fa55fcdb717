"""Conformance (issue #13): each tutorial-style walkthrough (tests/tensors/walkthroughs/) runs
once with torch and once with adc in torch's place; the printed output must be identical, line
for line — values, shapes, dtypes, grad_fn names and the errors the walkthrough catches."""
from __future__ import annotations

import contextlib
import difflib
import importlib.util
import io
import pathlib

import pytest

import adc

torch = pytest.importorskip("torch")

HERE = pathlib.Path(__file__).parent / "walkthroughs"
NAMES = sorted(p.stem for p in HERE.glob("*.py"))


def _output(name: str, lib) -> str:
    spec = importlib.util.spec_from_file_location(f"walkthrough_{name}", HERE / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    run = module.run
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        run(lib)
    return out.getvalue()


@pytest.mark.parametrize("name", NAMES)
def test_walkthrough_prints_what_torch_prints(name):
    expected, got = _output(name, torch), _output(name, adc)
    diff = "\n".join(difflib.unified_diff(expected.splitlines(), got.splitlines(), "torch", "adc",
                                          lineterm="", n=1))
    assert got == expected, "adc's output differs from torch's:\n" + diff
