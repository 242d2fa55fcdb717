"""The differential fuzzer's operations: `candidate` draws one statement's expression over an
earlier value and the values in scope, from every family adc.numpy offers: elementwise
(logarithms, inverse trigonometric, rounding, remainders, fmax/fmin, nan_to_num, ...),
reductions and scans, shapes, joining and splitting, ordering (sort, quantiles, arg-extrema),
products and linear algebra, gathers (with length-1 axes and broadcast indices), and integer
arithmetic on integer values.

Invariant: an expression keeps its operands inside the op's domain (logarithms of positive
values, divisors away from zero, square matrices that are well conditioned), so a program over
finite inputs only ever computes defined numbers; non-smooth points (ties, zeros of abs and
relu, integers under rounding) are left in, since they are where torch's conventions are the
comparison. Operations with no kernel on the cuda target (LAPACK's det/slogdet) are drawn only
for the other backends, and inverses, solves and determinants only over finite inputs (Numba's
LAPACK wrappers refuse NaN and ±inf with LinAlgError where numpy and torch return NaN). A draw
may produce an expression its operand cannot take (a shape that does not fit); the generator
evaluates each one and drops those that raise.
"""
from __future__ import annotations

import numpy as np

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
# numpy's further elementwise functions (adc/numpy/elementwise.py), each inside its domain
MORE_UNARY = [
    "anp.log2(anp.abs({a}) + 0.5)", "anp.log10({a} * {a} + 0.5)", "anp.exp2(anp.tanh({a}))",
    "anp.arcsin(anp.tanh({a}) * 0.9)", "anp.arccos(anp.tanh({a}) * 0.9)", "anp.arcsinh({a})",
    "anp.arccosh({a} * {a} + 1.5)", "anp.arctanh(anp.tanh({a}) * 0.9)", "anp.sinc({a})",
    "anp.deg2rad({a})", "anp.rad2deg({a}) * 0.01", "anp.fabs({a})", "anp.erf({a})",
    "anp.erfc({a})", "anp.tan(anp.tanh({a}))", "anp.sinh(anp.tanh({a}))",
    "anp.cosh(anp.tanh({a}))", "anp.reciprocal({a} * {a} + 1.0)",
    "anp.nan_to_num({a}, nan=0.5, posinf=3.0, neginf=-3.0)", "anp.floor({a})",
    "anp.ceil({a})", "anp.trunc({a})", "anp.fix({a})", "anp.rint({a})", "anp.round({a}, 1)",
    "anp.around({a} * 3.0) * 0.5", "anp.where(anp.isnan({a}), 0.25, {a})",
    "anp.where(anp.isinf({a}), 2.0, {a} * 0.5)", "anp.where(anp.signbit({a}), -{a}, {a})",
    "anp.power(anp.abs({a}) + 0.5, 1.5)", "{a} % 1.5", "{a} // 0.75",
    "divmod({a}, 1.25)[1]", "anp.divmod({a}, -1.25)[0]"]
MORE_BINARY = [
    "anp.arctan2({a}, anp.abs({b}) + 0.5)", "anp.arctan2({a} * {a} + 0.1, {b})",
    "anp.hypot({a}, {b} * {b} + 0.5)", "anp.fmax({a}, {b})", "anp.fmin({a}, {b})",
    "anp.logaddexp2({a}, {b})", "anp.remainder({a}, {b} * {b} + 0.5)",
    "anp.mod({a}, -0.5 - {b} * {b})", "anp.fmod({a}, {b} * {b} + 0.5)",
    "anp.floor_divide({a}, {b} * {b} + 0.5)", "anp.power(anp.abs({a}) + 0.5, anp.tanh({b}))",
    "anp.where(anp.isclose({a}, {b}, atol=0.25), {a}, {b} * 0.5)"]
# integer arithmetic, drawn for integer values (numpy's integer results and dtypes)
INTEGER = ["{a} // 2", "{a} % 3", "anp.floor_divide({a}, -2)", "anp.remainder({a}, -3)",
           "anp.fmod({a}, 3)", "anp.maximum({a}, 1)", "anp.clip({a}, -1, 2)", "-{a} * 2",
           "anp.abs({a}) + 1", "anp.sign({a})", "anp.where({a} > 0, {a}, 0)",
           "anp.floor({a})", "anp.rint({a})", "anp.minimum({a}, {b})", "{a} * {b}",
           "{a} - {b}"]
