"""`adc compile --emit dot|grad-dot`: the optimized forward and value-and-gradient graphs as
Graphviz DOT (adc.viz.to_dot), inputs named after the function's arguments, on stdout or as
.gv files with --out; run in process on the numpy backend (nothing compiled)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import adc
from adc.cli import main

ROOT = Path(__file__).resolve().parents[2]
EX = ROOT / "examples" / "cli_functions.py"


@pytest.fixture(autouse=True)
def _keep_sys_path(monkeypatch):
    import sys

    monkeypatch.setattr(sys, "path", list(sys.path))


def _forward_graph():
    import importlib.util

    spec = importlib.util.spec_from_file_location("cli_functions", EX)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return adc.make_ir(module.rosenbrock)(np.zeros(4))


def test_emit_dot_prints_the_forward_graph_as_dot(capsys):
    assert main(["compile", f"{EX}:rosenbrock", "--arg", "x=f64[4]", "--backend", "numpy",
                 "-q", "--emit", "dot"]) == 0
    out, err = capsys.readouterr()
    assert out.startswith('digraph "adc_ir" {') and out.rstrip().endswith("}")
    assert "equations" in err  # the summary went to stderr: stdout is only the DOT text
    assert '"in0" [label="x\\la:f64[4]\\l"' in out and "reduce_sum" in out
    assert out == adc.viz.to_dot(_forward_graph(), ["x"]).source


def test_emit_grad_dot_to_files(tmp_path, capsys):
    assert main(["compile", f"{EX}:rosenbrock", "--arg", "x=f64[4]", "--backend", "numpy",
                 "-q", "--emit", "dot,grad-dot,ir", "--out", str(tmp_path)]) == 0
    out = capsys.readouterr().out
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["rosenbrock.dot.gv", "rosenbrock.grad-dot.gv", "rosenbrock.ir.txt"]
    assert f"wrote {tmp_path / 'rosenbrock.grad-dot.gv'}" in out
    grad = (tmp_path / "rosenbrock.grad-dot.gv").read_text()
    fwd = (tmp_path / "rosenbrock.dot.gv").read_text()
    assert grad.count('"out') > fwd.count('"out')  # the value and the gradient
    assert grad.count("[label=") > fwd.count("[label=")
