"""The differential fuzzer: random numpy-style programs (3-12 operations drawn from every family
of adc.numpy, tests/lower/fuzz_ops.py, over inputs whose shapes have length-1 axes in every
position, some passed as transposed, reversed or Fortran-ordered views, some integer (int64 or
int32); a quarter of them close over numpy arrays and Python floats), run on the cpu backend
(and the cuda simulator) and compared with the numpy reference backend, value and gradient;
the reference's VJP is compared with torch.autograd.grad of the same graph, and each
statement's eager adc.numpy value with numpy's own function of that name where numpy has one.
A failing program is shrunk and printed as a runnable snippet. `generate_gather` appends a
gather by a traced index array, whose out-of-range version must raise IndexError on every
backend.

A program is a list of statements `vK = <expression over earlier values>`; generating it
evaluates each expression eagerly (adc.numpy works on numpy arrays) to learn its shape and to
keep every value finite and moderate, so the compiled code is only ever asked for defined
numbers — except in the programs whose inputs hold NaN, ±inf and ±0 (`special`, one seed in
eight), where values may be anything and the backends must agree on NaN and infinities too
(the torch check is left to tests/tensors/test_nan_conventions.py there). Programs are compiled
in batches (one module for several independent programs) to spread Numba's compile time; a
batch's disagreement is attributed to its program and confirmed on that program alone.
"""
from __future__ import annotations

import itertools
import re
import traceback
from dataclasses import dataclass, field, replace

import fuzz_ops
import numpy as np

import adc
import adc.numpy as anp


@dataclass
class Program:
    inputs: list  # numpy arrays (possibly non-contiguous views)
    layouts: list  # how each input was made: 'C', 'F', 'T' (transposed), 'R' (reversed)
    stmts: list = field(default_factory=list)  # expression strings; statement k defines v{n+k}
    out: int = -1  # index of the output value
    special: bool = False  # inputs hold NaN/±inf/±0; values need not be finite
    closed: list = field(default_factory=list)  # (name, numpy array or float) closed over

    def source(self, name="f") -> str:
        """`def f(v0, ...)`; a program with closed-over values is made by `make_f(c0, ...)`,
        which returns f closing over them."""
        n = len(self.inputs)
        pad = "    " if self.closed else ""
        lines = [f"{pad}def {name}({', '.join(f'v{i}' for i in range(n))}):"]
        lines += [f"{pad}    v{n + k} = {expr}" for k, expr in enumerate(self.stmts)]
        lines.append(f"{pad}    return v{self.out}")
        if self.closed:
            lines = [f"def make_{name}({', '.join(c for c, _ in self.closed)}):", *lines,
                     f"    return {name}"]
        return "\n".join(lines)

    def function(self, name="f", closed=None):
        """The program as a Python function; `closed` replaces the closed-over values."""
        env = {"anp": anp, "np": np}
        exec(self.source(name), env)
        if not self.closed:
            return env[name]
        return env[f"make_{name}"](*(closed or [v for _, v in self.closed]))

    def snippet(self) -> str:
        """A runnable reproduction: the program, its inputs, and the comparison."""
        args = []
        for x, layout in zip(self.inputs, self.layouts):
            base = {"C": x, "F": x, "T": x.T, "R": np.flip(x)}[layout]
            made = {"C": _literal(base), "F": f"np.asfortranarray({_literal(base)})",
                    "T": f"{_literal(base)}.T", "R": f"np.flip({_literal(base)})"}[layout]
            args.append(made)
        closed = [f"{c} = {_literal(v) if isinstance(v, np.ndarray) else repr(v)}"
                  for c, v in self.closed]
        if closed:
            closed.append(f"f = make_f({', '.join(c for c, _ in self.closed)})")
        return "\n".join([
            "import numpy as np", "import adc", "import adc.numpy as anp", "",
            self.source(), "", *closed, f"args = [{', '.join(args)}]",
            "print(adc.jit(f)(*args) - adc.jit(f, backend='numpy')(*args))",
            "g = lambda *a: anp.sum(anp.sin(f(*a)))",
            "nums = tuple(i for i, a in enumerate(args) if a.dtype.kind == 'f')",
            "print([a - b for a, b in zip(adc.grad(g, argnums=nums)(*args), "
            "adc.grad(g, argnums=nums, backend='numpy')(*args))])"])


def _literal(x) -> str:
    return (f"np.array({x.tolist()!r}, dtype=np.{x.dtype}).reshape({x.shape})"
            .replace("nan", "np.nan").replace("inf", "np.inf"))


