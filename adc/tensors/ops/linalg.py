"""Linear algebra tensor ops: matmul and its checked spellings (mm, bmm, mv, dot), outer.

Stage: tensor front end; the invariants are the package's (ops/__init__.py).
"""
from __future__ import annotations

from ... import numpy as anp
from ..dispatch import op, refuse_traced
from ..tensor import apply
from .common import _name
from .elementwise import mul
from .shapes import unsqueeze


def _same_dtype(a, b, what):
    if a.dtype != b.dtype:
        raise RuntimeError(f"{what}: expected both operands to have the same dtype, but got "
                           f"{a.dtype} and {b.dtype}")


@op(numpy=anp.matmul)
def matmul(input, other):
    _same_dtype(input, refuse_traced(other), "matmul")
    if input.ndim == 0 or other.ndim == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                           f"{input.ndim}D and {other.ndim}D")
    name = {(1, 1): "Dot", (2, 1): "Mv", (2, 2): "Mm", (3, 3): "Bmm"}.get(
        (input.ndim, other.ndim), "Matmul")
    return apply(_name(name), anp.matmul, [input, other])


def _checked(name, ranks):
    def checked(input, other):
        if (input.ndim, other.ndim) != ranks:
            raise RuntimeError(f"{name}: expected {ranks[0]}-D and {ranks[1]}-D tensors, got "
                               f"{input.ndim}-D and {other.ndim}-D")
        return matmul(input, other)
    return op(checked, name=name, composite=True)


mm = _checked("mm", (2, 2))
bmm = _checked("bmm", (3, 3))
mv = _checked("mv", (2, 1))
dot = _checked("dot", (1, 1))


@op(composite=True)
def outer(input, vec2):
    return mul(unsqueeze(input, 1), vec2)
