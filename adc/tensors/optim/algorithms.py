"""The optimizers: SGD (momentum, dampening, Nesterov), Adam and AdamW (amsgrad, decoupled
weight decay), RMSprop (centered, momentum) and Adagrad, each with torch's defaults, argument
checks and single-tensor update equations.

Stage: tensor front end. Invariant: `_update` follows torch.optim's `_single_tensor_*`
functions operation by operation, in the parameter's dtype (Python scalars stay weak under
numpy's promotion, as torch's scalars do; a scalar computed from the step count, an array
under adc.compile's trace, is cast to the parameter's dtype as numpy casts a weak scalar), so
trajectories agree with torch's to rounding; `maximize` is applied by the base class before
`_update` sees the gradient. Buffers are read with `read` and written with `write` only.
"""

import math as _math

import numpy as _np

from ..tensor import read, write
from .optimizer import Optimizer


def _check(name, value, low=0.0):
    if not value >= low:
        raise ValueError(f"Invalid {name}: {value}")


def _lerp(a, b, weight):
    """a.lerp(b, weight) as torch's CPU kernel computes it."""
    if weight < 0.5:
        return a + weight * (b - a)
    return b - (b - a) * (1 - weight)


def _sqrt(x):
    return _math.sqrt(x) if isinstance(x, float) else _np.sqrt(x)


def _weak(x, like):
    """A scalar from the step count as an operand of `like`'s dtype (a Python float is weak)."""
    return x if isinstance(x, float) else x.astype(like.dtype)


class SGD(Optimizer):
    """torch.optim.SGD: buf = momentum*buf + (1-dampening)*g; p -= lr*buf (or the
    Nesterov form)."""

    def __init__(self, params, lr=1e-3, momentum=0, dampening=0, weight_decay=0,
                 nesterov=False, *, maximize=False, foreach=None, differentiable=False,
                 fused=None):
        _check("learning rate", lr)
        _check("momentum value", momentum)
        _check("weight_decay value", weight_decay)
        if nesterov and (momentum <= 0 or dampening != 0):
            raise ValueError("Nesterov momentum requires a momentum and zero dampening")
        super().__init__(params, {"lr": lr, "momentum": momentum, "dampening": dampening,
                                  "weight_decay": weight_decay, "nesterov": nesterov,
                                  "maximize": maximize, "foreach": foreach,
                                  "differentiable": differentiable, "fused": fused})

    def _update(self, p, g, state, group):
        if group["weight_decay"]:
            g = g + group["weight_decay"] * read(p)
        if group["momentum"]:
            buf = state.get("momentum_buffer")
            if buf is None:
                buf = state["momentum_buffer"] = self._buffer(p)
                write(buf, g)
            else:
                write(buf, read(buf) * group["momentum"] + (1 - group["dampening"]) * g)
            g = g + group["momentum"] * buf._data if group["nesterov"] else buf._data
        write(p, read(p) + -group["lr"] * g)


