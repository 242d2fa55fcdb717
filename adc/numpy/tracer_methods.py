"""Operator overloading and numpy dispatch for Tracers.

Stage: trace. Invariant: every operator, method and numpy ufunc/function applied to a Tracer
routes to the adc.numpy function of the same name (a ufunc's reduce/accumulate to the
reduction or scan it is, its outer to the ufunc over broadcast operands); anything else raises
UnsupportedError naming the numpy function, never evaluates wrongly.
"""
from __future__ import annotations

import numpy as np

from ..errors import TraceError, UnsupportedError, with_location

_UFUNC_ALIASES = {"true_divide": "divide", "absolute": "abs", "conjugate": "positive"}
# ufunc methods with an adc.numpy equivalent: np.add.reduce(x, axis) is sum(x, axis), ...
_UFUNC_METHODS = {("reduce", "add"): "sum", ("reduce", "multiply"): "prod",
                  ("reduce", "maximum"): "max", ("reduce", "minimum"): "min",
                  ("reduce", "logical_and"): "all", ("reduce", "logical_or"): "any",
                  ("accumulate", "add"): "cumsum", ("accumulate", "multiply"): "cumprod"}


def install(cls, ns: dict) -> None:
    def binary(name, reflected=False):
        fn = ns[name]
        return (lambda self, other: fn(other, self)) if reflected else \
            (lambda self, other: fn(self, other))

    for dunder, name in [("add", "add"), ("sub", "subtract"), ("mul", "multiply"),
                         ("truediv", "divide"), ("matmul", "matmul"),
                         ("mod", "remainder"), ("floordiv", "floor_divide"), ("divmod", "divmod")]:
        setattr(cls, f"__{dunder}__", binary(name))
        setattr(cls, f"__r{dunder}__", binary(name, reflected=True))
    for dunder, name in [("lt", "less"), ("le", "less_equal"), ("gt", "greater"),
                         ("ge", "greater_equal"), ("eq", "equal"), ("ne", "not_equal"),
                         ("and", "logical_and"), ("or", "logical_or")]:
        setattr(cls, f"__{dunder}__", binary(name))
    cls.__rand__, cls.__ror__ = binary("logical_and", True), binary("logical_or", True)
    # numpy's `x ** 2` on an array is square(x) (int8 for bools; np.power gives int64)
    cls.__pow__ = lambda self, other: (ns["square"](self) if type(other) is int and other == 2
                                       else ns["power"](self, other))
    cls.__rpow__ = binary("power", reflected=True)
    cls.__neg__ = lambda self: ns["negative"](self)
    cls.__pos__ = lambda self: self
    cls.__abs__ = lambda self: ns["abs"](self)
    cls.__invert__ = lambda self: ns["logical_not"](self)
    cls.__getitem__ = lambda self, key: ns["getitem"](self, key)

    def setitem(self, key, value):
        raise TraceError(with_location(
            f"item assignment on a traced array {self.aval} is not supported: adc traces pure "
            "functions, and a traced array cannot change in place. Build the new array "
            "instead: adc.numpy.where(mask, value, x) for positions given by a mask, or "
            "adc.numpy.concatenate/pad to place a block"))
    cls.__setitem__ = setitem
    cls.T = property(lambda self: ns["transpose"](self))
    cls.mT = property(lambda self: ns["swapaxes"](self, -1, -2))

    # every adc.numpy function named like an ndarray method is that method (x.sum(axis), ...)
    for name in sorted(n for n, attr in vars(np.ndarray).items() if not n.startswith("_") and
                       callable(attr) and callable(ns.get(n)) and not isinstance(ns[n], type)):
        setattr(cls, name, (lambda fn: lambda self, *a, **k: fn(self, *a, **k))(ns[name]))
    cls.flatten = lambda self, order="C": ns["ravel"](self, order)
    cls.reshape = lambda self, *shape, **k: ns["reshape"](self, *shape, **k)
    cls.transpose = lambda self, *axes: ns["transpose"](
        self, axes[0] if len(axes) == 1 and isinstance(axes[0], (tuple, list)) else
        (axes or None))

    for unsupported in ("lshift", "rshift", "xor"):
        def refuse(self, other, _op=unsupported):
            raise UnsupportedError(with_location(f"operator {_op!r} on a traced array is not "
                                                 "supported (it has no useful gradient)"))
        setattr(cls, f"__{unsupported}__", refuse)
        setattr(cls, f"__r{unsupported}__", refuse)

    def array_ufunc(self, ufunc, method, *inputs, **kwargs):
        name = _UFUNC_ALIASES.get(ufunc.__name__, ufunc.__name__)
        method_impl = _UFUNC_METHODS.get((method, name))
        if method == "outer" and callable(ns.get(name)) and not kwargs and len(inputs) == 2:
            a, b = inputs
            return ns[name](ns["reshape"](a, ns["shape"](a) + (1,) * ns["ndim"](b)), b)
        if method_impl is not None and "out" not in kwargs:
            kwargs.setdefault("axis", 0)  # numpy's default for reduce and accumulate
            return ns[method_impl](*inputs, **kwargs)
        if method != "__call__" or kwargs or not callable(ns.get(name)):
            raise UnsupportedError(with_location(
                f"numpy ufunc np.{ufunc.__name__}"
                f"{'' if method == '__call__' else '.' + method}"
                f"{' with ' + ', '.join(kwargs) if kwargs else ''} is not supported on traced "
                "arrays by adc; see adc.numpy for the supported operations"))
        return ns[name](*inputs)

    def array_function(self, func, types, args, kwargs):
        module = func.__module__ or ""
        table = vars(ns["linalg"]) if module.endswith("linalg") else ns
        impl = table.get(func.__name__)
        if impl is None or not callable(impl):
            raise UnsupportedError(with_location(
                f"np.{'linalg.' if table is not ns else ''}{func.__name__} is not supported on "
                "traced arrays by adc; see adc.numpy for the supported operations"))
        return impl(*args, **kwargs)

    cls.__array_ufunc__ = array_ufunc
    cls.__array_function__ = array_function
