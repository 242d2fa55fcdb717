"""Tensor dtypes and torch's type-promotion rules.

Stage: tensor front end. Invariant: the dtype of every tensor operation is decided here, by
torch's rules (categories: tensors with dimensions, zero-dimensional tensors, Python
numbers; a lower category changes the result only when its kind is higher — bool < integer
< floating), never by numpy's, so results have the dtypes torch gives.
"""
from __future__ import annotations

import numbers

import numpy as np


class dtype:
    """torch.dtype: prints as `torch.float32` and answers torch's questions
    (`is_floating_point`, `itemsize`, ...), while numpy takes it wherever it takes a dtype
    (through its `.dtype`, the numpy dtype) and it compares and hashes equal to that numpy
    dtype, so `t.dtype == np.float32` and `np.zeros(2, t.dtype)` work as they do for arrays.
    Other attributes (`kind`, `char`, `name`, ...) are the numpy dtype's."""

    __slots__ = ("dtype",)

    def __init__(self, numpy_dtype):
        object.__setattr__(self, "dtype", np.dtype(numpy_dtype))

    def __setattr__(self, name, value):
        raise AttributeError(f"{self!r} is immutable")

    def __repr__(self) -> str:
        return "torch." + _NAMES[self.dtype]

    __str__ = __repr__

    def __eq__(self, other) -> bool:
        if other is None or isinstance(other, str):
            return False  # as torch.float32 == "float32" is False (np.dtype(None) is float64)
        try:
            return self.dtype == np.dtype(other)
        except TypeError:
            return NotImplemented

    def __hash__(self) -> int:
        return hash(self.dtype)

    def __getattr__(self, name):
        return getattr(object.__getattribute__(self, "dtype"), name)

    def __reduce__(self):
        return (of, (self.dtype.str,))

    @property
    def is_floating_point(self) -> bool:
        return self.dtype.kind == "f"

    @property
    def is_complex(self) -> bool:
        return self.dtype.kind == "c"

    @property
    def is_signed(self) -> bool:
        return self.dtype.kind in "fic"


_NAMES = {np.dtype(t): n for t, n in (
    (np.float16, "float16"), (np.float32, "float32"), (np.float64, "float64"),
    (np.int8, "int8"), (np.int16, "int16"), (np.int32, "int32"), (np.int64, "int64"),
    (np.uint8, "uint8"), (np.bool_, "bool"))}
_DTYPES = {d: dtype(d) for d in _NAMES}


def of(numpy_dtype) -> dtype:
    """The torch-style dtype of a numpy dtype (a TypeError naming it for one torch lacks)."""
    d = np.dtype(numpy_dtype)
    found = _DTYPES.get(d)
    if found is None:
        raise TypeError(f"adc tensors have no dtype {d} (torch's dtypes: "
                        f"{', '.join(sorted(_NAMES.values()))})")
    return found


float16, float32, float64 = of(np.float16), of(np.float32), of(np.float64)
int8, int16, int32, int64 = of(np.int8), of(np.int16), of(np.int32), of(np.int64)
uint8, bool_ = of(np.uint8), of(np.bool_)

_default = [float32]
_KIND_RANK = {"b": 0, "u": 1, "i": 1, "f": 2}


def get_default_dtype() -> dtype:
    return _default[0]


def set_default_dtype(d) -> None:
    d = of(d)
    if d not in (float32, float64):
        raise TypeError(f"only floating-point types are supported as the default type, got "
                        f"{d}")
    _default[0] = d


def as_dtype(dtype) -> np.dtype | None:
    return None if dtype is None else np.dtype(dtype)


def scalar_dtype(x) -> np.dtype:
    if isinstance(x, np.generic):
        x = x.item()
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
    """torch.result_type over Tensors (objects with .dtype and .ndim) and Python numbers;
    numpy scalars (np.float64(0.5)) count as Python numbers, as torch counts them."""
    first = operands[0]
    dt = getattr(first, "dtype", None)
    if dt is not None and dt.kind == "f" and first.ndim and all(
            getattr(x, "dtype", None) is dt or type(x) in (int, float) for x in operands):
        return dt  # the common case: a float tensor with others of its dtype or numbers
    best: dict = {}
    for x in operands:
        if hasattr(x, "dtype") and not isinstance(x, np.generic):
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


def float_result(dtype: np.dtype) -> np.dtype:
    """The dtype of a floating operation (exp, sqrt, true division) on `dtype`."""
    return dtype if dtype.kind == "f" else get_default_dtype()


_C_TYPES = {"uint8": "uint8_t", "int8": "int8_t", "int16": "int16_t", "int32": "int",
            "int64": "int64_t"}


def checked_ints(values: np.ndarray, dtype: np.dtype, type_name: str = "") -> np.ndarray:
    """int64 `values` cast to the integer `dtype` as torch's checked casts do: in range, or
    for an unsigned dtype down to -max (wrapped: -1 is 255 in uint8); else torch's
    RuntimeError, naming the type as the caller's torch function does (default: C's name)."""
    info = np.iinfo(dtype)
    lowest = -info.max if dtype.kind == "u" else info.min
    if values.size and (values.min() < lowest or values.max() > info.max):
        raise RuntimeError(f"value cannot be converted to type "
                           f"{type_name or _C_TYPES[dtype.name]} without overflow")
    return values.astype(dtype)