CPU_ONLY = ("linalg.det", "linalg.slogdet")
MATRIX_ORDS = ["None", "'fro'", "1", "np.inf"]


def _pick(rng, items):
    return items[int(rng.integers(0, len(items)))]


def _axis(rng, nd):
    return int(rng.integers(-nd, nd))


def _axes(rng, shape):
    if not shape or rng.random() < 0.15:
        return "None"
    k = int(rng.integers(1, len(shape) + 1))
    axes = sorted(int(a) for a in rng.choice(len(shape), k, replace=False))
    if rng.random() < 0.3:
        axes = [a - len(shape) for a in axes]
    return str(axes[0]) if len(axes) == 1 and rng.random() < 0.5 else str(tuple(axes))


def _same(pool, shape):
    return [n for n, s, _ in pool if s == shape]


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


def _reduce(rng, a, sa):
    nd = len(sa)
    op = str(rng.choice(REDUCE + ["logsumexp", "softmax", "cumsum"]))
    if op == "softmax":
        return f"anp.softmax({a}, axis={_axis(rng, nd)})" if nd else f"anp.sin({a})"
    if op == "cumsum":
        return f"anp.cumsum({a}, axis={_axis(rng, nd) if nd and rng.random() < 0.8 else None})"
    return f"anp.{op}({a}, axis={_axes(rng, sa)}, keepdims={bool(rng.random() < 0.4)})"


def _shape(rng, a, sa, pool):
    nd = len(sa)
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
        same = [n for n, s, _ in pool if len(s) == nd and
                all(x == y for i, (x, y) in enumerate(zip(s, sa)) if i != k)]
        return f"anp.concatenate([{a}, {_pick(rng, same)}], axis={k})"
    if op == "swap" and nd >= 2:
        return f"anp.swapaxes({a}, 0, {nd - 1})"
    if op == "repeat" and nd:
        return f"anp.repeat({a}, 2, axis={int(rng.integers(0, nd))})"
    if op == "tile":
        return f"anp.tile({a}, {tuple(int(rng.choice([1, 2])) for _ in range(max(nd, 1)))})"
    if op == "pad" and nd:
        return f"anp.pad({a}, {[(int(rng.integers(0, 2)), int(rng.integers(0, 2)))] * nd})"
    return None


def _join(rng, a, sa, pool):
    """Stacking, splitting and rearranging (adc/numpy/joining.py)."""
    nd = len(sa)
    n = _pick(rng, _same(pool, sa))
    op = rng.choice(["stack", "vstack", "hstack", "dstack", "column_stack", "append", "split",
                     "array_split", "vsplit", "roll", "rot90", "flipud", "fliplr", "diff",
                     "kron", "cross", "select", "moveaxis", "atleast_3d", "r_"])
    k = _axis(rng, nd) if nd else 0
    simple = {"flipud": (1, "anp.flipud({a})"), "fliplr": (2, "anp.fliplr({a})"),
              "atleast_3d": (0, "anp.atleast_3d({a})"),
              "select": (0, "anp.select([{a} > 0.5, {a} < -0.5], [{a}, {n} * 2.0], 0.25)")}
    if op in simple:
        least, template = simple[op]
        return template.format(a=a, n=n) if nd >= least else None
    if op == "stack":
        return f"anp.stack([{a}, {n}], axis={int(rng.integers(-nd - 1, nd + 1))})"
    if op in ("vstack", "hstack", "dstack", "column_stack"):
        return f"anp.{op}([{a}, {n}])"
    if op == "append":
        return f"anp.append({a}, {n}, axis={k})" if nd and rng.random() < 0.5 else \
            f"anp.append({a}, {_pick(rng, [m for m, _, _ in pool])})"
    if op in ("split", "array_split") and nd:
        if rng.random() < 0.3:
            return f"anp.{op}({a}, [1], axis={k})[{int(rng.integers(0, 2))}]"
        parts = int(rng.choice([1, 2, 3]))
        if op == "split" and sa[k] % parts:
            parts = 1
        return f"anp.{op}({a}, {parts}, axis={k})[{int(rng.integers(0, parts))}]"
    if op == "vsplit" and nd >= 2:
        return f"anp.vsplit({a}, {sa[0]})[{int(rng.integers(0, sa[0]))}]"
    if op == "roll":
        shift = int(rng.integers(-5, 6))
        if nd >= 2 and rng.random() < 0.3:
            return f"anp.roll({a}, ({shift}, {int(rng.integers(-2, 3))}), axis=(0, -1))"
        return f"anp.roll({a}, {shift}, axis={k if nd and rng.random() < 0.7 else None})"
    if op == "rot90" and nd >= 2:
        i, j = (int(x) for x in rng.choice(nd, 2, replace=False))
        return f"anp.rot90({a}, {int(rng.integers(-2, 4))}, axes=({i}, {j}))"
    if op == "diff" and nd:
        if rng.random() < 0.4:
            return f"anp.diff({a}, axis={k}, prepend=0.5)"
        return f"anp.diff({a}, n={int(rng.integers(1, 3))}, axis={k})"
    if op == "kron":
        return f"anp.kron({a}, {_pick(rng, [m for m, s, _ in pool if len(s) <= 2] or [a])})"
    if op == "cross":
        if nd and sa[k] == 3:
            return f"anp.cross({a}, {n}, axis={k})"
        return (f"anp.cross(anp.stack([{a}, anp.sin({a}), {n}], axis=-1), "
                f"anp.stack([anp.cos({n}), {a} * 0.5, anp.tanh({a})], axis=-1))")
    if op == "moveaxis" and nd >= 2:
        return f"anp.moveaxis({a}, {k}, {_axis(rng, nd)})"
    if op == "r_" and nd == 1:
        return f"anp.r_[{a}, {_pick(rng, [m for m, s, _ in pool if len(s) == 1])}]"
    return None


