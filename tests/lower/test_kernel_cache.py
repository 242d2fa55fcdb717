"""Split kernels on the CPU target: each fused nest its own cached kernel, shared by every nest
that prints the same; counted in compiled kernels and cache hits, never timed. Also the
compile progress line and a compilation interrupted with Ctrl-C."""
from __future__ import annotations

import io
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np

import adc
import adc.numpy as anp
from adc import progress
from adc.backends import compile_graph
from adc.lower.cpu import compile_cpu, runtime
from adc.opt import prepare

ROOT = str(Path(__file__).resolve().parents[2])


def stack(h, *Ws):
    for W in Ws:
        h = anp.tanh(h @ W + anp.sin(h) * 0.1)
        h = h[:, ::-1]
        h = anp.concatenate([anp.exp(-h * h), h], axis=1)[:, :16]
    return anp.sum(h * h)


def stack_args(depth, rows=8):
    rng = np.random.default_rng(depth)
    return [rng.standard_normal((rows, 16))] + [rng.standard_normal((16, 16)) * 0.3
                                                for _ in range(depth)]


def gradient_graph(depth, rows=8):
    args = stack_args(depth, rows)
    grad = adc.grad(stack, argnums=tuple(range(depth + 1)))
    return prepare(adc.make_ir(grad)(*args), "cpu"), args


def test_a_repeated_layer_compiles_its_nests_once():
    counts = {}
    for depth in (2, 5):
        graph, args = gradient_graph(depth)
        split = compile_cpu(graph, split=True)
        if depth == 2:  # (one function for the deeper stack would take Numba 15 s)
            whole = compile_cpu(graph, split=False)
            assert whole.kernels == 1
            for a, b in zip(split(*args), whole(*args)):
                np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
        else:
            reference = adc.grad(stack, argnums=tuple(range(depth + 1)), backend="numpy")(*args)
            for a, b in zip(split(*args), reference):
                np.testing.assert_allclose(a, b, rtol=1e-13, atol=1e-15)
        counts[depth] = (split.kernels, split.source.count("= nest"))
    (kernels2, calls2), (kernels5, calls5) = counts[2], counts[5]
    assert calls5 > calls2 > kernels2
    assert kernels5 == kernels2  # the three extra layers reuse the same kernels


def test_large_graphs_split_and_small_ones_stay_whole():
    graph, _ = gradient_graph(6)
    assert compile_cpu(graph).kernels > 1
    small = prepare(adc.make_ir(adc.grad(lambda x: anp.sum(anp.sin(x) ** 2)))(np.ones(3)), "cpu")
    assert compile_cpu(small).kernels == 1 and "def make(" not in compile_cpu(small).source


def test_split_kernels_agree_with_numpy_on_many_primitives(monkeypatch):
    """Every graph split, even single-nest ones: reductions, broadcasting, gathers and matmuls
    between nests run through the Python driver."""
    monkeypatch.setattr(runtime, "SPLIT_MIN_NESTS", 1)

    def f(x, W, idx):
        y = anp.exp(-x) @ W
        z = anp.take(y, idx, axis=0) - anp.max(y, axis=0, keepdims=True)
        return anp.sum(anp.log1p(z * z)) + anp.mean(anp.cumsum(x, axis=1) ** 2)

    rng = np.random.default_rng(0)
    args = (rng.standard_normal((5, 4)), rng.standard_normal((4, 3)), np.array([0, 2, 2, 4]))
    compiled = compile_graph(adc.make_ir(adc.grad(f, argnums=(0, 1)))(*args), "cpu")
    assert compiled.kernels > 1 and "def make(" in compiled.source
    for a, b in zip(adc.grad(f, argnums=(0, 1))(*args),
                    adc.grad(f, argnums=(0, 1), backend="numpy")(*args)):
        np.testing.assert_allclose(a, b, rtol=1e-12, atol=1e-14)


