"""The one source builder for generated code: indented lines and unique identifiers.

Stage: lower. Invariant: generated modules are assembled only through this class (no ad-hoc
string gluing elsewhere), so indentation and naming are consistent and the source is kept.
"""
from __future__ import annotations

import contextlib


class SourceBuilder:
    def __init__(self, depth: int = 0):
        self.lines: list = []
        self._depth = depth

    def line(self, text: str = "") -> None:
        self.lines.append("    " * self._depth + text if text else "")

    @contextlib.contextmanager
    def block(self, header: str):
        self.line(header)
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1

    def element_loops(self, fresh, extents, store) -> None:
        """Loops over `extents` (source text) around the one line `store(indices)`: how
        generated njit code writes an array into (part of) another. Numba's array-valued
        assignment compiles a shape check whose error-message formatting alone costs seconds
        in every new process."""
        indices = [fresh("j") for _ in extents]
        with contextlib.ExitStack() as loops:
            for j, d in zip(indices, extents):
                loops.enter_context(self.block(f"for {j} in range({d}):"))
            self.line(store(indices))

    def source(self) -> str:
        return "\n".join(self.lines) + "\n"


def returned(names) -> str:
    """A tuple expression of `names` (a 1-tuple keeps its comma)."""
    return f"({', '.join(names)}{',' if len(names) == 1 else ''})"


class Names:
    """Stable, readable identifiers for Vars (`x3`, `t17`, ...), assigned in order of use."""

    def __init__(self):
        self._names: dict = {}
        self._count = 0

    def __call__(self, var, prefix: str = "t") -> str:
        if var not in self._names:
            self._names[var] = f"{prefix}{self._count}"
            self._count += 1
        return self._names[var]

    def __contains__(self, var) -> bool:
        return var in self._names

    def fresh(self, prefix: str = "tmp") -> str:
        self._count += 1
        return f"{prefix}{self._count}"
