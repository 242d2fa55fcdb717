"""What the functional modules share: running one adc.numpy function as one tensor operation
(torch's grad_fn name) on Tensors or directly on traced values and numpy arrays, torch's
reduction arguments, its integer-input errors and in-place writes.

Stage: tensor front end. Invariant: a functional op's math is one adc.numpy-level function;
`run` applies it through `tensor.apply` when a Tensor is among the operands and calls it
directly otherwise, so Tensors and traced values compute the same thing.
"""
from __future__ import annotations

import warnings

import numpy as np

from ....errors import UnsupportedError, with_location
from ...dispatch import _has_tensor, refuse_traced
from ...tensor import Tensor, apply

_TORCH_NAMES = {"int64": "Long", "int32": "Int", "int16": "Short", "int8": "Char",
                "uint8": "Byte", "bool": "Bool", "float32": "Float", "float64": "Double"}


def run(name: str, fn, operands, **params):
    """`fn(*operands, **params)`: one tensor operation named `name` if any operand is a
    Tensor (non-Tensor operands become constants), else a direct call (numpy form)."""
    if _has_tensor(name, operands, {}):
        datas = [x if isinstance(x, Tensor) else np.asarray(refuse_traced(x))
                 for x in operands]
        return apply(name, fn, datas, tuple(sorted(params.items())))
    return fn(*operands, **params)


def torch_dtype_name(dtype) -> str:
    return _TORCH_NAMES.get(np.dtype(dtype).name, np.dtype(dtype).name)


def floating(input, kernel: str):
    """torch's error for a kernel that has no integer implementation."""
    dtype = getattr(input, "dtype", None)
    if dtype is not None and np.dtype(dtype).kind != "f":
        raise NotImplementedError(f'"{kernel}" not implemented for '
                                  f"'{torch_dtype_name(dtype)}'")
    return input


def in_place(input, out, inplace: bool, name: str):
    """`out`, written into `input` when `inplace` (torch's `inplace=True`)."""
    if not inplace:
        return out
    if not isinstance(input, Tensor):
        raise UnsupportedError(with_location(
            f"adc.nn.functional.{name}(inplace=True) writes into its input, which must be an "
            "adc Tensor; traced values and numpy arrays cannot be written in place: use the "
            "returned value (inplace=False)"))
    return input._assign(out, name + "_")


def legacy_reduction(size_average, reduce, reduction: str) -> str:
    """torch's `_Reduction.legacy_get_string`: the deprecated size_average/reduce flags."""
    if size_average is None and reduce is None:
        return reduction
    warnings.warn("size_average and reduce args will be deprecated, please use "
                  f"reduction='{_legacy(size_average, reduce)}' instead.", stacklevel=3)
    return _legacy(size_average, reduce)


def _legacy(size_average, reduce):
    size_average = True if size_average is None else size_average
    reduce = True if reduce is None else reduce
    return "mean" if size_average and reduce else "sum" if reduce else "none"


def check_reduction(reduction: str) -> str:
    if reduction not in ("mean", "sum", "none"):
        raise ValueError(f"{reduction} is not a valid value for reduction")
    return reduction
