"""numpy's array/asarray/asanyarray for nested lists that hold traced values.

Stage: trace (the user namespace, `adc.numpy`). Invariant: a nest without a traced value is
numpy's own array; with one, the nest is stacked level by level, its dtype numpy's for the
same nest (numbers and constant arrays count with their own dtypes, as numpy's array
coercion counts them) and an inhomogeneous nest raises numpy's ValueError. Plain `np.array`
and `np.asarray` cannot build a traced array (numpy's protocols let `__array__` return only an
ndarray), so adc.numpy's functions are the way to write it.
"""
from __future__ import annotations

import numpy as np

from ..tracer import Tracer
from . import astype, reshape, shape, stack

__all__ = ["array", "asanyarray", "asarray"]


def holds_tracer(obj) -> bool:
    if isinstance(obj, Tracer):
        return True
    return isinstance(obj, (list, tuple)) and any(holds_tracer(o) for o in obj)


def _nest(obj, depth=0):
    if isinstance(obj, Tracer):
        return obj
    if not holds_tracer(obj):
        return np.asarray(obj)
    items = [_nest(o, depth + 1) for o in obj]
    shapes = {shape(i) for i in items}
    if len(shapes) > 1:
        raise ValueError("setting an array element with a sequence. The requested array has an "
                         f"inhomogeneous shape after {depth + 1} dimensions. The detected shape "
                         f"was ({len(items)},) + inhomogeneous part.")
    return stack(items)


def array(object, dtype=None, *, copy=True, order="K", subok=False, ndmin=0):
    if not holds_tracer(object):
        return np.array(object, dtype=dtype, copy=copy, order=order, subok=subok, ndmin=ndmin)
    out = _nest(object)
    if dtype is not None:
        out = astype(out, dtype)
    if ndmin > len(shape(out)):
        out = reshape(out, (1,) * (ndmin - len(shape(out))) + shape(out))
    return out


def asarray(a, dtype=None, order=None, *, copy=None):
    if not holds_tracer(a):
        return np.asarray(a, dtype=dtype, order=order, copy=copy)
    return array(a, dtype=dtype)


asanyarray = asarray
