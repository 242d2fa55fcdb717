"""Tensor dtypes and torch's type-promotion rules.

Stage: tensor front end. Invariant: the dtype of every tensor operation is decided here, by
torch's rules (categories: tensors with dimensions, zero-dimensional tensors, Python
numbers; a lower category changes the result only when its kind is higher — bool < integer
< floating), never by numpy's, so results have the dtypes torch gives.
"""
from __future__ import annotations

import numbers

import numpy as np

float32 = np.dtype(np.float32)
float64 = np.dtype(np.float64)
int32 = np.dtype(np.int32)
int64 = np.dtype(np.int64)
bool_ = np.dtype(np.bool_)

_default = [float32]
_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}


def get_default_dtype() -> np.dtype:
    return _default[0]


def set_default_dtype(dtype) -> None:
    dtype = np.dtype(dtype)
    if dtype not in (float32, float64):
        raise TypeError(f"only floating-point types are supported as the default type, got "
                        f"{dtype}")
    _default[0] = dtype


def as_dtype(dtype) -> np.dtype | None:
    return None if dtype is None else np.dtype(dtype)


def scalar_dtype(x) -> np.dtype:
    if isinstance(x, bool):
        return bool_
    if isinstance(x, numbers.Integral):
        return int64
    if isinstance(x, numbers.Real):
        return get_default_dtype()
    raise TypeError(f"unsupported operand type {type(x).__name__}; expected a Tensor or a "
                    "Python number")


def promote(a: np.dtype, b: np.dtype) -> np.dtype:
    """torch.promote_types: a higher kind wins with its own dtype (int64 + float32 is
    float32); within one kind the wider type wins."""
    ra, rb = _KIND_RANK[a.kind], _KIND_RANK[b.kind]
    if ra != rb:
        return a if ra > rb else b
    return np.promote_types(a, b)


_SCALAR_TYPES = {"f": "Float", "d": "Double", "l": "Long", "q": "Long", "i": "Int", "?": "Bool",
                 "h": "Short", "b": "Char", "B": "Byte", "e": "Half"}


def scalar_type(dtype: np.dtype) -> str:
    """torch's C++ name of a dtype, as its error messages print it ("Float", "Long")."""
    return _SCALAR_TYPES.get(dtype.char, str(dtype))


def can_cast(source: np.dtype, target: np.dtype) -> bool:
    """torch.can_cast: any cast that does not lower the kind (float to int, int to bool)."""
    return _KIND_RANK[source.kind] <= _KIND_RANK[target.kind]


def result_type(*operands) -> np.dtype:
    """torch.result_type over Tensors (objects with .dtype and .ndim) and Python numbers."""
    first = operands[0]
    dt = getattr(first, "dtype", None)
    if dt is not None and dt.kind == "f" and first.ndim and all(
            getattr(x, "dtype", None) is dt or type(x) in (int, float) for x in operands):
        return dt  # the common case: a float tensor with others of its dtype or numbers
    best: dict = {}
    for x in operands:
        if hasattr(x, "dtype"):
            category, dt = (2 if x.ndim else 1), x.dtype
        else:
            category, dt = 0, scalar_dtype(x)
        best[category] = dt if category not in best else promote(best[category], dt)
    result = None
    for category in (2, 1, 0):
        dt = best.get(category)
        if dt is None:
            continue
        if result is None or _KIND_RANK[dt.kind] > _KIND_RANK[result.kind]:
            result = dt
    return result


def can_cast(src: np.dtype, dst: np.dtype) -> bool:
    """torch's rule for writing a `src` result into a `dst` tensor (in-place ops, `out=`):
    anything but floating into integer, complex into real, or non-bool into bool."""
    src, dst = np.dtype(src), np.dtype(dst)
    return not ((src.kind == "c" and dst.kind != "c") or (src.kind in "fc" and dst.kind in "iub")
                or (src.kind != "b" and dst.kind == "b"))


def float_result(dtype: np.dtype) -> np.dtype:
    """The dtype of a floating operation (exp, sqrt, true division) on `dtype`."""
    return dtype if dtype.kind == "f" else get_default_dtype()
