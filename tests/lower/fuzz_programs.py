"""The differential fuzzer: random numpy-style programs (3-12 operations over inputs whose
shapes have length-1 axes in every position, some passed as transposed, reversed or
Fortran-ordered views, some integer), run on the cpu backend (and the cuda simulator) and
compared with the numpy reference backend, value and gradient; the reference's VJP is compared
with torch.autograd.grad of the same graph. A failing program is shrunk and printed as a
runnable snippet. `generate_gather` appends a gather by a traced index array, whose
out-of-range version must raise IndexError on every backend.

A program is a list of statements `vK = <expression over earlier values>`; generating it
evaluates each expression eagerly (adc.numpy works on numpy arrays) to learn its shape and to
keep every value finite and moderate, so the compiled code is only ever asked for defined
numbers — except in the programs whose inputs hold NaN, ±inf and ±0 (`special`, one seed in
eight), where values may be anything and the backends must agree on NaN and infinities too
(the torch check is left to tests/tensors/test_nan_conventions.py there). Programs are compiled in batches (one module for several independent programs) to
spread Numba's compile time; a batch's disagreement is attributed to its program and
confirmed on that program alone.
"""
from __future__ import annotations

import itertools
import re
import traceback
from dataclasses import dataclass, field, replace

import numpy as np

import adc
import adc.numpy as anp

UNARY = ["anp.sin({a})", "anp.cos({a})", "anp.tanh({a})", "anp.arctan({a})",
         "anp.sigmoid({a})", "anp.softplus({a})", "anp.exp(anp.tanh({a}))",
         "anp.log1p({a} * {a})", "anp.sqrt({a} * {a} + 1.0)", "anp.abs({a})",
         "anp.maximum({a}, 0.0)", "{a} ** 3 * 0.1", "-{a}", "anp.log(anp.sigmoid({a}) + 0.5)",
         "anp.clip({a}, -0.5, 0.7)", "anp.square({a}) * 0.25", "anp.relu({a})",
         "anp.expm1(anp.tanh({a}))", "{a} * 2.0 - 1.0", "anp.sign({a}) * {a}"]
BINARY = ["{a} + {b}", "{a} - {b}", "{a} * anp.tanh({b})", "{a} / (1.0 + {b} * {b})",
          "anp.maximum({a}, {b})", "anp.minimum({a}, {b})",
          "anp.where({a} > {b}, {a}, {b} * 0.5)", "anp.logaddexp({a}, {b})", "{a} * {b}"]
REDUCE = ["sum", "mean", "prod", "max", "min", "var", "std"]


@dataclass
class Program:
    inputs: list  # numpy arrays (possibly non-contiguous views)
    layouts: list  # how each input was made: 'C', 'F', 'T' (transposed), 'R' (reversed)
    stmts: list = field(default_factory=list)  # expression strings; statement k defines v{n+k}
    out: int = -1  # index of the output value
    special: bool = False  # inputs hold NaN/±inf/±0; values need not be finite

    def source(self, name="f") -> str:
        n = len(self.inputs)
        lines = [f"def {name}({', '.join(f'v{i}' for i in range(n))}):"]
        lines += [f"    v{n + k} = {expr}" for k, expr in enumerate(self.stmts)]
        lines.append(f"    return v{self.out}")
        return "\n".join(lines)

    def function(self, name="f"):
        env = {"anp": anp, "np": np}
        exec(self.source(name), env)
        return env[name]

    def snippet(self) -> str:
        """A runnable reproduction: the program, its inputs, and the comparison."""
        args = []
        for x, layout in zip(self.inputs, self.layouts):
            base = {"C": x, "F": x, "T": x.T, "R": np.flip(x)}[layout]
            made = (f"np.array({base.tolist()!r}, dtype=np.{x.dtype}).reshape({base.shape})"
                    .replace("nan", "np.nan").replace("inf", "np.inf"))
            made = {"C": made, "F": f"np.asfortranarray({made})", "T": f"{made}.T",
                    "R": f"np.flip({made})"}[layout]
            args.append(made)
        return "\n".join([
            "import numpy as np", "import adc", "import adc.numpy as anp", "",
            self.source(), "", f"args = [{', '.join(args)}]",
            "print(adc.jit(f)(*args) - adc.jit(f, backend='numpy')(*args))",
            "g = lambda *a: anp.sum(anp.sin(f(*a)))",
            "nums = tuple(i for i, a in enumerate(args) if a.dtype.kind == 'f')",
            "print([a - b for a, b in zip(adc.grad(g, argnums=nums)(*args), "
            "adc.grad(g, argnums=nums, backend='numpy')(*args))])"])