class Adam(Optimizer):
    """torch.optim.Adam: bias-corrected moments; weight decay added to the gradient, or, with
    `decoupled_weight_decay` (AdamW), applied to the parameter."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=0,
                 amsgrad=False, *, foreach=None, maximize=False, capturable=False,
                 differentiable=False, fused=None, decoupled_weight_decay=False):
        _check("learning rate", lr)
        _check("epsilon value", eps)
        for i, beta in enumerate(betas):
            if not 0.0 <= beta < 1.0:
                raise ValueError(f"Invalid beta parameter at index {i}: {beta}")
        _check("weight_decay value", weight_decay)
        super().__init__(params, {"lr": lr, "betas": tuple(betas), "eps": eps,
                                  "weight_decay": weight_decay, "amsgrad": amsgrad,
                                  "maximize": maximize, "foreach": foreach,
                                  "capturable": capturable, "differentiable": differentiable,
                                  "fused": fused,
                                  "decoupled_weight_decay": decoupled_weight_decay})

    def _update(self, p, g, state, group):
        beta1, beta2 = group["betas"]
        lr, wd = group["lr"], group["weight_decay"]
        if not state:
            state["step"] = self._zero_step()
            state["exp_avg"], state["exp_avg_sq"] = self._buffer(p), self._buffer(p)
            if group["amsgrad"]:
                state["max_exp_avg_sq"] = self._buffer(p)
        t = self._count(state)
        if wd and group["decoupled_weight_decay"]:
            write(p, read(p) * (1 - lr * wd))
        elif wd:
            g = g + wd * read(p)
        m, v = state["exp_avg"], state["exp_avg_sq"]
        write(m, _lerp(read(m), g, 1 - beta1))
        write(v, read(v) * beta2 + (1 - beta2) * (g * g))
        v = v._data
        if group["amsgrad"]:
            v_max = state["max_exp_avg_sq"]
            write(v_max, _np.maximum(read(v_max), v))
            v = v_max._data
        denom = _np.sqrt(v) / _weak(_sqrt(1 - beta2 ** t), v) + group["eps"]
        write(p, read(p) + _weak(-(lr / (1 - beta1 ** t)), v) * (m._data / denom))


class AdamW(Adam):
    """torch.optim.AdamW: Adam with decoupled weight decay (default 1e-2)."""

    def __init__(self, params, lr=1e-3, betas=(0.9, 0.999), eps=1e-8, weight_decay=1e-2,
                 amsgrad=False, *, maximize=False, foreach=None, capturable=False,
                 differentiable=False, fused=None):
        super().__init__(params, lr, betas, eps, weight_decay, amsgrad, foreach=foreach,
                         maximize=maximize, capturable=capturable,
                         differentiable=differentiable, fused=fused,
                         decoupled_weight_decay=True)


class RMSprop(Optimizer):
    """torch.optim.RMSprop: square_avg = alpha*square_avg + (1-alpha)*g²; p -= lr*g/(√avg+eps)
    (centered: the gradient's running mean is subtracted; momentum: through a buffer)."""

    def __init__(self, params, lr=1e-2, alpha=0.99, eps=1e-8, weight_decay=0, momentum=0,
                 centered=False, capturable=False, foreach=None, maximize=False,
                 differentiable=False):
        _check("learning rate", lr)
        _check("epsilon value", eps)
        _check("momentum value", momentum)
        _check("weight_decay value", weight_decay)
        _check("alpha value", alpha)
        super().__init__(params, {"lr": lr, "momentum": momentum, "alpha": alpha, "eps": eps,
                                  "centered": centered, "weight_decay": weight_decay,
                                  "capturable": capturable, "foreach": foreach,
                                  "maximize": maximize, "differentiable": differentiable})

    def _update(self, p, g, state, group):
        alpha = group["alpha"]
        if not state:
            state["step"] = self._zero_step()
            state["square_avg"] = self._buffer(p)
            if group["momentum"] > 0:
                state["momentum_buffer"] = self._buffer(p)
            if group["centered"]:
                state["grad_avg"] = self._buffer(p)
        self._count(state)
        if group["weight_decay"]:
            g = g + group["weight_decay"] * read(p)
        square_avg = state["square_avg"]
        write(square_avg, read(square_avg) * alpha + (1 - alpha) * (g * g))
        square_avg = square_avg._data
        if group["centered"]:
            grad_avg = state["grad_avg"]
            write(grad_avg, _lerp(read(grad_avg), g, 1 - alpha))
            avg = _np.sqrt(square_avg - grad_avg._data * grad_avg._data)
        else:
            avg = _np.sqrt(square_avg)
        avg = avg + group["eps"]
        if group["momentum"] > 0:
            buf = state["momentum_buffer"]
            write(buf, read(buf) * group["momentum"] + g / avg)
            write(p, read(p) + -group["lr"] * buf._data)
        else:
            write(p, read(p) + -group["lr"] * (g / avg))


class Adagrad(Optimizer):
    """torch.optim.Adagrad: sum += g²; p -= lr/(1+(t-1)*lr_decay) * g/(√sum+eps). Its state is
    created with the optimizer, as torch's is."""

    def __init__(self, params, lr=1e-2, lr_decay=0, weight_decay=0,
                 initial_accumulator_value=0, eps=1e-10, foreach=None, *, maximize=False,
                 differentiable=False, fused=None):
        _check("learning rate", lr)
        _check("lr_decay value", lr_decay)
        _check("weight_decay value", weight_decay)
        _check("initial_accumulator_value value", initial_accumulator_value)
        _check("epsilon value", eps)
        super().__init__(params, {"lr": lr, "lr_decay": lr_decay, "eps": eps,
                                  "weight_decay": weight_decay,
                                  "initial_accumulator_value": initial_accumulator_value,
                                  "foreach": foreach, "maximize": maximize,
                                  "differentiable": differentiable, "fused": fused})
        for group in self.param_groups:
            for p in group["params"]:
                self.state[p] = {"step": self._zero_step(),
                                 "sum": self._buffer(p, group["initial_accumulator_value"])}

    def _update(self, p, g, state, group):
        t = self._count(state)
        if group["weight_decay"]:
            g = g + group["weight_decay"] * read(p)
        clr = group["lr"] / (1 + (t - 1) * group["lr_decay"])
        total = state["sum"]
        write(total, read(total) + g * g)
        write(p, read(p) + _weak(-clr, g) * (g / (_np.sqrt(total._data) + group["eps"])))


__all__ = ["SGD", "Adam", "AdamW", "RMSprop", "Adagrad"]
