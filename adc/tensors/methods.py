"""Binds the tensor operations to Tensor as methods, operators and in-place variants.

Stage: tensor front end. Invariant: every method is an op from ops.py (no second
implementation); an in-place method `op_` computes `op` out of place and writes the result
into the tensor (`Tensor._assign`), which enforces torch's in-place rules.
"""
from __future__ import annotations

from . import ops
from .tensor import Tensor

_METHODS = """
    add sub mul div true_divide divide multiply subtract pow maximum minimum eq ne lt le gt ge
    logical_and logical_or logical_not greater less greater_equal less_equal not_equal exp
    expm1 log log1p sqrt rsqrt sin cos tan sinh cosh tanh atan arctan sigmoid reciprocal neg
    negative abs absolute relu sign square softplus clamp clip masked_fill addcdiv
    addcmul lerp sum mean prod var std logsumexp norm amax amin max min argmax argmin topk
    softmax log_softmax matmul mm bmm mv dot outer reshape view flatten unsqueeze squeeze
    permute transpose swapaxes t expand expand_as broadcast_to repeat flip clone contiguous
    gather scatter index_select masked_select nonzero index_put
""".split()

_INPLACE = """
    add sub mul div pow clamp clip exp log sqrt sin cos tanh sigmoid relu neg abs reciprocal
    masked_fill addcdiv addcmul lerp scatter index_put
""".split()


def _inplace(name):
    op = getattr(ops, name)

    def method(self, *args, **kwargs):
        return self._assign(op(self, *args, **kwargs), name + "_")
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
    for name in _METHODS:
        setattr(Tensor, name, getattr(ops, name))
    for name in _INPLACE:
        setattr(Tensor, name + "_", _inplace(name))
    Tensor.T = property(lambda self: ops.permute(self, tuple(reversed(range(self.ndim)))))
    Tensor.mT = property(lambda self: ops.transpose(self, -2, -1))
    Tensor.zero_, Tensor.fill_, Tensor.copy_ = _zero_, _fill_, _copy_
    Tensor.where = lambda self, condition, other: ops.where(condition, self, other)
    Tensor.__getitem__ = ops.getitem
    Tensor.__setitem__ = _setitem
    for name, op in {"add": ops.add, "sub": ops.sub, "mul": ops.mul, "truediv": ops.div,
                     "pow": ops.pow, "matmul": ops.matmul}.items():
        setattr(Tensor, f"__{name}__", op)
        setattr(Tensor, f"__r{name}__", ops.rsub if op is ops.sub else _reflected(op))
        if op.__name__ in _INPLACE:
            setattr(Tensor, f"__i{name}__", _inplace(op.__name__))
    for name, op in {"eq": ops.eq, "ne": ops.ne, "lt": ops.lt, "le": ops.le, "gt": ops.gt,
                     "ge": ops.ge, "and": ops.logical_and, "or": ops.logical_or}.items():
        setattr(Tensor, f"__{name}__", op)
    Tensor.__neg__ = ops.neg
    Tensor.__abs__ = ops.abs
    Tensor.__pos__ = lambda self: self
    Tensor.__invert__ = ops.logical_not
