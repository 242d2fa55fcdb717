"""Error types raised to users, and the helper that names the user's source line.

Invariant: every user mistake surfaces as a subclass of `AdcError` whose message names the
operation, the shapes involved, the user's source line and a way to fix it.
"""
from __future__ import annotations

import os
import sys

_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))
_SKIP_DIRS = (_PACKAGE_DIR, os.path.dirname(os.path.abspath(os.__file__)))


class AdcError(Exception):
    """Base class of every error adc raises for a user mistake."""


class TraceError(AdcError):
    """A traced value was used in a way that needs its concrete value (e.g. a Python `if`)."""


class GraphBreakError(TraceError):
    """A function compiled by adc.compile needs a value that is not known while it is traced
    (`.item()`, `.numpy()`, a Python `if` on a tensor, printing one): raised under
    `fullgraph=True`; otherwise the function runs eagerly, with one warning."""


class ShapeError(AdcError, ValueError):
    """Operand shapes are incompatible, or a seed does not match the output."""


class UnsupportedError(AdcError, NotImplementedError):
    """An operation, argument form or backend that adc does not provide."""


class ArgumentError(AdcError, ValueError):
    """A transformation's own arguments are wrong (e.g. `argnums` out of range)."""


class GradientError(AdcError, TypeError):
    """A gradient was requested where none is defined (integer input, non-scalar output, ...)."""


def _is_internal(filename: str) -> bool:
    path = os.path.abspath(filename)
    if path.startswith(_SKIP_DIRS):
        return True
    return "site-packages" in path and ("numpy" in path or "sympy" in path)


def user_frame():
    """The innermost stack frame that belongs to user code (not adc, numpy or the stdlib)."""
    frame = sys._getframe(1)
    while frame is not None and _is_internal(frame.f_code.co_filename):
        frame = frame.f_back
    return frame


def user_location() -> str:
    """`file.py:LINE: source text` of the innermost user frame, or '' when there is none."""
    frame = user_frame()
    if frame is None:
        return ""
    import linecache

    filename, lineno = frame.f_code.co_filename, frame.f_lineno
    text = linecache.getline(filename, lineno).strip()
    where = f"{os.path.basename(filename)}:{lineno}"
    return f"{where}: `{text}`" if text else where


def with_location(message: str) -> str:
    loc = user_location()
    return f"{message}\n  at {loc}" if loc else message
