"""Debug mode for generated code (`ADC_DEBUG=1`): arrays the generated code allocates without
initialising are filled with a signalling value instead, so an element that no loop writes
shows up as NaN (floats) or the dtype's minimum (integers) rather than as stale memory.

Stage: lower. Invariant: with ADC_DEBUG unset or 0 the generated source is exactly what it
is without this module (so the disk cache keys are unchanged); set the variable before the
first compiled call of a process (compiled modules are cached in memory).
"""
from __future__ import annotations

import os

import numpy as np


def enabled() -> bool:
    return os.environ.get("ADC_DEBUG", "") not in ("", "0")


def poison(dtype) -> str | None:
    """The fill value for an uninitialised array of `dtype` in debug mode, else None."""
    if not enabled():
        return None
    dtype = np.dtype(dtype)
    if dtype.kind == "f":
        return "np.nan"
    if dtype.kind in "iu":
        return str(np.iinfo(dtype).min)
    return None  # booleans have no value to spare


def empty(shape: str, dtype) -> str:
    """Source allocating an array of `shape` (source text) for generated CPU code."""
    from .nest import np_dtype

    fill = poison(dtype)
    if fill is None:
        return f"np.empty({shape}, {np_dtype(dtype)})"
    return f"np.full({shape}, {fill}, {np_dtype(dtype)})"
