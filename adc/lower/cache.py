"""The on-disk cache of generated modules.

Stage: lower. Invariants: a module's file name is a content hash of its source and of the
versions that affect code generation, so a second process finds the same file and Numba's
`cache=True` reuses the machine code; files are written atomically (temp file + rename), so
concurrent writers cannot leave a torn file; a file whose content does not match its hash is
rewritten, never trusted; an unusable cache directory falls back to a per-process temporary
one (with one warning), and a directory in a module file's place is replaced. Numba's machine
code for a generated module lives in `<cache dir>/__pycache__` (whatever NUMBA_CACHE_DIR says),
each data file headed by the name it was written under, a digest of its index key and of its
payload: a data file that is not the one its index entry names (swapped, copied from another
kernel, truncated) is a cache miss and is compiled afresh, never run. Loading a CPU function's
cached machine code initializes Numba's runtime only, without `refresh()`ing its typing and
lowering registries (which imports every one of them, SciPy's BLAS check included); compiling
still refreshes them (Numba's compiler does, first thing). Compiled programs (plain data:
module sources, flags, constants) are kept as `adc_<key>.program` files, `key` a digest of
what built them (backends.program_key, which includes compiler_digest()), and elementwise
derivatives as `adc_<key>.vjp` recipes (prims/recipes.py): entries (store_entry), each headed
by its key and a digest of its payload, so a file that is not whole and its own is a miss and
rebuilt.
"""
from __future__ import annotations

import functools
import hashlib
import importlib.util
import os
import pickle
import shutil
import sys
from pathlib import Path

from ..disk import cache_dir, digest, load_entry, store_entry, write_atomically


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


@functools.lru_cache(maxsize=None)
def compiler_digest() -> str:
    """A digest of adc's own source files and of _versions(): a compiled program kept on disk
    (load_program) was built by this compiler, for this Numba, NumPy and Python."""
    digest = hashlib.sha256(_versions().encode())
    root = Path(__file__).resolve().parents[1]
    for folder, dirs, files in sorted(os.walk(root)):
        dirs.sort()
        for name in sorted(files):
            if name.endswith(".py"):
                path = Path(folder, name)
                digest.update(f"{path.relative_to(root)}\0".encode() + path.read_bytes())
    return digest.hexdigest()


def machine_code_dir() -> Path:
    """Where Numba's index (.nbi) and data (.nbc) files of the generated modules go."""
    path = cache_dir() / "__pycache__"
    path.mkdir(exist_ok=True)
    return path


_MAGIC = b"adc-machine-code-1"


class _Bound:
    """Mixed into Numba's IndexDataCacheFile (CPU or CUDA): every data file starts with a line
    `magic name key-digest payload-digest`, checked before anything is unpickled."""

    def save(self, key, data):
        super().save(key, (digest(repr(key).encode()), data))

    def load(self, key):
        entry = super().load(key)
        if entry is None or entry[0] != digest(repr(key).encode()):
            return None  # Numba compiles the function and saves over the entry
        return entry[1]

    def _save_data(self, name, data):
        key_digest, payload = data
        blob = self._dump(payload)
        header = b" ".join([_MAGIC, name.encode(), key_digest.encode(), digest(blob).encode()])
        with self._open_for_write(self._data_path(name)) as f:
            f.write(header + b"\n" + blob)

    def _load_data(self, name):
        with open(self._data_path(name), "rb") as f:
            header, _, blob = f.read().partition(b"\n")
        fields = header.split(b" ")
        if (len(fields) != 4 or fields[:2] != [_MAGIC, name.encode()]
                or fields[3] != digest(blob).encode()):
            return None
        return fields[2].decode(), pickle.loads(blob)


@functools.lru_cache(maxsize=None)
def _bound_class(base: type) -> type:
    return type(f"Bound{base.__name__}", (_Bound, base), {})


class _Loading:
    """Mixed into Numba's CPU FunctionCache: a cached overload is rebuilt from its object
    code, environment and type annotations, which need the runtime (NRT) and nothing of the
    registries that `target_context.refresh()` loads (and that Numba's compiler refreshes
    itself when a miss compiles)."""

    def load_overload(self, sig, target_context):
        from numba.core.runtime import rtsys

        rtsys.initialize(target_context)
        with self._guard_against_spurious_io_errors():
            return self._load_overload(sig, target_context)


@functools.lru_cache(maxsize=None)
def _loading_class(base: type) -> type:
    return type(f"Loading{base.__name__}", (_Loading, base), {})