def _order(rng, a, sa, pool):
    """Sorting, order statistics, arg-extrema and scans (adc/numpy/ordering.py)."""
    nd = len(sa)
    k = _axis(rng, nd) if nd else None
    along = k if rng.random() < 0.8 else None
    op = rng.choice(["sort", "argsort", "argsort", "partition", "median", "quantile",
                     "percentile", "argmax", "argmin", "cumprod", "ptp", "average", "amax",
                     "amin", "any"])
    if op == "sort":
        return f"anp.sort({a}, axis={along})"
    if op == "argsort":
        if not nd or rng.random() < 0.25:
            return f"anp.argsort({a}, axis={along}, kind='stable')"
        key = _pick(rng, _same(pool, sa))
        key = f"-{key}" if rng.random() < 0.3 else key
        return f"anp.take_along_axis({a}, anp.argsort({key}, axis={k}, kind='stable'), axis={k})"
    if op == "partition" and nd:
        return f"anp.partition({a}, {int(rng.integers(0, sa[k]))}, axis={k})"
    if op == "median":
        return f"anp.median({a}, axis={_axes(rng, sa)}, keepdims={bool(rng.random() < 0.3)})"
    if op in ("quantile", "percentile"):
        q = _pick(rng, [0.0, 0.25, 0.5, 0.9, 1.0, 0.37, [0.1, 0.75]])
        q = q if op == "quantile" else np.round(np.multiply(q, 100.0), 6).tolist()
        return f"anp.{op}({a}, {q}, axis={_axes(rng, sa)}, keepdims={bool(rng.random() < 0.3)})"
    if op in ("argmax", "argmin"):
        if nd and rng.random() < 0.7:
            return f"anp.take_along_axis({a}, anp.{op}({a}, axis={k}, keepdims=True), axis={k})"
        return f"anp.{op}({a}, axis={along})"
    if op == "cumprod":
        return f"anp.cumprod({a}, axis={along})"
    if op in ("ptp", "amax", "amin"):
        return f"anp.{op}({a}, axis={_axes(rng, sa)})"
    if op == "average" and nd:
        weights = np.round(rng.uniform(0.1, 2.0, sa[k]), 3).tolist()
        return f"anp.average({a}, axis={k}, weights=np.array({weights}))"
    if op == "any" and nd:
        return f"anp.where(anp.any({a} > 0.5, axis={k}, keepdims=True), {a}, -{a})"
    return None


def _well_conditioned(rng, a, sa):
    """A square (stack of) matrix(es) of order <= 4 made from a: the identity plus 0.2 tanh,
    diagonally dominant, so inverses and determinants stay moderate."""
    if len(sa) >= 2:
        m = min(sa[-2], sa[-1], 4)
        block = f"{a}[..., :{m}, :{m}]"
    elif len(sa) == 1:
        m = min(sa[0], 4)
        block = f"anp.outer({a}[:{m}], anp.cos({a}[:{m}]))"
    else:
        return None, 0
    sign = "+" if rng.random() < 0.7 else "-"
    return f"(anp.eye({m}) {sign} 0.2 * anp.tanh({block}))", m


