"""Convolution and pooling in adc.nn.functional: conv1d/2d/3d, conv_transpose1d/2d/3d,
max_pool1d/2d/3d, avg_pool1d/2d/3d, adaptive_avg_pool1d/2d/3d and adaptive_max_pool1d/2d/3d with
torch's signatures.

Stage: tensor front end. Invariants: each op is one `apply` of the adc.numpy.nn function
(the same composition of window primitives and GEMMs that adc.grad traces), with its
arguments normalized to tuples of one entry per spatial axis; on other inputs the op is that
function itself; grad_fn names are torch's (1-d pooling is torch's 2-d pooling and a squeeze,
hence SqueezeBackward1).
"""
from __future__ import annotations

import numbers

from ....numpy import nn as npnn
from ...dispatch import op, refuse_traced
from ...tensor import apply


def _tuple(value, nd):
    """torch's int-or-tuple arguments as tuples (a tuple of another length is left for
    adc.numpy.nn to refuse, naming the function)."""
    return (value,) * nd if isinstance(value, numbers.Integral) else tuple(value)


def _check_operands(what, input, weight, bias):
    for other in (weight, bias):
        if other is not None and refuse_traced(other).dtype != input.dtype:
            raise RuntimeError(f"{what}: expected scalar type {input.dtype} but found "
                               f"{other.dtype} (input and weight/bias must share a dtype)")


