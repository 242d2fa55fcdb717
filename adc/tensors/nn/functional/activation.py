"""torch.nn.functional's activations: relu, leaky_relu, elu, gelu, silu, softplus, tanh,
sigmoid, softmax, log_softmax (torch's signatures, `inplace=` included).

Stage: tensor front end. Invariant: each activation is one adc.numpy-level function run as one
tensor operation with torch's grad_fn name (common.run), or a call of the tensor op of the same
name where adc.<name> exists; integer inputs raise torch's errors.
"""
from __future__ import annotations

import math
import numbers
import warnings

from .... import numpy as anp
from ... import ops
from ...dispatch import op
from .common import floating, in_place, run


def relu(input, inplace: bool = False):
    return in_place(input, ops.relu(input), inplace, "relu")


def _leaky_relu(x, *, slope):
    return anp.where(x > 0, x, x * slope)


@op(function="functional", method=False, composite=True)
def leaky_relu(input, negative_slope: float = 0.01, inplace: bool = False):
    floating(input, "leaky_relu_cpu")
    out = run("LeakyReluBackward0", _leaky_relu, [input], slope=negative_slope)
    return in_place(input, out, inplace, "leaky_relu")


def _elu(x, *, alpha):
    # torch: the negative branch holds for x <= 0 (elu'(0) = alpha, elu'(nan) = 1); the inner
    # where keeps exp off large x
    neg = x <= 0
    return anp.where(neg, alpha * anp.expm1(anp.where(neg, x, 0)), x)


@op(function="functional", method=False, composite=True)
def elu(input, alpha: float = 1.0, inplace: bool = False):
    floating(input, "elu_cpu")
    return in_place(input, run("EluBackward0", _elu, [input], alpha=alpha), inplace, "elu")


def _gelu(x, *, approximate):
    if approximate == "tanh":
        inner = math.sqrt(2 / math.pi) * (x + 0.044715 * x * x * x)
        return 0.5 * x * (1 + anp.tanh(inner))
    return 0.5 * x * (1 + anp.erf(x * (1 / math.sqrt(2))))


@op(function="functional", method=False, composite=True)
def gelu(input, approximate: str = "none"):
    if approximate not in ("none", "tanh"):
        raise RuntimeError("approximate argument must be either none or tanh.")
    floating(input, "GeluKernelImpl")
    return run("GeluBackward0", _gelu, [input], approximate=approximate)


@op(function="functional", method=False, composite=True)
def silu(input, inplace: bool = False):
    floating(input, "silu_cpu")
    return in_place(input, run("SiluBackward0", anp.silu, [input]), inplace, "silu")


def _softplus(x, *, beta, threshold):
    # torch's rule: x itself where beta * x > threshold; softplus is overflow-free below it
    z = x * beta
    soft = anp.softplus(z) if beta == 1 else anp.softplus(z) / beta
    return anp.where(z > threshold, x, soft)


def softplus(input, beta: float = 1.0, threshold: float = 20.0):
    floating(input, "softplus_cpu")
    return run("SoftplusBackward0", _softplus, [input], beta=beta, threshold=threshold)


def tanh(input):
    return ops.tanh(input)


def sigmoid(input):
    return ops.sigmoid(input)


def _softmax_dim(name, input, dim, stacklevel):
    if dim is not None:
        return dim
    warnings.warn(f"Implicit dimension choice for {name} has been deprecated. Change the call "
                  "to include dim=X as an argument.", stacklevel=stacklevel)
    return 0 if anp.ndim(input) in (0, 1, 3) else 1


def _softmax_like(name, tensor_op, kernel):
    def fn(input, dim=None, _stacklevel: int = 3, dtype=None):
        dim = _softmax_dim(name, input, dim, _stacklevel)
        if not isinstance(dim, numbers.Integral):
            raise TypeError(f"{name}(): argument 'dim' must be int, not {type(dim).__name__}")
        if dtype is None:
            floating(input, kernel)
        return tensor_op(input, dim, dtype)
    fn.__name__ = fn.__qualname__ = name
    return fn


softmax = _softmax_like("softmax", ops.softmax, "softmax_lastdim_kernel_impl")
log_softmax = _softmax_like("log_softmax", ops.log_softmax, "log_softmax_lastdim_kernel_impl")
