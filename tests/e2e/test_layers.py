"""The import graph keeps the architecture's layers: a module imports only modules of its own
layer or below (function-level imports included), so primitives sit below the user
namespace, the compiler below the front ends, and the kernels import nothing of the compiler.
"""
from __future__ import annotations

import ast
import pathlib

import pytest

ROOT = pathlib.Path(__file__).resolve().parents[2]

# Lowest first. A module belongs to the longest prefix listed.
LAYERS = [
    ["adc.errors", "adc.interpret", "adc.progress", "adc.disk", "adc.lower.registry"],
    ["adc.ir"],
    ["adc.tracer"],
    ["adc.prims"],
    ["adc.ad", "adc.batching", "adc.opt", "adc.loops"],
    ["adc.numpy"],
    ["adc.lower", "adc.backends"],
    ["adc.staging", "adc.api", "adc.forward", "adc.jacobians", "adc.check", "adc.validate",
     "adc.domains"],
    ["adc.tensors", "adc.nn", "adc.optim", "adc.utils", "adc.viz"],
    ["adc.cli", "adc.__main__", "adc"],
]


def _layer(module: str):
    best, level = "", None
    for k, names in enumerate(LAYERS):
        for name in names:
            if (module == name or module.startswith(name + ".")) and len(name) > len(best):
                best, level = name, k
    return level


def _modules():
    for path in sorted((ROOT / "adc").rglob("*.py")):
        if path.relative_to(ROOT).parts[:2] == ("adc", "kernels"):
            continue  # the top-level kernels/, installed under adc's name (checked below)
        parts = path.relative_to(ROOT).with_suffix("").parts
        yield ".".join(parts[:-1] if parts[-1] == "__init__" else parts), path


def _imports(module: str, path: pathlib.Path):
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = package
            for _ in range(node.level - 1):
                base = base.rpartition(".")[0]
            target = (f"{base}.{node.module}" if node.module else base) if node.level else \
                node.module
            for a in node.names:  # `from . import numpy` imports adc.numpy, not all of adc
                sub = f"{target}.{a.name}"
                if sub in NAMES or sub.startswith("adc.kernels"):
                    yield sub
                elif (target, a.name) != ("adc", "__version__"):  # data, not a dependency
                    yield target


MODULES = list(_modules())
NAMES = {m for m, _ in MODULES}


@pytest.mark.parametrize("module,path", MODULES, ids=[m for m, _ in MODULES])
def test_imports_stay_at_or_below_the_module_layer(module, path):
    own = _layer(module)
    assert own is not None, f"{module} is in no layer of tests/e2e/test_layers.py"
    upward = sorted({t for t in _imports(module, path) if t.startswith("adc")
                     and _layer(t) is not None and _layer(t) > own
                     and not t.startswith("adc.kernels")})
    assert not upward, f"{module} (layer {own}) imports from above it: {upward}"


def test_kernels_import_nothing_of_the_compiler():
    for path in sorted((ROOT / "kernels").rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) and not node.level else []
            bad = [n for n in names if n == "adc" or n.startswith("adc.")
                   and not n.startswith("adc.kernels")]
            assert not bad, f"{path.relative_to(ROOT)} imports {bad}"