def _load_lightly(dispatcher) -> None:
    """Make a CPU dispatcher's cache load machine code without refreshing Numba's registries
    (see _Loading); other caches (CUDA's, none) are left as they are."""
    from numba.core.caching import FunctionCache

    cache = getattr(dispatcher, "_cache", None)
    if type(cache) is FunctionCache:
        cache.__class__ = _loading_class(FunctionCache)


def _bind_machine_code(module) -> bool:
    """Point the Numba cache of every jitted function defined in `module` (not the kernels it
    imports) at machine_code_dir(), with data files bound to their entries (see _Bound);
    whether there was one. Every CPU function it names, the kernels it imports too, loads its
    machine code without refreshing Numba's registries (_load_lightly)."""
    where = None
    for obj in list(vars(module).values()):
        _load_lightly(obj)
        cache = getattr(obj, "_cache", None)
        entry = getattr(cache, "_cache_file", None)
        if entry is None or getattr(getattr(obj, "py_func", None), "__module__",
                                    None) != module.__name__:
            continue
        where = where or str(machine_code_dir())
        cache._cache_path = where
        cache._cache_file = _bound_class(type(entry))(
            cache_path=where, filename_base=entry._index_name[:-len(".nbi")],
            source_stamp=entry._source_stamp)
    return where is not None


def source_key(source: str) -> str:
    return hashlib.sha256((_versions() + "\n" + source).encode()).hexdigest()[:32]


def purge(source: str) -> None:
    """Delete Numba's cached machine code for `source`'s module (e.g. a corrupt index)."""
    key = source_key(source)
    for path in machine_code_dir().glob(f"adc_{key}.*"):
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


def entries(root: Path | None = None) -> list:
    """The files the disk cache in `root` (default cache_dir()) holds: generated modules, their
    bytecode and Numba machine code, and temporary files of interrupted writes; no others."""
    root = cache_dir() if root is None else root
    return sorted(p for p in [*root.glob("adc_*"), *(root / "__pycache__").glob("adc_*")]
                  if p.is_file())


def usage(root: Path | None = None) -> dict:
    """What entries(root) holds: counts of generated modules ("modules"), Numba machine-code
    files ("machine code"), compiled programs ("programs"), elementwise derivative recipes
    ("derivatives", prims/recipes.py), all files ("files") and their total size ("bytes")."""
    found = {"modules": 0, "machine code": 0, "programs": 0, "derivatives": 0, "files": 0,
             "bytes": 0}
    for path in entries(root):
        try:
            found["bytes"] += path.stat().st_size
        except OSError:  # deleted meanwhile by another process
            continue
        found["files"] += 1
        found["modules"] += path.suffix == ".py"
        found["machine code"] += path.suffix in (".nbi", ".nbc")
        found["programs"] += path.suffix == ".program"
        found["derivatives"] += path.suffix == ".vjp"
    return found


def clear(root: Path | None = None) -> tuple:
    """Delete entries(root); (files deleted, bytes freed). Safe while processes use the cache:
    what they have loaded keeps working, and they write again what they need."""
    count = size = 0
    for path in entries(root):
        try:
            freed = path.stat().st_size
            path.unlink()
        except OSError:  # deleted meanwhile by another process
            continue
        count, size = count + 1, size + freed
    return count, size


def load_module(source: str):
    """Write (if needed) and import the generated module for `source`. The caller keeps a
    reference to the module (or to what it defines) for as long as it uses it."""
    key = source_key(source)
    path = cache_dir() / f"adc_{key}.py"
    try:
        current = path.read_text()
    except (OSError, UnicodeDecodeError):
        current = None
    if current != source:
        if path.is_dir():  # not ours to keep: the module's file name is taken by a directory
            shutil.rmtree(path)
        write_atomically(path, source)
    name = f"adc_generated_{key}"
    module = sys.modules.get(name)
    if module is None:
        spec = importlib.util.spec_from_file_location(name, path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        # Numba never frees the machine code it loads: a module with jitted functions is kept
        # for the process (loading it again would load its code again); a plain one (a split
        # driver, one per shape) lives only as long as what its caller keeps of it.
        if _bind_machine_code(module):
            sys.modules[name] = module
    return module



def store_program(key: str, program: dict) -> None:
    """Keep a compiled program (plain data: see lower.cpu.runtime.program) under `key`, a
    digest of what it was built from (backends.program_key)."""
    store_entry(f"adc_{key}.program", key, pickle.dumps(program, pickle.HIGHEST_PROTOCOL))


def load_program(key: str) -> dict | None:
    """The program stored under `key`, or None (see load_entry)."""
    blob = load_entry(f"adc_{key}.program", key)
    if blob is None:
        return None
    try:
        return pickle.loads(blob)
    except Exception:  # a payload of another adc's making, whatever its digest says
        return None
