"""Layers: Linear and the activation modules (torch's names, shapes and initializations).

Stage: tensor front end. Invariant: layers are compositions of tensor ops (no math of their
own), so their gradients come from the same primitives and compiled backward as everything
else.
"""
from __future__ import annotations

import math

from .. import ops
from ..creation import rand
from ..tensor import Tensor
from .module import Module, Parameter


class Linear(Module):
    """y = x @ weight.T + bias, weight (out, in) ~ U(-1/sqrt(in), 1/sqrt(in)) as in torch."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True, *, dtype=None):
        super().__init__()
        self.in_features, self.out_features = in_features, out_features
        bound = 1.0 / math.sqrt(in_features) if in_features else 0.0
        self.weight = Parameter(rand(out_features, in_features, dtype=dtype) * (2 * bound)
                                - bound)
        self.bias = (Parameter(rand(out_features, dtype=dtype) * (2 * bound) - bound)
                     if bias else None)

    def forward(self, x: Tensor) -> Tensor:
        y = ops.matmul(x, self.weight.T)
        return y + self.bias if self.bias is not None else y


class ReLU(Module):
    def forward(self, x: Tensor) -> Tensor:
        return ops.relu(x)