def _linalg(rng, a, sa, pool, backend, special):
    """Products, tensordot, triangles and diagonals, inverses, solves and determinants
    (adc/numpy/linalg.py)."""
    nd = len(sa)
    op = rng.choice(["tensordot", "tensordot", "dot", "trace", "diagonal", "tri", "diag",
                     "inv", "solve", "matrix_power", "norm", "linalg.det", "linalg.slogdet"])
    if op == "tensordot":
        if nd and rng.random() < 0.7:
            i = _axis(rng, nd)
            fits = [(n, s.index(sa[i])) for n, s, _ in pool if sa[i] in s]
            n, j = _pick(rng, fits)
            axes = 1 if (i in (-1, nd - 1) and j == 0 and rng.random() < 0.5) else f"([{i}], [{j}])"
            return f"anp.tensordot({a}, {n}, axes={axes}) * 0.5"
        n = _pick(rng, [m for m, s, _ in pool if len(s) + nd <= 4] or [a])
        return f"anp.tensordot({a}, {n}, axes=0)"
    if op == "dot" and nd:
        fits = [m for m, s, _ in pool if s and s[-2 if len(s) >= 2 else 0] == sa[-1]]
        return f"anp.dot({a}, {_pick(rng, fits)})" if fits else None
    if op == "trace" and nd >= 2:
        return f"anp.trace({a}, {int(rng.integers(-1, 2))}, 0, {nd - 1})"
    if op == "diagonal" and nd >= 2:
        return f"anp.diagonal({a}, {int(rng.integers(-1, 2))}, {nd - 1}, 0)"
    if op == "tri" and nd >= 2:
        return f"anp.{rng.choice(['tril', 'triu'])}({a}, {int(rng.integers(-1, 2))})"
    if op == "diag" and nd in (1, 2):
        return f"anp.diag({a}, {int(rng.integers(-1, 2))})"
    if op == "norm":
        if nd >= 2 and rng.random() < 0.5:
            return f"anp.linalg.norm({a}, {_pick(rng, MATRIX_ORDS)}, (0, -1))"
        return f"anp.linalg.norm({a}, axis={_axis(rng, nd) if nd else None})"
    M, m = _well_conditioned(rng, a, sa)
    if M is None or special or (op in CPU_ONLY and backend == "cuda"):
        return None
    if op == "inv":
        return f"anp.linalg.inv({M})"
    if op == "solve":
        rhs = [n for n, s, _ in pool if len(s) == 2 and s[0] == m]
        return f"anp.linalg.solve({M}, {_pick(rng, rhs) if rhs else f'anp.ones(({m}, 1))'})"
    if op == "matrix_power":
        return f"anp.linalg.matrix_power({M}, {int(rng.choice([-2, -1, 0, 2, 3]))})"
    if op == "linalg.det":
        return f"anp.linalg.det({M})"
    return f"anp.linalg.slogdet({M})[1]" if op == "linalg.slogdet" else None


def _contract(rng, a, sa, pool, b):
    nd = len(sa)
    mats = [(n, s) for n, s, _ in pool if len(s) >= 1 and nd >= 1 and s[0] == sa[-1]]
    inners = [(n, s) for n, s, _ in pool if len(s) >= 1 and nd >= 1 and s[-1] == sa[-1]]
    op = rng.choice(["matmul", "inner", "einsum", "outer"])
    if op == "matmul" and mats:
        n, s = _pick(rng, mats)
        if len(s) <= 2:
            return f"{a} @ {n}"
    if op == "inner" and inners:
        return f"anp.inner({a}, {_pick(rng, inners)[0]})"
    if op == "einsum" and nd >= 1 and inners:
        n, s = _pick(rng, inners)
        la = "abcde"[:nd]
        form = rng.choice(["pair", "three", "ellipsis", "diagonal"])
        if s == sa:  # the same subscripts on both operands
            keep = "".join(c for c in la if rng.random() < 0.5)
            if form == "three":  # contracted pairwise
                return f"anp.einsum('{la},{la},{la}->{keep}', {a}, {n}, {a})"
            if form == "ellipsis":
                return f"anp.einsum('...{la[-1]},...{la[-1]}->...', {a}, {n})"
            return f"anp.einsum('{la},{la}->{keep}', {a}, {n})"
        if form == "diagonal" and nd == 2 and sa[0] == sa[1]:
            return f"anp.einsum('aa->a', {a})"
        lb = "fghi"[:len(s) - 1] + la[-1]
        return f"anp.einsum('{la},{lb}->{la[:-1] + lb[:-1]}', {a}, {n})"
    if op == "outer":
        return f"anp.outer({a}, {b}) * 0.5"
    return None