def _random_shape(rng):
    rank = int(rng.choice([0, 1, 2, 2, 3, 3, 4]))
    return tuple(int(rng.choice([1, 1, 2, 3, 4])) for _ in range(rank))


SPECIAL = np.array([np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0])


def _make_input(rng, shape, special=False):
    if not special and rng.random() < 0.15:
        return rng.integers(-3, 4, shape), "C"
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


def _broadcastable(sa, sb):
    try:
        np.broadcast_shapes(sa, sb)
        return True
    except ValueError:
        return False


def _axes(rng, shape):
    if not shape or rng.random() < 0.15:
        return "None"
    k = int(rng.integers(1, len(shape) + 1))
    axes = sorted(int(a) for a in rng.choice(len(shape), k, replace=False))
    if rng.random() < 0.3:
        axes = [a - len(shape) for a in axes]
    return str(axes[0]) if len(axes) == 1 and rng.random() < 0.5 else str(tuple(axes))


def _reshape_target(rng, shape):
    size = int(np.prod(shape, dtype=np.int64))
    dims, rest = [], size
    for p in (2, 3, 2, 3):
        if rest % p == 0 and rng.random() < 0.5:
            dims.append(p)
            rest //= p
    dims.append(rest)
    dims = [int(d) for d in rng.permutation(dims)]
    for _ in range(int(rng.integers(0, 3))):
        dims.insert(int(rng.integers(0, len(dims) + 1)), 1)
    if rng.random() < 0.3 and dims:
        dims[int(rng.integers(0, len(dims)))] = -1 if dims.count(-1) == 0 else 1
    return tuple(dims[:5])


def _candidates(rng, a, sa, pool):
    """Expressions of one step over value `a` (shape sa) and the other values in `pool`."""
    nd = len(sa)
    others = [(name, s) for name, s in pool if _broadcastable(sa, s)]
    b, sb = others[int(rng.integers(0, len(others)))]
    kind = rng.choice(["unary", "binary", "binary", "reduce", "shape", "contract", "index"])
    if kind == "unary":
        return str(rng.choice(UNARY)).format(a=a)
    if kind == "binary":
        return str(rng.choice(BINARY)).format(a=a, b=b) if rng.random() < 0.8 else \
            str(rng.choice(BINARY)).format(a=b, b=a)
    if kind == "reduce":
        op = str(rng.choice(REDUCE + ["logsumexp", "softmax"]))
        if op == "softmax":
            return f"anp.softmax({a}, axis={int(rng.integers(-nd, nd))})" if nd else \
                f"anp.sin({a})"
        return f"anp.{op}({a}, axis={_axes(rng, sa)}, keepdims={bool(rng.random() < 0.4)})"
    if kind == "shape":
        op = rng.choice(["reshape", "transpose", "expand", "squeeze", "broadcast", "flip",
                         "slice", "concat", "swap", "repeat", "tile", "pad"])
        if op == "reshape":
            return f"anp.reshape({a}, {_reshape_target(rng, sa)})"
        if op == "transpose" and nd >= 2:
            return f"anp.transpose({a}, {tuple(int(p) for p in rng.permutation(nd))})"
        if op == "expand":
            return f"anp.expand_dims({a}, {int(rng.integers(-nd - 1, nd + 1))})"
        if op == "squeeze":
            return f"anp.squeeze({a})"
        if op == "broadcast":
            target = tuple(int(rng.choice([2, 3])) if d == 1 and rng.random() < 0.6 else d
                           for d in sa)
            lead = (int(rng.choice([1, 2])),) if rng.random() < 0.4 and nd < 4 else ()
            return f"anp.broadcast_to({a}, {lead + target})"
        if op == "flip" and nd:
            return f"anp.flip({a}, axis={int(rng.integers(0, nd))})"
        if op == "slice" and nd:
            k = int(rng.integers(0, nd))
            sl = str(rng.choice(["::-1", "1:", ":-1", "::2", "::-2", "None:1"]))
            if sa[k] == 1 and sl in ("1:", ":-1"):
                sl = "::-1"
            return f"{a}[{':, ' * k}{sl}]"
        if op == "concat" and nd:
            k = int(rng.integers(0, nd))
            same = [n for n, s in pool if len(s) == nd and
                    all(x == y for i, (x, y) in enumerate(zip(s, sa)) if i != k)]
            return f"anp.concatenate([{a}, {same[int(rng.integers(0, len(same)))]}], axis={k})"
        if op == "swap" and nd >= 2:
            return f"anp.swapaxes({a}, 0, {nd - 1})"
        if op == "repeat" and nd:
            return f"anp.repeat({a}, 2, axis={int(rng.integers(0, nd))})"
        if op == "tile":
            return f"anp.tile({a}, {tuple(int(rng.choice([1, 2])) for _ in range(max(nd, 1)))})"
        if op == "pad" and nd:
            return f"anp.pad({a}, {[(int(rng.integers(0, 2)), int(rng.integers(0, 2)))] * nd})"
        return f"anp.tanh({a})"
    if kind == "contract":
        mats = [(n, s) for n, s in pool if len(s) >= 1 and nd >= 1 and s[0] == sa[-1]]
        inners = [(n, s) for n, s in pool if len(s) >= 1 and nd >= 1 and s[-1] == sa[-1]]
        op = rng.choice(["matmul", "inner", "einsum", "outer"])
        if op == "matmul" and mats:
            n, s = mats[int(rng.integers(0, len(mats)))]
            if len(s) <= 2:
                return f"{a} @ {n}"
        if op == "inner" and inners:
            return f"anp.inner({a}, {inners[int(rng.integers(0, len(inners)))][0]})"
        if op == "einsum" and nd >= 1 and inners:
            n, s = inners[int(rng.integers(0, len(inners)))]
            la = "abcde"[:nd]
            if s == sa:  # the same subscripts on both operands
                keep = "".join(c for c in la if rng.random() < 0.5)
                return f"anp.einsum('{la},{la}->{keep}', {a}, {n})"
            lb = "fghi"[:len(s) - 1] + la[-1]
            return f"anp.einsum('{la},{lb}->{la[:-1] + lb[:-1]}', {a}, {n})"
        if op == "outer":
            return f"anp.outer({a}, {b}) * 0.5"
        return f"anp.sin({a})"
    if nd:  # index
        k = int(rng.integers(0, nd))
        choice = rng.choice(["int", "take", "along"])
        if choice == "int":
            return f"{a}[{':, ' * k}{int(rng.integers(-sa[k], sa[k]))}]"
        idx = [int(i) for i in rng.integers(-sa[k], sa[k], int(rng.integers(1, 4)))]
        if choice == "take":
            return f"anp.take({a}, {idx}, axis={k})"
        shape = list(sa)
        shape[k] = int(rng.integers(1, 6))
        along = rng.integers(0, sa[k], shape).tolist()
        return f"anp.take_along_axis({a}, np.array({along}), axis={k})"
    return f"anp.cos({a})"


