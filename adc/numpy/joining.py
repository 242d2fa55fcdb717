"""numpy's joining, splitting and rearranging functions: atleast_1d/2d/3d, vstack/hstack/dstack/
column_stack/row_stack, append, split/array_split/hsplit/vsplit/dsplit, roll/rollaxis/rot90,
flipud/fliplr, diff, kron, cross, select, and the index tricks r_ and c_.

Stage: trace (the user namespace, `adc.numpy`). Invariant: each function takes numpy's name,
arguments, shapes and errors and is a composition of adc.numpy's shape, slicing and
elementwise calls (so it needs no VJP of its own and serves traced and plain arrays alike).
"""
from __future__ import annotations

import builtins
import numbers

import numpy as np

from ..errors import ShapeError, UnsupportedError, with_location
from ..tracer import Tracer
from . import (
    _as_operand,
    _normalize_axis,
    broadcast_arrays,
    broadcast_to,
    concatenate,
    flip,
    moveaxis,
    multiply,
    ndim,
    not_equal,
    ravel,
    reshape,
    shape,
    subtract,
    swapaxes,
    take,
    where,
)

__all__ = ["append", "array_split", "atleast_1d", "atleast_2d", "atleast_3d", "c_",
           "column_stack", "cross", "diff", "dsplit", "dstack", "fliplr", "flipud", "hsplit",
           "hstack", "kron", "r_", "roll", "rollaxis", "rot90", "row_stack", "select", "split",
           "vsplit", "vstack"]


def _operand(x):
    x = _as_operand(x)
    return x if isinstance(x, Tracer) else np.asarray(x)


def _atleast(nd, arys):
    out = []
    for a in map(_operand, arys):
        s = shape(a)
        if len(s) < nd:  # (n,) -> (1, n) -> (1, n, 1); (m, n) -> (m, n, 1)
            s = (1,) * nd if not s else (1, *s, 1)[:nd] if len(s) == 1 else (*s, 1)
            a = reshape(a, s)
        out.append(a)
    return out[0] if len(out) == 1 else tuple(out)


def atleast_1d(*arys):
    return _atleast(1, arys)


def atleast_2d(*arys):
    return _atleast(2, arys)


def atleast_3d(*arys):
    return _atleast(3, arys)


def _each(nd, tup):
    return [_atleast(nd, [a]) for a in tup]


def vstack(tup):
    return concatenate(_each(2, tup), axis=0)


row_stack = vstack


def hstack(tup):
    arrays = _each(1, tup)
    return concatenate(arrays, axis=0 if arrays and ndim(arrays[0]) == 1 else 1)


def dstack(tup):
    return concatenate(_each(3, tup), axis=2)


def column_stack(tup):
    arrays = [_operand(a) for a in tup]
    return concatenate([reshape(a, (-1, 1)) if ndim(a) < 2 else a for a in arrays], axis=1)


def append(arr, values, axis=None):
    arr, values = _operand(arr), _operand(values)
    if axis is None:
        return concatenate([ravel(arr), ravel(values)], axis=0)
    return concatenate([arr, values], axis=axis)


def _pieces(ary, bounds, axis):
    lead = (slice(None),) * axis
    return [ary[lead + (slice(a, b),)] for a, b in bounds]


def array_split(ary, indices_or_sections, axis=0):
    """numpy's array_split: n sections (the first n % k one longer) or cuts at indices."""
    ary = _operand(ary)
    axis = _normalize_axis(axis, ndim(ary), "array_split")
    n = shape(ary)[axis]
    spec = indices_or_sections
    if isinstance(spec, numbers.Integral):
        if spec <= 0:
            raise ValueError("number sections must be larger than 0.")
        size, extra = divmod(n, int(spec))
        ends = np.cumsum([size + 1] * extra + [size] * (int(spec) - extra)).tolist()
        starts = [0, *ends[:-1]]
    else:
        cuts = list(spec)
        starts, ends = [0, *cuts], [*cuts, n]
    bounds = []
    for a, b in zip(starts, ends):  # python slice bounds, as numpy slices them
        a, b, _ = slice(int(a), int(b)).indices(n)
        bounds.append((a, builtins.max(a, b)))
    return _pieces(ary, bounds, axis)