def _conv_op(nd):
    name = f"conv{nd}d"

    def numpy_form(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        return npnn.conv(input, weight, bias, stride, padding, dilation, groups)

    def conv(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
        _check_operands(name, input, weight, bias)
        if weight.ndim != nd + 2:
            raise npnn.WindowShapeError(f"{name}: weight must be (out, in / groups, *kernel) "
                                        f"with {nd} kernel axes, got {tuple(weight.shape)}")
        params = (("stride", _tuple(stride, nd)), ("dilation", _tuple(dilation, nd)),
                  ("padding", padding if isinstance(padding, str) else _tuple(padding, nd)),
                  ("groups", groups))
        operands = [input, weight] if bias is None else [input, weight, bias]
        return apply("ConvolutionBackward0", npnn.conv, operands, params)

    conv.__doc__ = f"torch.nn.functional.{name}"
    return op(conv, name=name, function="functional", method=False, numpy=numpy_form)


def _conv_transpose_op(nd):
    name = f"conv_transpose{nd}d"

    def numpy_form(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                   dilation=1):
        return npnn.conv_transpose(input, weight, bias, stride, padding, output_padding, groups,
                                   dilation)

    def conv_transpose(input, weight, bias=None, stride=1, padding=0, output_padding=0,
                       groups=1, dilation=1):
        _check_operands(name, input, weight, bias)
        if weight.ndim != nd + 2:
            raise npnn.WindowShapeError(f"{name}: weight must be (in, out / groups, *kernel) "
                                        f"with {nd} kernel axes, got {tuple(weight.shape)}")
        params = (("stride", _tuple(stride, nd)), ("padding", _tuple(padding, nd)),
                  ("output_padding", _tuple(output_padding, nd)), ("groups", groups),
                  ("dilation", _tuple(dilation, nd)))
        operands = [input, weight] if bias is None else [input, weight, bias]
        return apply("ConvolutionBackward0", npnn.conv_transpose, operands, params)

    conv_transpose.__doc__ = f"torch.nn.functional.{name}"
    return op(conv_transpose, name=name, function="functional", method=False,
              numpy=numpy_form)


def _grad_name(nd, two_d):
    return "SqueezeBackward1" if nd == 1 else two_d.replace("2D", f"{nd}D")


def _max_pool_op(nd):
    name = f"max_pool{nd}d"

    def max_pool(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                 return_indices=False):
        stride = None if stride is None or stride == [] or stride == () else _tuple(stride, nd)
        params = (("kernel_size", _tuple(kernel_size, nd)), ("stride", stride),
                  ("padding", _tuple(padding, nd)), ("dilation", _tuple(dilation, nd)),
                  ("ceil_mode", bool(ceil_mode)), ("return_indices", bool(return_indices)))
        return apply(_grad_name(nd, "MaxPool2DWithIndicesBackward0"), npnn.max_pool, [input],
                     params)

    def numpy_form(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
                   return_indices=False):
        return npnn.max_pool(input, _tuple(kernel_size, nd), stride, padding, dilation,
                             ceil_mode, return_indices)

    max_pool.__doc__ = f"torch.nn.functional.{name}"
    return op(max_pool, name=name, function="functional", method=False, numpy=numpy_form)


def _avg_pool_op(nd):
    name = f"avg_pool{nd}d"

    def run(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
            divisor_override):
        stride = None if stride is None or stride == [] or stride == () else _tuple(stride, nd)
        params = (("kernel_size", _tuple(kernel_size, nd)), ("stride", stride),
                  ("padding", _tuple(padding, nd)), ("ceil_mode", bool(ceil_mode)),
                  ("count_include_pad", bool(count_include_pad)),
                  ("divisor_override", divisor_override))
        return apply(_grad_name(nd, "AvgPool2DBackward0"), npnn.avg_pool, [input], params)

    def run_numpy(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                  divisor_override):
        return npnn.avg_pool(input, _tuple(kernel_size, nd), stride, padding, ceil_mode,
                             count_include_pad, divisor_override)

    if nd == 1:  # torch's avg_pool1d has no divisor_override
        def avg_pool(input, kernel_size, stride=None, padding=0, ceil_mode=False,
                     count_include_pad=True):
            return run(input, kernel_size, stride, padding, ceil_mode, count_include_pad, None)

        def numpy_form(input, kernel_size, stride=None, padding=0, ceil_mode=False,
                       count_include_pad=True):
            return run_numpy(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                             None)
    else:
        def avg_pool(input, kernel_size, stride=None, padding=0, ceil_mode=False,
                     count_include_pad=True, divisor_override=None):
            return run(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                       divisor_override)

        def numpy_form(input, kernel_size, stride=None, padding=0, ceil_mode=False,
                       count_include_pad=True, divisor_override=None):
            return run_numpy(input, kernel_size, stride, padding, ceil_mode, count_include_pad,
                             divisor_override)

    avg_pool.__doc__ = f"torch.nn.functional.{name}"
    return op(avg_pool, name=name, function="functional", method=False, numpy=numpy_form)


def _adaptive_avg_pool_op(nd):
    name = f"adaptive_avg_pool{nd}d"

    def adaptive_avg_pool(input, output_size):
        sizes = _tuple(output_size, nd)
        # torch averages to one element per channel with mean
        grad = "MeanBackward1" if nd > 1 and set(sizes) == {1} else \
            _grad_name(nd, "AdaptiveAvgPool2DBackward0")
        return apply(grad, npnn.adaptive_avg_pool, [input], (("output_size", sizes),))

    def numpy_form(input, output_size):
        return npnn.adaptive_avg_pool(input, _tuple(output_size, nd))

    adaptive_avg_pool.__doc__ = f"torch.nn.functional.{name}"
    return op(adaptive_avg_pool, name=name, function="functional", method=False,
              numpy=numpy_form)


def _adaptive_max_pool_op(nd):
    name = f"adaptive_max_pool{nd}d"

    def adaptive_max_pool(input, output_size, return_indices=False):
        return apply(_grad_name(nd, "AdaptiveMaxPool2DBackward0"), npnn.adaptive_max_pool,
                     [input], (("output_size", _tuple(output_size, nd)),
                               ("return_indices", bool(return_indices))))

    def numpy_form(input, output_size, return_indices=False):
        return npnn.adaptive_max_pool(input, _tuple(output_size, nd), return_indices)

    adaptive_max_pool.__doc__ = f"torch.nn.functional.{name}"
    return op(adaptive_max_pool, name=name, function="functional", method=False,
              numpy=numpy_form)


conv1d, conv2d, conv3d = map(_conv_op, (1, 2, 3))
conv_transpose1d, conv_transpose2d, conv_transpose3d = map(_conv_transpose_op, (1, 2, 3))
max_pool1d, max_pool2d, max_pool3d = map(_max_pool_op, (1, 2, 3))
avg_pool1d, avg_pool2d, avg_pool3d = map(_avg_pool_op, (1, 2, 3))
adaptive_avg_pool1d, adaptive_avg_pool2d, adaptive_avg_pool3d = map(_adaptive_avg_pool_op,
                                                                    (1, 2, 3))
adaptive_max_pool1d, adaptive_max_pool2d, adaptive_max_pool3d = map(_adaptive_max_pool_op,
                                                                    (1, 2, 3))
