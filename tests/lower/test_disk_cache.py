"""The disk cache of generated modules and their machine code, across processes: data files
bound to their entries, files a team can share (the umask decides their mode). Counted in
compilations and cache hits, never timed."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

ROOT = str(Path(__file__).resolve().parents[2])

# Two gradients whose whole-function kernels take the same argument types, so each one's
# machine code could run in the other's place.
_TWO_KERNELS = textwrap.dedent("""
    import json, numpy as np
    import adc, adc.numpy as anp
    from adc.backends import compile_graph
    x = np.linspace(0.1, 0.9, 5)
    out = {}
    for name, f in (("sin", lambda x: anp.sum(anp.sin(x) ** 2)),
                    ("cos", lambda x: anp.sum(anp.cos(x) * x))):
        compiled = compile_graph(adc.make_ir(adc.grad(f))(x), "cpu")
        out[name] = [compiled(x)[0].tolist(), *compiled.cache_stats()]
    print(json.dumps(out))
""")


def run_child(cache_dir, code=_TWO_KERNELS, umask=None):
    env = dict(os.environ, ADC_CACHE_DIR=str(cache_dir), PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True,
                         timeout=300, preexec_fn=None if umask is None else lambda: os.umask(umask))
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout.strip().splitlines()[-1])


def _check_values(result):
    x = np.linspace(0.1, 0.9, 5)
    for name, want in (("sin", 2 * np.sin(x) * np.cos(x)), ("cos", np.cos(x) - x * np.sin(x))):
        np.testing.assert_allclose(result[name][0], want, rtol=1e-13)


def _data_files(cache_dir):
    files = sorted((Path(cache_dir) / "__pycache__").glob("adc_*.nbc"))
    assert len(files) == 2, files
    return files


def test_swapped_machine_code_is_compiled_afresh_not_run(tmp_path):
    first = run_child(tmp_path)
    _check_values(first)
    assert [first[k][1:] for k in ("sin", "cos")] == [[0, 1], [0, 1]]
    a, b = _data_files(tmp_path)
    swap = a.with_name("swap")
    a.rename(swap)
    b.rename(a)
    swap.rename(b)
    second = run_child(tmp_path)
    _check_values(second)  # Numba alone would run the other gradient's code here
    assert [second[k][1:] for k in ("sin", "cos")] == [[0, 1], [0, 1]]
    third = run_child(tmp_path)  # the recompiled entries were saved over the foreign ones
    _check_values(third)
    assert [third[k][1:] for k in ("sin", "cos")] == [[1, 0], [1, 0]]


def test_machine_code_copied_over_another_kernels_and_truncated_is_rebuilt(tmp_path):
    run_child(tmp_path)
    a, b = _data_files(tmp_path)
    shutil.copyfile(a, b)
    second = run_child(tmp_path)
    _check_values(second)
    hits = sorted(second[k][1] for k in ("sin", "cos"))
    assert hits == [0, 1]  # the copied-over kernel compiles again, the intact one loads
    a.write_bytes(a.read_bytes()[:-100])  # a torn write: the header's digest no longer matches
    third = run_child(tmp_path)
    _check_values(third)
    assert sum(third[k][2] for k in ("sin", "cos")) == 1


def test_a_shared_cache_directory_follows_the_umask(tmp_path):
    """With a team's umask (0o002) every file adc and Numba write is group-readable and
    -writable, directories group-writable (a colleague's process can add and replace files)."""
    cache_dir = tmp_path / "team"
    run_child(cache_dir, umask=0o002)
    paths = list(cache_dir.rglob("*"))
    assert any(p.suffix == ".nbc" for p in paths) and any(p.suffix == ".py" for p in paths)
    for path in [cache_dir, *paths]:
        mode = path.stat().st_mode & 0o777
        assert mode & 0o060 == 0o060, (path, oct(mode))
        assert mode & 0o002 == 0, (path, oct(mode))


_FIRST_CALL_RAISES = textwrap.dedent("""
    import json, numpy as np
    import adc, adc.numpy as anp
    from adc.lower.cpu import compile_cpu
    from adc.opt import prepare

    def f(x, idx):
        return anp.sum(anp.exp(anp.take(x, idx)) * anp.tanh(x[:2]))

    x = np.linspace(0.1, 0.5, 5)
    graph = prepare(adc.make_ir(adc.grad(f))(x, np.array([0, 4])), "cpu")
    out = {}
    for split in (False, True):
        compiled = compile_cpu(graph, split=split)
        try:
            compiled(x, np.array([0, 7]))  # out of range on the first call: the user's error
            raised = None
        except IndexError as err:
            raised = type(err).__name__
        value = compiled(x, np.array([0, 4]))[0].tolist()
        out[str(split)] = [raised, value, *compiled.cache_stats()]
    print(json.dumps(out))
""")


def test_a_first_call_that_raises_keeps_its_compiled_code(tmp_path):
    """An IndexError raised by the kernel on the first call is the user's: the machine code
    just compiled stays cached, in this process (the next call compiles nothing) and on disk
    (a second process compiles nothing)."""
    first = run_child(tmp_path, _FIRST_CALL_RAISES)
    second = run_child(tmp_path, _FIRST_CALL_RAISES)
    for split in ("False", "True"):
        assert first[split][0] == second[split][0] == "IndexError"
        assert first[split][1] == second[split][1]
        hits, misses = first[split][2:]
        assert hits == 0 and misses >= (1 if split == "False" else 2)
        assert second[split][2:] == [misses, 0]


def _cache_file_classes():
    from numba.core.caching import IndexDataCacheFile

    classes = [IndexDataCacheFile]
    try:
        from numba.cuda.core.caching import IndexDataCacheFile as CudaIndexDataCacheFile
    except ImportError:  # numba-cuda (the cuda extra) not installed
        return classes
    return classes + [CudaIndexDataCacheFile]


def test_both_targets_cache_files_refuse_foreign_data(tmp_path):
    """The binding is a mixin over Numba's index/data cache file, CPU and CUDA alike (the
    CUDA one is exercised here without a GPU): an entry loads back; a data file moved under
    another entry's name, or saved under another key, is a miss."""
    from adc.lower.cache import _bound_class

    for base in _cache_file_classes():
        root = tmp_path / base.__module__
        root.mkdir()
        a, b = (_bound_class(base)(cache_path=str(root), filename_base=name,
                                   source_stamp=(1.0, 10))
                for name in ("adc_a.kernel-3.py311", "adc_b.kernel-3.py311"))
        a.save(("sig", "x"), {"code": "a"})
        b.save(("sig", "x"), {"code": "b"})
        assert a.load(("sig", "x")) == {"code": "a"} and b.load(("sig", "x")) == {"code": "b"}
        assert a.load(("sig", "y")) is None
        data_a, data_b = (root / f"adc_{n}.kernel-3.py311.1.nbc" for n in "ab")
        data_a.write_bytes(data_b.read_bytes())
        assert a.load(("sig", "x")) is None and b.load(("sig", "x")) == {"code": "b"}
        key_digest = data_b.read_bytes().split(b"\n", 1)[0].split(b" ")[2]
        data_b.write_bytes(data_b.read_bytes().replace(key_digest, b"0" * len(key_digest), 1))
        assert b.load(("sig", "x")) is None  # saved under another key


_COUNT_REFRESHES = textwrap.dedent("""
    import json, numpy as np
    from numba.core import base
    refreshes = []
    real = base.BaseContext.refresh
    base.BaseContext.refresh = lambda self: refreshes.append(1) or real(self)
    import adc, adc.numpy as anp
    from adc.lower.cpu import compile_cpu
    from adc.opt import prepare
    x, W = np.linspace(0.1, 0.9, 5), np.eye(5)
    graph = prepare(adc.make_ir(adc.grad(lambda x, W: anp.sum(anp.tanh(W @ x) ** 2)))(x, W),
                    "cpu")
    out = {}
    for split in (False, True):
        compiled = compile_cpu(graph, split=split)
        out[str(split)] = [compiled(x, W)[0].tolist(), *compiled.cache_stats()]
    out["refreshes"] = len(refreshes)
    print(json.dumps(out))
""")


def test_cached_machine_code_loads_without_refreshing_numba(tmp_path):
    """A process whose kernels (the generated ones and the kernels library's matrix product
    they call) all come from the disk cache never refreshes Numba's typing and lowering
    registries: loading machine code needs only Numba's runtime. The compiling process does."""
    first = run_child(tmp_path, _COUNT_REFRESHES)
    assert first["refreshes"] > 0
    second = run_child(tmp_path, _COUNT_REFRESHES)
    assert second["refreshes"] == 0
    for split in ("False", "True"):
        assert second[split][0] == first[split][0]
        hits, misses = second[split][1:]
        assert hits >= 1 and misses == 0
