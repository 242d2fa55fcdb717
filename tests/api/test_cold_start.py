"""Cold start: `import adc` loads no heavy dependency (sympy, SciPy, Numba); each is imported
by the first thing that needs it (a derivative, a SciPy-backed numpy reference, a compile).
Counted in fresh processes (which modules are loaded), never timed."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sympy as sp

from adc.prims import elementwise as E
from adc.prims import symbolic
from adc.prims.lazy import LazyModule

ROOT = str(Path(__file__).resolve().parents[2])
HEAVY = ("sympy", "scipy", "scipy.special", "scipy.linalg", "numba")

# Each step runs after the previous ones in one fresh process; after each, the child records
# which of HEAVY are loaded.
_CHILD = f"""
import json, sys
import numpy as np
steps = {{}}
def seen(step):
    steps[step] = [m for m in {HEAVY!r} if m in sys.modules]
import adc
import adc.numpy as anp
seen("import adc")
adc.make_ir(adc.grad(lambda x: anp.sum(anp.tanh(x) * x)))(np.ones(3))
seen("gradient traced")
anp.erf(np.ones(3))
seen("erf evaluated")
anp.linalg.det(np.array([[2.0, 1.0], [1.0, 3.0]]))
seen("det evaluated")
adc.grad(lambda x: anp.sum(x * x))(np.ones(2))
seen("gradient compiled")
print(json.dumps(steps))
"""


@pytest.fixture(scope="module")
def loaded(tmp_path_factory):
    # an empty cache: a cached derivative recipe (prims/recipes.py) would need no sympy
    env = dict(os.environ, PYTHONPATH=ROOT + os.pathsep + os.environ.get("PYTHONPATH", ""),
               ADC_CACHE_DIR=str(tmp_path_factory.mktemp("cache")))
    proc = subprocess.run([sys.executable, "-c", _CHILD], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_import_adc_loads_no_heavy_module(loaded):
    assert loaded["import adc"] == []


def test_each_heavy_module_is_imported_by_its_first_use(loaded):
    assert loaded["gradient traced"] == ["sympy"]
    assert loaded["erf evaluated"] == ["sympy", "scipy", "scipy.special"]
    # det is numpy's LAPACK call: nothing more, scipy.linalg included
    assert loaded["det evaluated"] == ["sympy", "scipy", "scipy.special"]
    assert "numba" in loaded["gradient compiled"]


def test_lazy_module_imports_on_first_read_only():
    missing = LazyModule("adc_no_such_module")
    assert "not imported yet" in repr(missing)
    with pytest.raises(ModuleNotFoundError):
        _ = missing.anything
    relative = LazyModule(".symbolic", "adc.prims")
    assert relative.Sigmoid is symbolic.Sigmoid
    assert "(imported)" in repr(relative)


def test_forms_are_built_once_per_params():
    assert E.exp_p.form_for({}) == sp.exp(symbolic.SYMBOLS[0])
    assert E.exp_p.form_for({}) is E.exp_p.form_for({})
    half = E.pow_scalar_p.form_for({"exponent": 0.5})
    assert half == symbolic.Power(symbolic.SYMBOLS[0], sp.S.Half)
    assert E.pow_scalar_p.form_for({"exponent": 0.5}) is half
    assert E.pow_scalar_p.form_for({"exponent": 3}) != half


def test_function_prims_map_sympy_functions_back_to_their_primitives():
    table = symbolic.function_prims()
    assert table[sp.exp] is E.exp_p
    assert table[symbolic.Sigmoid] is E.sigmoid_p
    assert table[symbolic.Power] is E.pow_p  # pow_scalar's form has params: not a function
    assert E.pow_scalar_p not in table.values()
    assert E.add_p not in table.values() and E.sqrt_p not in table.values()
