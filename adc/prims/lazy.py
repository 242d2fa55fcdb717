"""Modules imported on first use, so `import adc` stays free of sympy and SciPy.

Stage: shared by the primitive definitions and the user namespace (imports only). Invariant:
`LazyModule(name)` imports nothing when made; its first attribute read imports the module,
and every read returns that module's attribute as it is at the time of the read.
"""
from __future__ import annotations

import importlib


class LazyModule:
    """Stands for the module `name` (relative to `package` when it starts with a dot) until an
    attribute is read; then it delegates to the module."""

    def __init__(self, name: str, package: str | None = None):
        self._name = name
        self._package = package
        self._module = None

    def __getattr__(self, attr: str):
        if self._module is None:
            self._module = importlib.import_module(self._name, self._package)
        return getattr(self._module, attr)

    def __repr__(self) -> str:
        state = "imported" if self._module is not None else "not imported yet"
        return f"<lazy module {self._name!r} ({state})>"

