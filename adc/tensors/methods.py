"""Binds the tensor operations to Tensor as methods, operators and in-place variants.

Stage: tensor front end. Invariant: every method is an op from tensors/ops/ (no second
implementation), bound as the op table (dispatch.OPS) declares it; an in-place method `op_`
computes `op` out of place and writes the result into the tensor (`Tensor._assign`), which
enforces torch's in-place rules.
"""
from __future__ import annotations

import numpy as np

from . import creation, dtypes, ops
from .dispatch import OPS
from .ops import sampling
from .tensor import Tensor


def _inplace(name):
    impl, keep_dtype = OPS[name].impl, OPS[name].inplace_dtype

    def method(self, *args, **kwargs):
        if keep_dtype and kwargs.get("dtype") is None:  # torch: computed in the tensor's dtype
            kwargs["dtype"] = self.dtype
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


def _fill_drawn(self, name, draw, generator):
    """Fill the tensor in place with numbers drawn from adc's generator (`draw(rng, shape)`)."""
    sampling.refuse_generator(name, generator)
    values = np.asarray(draw(creation.generator(), self.shape), self.dtype)
    return self._assign(ops.copy_from(self, values), name)


def _uniform_(self, from_=0.0, to=1.0, *, generator=None):
    return _fill_drawn(self, "uniform_", lambda rng, shape: rng.uniform(from_, to, shape),
                       generator)


def _normal_(self, mean=0.0, std=1.0, *, generator=None):
    return _fill_drawn(self, "normal_", lambda rng, shape: rng.normal(mean, std, shape),
                       generator)


def _bernoulli_(self, p=0.5, *, generator=None):
    sampling.refuse_generator("bernoulli_", generator)
    probs = p._data if isinstance(p, Tensor) else p
    return self._assign(ops.copy_from(self, sampling.bernoulli_draws(
        probs, self.shape, self.dtype)), "bernoulli_")


def _random_(self, from_=0, to=None, *, generator=None):
    if to is None:
        from_, to = (0, from_) if from_ else (0, sampling.random_bound(self.dtype))
    return _fill_drawn(self, "random_", lambda rng, shape: rng.integers(from_, to, shape),
                       generator)


def _exponential_(self, lambd=1.0, *, generator=None):
    return _fill_drawn(self, "exponential_", lambda rng, shape: rng.exponential(1 / lambd, shape),
                       generator)


def _invert(self):
    if self.dtype.kind == "f":
        raise TypeError("~ (operator.invert) is only implemented on integer and Boolean-type "
                        "tensors")
    return OPS["bitwise_not"].impl(self)


def _typed_as(dtype):
    return lambda self: self.to(dtype)


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
    Tensor.uniform_, Tensor.normal_ = _uniform_, _normal_
    Tensor.bernoulli_, Tensor.random_, Tensor.exponential_ = _bernoulli_, _random_, _exponential_
    Tensor.byte, Tensor.char = _typed_as(dtypes.uint8), _typed_as(dtypes.int8)
    Tensor.short = _typed_as(dtypes.int16)
    Tensor.nelement = Tensor.numel
    Tensor.element_size = lambda self: self.dtype.itemsize
    Tensor.where = lambda self, condition, other: OPS["where"].impl(condition, self, other)
    Tensor.__getitem__ = ops.getitem
    Tensor.__setitem__ = _setitem
    for dunder, name in {"add": "add", "sub": "sub", "mul": "mul", "truediv": "div",
                         "floordiv": "floor_divide", "mod": "remainder", "pow": "pow",
                         "matmul": "matmul", "and": "bitwise_and", "or": "bitwise_or",
                         "xor": "bitwise_xor"}.items():
        impl = OPS[name].impl
        setattr(Tensor, f"__{dunder}__", impl)
        setattr(Tensor, f"__r{dunder}__",
                OPS["rsub"].impl if name == "sub" else _reflected(impl))
        if OPS[name].inplace:
            setattr(Tensor, f"__i{dunder}__", _inplace(name))
    for dunder, name in {"eq": "eq", "ne": "ne", "lt": "lt", "le": "le", "gt": "gt",
                         "ge": "ge"}.items():
        setattr(Tensor, f"__{dunder}__", OPS[name].impl)
    Tensor.__neg__ = OPS["neg"].impl
    Tensor.__abs__ = OPS["abs"].impl
    Tensor.__pos__ = lambda self: self
    Tensor.__invert__ = _invert
