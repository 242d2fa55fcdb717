"""Optimizers for tensors that require grad: SGD (with momentum) and Adam, torch's formulas.

Stage: tensor front end. Invariant: `step()` updates parameters in place under no_grad and
follows torch's update equations exactly (checked against torch.optim in the tests), so
trajectories agree to rounding.
"""
from __future__ import annotations

import numpy as _np

from .grad_mode import no_grad


class Optimizer:
    def __init__(self, params, defaults: dict):
        params = list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        groups = params if isinstance(params[0], dict) else [{"params": params}]
        self.param_groups = [{**defaults, **g, "params": list(g["params"])} for g in groups]
        self.state: dict = {}

    def zero_grad(self, set_to_none: bool = True) -> None:
        for group in self.param_groups:
            for p in group["params"]:
                if p.grad is not None:
                    if set_to_none:
                        p.grad = None
                    else:
                        p.grad.zero_()

    def step(self) -> None:
        with no_grad():
            for group in self.param_groups:
                for p in group["params"]:
                    if p.grad is not None:
                        self._update(p, p.grad._data, self.state.setdefault(id(p), {}), group)

    def _update(self, p, g, state, group):  # pragma: no cover - abstract
        raise NotImplementedError


class SGD(Optimizer):
    """torch.optim.SGD: buf = momentum*buf + (1-dampening)*g; p -= lr*buf (or the
    Nesterov form)."""

    def __init__(self, params, lr, momentum=0.0, dampening=0.0, weight_decay=0.0,
                 nesterov=False):
        if lr < 0:
            raise ValueError(f"Invalid learning rate: {lr}")
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov})

    def _update(self, p, g, state, group):
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p._data
        if group["momentum"]:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = g.copy()
            else:
                buf *= group["momentum"]
                buf += (1 - group["dampening"]) * g
            g = g + group["momentum"] * buf if group["nesterov"] else buf
        p._data -= _np.asarray(group["lr"] * g, p.dtype)
        p._version.n += 1


class Adam(Optimizer):
    """torch.optim.Adam (bias-corrected moments; weight decay added to the gradient)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0.0):
        super().__init__(params, {"lr": lr, "betas": betas, "eps": eps,
                                  "weight_decay": weight_decay})

    def _update(self, p, g, state, group):
        beta1, beta2 = group["betas"]
        if group["weight_decay"]:
            g = g + group["weight_decay"] * p._data
        if not state:
            state.update(step=0, exp_avg=_np.zeros_like(p._data),
                         exp_avg_sq=_np.zeros_like(p._data))
        state["step"] += 1
        m, v, t = state["exp_avg"], state["exp_avg_sq"], state["step"]
        m *= beta1
        m += (1 - beta1) * g
        v *= beta2
        v += (1 - beta2) * g * g
        step_size = group["lr"] / (1 - beta1 ** t)
        denom = _np.sqrt(v) / _np.sqrt(1 - beta2 ** t) + group["eps"]
        p._data -= _np.asarray(step_size * m / denom, p.dtype)
        p._version.n += 1