def _model(X, W1, b1, W2, labels):
    h = anp.maximum(X @ W1 + b1, 0.0) * 0.5
    z = h @ W2
    z = z - anp.max(z, axis=1, keepdims=True)
    logp = z - anp.log(anp.sum(anp.exp(z), axis=1, keepdims=True))
    picked = anp.take_along_axis(logp, labels[:, None], axis=1)
    spread = anp.sum((h - anp.mean(h, axis=0)) ** 2, axis=0)
    return -anp.mean(picked) + 0.01 * anp.sum(anp.cumsum(spread)) + anp.sum(anp.tanh(b1) ** 2)


def test_a_new_batch_size_reuses_the_kernels(monkeypatch):
    """Split kernels take their loop lengths and float constants as arguments: the model at a
    second batch size compiles only the kernels whose bodies differ, and both sizes agree with
    the numpy reference (a kernel reading a length of the first size would not)."""
    monkeypatch.setattr(runtime, "SPLIT_MIN_NESTS", 1)
    rng = np.random.default_rng(0)
    params = [rng.standard_normal((7, 9)), rng.standard_normal(9), rng.standard_normal((9, 6))]
    sources = []
    for batch in (13, 29):
        X, labels = rng.standard_normal((batch, 7)), rng.integers(0, 6, batch)
        grad = adc.grad(_model, argnums=(1, 2, 3))
        graph = prepare(adc.make_ir(grad)(X, *params, labels), "cpu")
        compiled = compile_cpu(graph)
        for a, b in zip(compiled(X, *params, labels),
                        adc.grad(_model, argnums=(1, 2, 3), backend="numpy")(X, *params, labels)):
            np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)
        sources.append(set(compiled.source.split("\n\n\n")))
        assert compiled.kernels > 3
    shared = sources[0] & sources[1]
    assert sum("def kernel(" in s for s in shared) >= compiled.kernels - 1, compiled.source


def test_a_small_graph_at_a_new_batch_size_compiles_nothing():
    """A whole function reads its lengths from its argument S and its float constants (a
    mean's 1/n) from arrays: the model at another batch size is the same module, already
    compiled for the same argument types."""
    rng = np.random.default_rng(1)
    params = [rng.standard_normal((7, 9)), rng.standard_normal(9), rng.standard_normal((9, 6))]
    compiled = []
    for batch in (13, 29, 6):
        X, labels = rng.standard_normal((batch, 7)), rng.integers(0, 6, batch)
        grad = adc.grad(_model, argnums=(1, 2, 3))
        graph = prepare(adc.make_ir(grad)(X, *params, labels), "cpu")
        c = compile_cpu(graph, split=False)
        for a, b in zip(c(X, *params, labels),
                        adc.grad(_model, argnums=(1, 2, 3), backend="numpy")(X, *params, labels)):
            np.testing.assert_allclose(a, b, rtol=1e-11, atol=1e-13)
        compiled.append(c)
    modules = {c.source.rsplit("# S = ", 1)[0] for c in compiled}
    assert len(modules) == 1 and "S[" in compiled[0].source
    hits, misses = compiled[-1].cache_stats()
    assert hits + misses == 1  # one signature, loaded or compiled once for all three shapes


_CHILD = textwrap.dedent("""
    import sys, numpy as np
    sys.path.insert(0, {tests!r})
    from test_kernel_cache import gradient_graph
    from adc.lower.cpu import compile_cpu
    graph, args = gradient_graph(3)
    compiled = compile_cpu(graph, split=True)
    out = compiled(*args)
    print(*compiled.cache_stats(), compiled.kernels)
    print(repr(float(sum(np.sum(o) for o in out))))
""")


