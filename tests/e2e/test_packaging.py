"""The built wheel installs the kernels under adc's own name (adc/kernels/...), with no bare
top-level `kernels` package in site-packages, and holds every kernel module of kernels/."""
from __future__ import annotations

import importlib.util
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def test_wheel_puts_kernels_under_adc(tmp_path):
    if importlib.util.find_spec("setuptools") is None or importlib.util.find_spec("pip") is None:
        pytest.skip("building a wheel needs setuptools and pip")
    src = tmp_path / "src"  # a copy, so the build writes nothing into the checkout
    for name in ("adc", "kernels"):
        shutil.copytree(ROOT / name, src / name, symlinks=True,
                        ignore=shutil.ignore_patterns("__pycache__"))
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, src / name)
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", str(src), "--no-deps",
                           "--no-build-isolation", "-q", "-w", str(tmp_path / "dist")],
                          capture_output=True, text=True, timeout=600)
    if proc.returncode and "bdist_wheel" in proc.stdout + proc.stderr:
        pytest.skip("this setuptools cannot build wheels without the `wheel` package")
    assert proc.returncode == 0, proc.stdout + proc.stderr
    (wheel,) = (tmp_path / "dist").glob("*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")} \
        == {"adc"}
    kernels = {p.relative_to(ROOT).as_posix() for p in (ROOT / "kernels").rglob("*.py")}
    assert {n.removeprefix("adc/") for n in names if n.startswith("adc/kernels/")} == kernels
