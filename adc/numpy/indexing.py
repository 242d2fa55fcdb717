"""Indexing on traced arrays: basic slicing, integer and integer-array indexing, constant
boolean masks, `take` and `take_along_axis`.

Stage: trace. Invariant: every form lowers to slice/rev/reshape for basic indices and to one
`take` along a merged axis for advanced indices (numpy's placement rules for the result
axes), so the only gather VJP is `take`'s scatter-add.
"""
from __future__ import annotations

import numbers

import numpy as np

from .. import numpy as anp
from ..errors import ShapeError, TraceError, UnsupportedError, with_location
from ..prims.index import check_index_p, take_p
from ..prims import lax
from ..tracer import Tracer, bind


def _is_index_array(k) -> bool:
    return isinstance(k, Tracer) or (isinstance(k, np.ndarray) and k.ndim > 0)


def _normalize_index(idx, size, axis):
    """In-range int64 indices; constant ones are bounds-checked now."""
    if isinstance(idx, Tracer):
        if idx.dtype.kind not in "iu":
            raise TraceError(with_location(
                f"indexing with a traced {idx.dtype} array: only integer index arrays can be "
                "traced (a boolean mask selects a data-dependent number of elements; use "
                "adc.numpy.where instead)"))
        idx = bind(check_index_p, anp.astype(idx, np.int64), size=int(size))
        return anp.where(anp.less(idx, 0), idx + size, idx)
    idx = np.asarray(idx)
    if idx.dtype.kind not in "iu":
        raise ShapeError(with_location(f"index arrays must be integers, got {idx.dtype}"))
    if idx.size and (idx.max() >= size or idx.min() < -size):
        bad = idx.max() if idx.max() >= size else idx.min()
        raise ShapeError(with_location(f"index {bad} is out of bounds for axis {axis} with "
                                       f"size {size}"))
    return np.where(idx < 0, idx + size, idx).astype(np.int64)


def take(x, indices, axis=None):
    if axis is None:
        x, axis = anp.ravel(x), 0
    nd = anp.ndim(x)
    axis = anp._normalize_axis(axis, nd, "take")
    if isinstance(indices, (list, tuple, numbers.Integral)):
        indices = np.asarray(indices)
    idx = _normalize_index(indices, anp.shape(x)[axis], axis)
    return bind(take_p, x, idx, axis=axis)


def take_along_axis(arr, indices, axis):
    shp = anp.shape(arr)
    axis = anp._normalize_axis(axis, len(shp), "take_along_axis")
    ishp = anp.shape(indices)
    if len(ishp) != len(shp):
        raise ShapeError(with_location(f"take_along_axis: indices {ishp} and array {shp} must "
                                       "have the same number of dimensions"))
    out_shape = tuple(ishp[d] if d == axis else shp[d] for d in range(len(shp)))
    if any(ishp[d] not in (1, shp[d]) for d in range(len(shp)) if d != axis):
        raise ShapeError(with_location(f"take_along_axis: indices {ishp} do not broadcast "
                                       f"against {shp} off axis {axis}"))
    idx = _normalize_index(indices, shp[axis], axis)
    idx = anp.broadcast_to(idx, out_shape) if isinstance(idx, Tracer) else np.broadcast_to(
        idx, out_shape)
    if 0 < ishp[axis] <= _ONE_HOT_PICKS and _dtype(arr).kind == "f":
        return _take_along_one_hot(arr, idx, axis)
    strides = np.cumprod((shp[1:] + (1,))[::-1])[::-1]
    base = sum(np.arange(n).reshape([-1 if d == k else 1 for d in range(len(shp))]) * strides[k]
               for k, n in enumerate(out_shape) if k != axis)
    flat = idx * int(strides[axis]) + base
    return bind(take_p, anp.ravel(arr), flat, axis=0)


# Picking at most this many elements per line, take_along_axis selects with a comparison
# against positions and a sum: it fuses with what produces `arr`, and its gradient is an
# elementwise select instead of a scatter-add into a zero array (softmax cross-entropy).
_ONE_HOT_PICKS = 4


def _dtype(x) -> np.dtype:
    return x.dtype if isinstance(x, Tracer) else np.asarray(x).dtype


def _take_along_one_hot(arr, idx, axis):
    n = anp.shape(arr)[axis]
    positions = np.arange(n).reshape([n if d == axis else 1 for d in range(anp.ndim(arr))])
    zero = np.zeros((), _dtype(arr))
    picks = []
    for k in range(anp.shape(idx)[axis]):
        line = tuple(slice(k, k + 1) if d == axis else slice(None) for d in range(positions.ndim))
        chosen = anp.equal(idx[line], positions)
        picks.append(anp.sum(anp.where(chosen, arr, zero), axis=axis, keepdims=True))
    return picks[0] if len(picks) == 1 else anp.concatenate(picks, axis=axis)


