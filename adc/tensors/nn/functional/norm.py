"""torch.nn.functional's normalisations: batch_norm (batch statistics in training, running
statistics in evaluation; running statistics updated in place as torch does), layer_norm,
group_norm.

Stage: tensor front end. Invariant: the normalisation is one adc.numpy-level function run as
one tensor operation (torch's grad_fn name); it divides by the biased variance, while the
running variance is updated with the unbiased one (torch's rule). In-place updates of running
statistics happen only on Tensors, eagerly and outside the recorded graph; on traced values
they are refused (a traced function cannot write into its arguments).
"""
from __future__ import annotations

import numpy as np

from .... import numpy as anp
from ....errors import UnsupportedError, with_location
from ...dispatch import op
from ...grad_mode import no_grad
from ...tensor import Tensor, read, write
from .common import floating, run


def _affine(y, params, shape, has_weight, has_bias):
    """y * weight + bias, each reshaped to `shape` (present ones only, in that order)."""
    params = list(params)
    if has_weight:
        y = y * anp.reshape(params.pop(0), shape)
    if has_bias:
        y = y + anp.reshape(params.pop(0), shape)
    return y


def _channel_shape(ndim):
    return (1, -1) + (1,) * (ndim - 2)


def _normalize(x, axes, eps):
    mean = anp.mean(x, axis=axes, keepdims=True)
    d = x - mean
    var = anp.mean(d * d, axis=axes, keepdims=True)
    return d * anp.reciprocal(anp.sqrt(var + eps))


def _batch_norm_batch(x, *params, eps, has_weight, has_bias):
    axes = (0,) + tuple(range(2, anp.ndim(x)))
    return _affine(_normalize(x, axes, eps), params, _channel_shape(anp.ndim(x)), has_weight,
                   has_bias)


def _batch_norm_running(x, mean, var, *params, eps, has_weight, has_bias):
    shape = _channel_shape(anp.ndim(x))
    y = (x - anp.reshape(mean, shape)) * anp.reciprocal(anp.sqrt(anp.reshape(var, shape) + eps))
    return _affine(y, params, shape, has_weight, has_bias)


def _shape(x):
    return tuple(anp.shape(x))


def _update_running(input, running_mean, running_var, momentum):
    """running = (1 - momentum) * running + momentum * batch statistic (unbiased variance)."""
    if not all(isinstance(t, Tensor) for t in (input, running_mean, running_var)):
        raise UnsupportedError(with_location(
            "adc.nn.functional.batch_norm(training=True) updates running_mean/running_var in "
            "place, which needs adc Tensors; a function traced by adc.grad cannot write into "
            "its arguments. Inside adc.grad pass running_mean=None, running_var=None (batch "
            "statistics only) and update the statistics outside the traced function from "
            "the batch's mean and unbiased variance"))
    x = read(input)
    axes = (0,) + tuple(range(2, x.ndim))
    n = x.size // x.shape[1]
    mean = x.mean(axis=axes)
    var = x.var(axis=axes) * (n / (n - 1))
    with no_grad():
        for stat, batch in ((running_mean, mean), (running_var, var)):
            write(stat, (1 - momentum) * read(stat) + momentum * batch)


@op(function="functional", method=False, composite=True)
def batch_norm(input, running_mean, running_var, weight=None, bias=None,
               training: bool = False, momentum: float = 0.1, eps: float = 1e-5):
    floating(input, "batch_norm")
    shape = _shape(input)
    if len(shape) < 2:
        raise ValueError(f"expected 2D or more input (got {len(shape)}D input)")
    channels = shape[1]
    for name, t in (("running_mean", running_mean), ("running_var", running_var),
                    ("weight", weight), ("bias", bias)):
        if t is not None and int(np.prod(_shape(t))) != channels:
            raise RuntimeError(f"{name} should contain {channels} elements not "
                               f"{int(np.prod(_shape(t)))}")
    affine = [t for t in (weight, bias) if t is not None]
    flags = {"eps": eps, "has_weight": weight is not None, "has_bias": bias is not None}
    if training:
        if np.prod(shape) // channels == 1:
            raise ValueError("Expected more than 1 value per channel when training, got "
                             f"input size torch.Size({list(shape)})")
        if running_mean is not None and running_var is not None:
            _update_running(input, running_mean, running_var, momentum)
        return run("NativeBatchNormBackward0", _batch_norm_batch, [input, *affine], **flags)
    if running_mean is None or running_var is None:
        raise RuntimeError(f"running_{'mean' if running_mean is None else 'var'} must be "
                           "defined in evaluation mode")
    return run("NativeBatchNormBackward0", _batch_norm_running,
               [input, running_mean, running_var, *affine], **flags)


def _layer_norm(x, *params, ndims, eps, has_weight, has_bias):
    axes = tuple(range(anp.ndim(x) - ndims, anp.ndim(x)))
    shape = tuple(anp.shape(x)[anp.ndim(x) - ndims:])
    return _affine(_normalize(x, axes, eps), params, shape, has_weight, has_bias)


@op(function="functional", method=False, composite=True)
def layer_norm(input, normalized_shape, weight=None, bias=None, eps: float = 1e-5):
    floating(input, "LayerNormKernelImpl")
    normalized = (normalized_shape,) if isinstance(normalized_shape, int) else tuple(
        normalized_shape)
    shape = _shape(input)
    if not normalized or shape[len(shape) - len(normalized):] != normalized or len(
            normalized) > len(shape):
        raise RuntimeError(f"Given normalized_shape={list(normalized)}, expected input with "
                           f"shape [*, {', '.join(map(str, normalized))}], but got input of "
                           f"size{list(shape)}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and _shape(t) != normalized:
            raise RuntimeError(f"Expected {name} to be of same shape as normalized_shape, but "
                               f"got {name} of shape {list(_shape(t))} and normalized_shape = "
                               f"{list(normalized)}")
    affine = [t for t in (weight, bias) if t is not None]
    return run("NativeLayerNormBackward0", _layer_norm, [input, *affine], ndims=len(normalized),
               eps=eps, has_weight=weight is not None, has_bias=bias is not None)


def _group_norm(x, *params, groups, eps, has_weight, has_bias):
    shape = tuple(anp.shape(x))
    y = _normalize(anp.reshape(x, (shape[0], groups, -1)), (2,), eps)
    return _affine(anp.reshape(y, shape), params, _channel_shape(len(shape)), has_weight,
                   has_bias)


@op(function="functional", method=False, composite=True)
def group_norm(input, num_groups: int, weight=None, bias=None, eps: float = 1e-5):
    floating(input, "GroupNormKernelImpl")
    shape = _shape(input)
    if len(shape) < 2:
        raise RuntimeError(f"Expected at least 2 dimensions for input tensor but received "
                           f"{len(shape)}")
    if shape[1] % num_groups:
        raise RuntimeError(f"Expected number of channels in input to be divisible by "
                           f"num_groups, but got input of shape {list(shape)} and "
                           f"num_groups={num_groups}")
    for name, t in (("weight", weight), ("bias", bias)):
        if t is not None and _shape(t) != (shape[1],):
            raise RuntimeError(f"Expected {name} to be a vector of size equal to the number of "
                               f"channels in input, but got {name} of shape "
                               f"{list(_shape(t))} and input of shape {list(shape)}")
    affine = [t for t in (weight, bias) if t is not None]
    return run("NativeGroupNormBackward0", _group_norm, [input, *affine], groups=num_groups,
               eps=eps, has_weight=weight is not None, has_bias=bias is not None)
