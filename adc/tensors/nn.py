"""Neural-network essentials on adc tensors: Module, Parameter, Linear, ReLU, Sequential,
MSELoss, CrossEntropyLoss (torch's names, initializations and reductions).

Stage: tensor front end. Invariant: layers are compositions of tensor ops (no math of their
own), so their gradients come from the same primitives and compiled backward as everything
else.
"""
from __future__ import annotations

import math

from . import ops
from .creation import rand
from .tensor import Tensor


class Parameter(Tensor):
    """A leaf tensor that requires grad and is registered by the Module holding it."""

    __slots__ = ()

    def __new__(cls, data: Tensor, requires_grad: bool = True):
        p = cls._wrap(data._data)
        p._version = data._version
        return p.requires_grad_(requires_grad)

    def __repr__(self) -> str:
        return "Parameter containing:\n" + super().__repr__()


class Module:
    """Holds Parameters and sub-Modules assigned as attributes; call runs `forward`."""

    def __init__(self):
        object.__setattr__(self, "_parameters", {})
        object.__setattr__(self, "_modules", {})
        object.__setattr__(self, "training", True)

    def __setattr__(self, name, value):
        if isinstance(value, Parameter):
            self._parameters[name] = value
        elif isinstance(value, Module):
            self._modules[name] = value
        object.__setattr__(self, name, value)

    def named_parameters(self, prefix: str = ""):
        for name, p in self._parameters.items():
            yield prefix + name, p
        for name, m in self._modules.items():
            yield from m.named_parameters(prefix + name + ".")

    def parameters(self):
        return (p for _, p in self.named_parameters())

    def zero_grad(self, set_to_none: bool = True) -> None:
        for p in self.parameters():
            if p.grad is not None:
                if set_to_none:
                    p.grad = None
                else:
                    p.grad.zero_()

    def train(self, mode: bool = True):
        object.__setattr__(self, "training", mode)
        for m in self._modules.values():
            m.train(mode)
        return self

    def eval(self):
        return self.train(False)

    def __call__(self, *args, **kwargs):
        return self.forward(*args, **kwargs)

    def forward(self, *args, **kwargs):
        raise NotImplementedError(f"{type(self).__name__} must define forward()")


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


class Sequential(Module):
    def __init__(self, *layers: Module):
        super().__init__()
        for i, layer in enumerate(layers):
            setattr(self, str(i), layer)

    def forward(self, x):
        for layer in self._modules.values():
            x = layer(x)
        return x


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
