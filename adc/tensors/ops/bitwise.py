"""Bitwise tensor ops on integer and bool tensors (and/or/xor/not, what `&`, `|`, `^`, `~`
call), and logical_xor.

Stage: tensor front end; the invariants are the package's (ops/__init__.py). Integer results
never carry a gradient, so bitwise ops compute eagerly with numpy; on traced values they have
a form for bools only (the logical ops), since adc.numpy has no integer bit primitives.
"""
from __future__ import annotations

import numpy as np

from ... import numpy as anp
from ...errors import UnsupportedError, with_location
from .. import dtypes
from ..dispatch import op
from ..tensor import Tensor, apply
from .common import _operand


def _traced_logical(name, logical):
    def numpy_form(*xs):
        if any(np.dtype(getattr(x, "dtype", type(x))) != np.dtype(bool) for x in xs):
            raise UnsupportedError(with_location(
                f"adc.{name} on traced values needs bool arrays (adc.numpy has no integer "
                "bit operations)"))
        return logical(*xs)
    return numpy_form


def _bitwise(name, fn, logical):
    def bitwise(input, *other):
        dt = dtypes.result_type(input, *other)
        if dt.kind == "f":
            raise NotImplementedError(
                f'"{name}_cpu" not implemented for \'{dtypes.scalar_type(dt)}\'')
        datas = [x._data if isinstance(x, Tensor) else x for x in
                 (_operand(x, dt, True) for x in (input, *other))]
        return Tensor._wrap(np.asarray(fn(*datas), dt))
    return op(bitwise, name=name, inplace=True, out=True, numpy=_traced_logical(name, logical))


bitwise_and = _bitwise("bitwise_and", np.bitwise_and, anp.logical_and)
bitwise_or = _bitwise("bitwise_or", np.bitwise_or, anp.logical_or)
bitwise_xor = _bitwise("bitwise_xor", np.bitwise_xor, anp.not_equal)
bitwise_not = _bitwise("bitwise_not", np.invert, anp.logical_not)


def _logical_xor(a, b):
    return anp.not_equal(anp.not_equal(a, 0), anp.not_equal(b, 0))


@op(inplace=True, out=True, numpy=_logical_xor)
def logical_xor(input, other):
    dt = dtypes.result_type(input, other)
    return apply("logical_xor", _logical_xor, [_operand(x, dt, True) for x in (input, other)])
