"""The differential fuzzer (tests/lower/fuzz_programs.py) in the suite: a small budget of random
programs on the cpu backend (and a few on the cuda simulator), compared with the numpy
reference and torch (programs over NaN/±inf inputs and integer inputs among them); gathers by
traced out-of-range indices raising IndexError on every backend; its shrinker and snippets
checked on a planted failure.

Budget: ADC_FUZZ_PROGRAMS programs (default 16) starting at seed ADC_FUZZ_SEED (default 0);
`ADC_FUZZ_PROGRAMS=5000 python -m pytest tests/lower/test_fuzz.py -k cpu` is the large budget, and
ADC_DEBUG=1 runs it with uninitialised arrays filled with NaN.
"""
from __future__ import annotations

import os

import fuzz_programs as F
import numpy as np
import pytest

import adc
import adc.numpy as anp

pytest.importorskip("torch")
COUNT = int(os.environ.get("ADC_FUZZ_PROGRAMS", "16"))
START = int(os.environ.get("ADC_FUZZ_SEED", "0"))


def test_fuzz_cpu_against_numpy_and_torch():
    reports = F.run(range(START, START + COUNT), batch=8)
    assert not reports, "\n\n".join(reports)


def test_fuzz_cpu_split_kernels_against_numpy(monkeypatch):
    """Every program's nests compiled as split kernels under a Python driver."""
    from adc.lower.cpu import runtime

    monkeypatch.setattr(runtime, "SPLIT_MIN_NESTS", 1)
    reports = F.run(range(START + 20_000, START + 20_000 + max(COUNT // 2, 2)), batch=8,
                    torch_check=False)
    assert not reports, "\n\n".join(reports)


def test_fuzz_cuda_simulator_against_numpy():
    pytest.importorskip("numba.cuda")
    reports = F.run(range(START + 10_000, START + 10_000 + max(COUNT // 8, 2)), batch=2,
                    backend="cuda", torch_check=False)
    assert not reports, "\n\n".join(reports)


GATHER_SEEDS = range(START + 30_000, START + 30_000 + max(COUNT // 4, 3))


@pytest.mark.parametrize("backend", ["numpy", "cpu", "cuda"])
def test_fuzz_out_of_range_traced_indices_raise_index_error(backend):
    """Each program ends in a gather by a traced index: in range it agrees with the numpy
    reference (cpu), one entry out of range raises IndexError, forward and value_and_grad (a
    bare grad that does not need the gathered values need not run the gather)."""
    if backend == "cuda":
        pytest.importorskip("numba.cuda")
    for seed in GATHER_SEEDS if backend != "cuda" else GATHER_SEEDS[:1]:
        prog, bad = F.generate_gather(seed)
        if backend == "cpu":
            found = F.disagreements([prog], "cpu", torch_check=False)
            assert not found, f"seed {seed}: {found[0][1]}\n{prog.snippet()}"
        f = prog.function()
        args = prog.inputs[:-1] + [bad]
        with pytest.raises(IndexError):
            adc.jit(f, backend=backend)(*args)
        floats = tuple(i for i, x in enumerate(args) if x.dtype.kind == "f")
        with pytest.raises(IndexError):
            adc.value_and_grad(lambda *a, f=f: anp.sum(anp.sin(f(*a))), argnums=floats,
                               backend=backend)(*args)


def test_programs_are_deterministic_and_varied():
    a, b = F.generate(5), F.generate(5)
    assert a.source() == b.source() and all(np.array_equal(x, y) for x, y in
                                            zip(a.inputs, b.inputs))
    sources = {F.generate(s).source() for s in range(40)}
    assert len(sources) == 40
    shapes = [x.shape for s in range(40) for x in F.generate(s).inputs]
    assert any(1 in s[:1] for s in shapes) and any(1 in s[1:-1] for s in shapes)
    assert any(not x.flags.c_contiguous for s in range(40) for x in F.generate(s).inputs)
    programs = [F.generate(s) for s in range(40)]
    assert all(1 <= len(p.stmts) <= 12 for p in programs)
    assert sum(len(p.stmts) >= 3 for p in programs) >= 35  # a few may stop short
    assert any(x.dtype.kind == "i" for p in programs for x in p.inputs)
    assert sum(p.special for p in programs) == 5
    for p in programs:
        out = p.function()(*p.inputs)
        if p.special:
            assert any(not np.all(np.isfinite(x)) for x in p.inputs)
        else:
            assert np.all(np.isfinite(out))


def test_shrinker_prints_a_runnable_minimal_snippet():
    prog = next(p for p in map(F.generate, range(100))
                if len(p.stmts) >= 6 and any("anp.tanh(" in e for e in p.stmts))

    def fails(p):  # a planted bug: any program still calling tanh
        return any("anp.tanh(" in e for e in p.stmts)

    small = F.shrink(prog, fails)
    assert fails(small) and len(small.stmts) < len(prog.stmts)
    assert sum(e.count("(") for e in small.stmts) <= 4
    env = {}
    snippet = small.snippet()
    compile(snippet, "<snippet>", "exec")
    exec(snippet.split("\nprint(")[0], env)  # the program and its inputs, not the compile
    np.testing.assert_array_equal(env["f"](*env["args"]), small.function()(*small.inputs))
