"""torch's legacy and convenience spellings: the typed constructors (`FloatTensor`,
`LongTensor`, ...), `Tensor(data)` / `Tensor(2, 3)`, dtype aliases (`float`, `long`, ...),
`Tensor.type()`, the `new_*` constructors and formatting one-element tensors.

Stage: tensor front end. Invariant: each spelling builds on the one tensor implementation
(creation and `Tensor.to`), with torch's meaning: a legacy constructor given sizes makes a
tensor of that shape (torch leaves it uninitialized; here it is zero), given data copies it
as the constructor's dtype.
"""
from __future__ import annotations

import numbers

import numpy as np

from . import creation, dtypes
from .tensor import Size, Tensor, _check_device

# torch's dtype aliases (`float` is float32, `int` int32, `long` int64, `half` float16), exported
# as adc.float, adc.double, ... ; adc does not compute in float16: `half` is there for dtype
# comparisons, and making or converting to a float16 tensor raises UnsupportedError.
ALIASES = {"float": dtypes.float32, "double": dtypes.float64, "long": dtypes.int64,
           "int": dtypes.int32, "short": dtypes.int16, "bool": dtypes.bool_,
           "half": dtypes.float16}
_TYPE_NAMES = {d: dtypes.scalar_type(d) + "Tensor" for d in (
    dtypes.float32, dtypes.float64, dtypes.float16, dtypes.int64, dtypes.int32, dtypes.int16,
    dtypes.int8, dtypes.uint8, dtypes.bool_)}
_BY_TYPE_NAME = {f"torch.{name}": dtype for dtype, name in _TYPE_NAMES.items()}


def _legacy(dtype, args, device, typed=True):
    if len(args) == 1 and isinstance(args[0], Tensor):
        source = args[0]  # torch: the same data and dtype, as a new tensor object
        if typed and source.dtype != dtype:
            raise TypeError(f"expected a tensor of dtype {dtype} (got {source.dtype})")
        return Tensor._wrap(source._data)
    if device is not None:
        _check_device(device)
    if not args:
        return Tensor._wrap(np.zeros(0, dtype))
    sizes = args[0] if len(args) == 1 and isinstance(args[0], Size) else args
    if all(isinstance(a, numbers.Integral) and not isinstance(a, bool) for a in sizes):
        return Tensor._wrap(np.zeros(tuple(int(a) for a in sizes), dtype))
    if len(args) != 1:
        raise TypeError(f"new(): invalid arguments {args!r}: give sizes (ints) or one sequence "
                        "of data")
    return creation.tensor(args[0], dtype=dtype)


class _TypedMeta(type):
    def __instancecheck__(cls, obj):
        """isinstance(t, FloatTensor) as torch answers it: a Tensor of that dtype."""
        return isinstance(obj, Tensor) and obj.dtype == cls.dtype


def _typed(dtype):
    class Typed(metaclass=_TypedMeta):
        """The legacy constructor of one dtype: sizes make a zero tensor, data is copied."""

        def __new__(cls, *args, device=None):
            return _legacy(dtype, args, device)

    Typed.__name__ = Typed.__qualname__ = _TYPE_NAMES[dtype]
    Typed.dtype = dtype
    return Typed


TYPES = {name: _typed(dtype) for dtype, name in _TYPE_NAMES.items()}


def _tensor_new(cls, *args, device=None):
    """Tensor(data) / Tensor(2, 3) / Tensor(size): the legacy constructor of the default
    dtype."""
    return _legacy(dtypes.get_default_dtype(), args, device, typed=False)


def _type(self, dtype=None):
    """`t.type()` is torch's type name ('torch.FloatTensor'); `t.type(dtype)` converts, with
    dtype a dtype, a typed constructor or such a name."""
    if dtype is None:
        return "torch." + _TYPE_NAMES[self.dtype]
    if isinstance(dtype, str):
        if dtype not in _BY_TYPE_NAME:
            raise ValueError(f"invalid type: {dtype!r}")
        dtype = _BY_TYPE_NAME[dtype]
    return self.to(getattr(dtype, "dtype", dtype))


def _new(fill):
    def new(self, *size, dtype=None, device=None, requires_grad=False):
        return fill(*size, dtype=dtype or self.dtype, device=device, requires_grad=requires_grad)
    return new


def _new_full(self, size, fill_value, *, dtype=None, device=None, requires_grad=False):
    return creation.full(size, fill_value, dtype=dtype or self.dtype, device=device,
                         requires_grad=requires_grad)


def _new_tensor(self, data, *, dtype=None, device=None, requires_grad=False):
    return creation.tensor(data, dtype=dtype or self.dtype, device=device,
                           requires_grad=requires_grad)


def _format(self, spec):
    """torch's: a 0-d tensor formats as its value (f"{loss:.4f}", and f"{loss}" prints the
    number, not `tensor(...)`); any other tensor takes only the empty format (str(t))."""
    if not self._data.ndim:
        return format(self.item(), spec)
    if not spec:
        return repr(self)
    raise TypeError(f"unsupported format string {spec!r} passed to a Tensor of shape "
                    f"{tuple(self.shape)} (as in torch, only 0-d tensors take a format)")


def install() -> None:
    """Bind the spellings that live on Tensor itself."""
    Tensor.__new__ = _tensor_new
    Tensor.type = _type
    Tensor.new_zeros, Tensor.new_ones = _new(creation.zeros), _new(creation.ones)
    Tensor.new_empty = _new(creation.empty)
    Tensor.new_full, Tensor.new_tensor = _new_full, _new_tensor
    Tensor.__format__ = _format
