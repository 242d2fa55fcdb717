"""The on-disk cache of generated modules.

Stage: lower. Invariants: a module's file name is a content hash of its source and of the
versions that affect code generation, so a second process finds the same file and Numba's
`cache=True` reuses the machine code; files are written atomically (temp file + rename), so
concurrent writers cannot leave a torn file; a file whose content does not match its hash is
rewritten, never trusted; an unusable cache directory falls back to a per-process temporary
one (with one warning), and a directory in a module file's place is replaced.
"""
from __future__ import annotations

import atexit
import functools
import hashlib
import importlib.util
import itertools
import os
import shutil
import sys
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


@functools.lru_cache(maxsize=None)
def _versions() -> str:
    """Everything besides the source that decides the machine code, including the kernels
    library the generated code calls (Numba's cache does not track callees' changes)."""
    import numba
    import numpy

    from .. import __version__, kernels

    digest = hashlib.sha256()
    for path in sorted(Path(kernels.__file__).parent.rglob("*.py")):
        digest.update(path.read_bytes())
    return f"adc={__version__};numba={numba.__version__};numpy={numpy.__version__};" \
           f"py={sys.version_info[:2]};kernels={digest.hexdigest()[:16]};" \
           f"threads={numba.config.NUMBA_NUM_THREADS}"


def source_key(source: str) -> str:
    return hashlib.sha256((_versions() + "\n" + source).encode()).hexdigest()[:32]


def purge(source: str) -> None:
    """Delete Numba's cached machine code for `source`'s module (e.g. a corrupt index)."""
    key = source_key(source)
    for path in (cache_dir() / "__pycache__").glob(f"adc_{key}.*"):
        try:
            path.unlink()
        except OSError:
            pass
    sys.modules.pop(f"adc_generated_{key}", None)


def unreadable_entries(err: BaseException) -> list:
    """The Numba cache files (of the generated module or of a kernel it calls) that `err` was
    raised while reading — truncated or corrupt, or pickled under a module name that no longer
    imports — as `IndexDataCacheFile`s, whose `flush()` empties them. [] when `err` came from
    compiling or running the kernel."""
    from numba.core.caching import IndexDataCacheFile

    found = []
    tb = err.__traceback__
    while tb is not None:
        frame = tb.tb_frame
        if Path(frame.f_code.co_filename).match("numba/core/caching.py"):
            owner = frame.f_locals.get("self")
            entry = owner if isinstance(owner, IndexDataCacheFile) else getattr(
                owner, "_cache_file", None)
            if isinstance(entry, IndexDataCacheFile) and entry not in found:
                found.append(entry)
        tb = tb.tb_next
    return found


def owners(entries, sources) -> list:
    """The generated modules (of `sources`) whose Numba cache files are among `entries` (from
    unreadable_entries); a kernels-library entry belongs to none of them."""
    names = {entry._index_name.split(".", 1)[0] for entry in entries}
    return [s for s in sources if f"adc_{source_key(s)}" in names]


def _write_atomically(path: Path, text: str) -> None:
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
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def load_module(source: str):
    """Write (if needed) and import the generated module for `source`."""
    key = source_key(source)
    path = cache_dir() / f"adc_{key}.py"
    try:
        current = path.read_text()
    except (OSError, UnicodeDecodeError):
        current = None
    if current != source:
        if path.is_dir():  # not ours to keep: the module's file name is taken by a directory
            shutil.rmtree(path)
        _write_atomically(path, source)
    name = f"adc_generated_{key}"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return module