def _index(rng, a, sa):
    """Gathers by constant indices; the axis is a length-1 one half the time there is one, and
    take_along_axis's index may have length 1 where the array does not (numpy broadcasts it),
    so the gradients' scatter-adds meet both."""
    nd = len(sa)
    if not nd:
        return None
    ones = [i for i, d in enumerate(sa) if d == 1]
    k = _pick(rng, ones) if ones and rng.random() < 0.5 else int(rng.integers(0, nd))
    choice = rng.choice(["int", "take", "take", "along", "along", "fancy", "mask", "pair"])
    picks = [int(i) for i in rng.integers(-sa[k], sa[k], int(rng.integers(1, 5)))]
    if choice == "int":
        return f"{a}[{':, ' * k}{picks[0]}]"
    if choice == "take":
        if rng.random() < 0.3:
            return f"anp.take({a}, {[picks, picks[::-1]]}, axis={k})"
        return f"anp.take({a}, {picks}, axis={k})"
    if choice == "along":
        shape = [1 if i != k and rng.random() < 0.4 else d for i, d in enumerate(sa)]
        shape[k] = int(rng.integers(1, 6))
        idx = rng.integers(0, sa[k], shape).tolist()
        return f"anp.take_along_axis({a}, np.array({idx}), axis={k})"
    if choice == "fancy":
        return f"{a}[{':, ' * k}{picks}]"
    if choice == "mask":
        mask = (rng.random(sa[k]) < 0.6).tolist()
        return f"{a}[{':, ' * k}np.array({mask})]"
    if nd >= 2:  # two index arrays, broadcast against each other
        other = [int(i) for i in rng.integers(-sa[1], sa[1], len(picks))]
        picks = [int(i) for i in rng.integers(-sa[0], sa[0], len(picks))]
        return f"{a}[{picks}, {other}]" if rng.random() < 0.5 else \
            f"{a}[{[[p] for p in picks]}, {other}]"
    return None


# each family's weight roughly follows its number of operations
KINDS = ["unary"] * 2 + ["binary"] * 2 + ["reduce", "shape", "contract"] + ["index"] * 2 + \
    ["elementwise"] * 5 + ["join"] * 2 + ["order"] * 2 + ["linalg"] * 2


def candidate(rng, a, sa, ka, pool, backend="cpu", special=False):
    """The expression of one statement over value `a` (shape sa, dtype kind ka) and the other
    values in `pool` ((name, shape, kind) each), or None where the drawn operation does not
    apply to a's shape; `special`: the program's values may be NaN or infinite."""
    others = [(name, s) for name, s, _ in pool if _broadcastable(sa, s)]
    b = _pick(rng, others)[0]
    kind = _pick(rng, KINDS + (["integer"] * 4 if ka in "iu" else []))
    if kind in ("unary", "binary", "elementwise", "integer"):
        table = {"unary": UNARY, "binary": BINARY, "integer": INTEGER,
                 "elementwise": MORE_UNARY + MORE_BINARY}[kind]
        template = str(_pick(rng, table))
        if "{b}" in template and rng.random() < 0.2:
            a, b = b, a
        return template.format(a=a, b=b)
    made = {"reduce": lambda: _reduce(rng, a, sa),
            "shape": lambda: _shape(rng, a, sa, pool),
            "contract": lambda: _contract(rng, a, sa, pool, b),
            "index": lambda: _index(rng, a, sa),
            "join": lambda: _join(rng, a, sa, pool),
            "order": lambda: _order(rng, a, sa, pool),
            "linalg": lambda: _linalg(rng, a, sa, pool, backend, special)}[kind]()
    return made


def _broadcastable(sa, sb):
    try:
        np.broadcast_shapes(sa, sb)
        return True
    except ValueError:
        return False
