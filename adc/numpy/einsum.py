"""numpy's einsum on traced values: every form numpy takes (explicit, implicit and sublist
subscripts, ellipsis, repeated indices within an operand, dimensions of size 1 broadcast, any
number of operands) reduced to einsum primitives of one or two operands without any of those.

Stage: trace (the user namespace, `adc.numpy`). Invariant: each einsum_p bound here has an
explicit output and one letter per axis, every letter of one size; a repeated index becomes a
`diagonal`, a broadcast size-1 axis is squeezed away (its letter dropped from that operand, so
the gradient sums over the broadcast), and three or more operands are contracted pairwise,
each time the pair whose result is smallest (numpy's greedy `optimize` order). Malformed subscripts
and mismatched sizes raise ShapeError (a ValueError, as numpy's).
"""
from __future__ import annotations

import builtins
import itertools
import math
import numbers

from .. import numpy as anp
from ..errors import ShapeError, UnsupportedError, with_location
from ..prims.linalg import einsum_p
from ..tracer import bind

LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def _error(spec, text):
    return ShapeError(with_location(f"einsum{'' if spec is None else ' ' + repr(spec)}: {text}"))


def _sublist_spec(args):
    """numpy's sublist form einsum(a, [0, 1], b, [1, 2], [0, 2]) as (spec, operands)."""
    def letters(sub):
        if not isinstance(sub, (list, tuple)) or not builtins.all(
                s is Ellipsis or isinstance(s, numbers.Integral) and 0 <= s < len(LETTERS)
                for s in sub):
            raise UnsupportedError(with_location(
                f"einsum: a sublist must hold integers in [0, {len(LETTERS)}) and Ellipsis, got "
                f"{sub!r}"))
        return "".join("..." if s is Ellipsis else LETTERS[s] for s in sub)

    operands, subs = list(args[0::2]), [letters(s) for s in args[1::2]]
    out = letters(operands.pop()) if len(operands) > len(subs) else None
    if len(operands) != len(subs):
        raise _error(None, "the sublist form takes operand, sublist pairs")
    spec = ",".join(subs)
    return (spec if out is None else f"{spec}->{out}"), operands


def _parse(spec, shapes):
    """(per-operand letter strings, output letters) with the ellipsis spelled out in letters
    the subscripts do not use (numpy's implicit output: the ellipsis, then the letters seen
    once, sorted)."""
    ins, arrow, out = spec.replace(" ", "").partition("->")
    subs = ins.split(",")
    if len(subs) != len(shapes):
        raise _error(spec, f"{len(subs)} operand subscripts for {len(shapes)} operands")
    bad = set(ins + out) - set(LETTERS) - set(",.")
    if bad or (arrow and "->" in out):
        raise _error(spec, f"invalid subscript characters {sorted(bad)}")
    free = iter(c for c in LETTERS if c not in ins + out)
    widths = []
    for sub, shape in zip(subs, shapes):
        named = len(sub.replace("...", ""))
        if sub.count("...") > 1 or sub.replace("...", "").count(".") or (
                "..." not in sub and named != len(shape)) or named > len(shape):
            raise _error(spec, f"subscripts {sub!r} do not fit an operand of shape "
                               f"{tuple(shape)}")
        widths.append(len(shape) - named if "..." in sub else 0)
    dots = "".join(next(free) for _ in range(builtins.max(widths, default=0)))
    subs = [s.replace("...", dots[len(dots) - w:] if w else "") for s, w in zip(subs, widths)]
    if not arrow:
        seen = "".join(subs)
        out = dots + "".join(sorted(c for c in set(seen) if seen.count(c) == 1 and c not in dots))
    elif "..." in out:
        out = out.replace("...", dots)
    elif dots:
        raise _error(spec, "output has more dimensions than subscripts given, but no '...' "
                           "ellipsis to broadcast the extra dimensions")
    if len(set(out)) != len(out) or set(out) - set("".join(subs)):
        raise _error(spec, "each output subscript must appear once, and in an input")
    return subs, out


def _undiagonal(x, sub, spec):
    """x and its letters with each index repeated within it reduced to its diagonal."""
    for c in sub:
        while sub.count(c) > 1:
            i = sub.index(c)
            j = sub.index(c, i + 1)
            if anp.shape(x)[i] != anp.shape(x)[j]:
                raise _error(spec, f"index {c!r} is repeated over axes of sizes "
                                   f"{anp.shape(x)[i]} and {anp.shape(x)[j]}")
            x = anp.diagonal(x, 0, i, j)
            sub = sub[:i] + sub[i + 1:j] + sub[j + 1:] + c
    return x, sub


def _squeeze_broadcast(xs, subs, spec):
    """The operands with each size-1 axis squeezed away whose letter is larger elsewhere, and the
    size of every letter; sizes neither equal nor 1 raise ShapeError."""
    sizes: dict = {}
    for x, sub in zip(xs, subs):
        for c, d in zip(sub, anp.shape(x)):
            if sizes.get(c, 1) not in (1, d) and d != 1:
                raise _error(spec, f"operands could not be broadcast: index {c!r} has sizes "
                                   f"{sizes[c]} and {d}")
            if sizes.get(c, 1) == 1:
                sizes[c] = d
    squeezed, letters = [], []
    for x, sub in zip(xs, subs):
        keep = [k for k, (c, d) in enumerate(zip(sub, anp.shape(x))) if d == sizes[c]]
        if len(keep) != len(sub):
            x = anp.reshape(x, tuple(anp.shape(x)[k] for k in keep))
            sub = "".join(sub[k] for k in keep)
        squeezed.append(x)
        letters.append(sub)
    return squeezed, letters, sizes


def _kept(subs, out, i, j):
    """The letters of operands i and j that the output or another operand still needs."""
    rest = out + "".join(s for k, s in enumerate(subs) if k not in (i, j))
    return "".join(dict.fromkeys(c for c in subs[i] + subs[j] if c in rest))


def _contract(xs, subs, out, sizes):
    """Pairwise einsum_p contractions, the smallest result first, then the last operand's
    einsum_p into `out` (none when it is `out` already)."""
    xs, subs = list(xs), list(subs)
    while len(xs) > 2:
        i, j = builtins.min(itertools.combinations(range(len(xs)), 2),
                            key=lambda p: math.prod(sizes[c] for c in _kept(subs, out, *p)))
        keep = _kept(subs, out, i, j)
        joined = bind(einsum_p, xs[i], xs[j], spec=f"{subs[i]},{subs[j]}->{keep}")
        xs = [x for k, x in enumerate(xs) if k not in (i, j)] + [joined]
        subs = [s for k, s in enumerate(subs) if k not in (i, j)] + [keep]
    if len(xs) == 1 and subs[0] == out:
        return xs[0]
    return bind(einsum_p, *xs, spec=",".join(subs) + "->" + out)


def einsum(subscripts, *operands, optimize=False):
    """numpy's einsum; `optimize` changes only numpy's order of contraction, and adc always takes
    the greedy one."""
    if not isinstance(subscripts, str):
        subscripts, operands = _sublist_spec((subscripts,) + operands)
    if not operands:
        raise _error(None, "no operands given")
    xs = anp._promote(*operands)
    subs, out = _parse(subscripts, [anp.shape(x) for x in xs])
    xs, subs = zip(*[_undiagonal(x, s, subscripts) for x, s in zip(xs, subs)])
    xs, subs, sizes = _squeeze_broadcast(xs, subs, subscripts)
    return _contract(xs, subs, out, sizes)
