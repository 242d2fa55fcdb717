"""`adc validate` where PyTorch is not installed: the finite-difference half still runs, the
report says the torch half was skipped and how to install torch from wherever the user is
(the distribution is not on the package index, so the hint must not need it)."""
from __future__ import annotations

import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
EX = "examples/cli_functions.py"
# sys.modules["torch"] = None makes every `import torch` raise ImportError, as on a machine
# without it.
WITHOUT_TORCH = ("import runpy, sys; sys.modules['torch'] = None; sys.argv[0] = 'adc'; "
                 "runpy.run_module('adc', run_name='__main__')")


def _validate(*args):
    return subprocess.run([sys.executable, "-c", WITHOUT_TORCH, "validate", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=240)


def test_validate_without_torch_checks_finite_differences():
    p = _validate(f"{EX}:rosenbrock", "--arg", "x=f64[20]", "--backend", "numpy", "-q")
    assert p.returncode == 0, p.stdout + p.stderr
    assert "torch half skipped" in p.stdout and "pip install torch==2.13.0" in p.stdout
    assert "adc-autodiff[validate]' -c" not in p.stdout.split("in a clone")[0]
    row = next(line for line in p.stdout.splitlines() if line.startswith("x "))
    assert row.split()[:3] == ["x", "(20,)", "f64"] and row.split()[-2:] == ["ok", "ok"]
    assert "torch rel err" not in p.stdout
    assert "all gradients agree with finite differences" in p.stdout


def test_validate_without_torch_still_finds_a_wrong_gradient():
    p = _validate(f"{EX}:straight_through", "--arg", "x=f64[6]", "--backend", "numpy",
                  "--rng-seed", "1", "-q")
    assert p.returncode == 1, p.stdout + p.stderr
    row = next(line for line in p.stdout.splitlines() if line.startswith("x "))
    assert row.split()[-2:] == ["MISMATCH", "MISMATCH"]
    assert "GRADIENTS DISAGREE" in p.stdout
