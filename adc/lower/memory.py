"""The C allocator's policy for compiled code's arrays: memory a call frees is kept for the
next call instead of going back to the operating system.

Stage: run time (called before the first compiled kernel runs). Invariant: set at most once
per process, only with glibc, and only when the user has set none of glibc's malloc settings
(MALLOC_MMAP_THRESHOLD_, MALLOC_MMAP_MAX_, MALLOC_TRIM_THRESHOLD_, glibc.malloc tunables in
GLIBC_TUNABLES); what is kept is bounded: a free heap top over TRIM_THRESHOLD is given back.

Why: a compiled call allocates its intermediate arrays afresh (numpy and Numba allocate with
malloc). glibc serves large blocks (from 128 KiB, raised up to 32 MiB as they are freed) with
fresh mappings, and gives freed heap tops back, so every call faults its pages in again,
zeroed by the kernel: 2,000 page faults and 2-4 ms of system time in a 20 ms training step of
the tutorial CNN at batch 64, 9,800 faults and 36 ms in a 150 ms step of a ResNet block
(benchmarks/cnn.py, one thread). From the heap, without trimming, the second call reuses the
first one's pages and faults none.
"""
from __future__ import annotations

import ctypes
import ctypes.util
import os

M_TRIM_THRESHOLD, M_MMAP_MAX = -1, -4  # glibc's mallopt parameters (malloc.h)
TRIM_THRESHOLD = 1 << 30  # bytes: a larger free heap top is still given back
GLIBC_VARIABLES = ("MALLOC_MMAP_THRESHOLD_", "MALLOC_MMAP_MAX_", "MALLOC_TRIM_THRESHOLD_")

_applied: bool | None = None  # None: not tried yet


def keep_freed_memory() -> bool:
    """Serve every block from the heap and keep freed ones (up to TRIM_THRESHOLD of free
    heap top); whether that policy is in effect."""
    global _applied
    if _applied is None:
        libc = _glibc()
        _applied = (libc is not None and libc.mallopt(M_MMAP_MAX, 0) == 1
                    and libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1)
    return _applied


def _glibc():
    """The C library when it is glibc and the user leaves its malloc settings alone."""
    if (any(v in os.environ for v in GLIBC_VARIABLES)
            or "glibc.malloc" in os.environ.get("GLIBC_TUNABLES", "")):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
    except OSError:
        return None
    return libc if hasattr(libc, "mallopt") and hasattr(libc, "gnu_get_libc_version") else None
