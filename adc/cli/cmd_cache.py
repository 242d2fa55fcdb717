"""`adc cache info` and `adc cache clear`: what the disk cache holds, and emptying it.

Stage: CLI. Invariant: only the cache's own files (adc.lower.cache.entries) are counted or
deleted, never other files in the directory.
"""
from __future__ import annotations

from ..lower import cache


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} bytes"
    return f"{n / 1024:.1f} KiB" if n < 1024 ** 2 else f"{n / 1024 ** 2:.1f} MiB"


def run(opts, progress) -> int:
    root = cache.cache_dir()
    if opts.action == "clear":
        count, size = cache.clear(root)
        print(f"{root}: deleted {count} file(s), {_size(size)}")
        return 0
    found = cache.usage(root)
    print(f"{root}: {found['modules']} generated module(s), {found['machine code']} Numba "
          f"machine-code file(s), {found['programs']} compiled program(s), "
          f"{found['derivatives']} derivative recipe(s), {found['files']} file(s) in all, "
          f"{_size(found['bytes'])}")
    return 0