def split(ary, indices_or_sections, axis=0):
    if isinstance(indices_or_sections, numbers.Integral):
        n = shape(_operand(ary))[_normalize_axis(axis, ndim(ary), "split")]
        if indices_or_sections > 0 and n % indices_or_sections:
            raise ValueError("array split does not result in an equal division")
    return array_split(ary, indices_or_sections, axis)


def _split_at_least(nd, axis, name):
    def fn(ary, indices_or_sections):
        if ndim(ary) < nd:
            raise ValueError(f"{name} only works on arrays of {nd} or more dimensions")
        return split(ary, indices_or_sections, axis if ndim(ary) > 1 else 0)

    fn.__name__ = name
    return fn


hsplit = _split_at_least(1, 1, "hsplit")
vsplit = _split_at_least(2, 0, "vsplit")
dsplit = _split_at_least(3, 2, "dsplit")


def roll(a, shift, axis=None):
    """numpy's roll: shifts broadcast against axes, shifts of one axis adding up; None rolls
    the flattened array."""
    a = _operand(a)
    if axis is None:
        return reshape(roll(ravel(a), shift, 0), shape(a))
    shifts, axes = np.broadcast_arrays(np.asarray(shift), np.asarray(axis))
    total = {}
    for s, ax in zip(shifts.reshape(-1).tolist(), axes.reshape(-1).tolist()):
        ax = _normalize_axis(int(ax), ndim(a), "roll")
        total[ax] = total.get(ax, 0) + int(s)
    for ax, s in sorted(total.items()):
        n = shape(a)[ax]
        s = s % n if n else 0
        if s:
            lead = (slice(None),) * ax
            a = concatenate([a[lead + (slice(n - s, n),)], a[lead + (slice(0, n - s),)]], ax)
    return a


def rollaxis(a, axis, start=0):
    nd = ndim(a)
    axis = _normalize_axis(axis, nd, "rollaxis")
    if not -nd <= start <= nd:
        raise ShapeError(with_location(f"rollaxis: start {start} is out of bounds for an array "
                                       f"of dimension {nd}"))
    start = start % (nd + 1) if start < 0 else start
    if axis < start:
        start -= 1
    return moveaxis(a, axis, start) if axis != start else _operand(a)


def rot90(m, k=1, axes=(0, 1)):
    m = _operand(m)
    if len(axes) != 2:
        raise ValueError("len(axes) must be 2.")
    a, b = (_normalize_axis(int(ax), ndim(m), "rot90") for ax in axes)
    if a == b:
        raise ValueError("Axes must be different.")
    k %= 4
    if k == 0:
        return m
    if k == 2:
        return flip(flip(m, a), b)
    return swapaxes(flip(m, b if k == 1 else a), a, b)


def flipud(m):
    if ndim(m) < 1:
        raise ValueError("Input must be >= 1-d.")
    return flip(m, 0)


def fliplr(m):
    if ndim(m) < 2:
        raise ValueError("Input must be >= 2-d.")
    return flip(m, 1)


def diff(a, n=1, axis=-1, prepend=None, append=None):
    """numpy's diff: later minus earlier along `axis` `n` times (not_equal for bools), after
    `prepend`/`append` (a scalar broadcast to one slice of `a`)."""
    a = _operand(a)
    if n < 0:
        raise ValueError(f"order must be non-negative but got {n!r}")
    if n == 0:
        return a
    axis = _normalize_axis(axis, ndim(a), "diff")
    parts = []
    for p in (prepend, append):
        if p is not None:
            p = _operand(p)
            if ndim(p) == 0:
                p = broadcast_to(p, shape(a)[:axis] + (1,) + shape(a)[axis + 1:])
        parts.append(p)
    if prepend is not None or append is not None:
        a = concatenate([p for p in (parts[0], a, parts[1]) if p is not None], axis)
    lead = (slice(None),) * axis
    for _ in range(n):
        later, earlier = a[lead + (slice(1, None),)], a[lead + (slice(None, -1),)]
        bools = getattr(later, "dtype", None) == np.dtype(bool)
        a = not_equal(later, earlier) if bools else subtract(later, earlier)
    return a