def _acceptable(value, special) -> bool:
    if value.dtype not in (np.float64, np.int64) or value.size == 0 or value.size > 256 or \
            value.ndim > 5:
        return False
    finite = value[np.isfinite(value)]
    if special:
        return not finite.size or np.abs(finite).max() <= 1e4
    return finite.size == value.size and np.abs(value).max() <= 1e4


def generate(seed: int) -> Program:
    rng = np.random.default_rng(seed)
    special = seed % 8 == 7
    n_in = int(rng.integers(1, 4))
    made = [_make_input(rng, _random_shape(rng), special) for _ in range(n_in)]
    if not any(x.dtype.kind == "f" for x, _ in made):
        made[0] = (made[0][0].astype(np.float64), made[0][1])
    prog = Program([x for x, _ in made], [lay for _, lay in made], special=special)
    env = {"anp": anp, "np": np} | {f"v{i}": x for i, (x, _) in enumerate(made)}
    pool = [(f"v{i}", x.shape) for i, (x, _) in enumerate(made)]
    target = int(rng.integers(3, 13))
    tries = 0
    while len(prog.stmts) < target and tries < 200:
        tries += 1
        recent = pool[-3:] if rng.random() < 0.7 else pool
        a, sa = recent[int(rng.integers(0, len(recent)))]
        expr = _candidates(rng, a, sa, pool)
        try:
            with np.errstate(all="ignore" if special else "raise"):
                value = eval(expr, env)
        except Exception:
            continue
        value = np.asarray(value)
        if not _acceptable(value, special):
            continue
        name = f"v{n_in + len(prog.stmts)}"
        env[name] = value
        pool.append((name, value.shape))
        prog.stmts.append(expr)
    prog.out = n_in + len(prog.stmts) - 1
    return prog


def generate_gather(seed: int) -> tuple:
    """generate(seed) ending in a gather (take or take_along_axis, 1-5 picks per line) of its
    output by a traced int64 index array, its last input; returns the program and the same
    index with one entry out of range."""
    prog = _pruned(generate(seed))
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
            report = adc.validate(lambda *a: anp.sum(anp.sin(f(*a))), *p.inputs,
                                  argnums=floats, backend="numpy")
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
    """Fuzz the programs of `seeds`; return the shrunk snippet of each disagreement."""
    reports = []
    seeds = list(seeds)
    for start in range(0, len(seeds), batch):
        programs = [generate(s) for s in seeds[start:start + batch]]
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
