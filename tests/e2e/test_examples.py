"""Every script in examples/ runs to completion in a fresh interpreter and reports that its
results agree with torch (the line `max abs difference with torch: <value>`)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("torch")

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = sorted((ROOT / "examples").glob("*.py"))
AGREEMENT = re.compile(r"max abs difference with torch: ([0-9.eE+-]+)")
# Scripts computing in float32 (torch's default dtype) and the arguments the test runs them
# with (fewer epochs than a user would train; the loss curve goes to the test's directory).
FLOAT32 = {"cnn_digits.py"}
ARGS = {"cnn_digits.py": lambda tmp: ["--epochs", "1", "--plot", str(tmp / "loss.png")]}


def test_examples_exist():
    names = {p.name for p in EXAMPLES}
    assert {"quickstart.py", "linear_regression.py", "jacobian_from_seeds.py",
            "mlp_training.py", "hessian.py", "tensor_backward_basics.py",
            "tensor_retain_graph.py", "tensor_jacobian_rows.py", "tensor_hooks.py",
            "tensor_no_grad_detach.py", "tensor_linear_regression.py",
            "tensor_mlp_classifier.py", "tensor_gradcheck.py", "cnn_digits.py"} <= names


@pytest.mark.parametrize("script", EXAMPLES, ids=lambda p: p.name)
def test_example_runs_and_agrees_with_torch(script, tmp_path):
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(ROOT)] + ([env["PYTHONPATH"]] if env.get("PYTHONPATH") else []))
    args = ARGS[script.name](tmp_path) if script.name in ARGS else []
    proc = subprocess.run([sys.executable, str(script), *args], cwd=ROOT, env=env, check=False,
                          capture_output=True, text=True, timeout=300)
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, f"{script.name} exited with {proc.returncode}:\n{output}"
    match = AGREEMENT.search(proc.stdout)
    assert match, f"{script.name} printed no agreement line with torch:\n{output}"
    # The tensor examples compute in float32, torch's default dtype (60 training steps of
    # rounding in the trajectories); the functional ones in float64.
    float32 = script.name.startswith("tensor_") or script.name in FLOAT32
    tolerance = 2e-5 if float32 else 1e-8
    assert float(match.group(1)) < tolerance, match.group(0)


CACHE_PROBE = """
import numpy as np
import adc
import adc.numpy as anp

@adc.jit
def f(x):
    return tuple(anp.sin(x * k) for k in range(1, 9))

for n in range(2, 8):
    f(np.ones(n))
"""


def test_second_process_reuses_the_compiled_cache(tmp_path):
    """Examples run in seconds only when a fresh process finds the generated modules of an
    earlier one: the same functions must generate the same source in every process."""
    env = dict(os.environ, ADC_CACHE_DIR=str(tmp_path), PYTHONPATH=str(ROOT))
    seen = []
    for hash_seed in ("1", "2"):
        proc = subprocess.run([sys.executable, "-c", CACHE_PROBE], cwd=ROOT, check=False,
                              capture_output=True, text=True, timeout=300,
                              env=dict(env, PYTHONHASHSEED=hash_seed))
        assert proc.returncode == 0, proc.stdout + proc.stderr
        seen.append(sorted(p.name for p in tmp_path.glob("adc_*.py")))
    assert seen[1] == seen[0], f"the second process generated {len(seen[1]) - len(seen[0])} " \
                               "new modules for the same functions"


STALE_PROBE = """
import numpy as np
import adc

print(adc.jit(lambda x: np.cumsum(x))(np.array([1.0, 2.0, 3.0])).tolist())
"""


def test_cached_modules_follow_changes_to_the_kernels(tmp_path):
    """A copy of adc whose cumsum3 kernel is edited between two processes sharing one cache
    directory: the second process must run the edited kernel."""
    import shutil

    repo = tmp_path / "repo"
    for pkg in ("adc", "kernels"):
        shutil.copytree(ROOT / pkg, repo / pkg, symlinks=True,  # adc/kernels links to kernels/
                        ignore=shutil.ignore_patterns("__pycache__"))
    env = dict(os.environ, ADC_CACHE_DIR=str(tmp_path / "cache"), PYTHONPATH=str(repo))

    def run():
        proc = subprocess.run([sys.executable, "-c", STALE_PROBE], cwd=repo, check=False,
                              capture_output=True, text=True, timeout=300, env=env)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        return proc.stdout.strip().splitlines()[-1]

    assert run() == "[1.0, 3.0, 6.0]"
    scan = repo / "kernels" / "cpu" / "scan.py"
    old = "out[i, 0, k] = x[i, 0, k]"
    source = scan.read_text()
    if old not in source:
        pytest.skip("kernels/cpu/scan.py no longer has the cumsum3 line this test edits")
    scan.write_text(source.replace(old, "out[i, 0, k] = 2 * x[i, 0, k]"))
    assert run() == "[2.0, 4.0, 7.0]", "the second process ran the stale cached cumsum3 kernel"
