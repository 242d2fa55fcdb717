"""Loss modules with torch's names, argument checks and reductions.

Stage: tensor front end. Invariant: losses are compositions of tensor ops.
"""
from __future__ import annotations

from .. import ops
from ..tensor import Tensor
from .module import Module


def _reduce(loss: Tensor, reduction: str) -> Tensor:
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    if reduction == "none":
        return loss
    raise ValueError(f"{reduction} is not a valid value for reduction")


class MSELoss(Module):
    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        if input.shape != target.shape:
            raise ValueError(f"MSELoss: input shape {tuple(input.shape)} and target shape "
                             f"{tuple(target.shape)} differ; adc does not broadcast them "
                             "(torch warns that this is likely a mistake)")
        return _reduce(ops.square(input - target), self.reduction)


class CrossEntropyLoss(Module):
    """Mean negative log-likelihood of integer class targets under softmax(logits)."""

    def __init__(self, reduction: str = "mean"):
        super().__init__()
        self.reduction = reduction

    def forward(self, input: Tensor, target: Tensor) -> Tensor:
        if input.ndim != 2 or target.ndim != 1 or target.dtype.kind not in "iu":
            raise ValueError("CrossEntropyLoss: expected logits (N, C) and integer class "
                             f"targets (N,), got {tuple(input.shape)} {input.dtype} and "
                             f"{tuple(target.shape)} {target.dtype}")
        picked = ops.gather(ops.log_softmax(input, 1), 1, target.unsqueeze(1))
        return _reduce(-picked.squeeze(1), self.reduction)
