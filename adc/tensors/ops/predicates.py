"""What a tensor is, as torch's functions answer it: is_tensor, numel, is_floating_point,
is_complex.

Stage: tensor front end; the invariants are the package's (ops/__init__.py). These answer
from the object's type and shape alone, so they serve every input as they are.
"""
from __future__ import annotations

from ..dispatch import op
from ..tensor import Tensor


@op(method=False, composite=True)
def is_tensor(obj):
    return isinstance(obj, Tensor)


@op(method=False, composite=True)
def numel(input):
    return input.numel()


@op(composite=True)
def is_floating_point(input):
    return input.dtype.kind == "f"


@op(composite=True)
def is_complex(input):
    return input.dtype.kind == "c"