def _child(cache_dir, code=_CHILD):
    env = dict(os.environ, ADC_CACHE_DIR=str(cache_dir), PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-c", code.format(tests=str(Path(__file__).parent))],
                         env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    lines = out.stdout.split("\n")
    return tuple(map(int, lines[0].split())), lines[1]


def test_kernels_are_cached_on_disk_one_by_one(tmp_path):
    (hits1, misses1, kernels), result1 = _child(tmp_path)
    assert hits1 == 0 and misses1 >= kernels > 1
    (hits2, misses2, _), result2 = _child(tmp_path)
    assert (hits2, misses2) == (misses1, 0) and result2 == result1
    # one kernel's cached machine code corrupted: that kernel alone is compiled again
    index = min((tmp_path / "__pycache__").glob("*.nbi"))
    index.write_bytes(b"garbage")
    (hits3, misses3, _), result3 = _child(tmp_path)
    assert result3 == result1 and misses3 >= 1 and hits3 >= misses1 - misses3 >= hits1
    assert misses3 < misses1


def test_concurrent_processes_share_one_cache(tmp_path):
    env = dict(os.environ, ADC_CACHE_DIR=str(tmp_path), PYTHONPATH=ROOT)
    code = _CHILD.format(tests=str(Path(__file__).parent))
    children = [subprocess.Popen([sys.executable, "-c", code], env=env, stdout=subprocess.PIPE,
                                 stderr=subprocess.PIPE, text=True) for _ in range(2)]
    outputs = [child.communicate(timeout=300) for child in children]
    assert all(child.returncode == 0 for child in children), [err for _, err in outputs]
    assert outputs[0][0].split("\n")[1] == outputs[1][0].split("\n")[1]
    (hits, misses, _), result = _child(tmp_path)
    assert misses == 0 and result == outputs[0][0].split("\n")[1]


_INTERRUPTED = textwrap.dedent("""
    import os, signal, sys
    # as in a terminal session (a process started in the background may inherit SIGINT ignored)
    signal.signal(signal.SIGINT, signal.default_int_handler)
    sys.path.insert(0, {tests!r})
    from test_kernel_cache import gradient_graph
    from adc.lower.cpu import compile_cpu, runtime
    graph, args = gradient_graph(3)
    compiled = compile_cpu(graph, split=True)
    reporting = runtime._reporting
    finished = []

    def interrupt_after_two(dispatcher, done):
        def counted(cached=False):
            done(cached)
            finished.append(1)
            if len(finished) == 2:
                os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C during the compilation
        return reporting(dispatcher, counted)

    runtime._reporting = interrupt_after_two
    try:
        compiled(*args)
    except KeyboardInterrupt as err:
        print(len(str(err).splitlines()), err.__suppress_context__, str(err).startswith("adc:"))
    print("0 0 0")
""")


def test_an_interrupted_compilation_raises_one_line_and_leaves_a_usable_cache(tmp_path):
    env = dict(os.environ, ADC_CACHE_DIR=str(tmp_path), PYTHONPATH=ROOT)
    out = subprocess.run([sys.executable, "-c", _INTERRUPTED.format(
        tests=str(Path(__file__).parent))], env=env, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[0] == "1 True True", out.stdout
    (hits, misses, _), _ = _child(tmp_path)
    assert hits >= 2 and misses >= 1  # the two finished kernels load; the rest compile now
    (hits, misses, _), _ = _child(tmp_path)
    assert misses == 0


def test_a_long_compilation_shows_its_progress_on_a_terminal(monkeypatch):
    class Terminal(io.StringIO):
        def isatty(self):
            return True

    stream = Terminal()
    monkeypatch.setattr(sys, "stderr", stream)
    monkeypatch.setattr(progress, "SLOW_S", 0.0)
    graph, args = gradient_graph(2, rows=3)
    compiled = compile_cpu(graph, split=True)
    compiled(*args)
    text = stream.getvalue()
    assert re.search(rf"adc: compiling: \d+/{compiled.kernels} \(0 from the cache\)", text), text
    assert text.endswith("\r")  # the line is erased once the compilation has finished