def _random_shape(rng):
    rank = int(rng.choice([0, 1, 2, 2, 3, 3, 4]))
    return tuple(int(rng.choice([1, 1, 2, 3, 4])) for _ in range(rank))


SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0])
DTYPES = (np.float64, np.int64, np.int32)
BLAS_PRODUCTS = ("@", "anp.dot(", "anp.tensordot(", "anp.inner(", "anp.einsum(", "anp.linalg.")


def _make_input(rng, shape, special=False):
    if not special and rng.random() < 0.15:
        return rng.integers(-3, 4, shape, dtype=np.int32 if rng.random() < 0.3 else np.int64), "C"
    x = rng.uniform(-2, 2, shape)
    if special:
        x = np.where(rng.random(shape) < 0.4, rng.choice(SPECIAL, shape), x)
    layout = str(rng.choice(["C", "C", "F", "T", "R"])) if len(shape) >= 2 else "C"
    if layout == "F":
        return np.asfortranarray(x), layout
    if layout == "T":
        return np.ascontiguousarray(x.T).T, layout
    if layout == "R":
        return np.flip(np.ascontiguousarray(np.flip(x))), layout
    return x, layout


def _closed_values(rng, special):
    """What a quarter of the programs close over: one or two arrays and perhaps a float."""
    if rng.random() >= 0.25:
        return []
    closed = [(f"c{j}", _make_input(rng, _random_shape(rng), special)[0].copy())
              for j in range(int(rng.integers(1, 3)))]
    if rng.random() < 0.5:
        closed.append(("s0", float(np.round(rng.uniform(-2, 2), 3))))
    return closed


def _acceptable(value, special) -> bool:
    if value.dtype not in DTYPES or value.size == 0 or value.size > 256 or value.ndim > 5:
        return False
    finite = value[np.isfinite(value)]
    if special:
        return not finite.size or np.abs(finite).max() <= 1e4
    return finite.size == value.size and np.abs(value).max() <= 1e4


def _eval(expr, env, special):
    with np.errstate(all="ignore" if special else "raise"):
        return np.asarray(eval(expr, env))


def generate(seed: int, backend: str = "cpu") -> Program:
    """The program of `seed`, drawing only operations `backend` lowers."""
    rng = np.random.default_rng(seed)
    special = seed % 8 == 7
    n_in = int(rng.integers(1, 4))
    made = [_make_input(rng, _random_shape(rng), special) for _ in range(n_in)]
    if not any(x.dtype.kind == "f" for x, _ in made):
        made[0] = (made[0][0].astype(np.float64), made[0][1])
    prog = Program([x for x, _ in made], [lay for _, lay in made], special=special,
                   closed=_closed_values(rng, special))
    env = {"anp": anp, "np": np} | {f"v{i}": x for i, (x, _) in enumerate(made)} | \
        dict(prog.closed)
    pool = [(f"v{i}", x.shape, x.dtype.kind) for i, (x, _) in enumerate(made)]
    pool += [(c, np.shape(v), np.asarray(v).dtype.kind) for c, v in prog.closed]
    target = int(rng.integers(3, 13))
    tries = 0
    while len(prog.stmts) < target and tries < 200:
        tries += 1
        traced = [p for p in pool if p[0][0] == "v"]
        recent = traced[-3:] if rng.random() < 0.7 else traced
        a, sa, ka = recent[int(rng.integers(0, len(recent)))]
        expr = fuzz_ops.candidate(rng, a, sa, ka, pool, backend, special)
        if expr is None:
            continue
        try:
            value = _eval(expr, env, special)
        except Exception:
            continue
        if not _acceptable(value, special):
            continue
        name = f"v{n_in + len(prog.stmts)}"
        env[name] = value
        pool.append((name, value.shape, value.dtype.kind))
        prog.stmts.append(expr)
    prog.out = n_in + len(prog.stmts) - 1
    return prog


def numpy_disagreements(prog: Program) -> list:
    """Each statement whose eager adc.numpy value differs from numpy's own functions of the
    same names on the same operands (statements naming a function numpy lacks, such as
    `anp.relu`, are skipped, and partition, whose order numpy leaves unspecified, and over
    NaN/±inf the products numpy hands to BLAS, which may skip a zero times an infinity);
    numpy raising where adc.numpy computes is a disagreement."""
    n = len(prog.inputs)
    env = {"anp": anp, "np": np} | {f"v{i}": x for i, x in enumerate(prog.inputs)} | \
        dict(prog.closed)
    found = []
    for k, expr in enumerate(prog.stmts):
        try:
            mine = _eval(expr, env, prog.special)
        except Exception as err:
            return found + [f"v{n + k} = {expr}: adc.numpy raised {err!r}"]
        skip = ("anp.partition(",) + (BLAS_PRODUCTS if prog.special else ())
        theirs = None if any(s in expr for s in skip) else _numpy_value(expr, env)
        if isinstance(theirs, Exception):
            found.append(f"v{n + k} = {expr}: numpy raised {theirs!r}, adc.numpy gave {mine!r}")
        elif theirs is not None and not _close(mine, theirs, rtol=1e-12, atol=1e-14):
            found.append(f"v{n + k} = {expr}: adc.numpy {mine!r}\nnumpy {theirs!r}")
        env[f"v{n + k}"] = mine
    return found


