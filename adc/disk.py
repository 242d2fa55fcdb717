"""The disk cache's directory and its whole-file entries.

Stage: shared by every stage that keeps data across processes (the differentiation's
derivative recipes, lower/cache.py's modules and programs). Invariants: the directory is
ADC_CACHE_DIR (default ~/.cache/adc), or, when that is not usable, a per-process temporary
one (with one warning); files are written atomically (temp file + rename), so concurrent
writers cannot leave a torn file; an entry is headed by its key and a digest of its payload,
and one that is not whole and its own reads as missing.
"""
from __future__ import annotations

import atexit
import functools
import hashlib
import itertools
import os
import shutil
import tempfile
import warnings
from pathlib import Path


def cache_dir() -> Path:
    root = os.environ.get("ADC_CACHE_DIR")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(base, "adc")
    return _usable(root)


@functools.lru_cache(maxsize=None)
def _usable(root: str) -> Path:
    """`root`, created if needed, when files can be written there; else a temporary directory
    for this process, with one warning naming ADC_CACHE_DIR."""
    path = Path(root)
    try:
        path.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(dir=path, prefix=".probe")
        os.close(fd)
        os.unlink(probe)
        return path
    except OSError as err:
        fallback = Path(tempfile.mkdtemp(prefix="adc-cache-"))
        atexit.register(shutil.rmtree, fallback, True)
        warnings.warn(f"adc: the cache directory {root} (ADC_CACHE_DIR, default ~/.cache/adc) "
                      f"is not usable ({err.strerror or err}); compiled code is cached in "
                      f"{fallback} for this process only. Set ADC_CACHE_DIR to a writable "
                      "directory to keep it across processes", RuntimeWarning, stacklevel=2)
        return fallback


def digest(data) -> str:
    return hashlib.sha256(data).hexdigest()


def write_atomically(path: Path, text: str | bytes) -> None:
    """Write `text` to a temporary file beside `path`, then rename it over `path`. The file's
    mode follows the umask (as any file the user writes: a team's shared cache directory
    stays readable), where tempfile's files are always private (0600)."""
    for attempt in itertools.count():
        tmp = path.with_name(f"{path.stem}.{os.getpid()}.{attempt}.tmp")
        try:
            fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
            break
        except FileExistsError:  # a stale temporary file of an earlier process with our pid
            continue
    try:
        with os.fdopen(fd, "wb" if isinstance(text, bytes) else "w") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:  # a full disk, a directory in path's place, an interruption
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


_ENTRY_MAGIC = b"adc-entry-1"


def store_entry(name: str, key: str, payload: bytes) -> None:
    """Keep `payload` as the file `name` (an `adc_*` name: entries() lists it), headed by
    `key` (what it was made from) and a digest of the payload."""
    write_atomically(cache_dir() / name,
                      b" ".join([_ENTRY_MAGIC, key.encode(), digest(payload).encode()])
                      + b"\n" + payload)


def load_entry(name: str, key: str) -> bytes | None:
    """The payload store_entry kept as `name` under `key`, or None: none kept, or a file that
    is not whole and its own (torn, truncated, another key's, unreadable), which the next
    store_entry replaces."""
    try:
        with open(cache_dir() / name, "rb") as f:
            header, _, payload = f.read().partition(b"\n")
    except OSError:
        return None
    if header.split(b" ") != [_ENTRY_MAGIC, key.encode(), digest(payload).encode()]:
        return None
    return payload
