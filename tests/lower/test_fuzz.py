"""The differential fuzzer (tests/lower/fuzz_programs.py, its operations in fuzz_ops.py) in the
suite: a small budget of random programs on the cpu backend (and a few on the cuda simulator),
compared with the numpy reference and torch (programs over NaN/±inf inputs, integer inputs and
closed-over arrays and floats among them) and each statement with numpy's own function; every
operation family drawn within a few hundred seeds; gathers by traced out-of-range indices
raising IndexError on every backend; closed-over arrays overwritten in place after the first
call (captured when first traced, as the README says); its shrinker and snippets checked on a
planted failure.

Budget: ADC_FUZZ_PROGRAMS programs (default 16) starting at seed ADC_FUZZ_SEED (default 0);
`ADC_FUZZ_PROGRAMS=5000 python -m pytest tests/lower/test_fuzz.py -k cpu` is the large budget, and
ADC_DEBUG=1 runs it with uninitialised arrays filled with NaN.
"""
from __future__ import annotations

import os
import re
from pathlib import Path

import fuzz_ops
import fuzz_programs as F
import numpy as np
import pytest

import adc

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
    reference (cpu: value and gradient), and one entry out of range raises IndexError, forward
    and value_and_grad (a bare grad that does not need the gathered values need not run the
    gather). The programs run as one batch, compiled once, with one bad index at a time."""
    if backend == "cuda":
        pytest.importorskip("numba.cuda")
    made = [F.generate_gather(seed, backend) for seed in
            (GATHER_SEEDS if backend != "cuda" else GATHER_SEEDS[:1])]
    programs = [prog for prog, _ in made]
    batch, starts, sizes = F._batch_fn(programs)
    args = [x for p in programs for x in p.inputs]
    floats = tuple(i for i, x in enumerate(args) if x.dtype.kind == "f")
    value_and_grad = adc.value_and_grad(batch, argnums=floats, has_aux=True, backend=backend)
    jitted = adc.jit(batch, backend=backend)
    if backend == "cpu":
        (_, outs), grads = value_and_grad(*args)
        (_, refs), ref_grads = adc.value_and_grad(batch, argnums=floats, has_aux=True,
                                                  backend="numpy")(*args)
        assert all(map(F._close, outs, refs)) and all(map(F._close, grads, ref_grads)), \
            "\n\n".join(p.snippet() for p in programs)
    for (prog, bad), s, n in zip(made, starts, sizes):
        wrong = args[:s + n - 1] + [bad] + args[s + n:]
        with pytest.raises(IndexError):
            jitted(*wrong)
        with pytest.raises(IndexError):
            value_and_grad(*wrong)


def _closing_programs(count):
    """The first `count` programs from seed START + 40_000 whose output reads an array they
    close over, pruned to what the output needs, of at most four statements."""
    found, seed = [], START + 40_000
    while len(found) < count:
        prog = F._pruned(F.generate(seed))
        if not prog.special and len(prog.stmts) <= 4 and \
                any(re.search(r"\bc\d\b", e) for e in prog.stmts):
            found.append(prog)
        seed += 1
    return found


def _leaves(x):
    return [y for item in x for y in _leaves(item)] if isinstance(x, (tuple, list)) else [x]


@pytest.mark.parametrize("backend", ["numpy", "cpu", "cuda"])
def test_fuzz_closed_over_arrays_are_captured_when_first_traced(backend):
    """Programs closing over numpy arrays (and Python floats): once their arrays are overwritten
    in place, jit, grad and value_and_grad return exactly what they returned before (value and
    gradient from the same captured arrays, agreeing with an eager run before the change), and
    a new trace reads the arrays as they are now."""
    if backend == "cuda":
        pytest.importorskip("numba.cuda")
    programs = _closing_programs(1 if backend == "cpu" else 3)
    batch, _, _ = F._batch_fn(programs)
    args = [x for p in programs for x in p.inputs]
    nums = tuple(i for i, x in enumerate(args) if x.dtype.kind == "f")
    loss = lambda *a: batch(*a)[0]
    jitted = adc.jit(batch, backend=backend)
    grad = adc.grad(loss, argnums=nums, backend=backend)
    value_and_grad = adc.value_and_grad(loss, argnums=nums, backend=backend)
    before = [jitted(*args), grad(*args), value_and_grad(*args)]
    eager = _leaves(batch(*args))
    assert all(F._close(x, y) for x, y in zip(_leaves(before[0]), eager))
    assert F._close(before[2][0], eager[0])
    assert all(F._close(x, y) for x, y in zip(_leaves(before[1]), _leaves(before[2][1])))
    rng = np.random.default_rng(1)
    for p in programs:
        for _, v in p.closed:
            if isinstance(v, np.ndarray):
                v[...] = rng.integers(-3, 4, v.shape) if v.dtype.kind == "i" else \
                    rng.uniform(-2, 2, v.shape)
    after = [jitted(*args), grad(*args), value_and_grad(*args)]
    for x, y in zip(_leaves(after), _leaves(before)):
        np.testing.assert_array_equal(x, y)
    now = _leaves(batch(*args))
    assert not all(F._close(x, y) for x, y in zip(now, eager))
    assert all(F._close(x, y) for x, y in zip(_leaves(adc.jit(batch, backend=backend)(*args)),
                                               now))


def test_every_operation_family_is_drawn():
    """Within seeds 0-299 each operation fuzz_ops draws appears in some program (so a domain
    or shape restriction has not made one unreachable), and programs close over arrays and
    floats and take int32 inputs."""
    programs = [F.generate(s) for s in range(300)]
    drawn = {m for p in programs for e in p.stmts
             for m in re.findall(r"anp\.((?:linalg\.)?\w+)\(", e)}
    wanted = set(re.findall(r"anp\.((?:linalg\.)?\w+)\(", Path(fuzz_ops.__file__).read_text()))
    assert wanted - {"ones"} <= drawn, sorted(wanted - drawn)
    assert any(c.startswith("s") for p in programs for c, _ in p.closed)
    assert any(x.dtype == np.int32 for p in programs for x in p.inputs)
    assert not any("linalg.det" in e or "slogdet" in e
                   for s in range(START, START + 40) for e in F.generate(s, "cuda").stmts)


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
                if len(p.stmts) >= 6 and any("anp.arctan(" in e for e in p.stmts))

    def fails(p):  # a planted bug: any program still calling arctan
        return any("anp.arctan(" in e for e in p.stmts)

    small = F.shrink(prog, fails)
    assert fails(small) and len(small.stmts) < len(prog.stmts)
    assert sum(e.count("(") for e in small.stmts) <= 4
    env = {}
    snippet = small.snippet()
    compile(snippet, "<snippet>", "exec")
    exec(snippet.split("\nprint(")[0], env)  # the program and its inputs, not the compile
    np.testing.assert_array_equal(env["f"](*env["args"]), small.function()(*small.inputs))