def kron(a, b):
    """numpy's kron: the shapes padded to one rank, each element of a scaling a block of b."""
    a, b = _operand(a), _operand(b)
    nd = builtins.max(ndim(a), ndim(b))
    sa = (1,) * (nd - ndim(a)) + tuple(shape(a))
    sb = (1,) * (nd - ndim(b)) + tuple(shape(b))
    spread_a = reshape(a, tuple(d for n in sa for d in (n, 1)))
    spread_b = reshape(b, tuple(d for n in sb for d in (1, n)))
    return reshape(multiply(spread_a, spread_b), tuple(m * n for m, n in zip(sa, sb)))


_NEXT, _AFTER = np.array([1, 2, 0]), np.array([2, 0, 1])


def cross(a, b, axisa=-1, axisb=-1, axisc=-1, axis=None):
    """numpy's cross of 3-vectors along axisa/axisb (or `axis` for all three), the result's
    vectors along axisc."""
    if axis is not None:
        axisa = axisb = axisc = axis
    a = moveaxis(_operand(a), axisa, -1)
    b = moveaxis(_operand(b), axisb, -1)
    if shape(a)[-1] != 3 or shape(b)[-1] != 3:
        raise UnsupportedError(with_location(
            f"cross: vectors of length {shape(a)[-1]} and {shape(b)[-1]}; adc supports "
            "3-vectors (2-vectors are deprecated in numpy 2)"))
    a, b = broadcast_arrays(a, b)

    def at(x, order):
        return take(x, order, axis=-1)

    c = subtract(multiply(at(a, _NEXT), at(b, _AFTER)), multiply(at(a, _AFTER), at(b, _NEXT)))
    return moveaxis(c, -1, axisc)


def select(condlist, choicelist, default=0):
    """The first choice whose condition holds, elementwise (`default` where none does)."""
    if len(condlist) != len(choicelist):
        raise ValueError("list of cases must be same length as list of conditions")
    if not condlist:
        raise ValueError("select with an empty condition list is not possible")
    out = default
    for cond, choice in reversed(list(zip(condlist, choicelist))):
        cond = _operand(cond)
        if getattr(cond, "dtype", None) != np.dtype(bool):
            raise TypeError(f"invalid entry in condlist: should be boolean ndarray, got "
                            f"{getattr(cond, 'dtype', type(cond).__name__)}")
        out = where(cond, choice, out)
    return broadcast_arrays(out, *condlist)[0]


class _Concatenator:
    """np.r_ / np.c_ without string directives: numbers and arrays (at least 1-d; for c_,
    1-d ones as columns) and slices (`start:stop:step`, an imaginary step a count as in
    linspace) joined along the first (r_) or last (c_) axis."""

    def __init__(self, columns):
        self.columns = columns

    def __getitem__(self, key):
        items = key if isinstance(key, tuple) else (key,)
        arrays = []
        for item in items:
            if isinstance(item, str):
                raise UnsupportedError(with_location(
                    f"{'c_' if self.columns else 'r_'}[{item!r}, ...]: string directives are "
                    "not supported; use concatenate or stack"))
            arrays.append(np.r_[item] if isinstance(item, slice) else _operand(item))
        if not self.columns:
            return concatenate([atleast_1d(a) for a in arrays], axis=0)
        return concatenate([reshape(a, (-1, 1)) if ndim(a) < 2 else a for a in arrays], axis=-1)


r_, c_ = _Concatenator(columns=False), _Concatenator(columns=True)
