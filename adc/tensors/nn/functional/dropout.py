"""torch.nn.functional's dropout, alpha_dropout and dropout2d, with the randomness made explicit where it
must be.

Stage: tensor front end. Invariant: on Tensors the mask is drawn eagerly from adc's generator
(`adc.manual_seed`), one fresh mask per call. A function traced by adc.grad/jit is compiled once
and cached, so a mask drawn while tracing would be the same on every call: on anything but a
Tensor the uniform numbers must be passed in (`uniform=`, an argument of the traced function),
and without them the call raises. Elements are kept where uniform < 1 - p and scaled by
1 / (1 - p), torch's bernoulli(1 - p) rule.
"""
from __future__ import annotations

import warnings

from .... import numpy as anp
from ....errors import ShapeError, UnsupportedError, with_location
from ...creation import _drawing
from ...dispatch import op
from ...tensor import Tensor
from .common import in_place, run


def _masked(x, u, *, p):
    keep = 0.0 if p == 1 else 1.0 / (1.0 - p)
    return x * anp.astype(anp.where(anp.less(u, 1.0 - p), keep, 0.0), x.dtype)


_SELU_ALPHA = 1.7580993408473766  # -SELU's negative saturation value (scale * alpha)


def _alpha_masked(x, u, *, p):
    """torch's alpha dropout: dropped elements become -alpha, then an affine map a * . + b
    keeps zero mean and unit variance for SELU activations."""
    a = 1.0 / ((_SELU_ALPHA ** 2 * p + 1) * (1 - p)) ** 0.5
    keep = anp.astype(anp.less(u, 1.0 - p), x.dtype)
    return x * (keep * a) + ((keep - 1) * (_SELU_ALPHA * a) + _SELU_ALPHA * a * p)


def _check_p(p):
    if p < 0.0 or p > 1.0:
        raise ValueError(f"dropout probability has to be between 0 and 1, but got {p}")


def _uniform(name, input, shape, uniform):
    if uniform is not None:
        if tuple(anp.shape(uniform)) != shape:
            raise ShapeError(with_location(
                f"adc.nn.functional.{name}: uniform has shape {tuple(anp.shape(uniform))}, "
                f"expected {shape} for input of shape {tuple(anp.shape(input))}"))
        return uniform
    if isinstance(input, Tensor):
        return _drawing().random(shape)
    raise UnsupportedError(with_location(
        f"adc.nn.functional.{name} on a traced value or numpy array needs its randomness "
        "passed in: a mask drawn while tracing would be compiled into the cached function "
        f"and be the same on every call. Pass uniform=u, an array of shape {shape} of "
        "uniform [0, 1) numbers that is an argument of the traced function (e.g. "
        "np.random.default_rng(seed).random(shape) drawn per step outside adc.grad)"))


def _drop(name, input, shape, p, training, inplace, uniform, alpha=False):
    _check_p(p)
    if not training or p == 0:
        return input
    u = _uniform(name, input, shape, uniform)
    if alpha and p < 1:  # at p = 1 torch zeroes the input in both kinds
        out = run("AddBackward0", _alpha_masked, [input, u], p=p)
    else:
        out = run("MulBackward0", _masked, [input, u], p=p)
    return in_place(input, out, inplace, name)


@op(function="functional", method=False, composite=True)
def dropout(input, p: float = 0.5, training: bool = True, inplace: bool = False, *,
            uniform=None):
    """torch's dropout; `uniform` (adc only): the uniform numbers deciding the mask, shaped
    like `input`, required on traced values (see the module docstring)."""
    return _drop("dropout", input, tuple(anp.shape(input)), p, training, inplace, uniform)


@op(function="functional", method=False, composite=True)
def alpha_dropout(input, p: float = 0.5, training: bool = False, inplace: bool = False, *,
                  uniform=None):
    """torch's alpha dropout (for SELU networks); `uniform` as in dropout."""
    return _drop("alpha_dropout", input, tuple(anp.shape(input)), p, training, inplace,
                 uniform, alpha=True)


@op(function="functional", method=False, composite=True)
def dropout2d(input, p: float = 0.5, training: bool = True, inplace: bool = False, *,
              uniform=None):
    """torch's channel-wise dropout: whole channels (N, C) are zeroed; `uniform` (adc only)
    has shape (N, C, 1, ...)."""
    _check_p(p)
    shape = tuple(anp.shape(input))
    if len(shape) not in (3, 4):
        warnings.warn(f"dropout2d: Received a {len(shape)}-D input to dropout2d, which is "
                      "deprecated and will result in an error in a future release. To retain "
                      "the behavior and silence this warning, please use dropout instead. "
                      "Note that dropout2d exists to provide channel-wise dropout on inputs "
                      "with 2 spatial dimensions, a channel dimension, and an optional batch "
                      "dimension (i.e. 3D or 4D inputs).", stacklevel=2)
    if len(shape) == 3:
        warnings.warn("dropout2d: Received a 3D input to dropout2d and assuming that "
                      "channel-wise 1D dropout behavior is desired - input is interpreted as "
                      "shape (N, C, L), where C is the channel dim. This behavior will change "
                      "in a future release to interpret the input as one without a batch "
                      "dimension, i.e. shape (C, H, W). To maintain the 1D channel-wise "
                      "dropout behavior, please switch to using dropout1d instead.",
                      stacklevel=2)
    if len(shape) < 2:
        raise RuntimeError("Feature dropout requires at least 2 dimensions in the input")
    mask_shape = shape[:2] + (1,) * (len(shape) - 2)
    return _drop("dropout2d", input, mask_shape, p, training, inplace, uniform)
