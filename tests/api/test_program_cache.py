"""The disk cache of compiled programs (adc.grad and adc.jit on the CPU): a second process
traces the function, finds the program built from the same traced graph and loads it, so it
neither differentiates, optimizes nor generates code (and never imports sympy); anything that
changes the program (the function, argnums, shapes, dtypes, the compiler, the code generator's
settings) changes its key, and an unreadable entry is rebuilt. Counted in compilations and
loaded modules, never timed."""
from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest

from adc import backends
from adc.ir import Aval, Graph, Var
from adc.lower import cache

ROOT = str(Path(__file__).resolve().parents[2])

# argv[1]: the constant the function scales by; prints each result, how many graphs were
# compiled (staging.compile_graph) and whether sympy was imported.
_CHILD = textwrap.dedent("""
    import json, sys
    import numpy as np
    import adc, adc.numpy as anp
    from adc import staging
    compiled = []
    real = staging.compile_graph
    staging.compile_graph = lambda graph, backend, **k: compiled.append(1) or real(
        graph, backend, **k)
    scale = float(sys.argv[1])
    f = lambda x, y: anp.sum(anp.tanh(x * scale) * anp.sin(y))
    x, y = np.linspace(-1.0, 1.0, 6), np.linspace(0.5, 2.0, 6)
    out = {"grad0": adc.grad(f)(x, y).tolist(),
           "grad1": adc.grad(f, argnums=1)(x, y).tolist(),
           "grad0_f32": adc.grad(f)(x.astype(np.float32), y.astype(np.float32)).tolist(),
           "jit": adc.jit(f)(x[:4], y[:4]).tolist(),
           "compiled": len(compiled), "sympy": "sympy" in sys.modules}
    print(json.dumps(out))
""")


def run_child(cache_dir, scale=1.0) -> dict:
    env = dict(os.environ, ADC_CACHE_DIR=str(cache_dir), PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-c", _CHILD, str(scale)], env=env,
                         capture_output=True, text=True, timeout=600)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def _check(result, scale):
    x, y = np.linspace(-1.0, 1.0, 6), np.linspace(0.5, 2.0, 6)
    np.testing.assert_allclose(result["grad0"], scale / np.cosh(x * scale) ** 2 * np.sin(y),
                               rtol=1e-12)
    np.testing.assert_allclose(result["grad1"], np.tanh(x * scale) * np.cos(y), rtol=1e-12)
    np.testing.assert_allclose(result["grad0_f32"], result["grad0"], rtol=1e-5)
    np.testing.assert_allclose(result["jit"], np.sum(np.tanh(x[:4] * scale) * np.sin(y[:4])),
                               rtol=1e-12)


def _programs(cache_dir) -> list:
    return sorted(Path(cache_dir).glob("adc_*.program"))


def test_a_second_process_loads_the_programs_and_never_imports_sympy(tmp_path):
    first = run_child(tmp_path)
    _check(first, 1.0)
    assert first["compiled"] == 4 and first["sympy"]
    assert len(_programs(tmp_path)) == 4  # argnums, dtype and shape each key their own
    second = run_child(tmp_path)
    _check(second, 1.0)
    assert second["compiled"] == 0 and not second["sympy"]


def test_a_changed_function_is_not_served_the_old_program(tmp_path):
    run_child(tmp_path, 1.0)
    changed = run_child(tmp_path, 2.0)  # another constant in the traced graph
    _check(changed, 2.0)
    assert changed["compiled"] == 4 and len(_programs(tmp_path)) == 8


def test_unreadable_programs_are_rebuilt_and_lost_kernels_recompiled(tmp_path):
    run_child(tmp_path)
    torn, foreign, garbled, intact = _programs(tmp_path)
    torn.write_bytes(torn.read_bytes()[:-10])
    foreign.write_bytes(intact.read_bytes())  # another key's program under this key
    header, _, blob = garbled.read_bytes().partition(b"\n")
    garbled.write_bytes(header + b"\n" + bytes(len(blob)))
    for module in [*tmp_path.glob("adc_*.py"), *(tmp_path / "__pycache__").iterdir()]:
        module.unlink()  # the intact program's kernels are written and compiled again
    again = run_child(tmp_path)
    _check(again, 1.0)
    assert again["compiled"] == 3
    healed = run_child(tmp_path)  # the rebuilt entries were saved over the unreadable ones
    _check(healed, 1.0)
    assert healed["compiled"] == 0


def _graph() -> Graph:
    x = Var(Aval((3,), np.dtype("float64")))
    return Graph([x], [x], [])


def test_the_key_follows_the_compiler_and_the_code_generators_settings(monkeypatch):
    from adc.lower.cpu import runtime

    origin = (_graph(), ("jit",))
    key = backends.program_key(origin, "cpu", False)
    assert key == backends.program_key((_graph(), ("jit",)), "cpu", False)
    others = {backends.program_key(origin, "cpu", True),
              backends.program_key((_graph(), ("grad", (0,), False)), "cpu", False)}
    monkeypatch.setattr(runtime, "SPLIT_MIN_NESTS", 1)
    others.add(backends.program_key(origin, "cpu", False))
    monkeypatch.undo()
    monkeypatch.setenv("ADC_DEBUG", "1")
    others.add(backends.program_key(origin, "cpu", False))
    monkeypatch.undo()
    monkeypatch.setattr(cache, "compiler_digest", lambda: "another compiler")
    others.add(backends.program_key(origin, "cpu", False))
    assert len(others) == 5 and key not in others


@pytest.mark.parametrize("backend", ["numpy", "cuda"])
def test_only_cpu_programs_are_kept(backend):
    assert backends.program_key((_graph(), ("jit",)), backend, False) is None


def test_a_parameter_without_a_stable_form_keeps_no_program():
    assert backends.program_key((_graph(), ("jit", object())), "cpu", False) is None
