"""The on-disk cache of generated modules.

Stage: lower. Invariants: a module's file name is a content hash of its source and of the
versions that affect code generation, so a second process finds the same file and Numba's
`cache=True` reuses the machine code; files are written atomically (temp file + rename), so
concurrent writers cannot leave a torn file; a file whose content does not match its hash is
rewritten, never trusted.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import sys
import tempfile
from pathlib import Path


def cache_dir() -> Path:
    root = os.environ.get("ADC_CACHE_DIR")
    if not root:
        base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
        root = os.path.join(base, "adc")
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


@functools.lru_cache(maxsize=None)
def _versions() -> str:
    """Everything besides the source that decides the machine code, including the kernels
    library the generated code calls (Numba's cache does not track callees' changes)."""
    import numba
    import numpy

    import kernels

    from .. import __version__

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


def load_module(source: str):
    """Write (if needed) and import the generated module for `source`."""
    key = source_key(source)
    path = cache_dir() / f"adc_{key}.py"
    try:
        current = path.read_text()
    except (OSError, UnicodeDecodeError):
        current = None
    if current != source:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.stem, suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            f.write(source)
        os.replace(tmp, path)
    name = f"adc_generated_{key}"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules[name] = module
    return module
