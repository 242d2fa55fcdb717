"""`adc cache info|clear`: counts the disk cache's own files, deletes only those, and the
cache fills again on the next compiled call (counted in Numba's cache hits and misses)."""
from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from adc.cli import main

ROOT = str(Path(__file__).resolve().parents[2])
_CHILD = textwrap.dedent("""
    import numpy as np, adc, adc.numpy as anp
    from adc.backends import compile_graph
    x = np.ones(4)
    compiled = compile_graph(adc.make_ir(adc.grad(lambda x: anp.sum(anp.sinh(x) ** 3)))(x), "cpu")
    compiled(x)
    adc.grad(lambda x: anp.sum(anp.cosh(x)))(x)  # kept as a program too
    print(*compiled.cache_stats())
""")


def _compile_in_child(cache_dir) -> tuple:
    env = dict(os.environ, ADC_CACHE_DIR=str(cache_dir), PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-c", _CHILD], env=env, capture_output=True,
                         text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    return tuple(map(int, out.stdout.split()))


def _cli(capsys, *argv) -> str:
    assert main(list(argv)) == 0
    return capsys.readouterr().out


@pytest.fixture
def cache_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("ADC_CACHE_DIR", str(tmp_path))
    return tmp_path


def test_info_and_clear(cache_dir, capsys):
    assert _compile_in_child(cache_dir) == (0, 1)
    (cache_dir / "notes.txt").write_text("not the cache's")
    info = _cli(capsys, "cache", "info")
    found = re.search(r"(\d+) generated module\(s\), (\d+) Numba machine-code file\(s\), "
                      r"(\d+) compiled program\(s\), (\d+) derivative recipe\(s\), "
                      r"(\d+) file\(s\) in all, ([\d.]+) KiB", info)
    assert found and str(cache_dir) in info, info
    modules, machine, programs, recipes, files = map(int, found.groups()[:5])
    assert modules == 2 and machine == 4 and programs == 1 and recipes >= 2
    assert files == modules + machine + programs + recipes
    cleared = _cli(capsys, "cache", "clear")
    assert re.search(rf"deleted {files} file\(s\)", cleared), cleared
    assert (cache_dir / "notes.txt").exists()
    assert re.search(r"0 generated module\(s\), 0 Numba machine-code file\(s\), "
                     r"0 compiled program\(s\), 0 derivative recipe\(s\), 0 file\(s\)",
                     _cli(capsys, "cache", "info"))
    assert _compile_in_child(cache_dir) == (0, 1)  # compiled again, cached again
    assert _compile_in_child(cache_dir) == (1, 0)


def test_help_has_examples(capsys):
    with pytest.raises(SystemExit) as exc:
        main(["cache", "--help"])
    assert exc.value.code == 0
    assert "examples:\n  adc cache info\n  adc cache clear" in capsys.readouterr().out
