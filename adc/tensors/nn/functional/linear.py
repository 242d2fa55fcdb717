"""torch.nn.functional.linear: y = input @ weight.T + bias.

Stage: tensor front end. Invariant: built from the public matmul and add ops, so it serves
Tensors and traced values alike.
"""
from __future__ import annotations

from ... import ops
from ...dispatch import op


@op(function="functional", method=False, composite=True)
def linear(input, weight, bias=None):
    y = ops.matmul(input, weight.T if weight.ndim == 2 else weight)
    return y if bias is None else ops.add(y, bias)
