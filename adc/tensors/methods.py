"""Binds the tensor operations to Tensor as methods, operators and in-place variants.

Stage: tensor front end. Invariant: every method is an op from tensors/ops/ (no second
implementation), bound as the op table (dispatch.OPS) declares it; an in-place method `op_`
computes `op` out of place and writes the result into the tensor (`Tensor._assign`), which
enforces torch's in-place rules.
"""
from __future__ import annotations

from . import ops
from .dispatch import OPS
from .tensor import Tensor


def _inplace(name):
    impl = OPS[name].impl

    def method(self, *args, **kwargs):
        return self._assign(impl(self, *args, **kwargs), name + "_")
    method.__name__ = name + "_"
    return method


def _reflected(op):
    def method(self, other):
        return op(other, self)
    return method


def _zero_(self):
    return self._assign(ops.full_of(self, 0), "zero_")


def _fill_(self, value):
    return self._assign(ops.full_of(self, value), "fill_")


def _copy_(self, src):
    return self._assign(ops.copy_from(self, src), "copy_")


def _setitem(self, key, value):
    self._assign(ops.index_put(self, key, value), "__setitem__")


def bind_methods() -> None:
    for o in OPS.values():
        if o.method:
            setattr(Tensor, o.name, o.impl)
        if o.inplace:
            setattr(Tensor, o.name + "_", _inplace(o.name))
    permute, transpose = OPS["permute"].impl, OPS["transpose"].impl
    Tensor.T = property(lambda self: permute(self, tuple(reversed(range(self.ndim)))))
    Tensor.mT = property(lambda self: transpose(self, -2, -1))
    Tensor.zero_, Tensor.fill_, Tensor.copy_ = _zero_, _fill_, _copy_
    Tensor.where = lambda self, condition, other: OPS["where"].impl(condition, self, other)
    Tensor.__getitem__ = ops.getitem
    Tensor.__setitem__ = _setitem
    for dunder, name in {"add": "add", "sub": "sub", "mul": "mul", "truediv": "div",
                         "pow": "pow", "matmul": "matmul"}.items():
        impl = OPS[name].impl
        setattr(Tensor, f"__{dunder}__", impl)
        setattr(Tensor, f"__r{dunder}__",
                OPS["rsub"].impl if name == "sub" else _reflected(impl))
        if OPS[name].inplace:
            setattr(Tensor, f"__i{dunder}__", _inplace(name))
    for dunder, name in {"eq": "eq", "ne": "ne", "lt": "lt", "le": "le", "gt": "gt",
                         "ge": "ge", "and": "logical_and", "or": "logical_or"}.items():
        setattr(Tensor, f"__{dunder}__", OPS[name].impl)
    Tensor.__neg__ = OPS["neg"].impl
    Tensor.__abs__ = OPS["abs"].impl
    Tensor.__pos__ = lambda self: self
    Tensor.__invert__ = OPS["logical_not"].impl