def _numpy_value(expr, env):
    """numpy's value of an adc.numpy expression, None where numpy lacks a function it names,
    or the exception numpy raised."""
    try:
        with np.errstate(all="ignore"):
            return np.asarray(eval(expr.replace("anp.", "np."), env))
    except AttributeError:
        return None
    except Exception as err:
        return err


def generate_gather(seed: int, backend: str = "cpu") -> tuple:
    """generate(seed) ending in a gather (take or take_along_axis, 1-5 picks per line) of its
    output by a traced int64 index array, its last input; returns the program and the same
    index with one entry out of range."""
    prog = _pruned(generate(seed, backend))
    rng = np.random.default_rng(seed + 1)
    n = len(prog.inputs)
    value = np.asarray(prog.function()(*prog.inputs))
    stmts = [re.sub(r"\bv(\d+)\b", lambda m: f"v{int(m.group(1)) + (int(m.group(1)) >= n)}", e)
             for e in prog.stmts]
    out = prog.out + (prog.out >= n)
    if value.ndim == 0 or rng.random() < 0.3:
        size = max(value.size, 1)
        idx = rng.integers(-size, size, int(rng.integers(1, 7)))
        stmts.append(f"anp.take(anp.ravel(v{out}), v{n})")
    else:
        axis = int(rng.integers(0, value.ndim))
        shape = list(value.shape)
        shape[axis] = int(rng.integers(1, 6))
        size = value.shape[axis]
        idx = rng.integers(-size, size, shape)
        stmts.append(f"anp.take_along_axis(v{out}, v{n}, axis={axis})")
    bad = idx.copy()
    bad.reshape(-1)[int(rng.integers(0, bad.size))] = size if rng.random() < 0.5 else -size - 1
    gathered = replace(prog, inputs=prog.inputs + [idx], layouts=prog.layouts + ["C"],
                       stmts=stmts, out=n + len(stmts))
    return gathered, bad


def _close(a, b, rtol=1e-9, atol=1e-11) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and bool(
        np.allclose(a, b, rtol=rtol, atol=atol, equal_nan=True))


def _batch_fn(programs):
    """One function computing every program: (sum of their scalar losses, their outputs)."""
    fns = [p.function(f"f{k}") for k, p in enumerate(programs)]
    sizes = [len(p.inputs) for p in programs]
    starts = list(itertools.accumulate([0] + sizes))

    def batch(*args):
        outs = [fn(*args[s:s + n]) for fn, s, n in zip(fns, starts, sizes)]
        loss = sum(anp.sum(anp.sin(o)) for o in outs)
        return loss, outs

    return batch, starts, sizes


def disagreements(programs, backend="cpu", torch_check=True) -> list:
    """(program index, what differed) for each program whose `backend` results (outputs and
    gradients) differ from the numpy reference, or whose reference VJP differs from torch."""
    batch, starts, sizes = _batch_fn(programs)
    args = [x for p in programs for x in p.inputs]
    nums = tuple(i for i, x in enumerate(args) if x.dtype.kind == "f")
    found = []
    try:
        (_, ref_outs), ref_grads = adc.value_and_grad(batch, argnums=nums, has_aux=True,
                                                      backend="numpy")(*args)
    except Exception:
        return [(0, "reference failed:\n" + traceback.format_exc(limit=3))] if \
            len(programs) == 1 else _one_by_one(programs, backend, torch_check)
    try:
        (_, outs), grads = adc.value_and_grad(batch, argnums=nums, has_aux=True,
                                              backend=backend)(*args)
    except Exception:
        if len(programs) == 1:
            return [(0, f"{backend} raised:\n{traceback.format_exc(limit=3)}")]
        return _one_by_one(programs, backend, torch_check)
    grads, ref_grads = dict(zip(nums, grads)), dict(zip(nums, ref_grads))
    for k, (s, n) in enumerate(zip(starts, sizes)):
        mine = [i for i in range(s, s + n) if i in grads]
        if not _close(outs[k], ref_outs[k]):
            found.append((k, f"{backend} output differs from numpy:\n{outs[k]!r}\nvs\n"
                             f"{ref_outs[k]!r}"))
        elif not all(_close(grads[i], ref_grads[i]) for i in mine):
            found.append((k, f"{backend} gradient differs from numpy: "
                             f"{[grads[i] for i in mine]!r} vs {[ref_grads[i] for i in mine]!r}"))
    if torch_check:
        for k, p in enumerate(programs):
            if p.special:
                continue
            f = p.function()
            floats = tuple(i for i, x in enumerate(p.inputs) if x.dtype.kind == "f")
            try:
                report = adc.validate(lambda *a: anp.sum(anp.sin(f(*a))), *p.inputs,
                                      argnums=floats, backend="numpy")
            except Exception:
                found.append((k, "torch validation raised:\n" + traceback.format_exc(limit=3)))
                continue
            if not report.ok:
                found.append((k, f"reference VJP differs from torch:\n{report}"))
    return found