def _expand_key(key, nd):
    key = key if isinstance(key, tuple) else (key,)
    out = []
    for k in key:
        if isinstance(k, list):
            k = np.asarray(k)
        if isinstance(k, Tracer) and k.dtype == np.bool_:
            raise TraceError(with_location(
                "boolean-mask indexing with a traced mask selects a data-dependent number of "
                "elements; use adc.numpy.where(mask, x, 0) or a constant numpy mask"))
        if isinstance(k, (bool, np.bool_)):
            raise UnsupportedError(with_location("indexing with a Python bool is not supported"))
        if isinstance(k, np.ndarray) and k.dtype == np.bool_:
            out.extend(np.nonzero(k))
        else:
            out.append(k)
    used = sum(1 for k in out if k is not None and k is not Ellipsis)
    if used > nd:
        raise ShapeError(with_location(f"too many indices: {used} for an array of dimension {nd}"))
    if sum(1 for k in out if k is Ellipsis) > 1:
        raise ShapeError(with_location("an index can only have a single ellipsis ('...')"))
    if Ellipsis in [k for k in out if not isinstance(k, (np.ndarray, Tracer))]:
        i = next(i for i, k in enumerate(out) if k is Ellipsis)
        out[i:i + 1] = [slice(None)] * (nd - used)
    else:
        out += [slice(None)] * (nd - used)
    return out


def _basic(x, key):
    """Apply slices (and ints when `drop_ints`) axis by axis; returns array and kept-axes map."""
    shp = anp.shape(x)
    start, stop, step, flips, final = [], [], [], [], []
    axis = 0
    for k in key:
        if k is None:
            final.append(1)
            continue
        d = shp[axis]
        if isinstance(k, slice):
            a, b, s = k.indices(d)
            n = len(range(a, b, s))
            if s < 0:
                flips.append(axis)
                a, s = d - 1 - a, -s
            start.append(a)
            stop.append(a + (n - 1) * s + 1 if n else a)
            step.append(s)
            final.append(n)
        else:
            i = int(k)
            if not -d <= i < d:
                raise ShapeError(with_location(f"index {i} is out of bounds for axis {axis} with "
                                               f"size {d}"))
            i %= d
            start.append(i), stop.append(i + 1), step.append(1)
        axis += 1
    x = anp.flip(x, tuple(flips)) if flips else x
    x = lax.slice(x, start, stop, step) if isinstance(x, Tracer) else \
        x[tuple(slice(a, b, s) for a, b, s in zip(start, stop, step))]
    return anp.reshape(x, tuple(final))


def getitem(x, key):
    shp = anp.shape(x)
    key = _expand_key(key, len(shp))
    if not any(_is_index_array(k) for k in key):
        return _basic(x, key)
    if any(k is None for k in key):
        raise UnsupportedError(with_location(
            "combining None/newaxis with array indices is not supported; add the axis with "
            "expand_dims after indexing"))
    # Slices first (axes stay), then one gather over the advanced axes merged into one.
    x = _basic(x, [k if isinstance(k, slice) else slice(None) for k in key])
    shp = anp.shape(x)
    adv = [i for i, k in enumerate(key) if not isinstance(k, slice)]
    idx = [_normalize_index(np.asarray(key[i]) if not isinstance(key[i], Tracer) else key[i],
                            shp[i], i) for i in adv]
    bshape = np.broadcast_shapes(*[anp.shape(i) for i in idx])
    contiguous = adv == list(range(adv[0], adv[-1] + 1))
    if not contiguous:
        x = anp.transpose(x, adv + [i for i in range(len(shp)) if i not in adv])
        shp = anp.shape(x)
        adv = list(range(len(adv)))
    p0, p1 = adv[0], adv[-1] + 1
    flat, stride = None, 1
    for pos, i in zip(reversed(range(p0, p1)), reversed(idx)):
        term = i * stride if stride != 1 else i
        flat = term if flat is None else flat + term
        stride *= shp[pos]
    flat = anp.broadcast_to(flat, bshape) if isinstance(flat, Tracer) else np.broadcast_to(
        flat, bshape)
    merged = anp.reshape(x, shp[:p0] + (stride,) + shp[p1:])
    return bind(take_p, merged, flat, axis=p0)