def _one_by_one(programs, backend, torch_check):
    return [(k, what) for k, p in enumerate(programs)
            for _, what in disagreements([p], backend, torch_check)]


def shrink(prog: Program, fails, max_tries: int = 40) -> Program:
    """Smaller programs that still fail: drop statements the output does not need, make an
    earlier value the output, replace a statement's value by one of its operands."""
    pruned = _pruned(prog)
    best, budget = (pruned if fails(pruned) else prog), [max_tries]
    changed = True
    while changed and budget[0] > 0:
        changed = False
        for cand in _smaller(best):
            budget[0] -= 1
            if budget[0] < 0:
                break
            try:
                ok = fails(cand)
            except Exception:
                ok = False
            if ok:
                best, changed = cand, True
                break
    return best


def _smaller(prog: Program):
    n = len(prog.inputs)
    for out in range(n, prog.out):
        yield _pruned(replace(prog, out=out))
    for k, expr in enumerate(prog.stmts):
        for ref in sorted(set(_refs(expr)), reverse=True):
            stmts = list(prog.stmts)
            stmts[k] = f"v{ref}"
            yield _pruned(replace(prog, stmts=stmts))


def _refs(expr):
    return [int(m) for m in re.findall(r"\bv(\d+)\b", expr)]


def _pruned(prog: Program) -> Program:
    """Drop statements the output does not read (a statement that only names an earlier value
    is read through that value), renumbering the rest."""
    n = len(prog.inputs)
    alias = {}
    for k, expr in enumerate(prog.stmts):
        if re.fullmatch(r"v\d+", expr):
            alias[n + k] = alias.get(int(expr[1:]), int(expr[1:]))
    stmts = [re.sub(r"\bv(\d+)\b", lambda m: f"v{alias.get(int(m.group(1)), int(m.group(1)))}",
                    expr) for expr in prog.stmts]
    prog = replace(prog, stmts=stmts, out=alias.get(prog.out, prog.out))
    need, stack = set(), [prog.out]
    while stack:
        v = stack.pop()
        if v in need:
            continue
        need.add(v)
        if v >= n:
            stack.extend(_refs(prog.stmts[v - n]))
    keep = [k for k in range(len(prog.stmts)) if n + k in need]
    renumber = {i: i for i in range(n)} | {n + k: n + j for j, k in enumerate(keep)}
    stmts = [re.sub(r"\bv(\d+)\b", lambda m: f"v{renumber[int(m.group(1))]}", prog.stmts[k])
             for k in keep]
    return replace(prog, stmts=stmts, out=renumber[prog.out])


def run(seeds, batch=8, backend="cpu", torch_check=True, log=None) -> list:
    """Fuzz the programs of `seeds`; return the shrunk snippet of each disagreement (with
    `torch_check`, also each statement whose adc.numpy value differs from numpy's)."""
    reports = []
    seeds = list(seeds)
    for start in range(0, len(seeds), batch):
        programs = [generate(s, backend) for s in seeds[start:start + batch]]
        if torch_check:
            reports += [f"seed {s}: {what}" for s, p in zip(seeds[start:], programs)
                        for what in numpy_disagreements(p)]
        for k, what in disagreements(programs, backend, torch_check):
            prog = programs[k]
            if not disagreements([prog], backend, torch_check):
                reports.append(f"seed {seeds[start + k]}: only in a batch: {what}")
                continue
            small = shrink(prog, lambda p: bool(disagreements([p], backend, torch_check)))
            why = disagreements([small], backend, torch_check)
            reports.append(f"seed {seeds[start + k]}: {why[0][1] if why else what}\n"
                           f"{small.snippet()}")
        if log is not None:
            log(start + len(programs), reports)
    return reports
