"""Convolution and pooling layers: Conv1d/2d/3d, ConvTranspose1d/2d/3d, MaxPool1d/2d/3d,
AvgPool1d/2d/3d, AdaptiveAvgPool1d/2d/3d and AdaptiveMaxPool1d/2d/3d, with torch's constructor
arguments, parameter shapes, default initialization and `extra_repr` text.

Stage: tensor front end. Invariant: a layer's forward is one adc.nn.functional call; its
weights are (out, in / groups, *kernel) ((in, out / groups, *kernel) transposed), drawn as
torch's kaiming_uniform_(a=sqrt(5)) draws them, U(-1/sqrt(fan_in), 1/sqrt(fan_in)) with fan_in
= weight.shape[1] * prod(kernel) (the bias too), so a state copied from torch gives torch's
outputs.
"""
from __future__ import annotations

import math
import numbers

from ...errors import UnsupportedError
from ..creation import rand
from ..tensor import _check_device
from . import functional as F
from .module import Module, Parameter

_PADDING_MODES = ("zeros", "reflect", "replicate", "circular")


def _tuple(value, nd):
    return (value,) * nd if isinstance(value, numbers.Integral) else tuple(value)


def _uniform(shape, bound, dtype):
    return Parameter(rand(*shape, dtype=dtype) * (2 * bound) - bound)


class _ConvNd(Module):
    _nd: int
    _transposed = False

    def __init__(self, in_channels, out_channels, kernel_size, stride, padding, dilation,
                 groups, bias, padding_mode, output_padding, device, dtype):
        super().__init__()
        if device is not None:
            _check_device(device)
        if groups <= 0 or in_channels % groups:
            raise ValueError("in_channels must be divisible by groups")
        if out_channels % groups:
            raise ValueError("out_channels must be divisible by groups")
        if isinstance(padding, str):
            if padding not in ("same", "valid"):
                raise ValueError(f"Invalid padding string {padding!r}, should be one of "
                                 "{'valid', 'same'}")
            if padding == "same" and any(s != 1 for s in _tuple(stride, self._nd)):
                raise ValueError("padding='same' is not supported for strided convolutions")
        if padding_mode not in _PADDING_MODES:
            raise ValueError(f"padding_mode must be one of {list(_PADDING_MODES)}, but got "
                             f"padding_mode='{padding_mode}'")
        if padding_mode != "zeros":
            raise UnsupportedError(f"adc: {type(self).__name__} supports padding_mode='zeros' "
                                   f"only, got {padding_mode!r}")
        nd = self._nd
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride = _tuple(kernel_size, nd), _tuple(stride, nd)
        self.padding = padding if isinstance(padding, str) else _tuple(padding, nd)
        self.dilation, self.output_padding = _tuple(dilation, nd), _tuple(output_padding, nd)
        self.groups, self.padding_mode, self.transposed = groups, padding_mode, self._transposed
        shape = ((in_channels, out_channels // groups) if self._transposed else
                 (out_channels, in_channels // groups)) + self.kernel_size
        fan_in = shape[1] * math.prod(self.kernel_size)
        bound = 1.0 / math.sqrt(fan_in) if fan_in else 0.0
        self.weight = _uniform(shape, bound, dtype)
        self.bias = _uniform((out_channels,), bound, dtype) if bias else None

    def extra_repr(self) -> str:
        nd = self._nd
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self.padding != (0,) * nd:
            s += f", padding={self.padding}"
        if self.dilation != (1,) * nd:
            s += f", dilation={self.dilation}"
        if self.output_padding != (0,) * nd:
            s += f", output_padding={self.output_padding}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if self.bias is None:
            s += ", bias=False"
        if self.padding_mode != "zeros":
            s += f", padding_mode={self.padding_mode}"
        return s


def _conv_class(nd):
    conv = getattr(F, f"conv{nd}d")

    class Conv(_ConvNd):
        _nd = nd

        def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                     dilation=1, groups=1, bias=True, padding_mode="zeros", device=None,
                     dtype=None):
            super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                             groups, bias, padding_mode, 0, device, dtype)

        def forward(self, input):
            return conv(input, self.weight, self.bias, self.stride, self.padding,
                        self.dilation, self.groups)

    Conv.__name__ = Conv.__qualname__ = f"Conv{nd}d"
    return Conv


def _conv_transpose_class(nd):
    conv_transpose = getattr(F, f"conv_transpose{nd}d")

    class ConvTranspose(_ConvNd):
        _nd, _transposed = nd, True

        def __init__(self, in_channels, out_channels, kernel_size, stride=1, padding=0,
                     output_padding=0, groups=1, bias=True, dilation=1, padding_mode="zeros",
                     device=None, dtype=None):
            if isinstance(padding, str):
                raise TypeError(f"ConvTranspose{nd}d: padding must be an int or a tuple of "
                                f"ints, got {padding!r}")
            if padding_mode != "zeros":
                raise ValueError(f'Only "zeros" padding mode is supported for '
                                 f"ConvTranspose{nd}d")
            super().__init__(in_channels, out_channels, kernel_size, stride, padding, dilation,
                             groups, bias, padding_mode, output_padding, device, dtype)

        def forward(self, input, output_size=None):
            if output_size is not None:
                raise UnsupportedError(f"adc: ConvTranspose{nd}d.forward(output_size=...) is "
                                       "not supported; set output_padding instead")
            return conv_transpose(input, self.weight, self.bias, self.stride, self.padding,
                                  self.output_padding, self.groups, self.dilation)

    ConvTranspose.__name__ = ConvTranspose.__qualname__ = f"ConvTranspose{nd}d"
    return ConvTranspose


def _max_pool_class(nd):
    max_pool = getattr(F, f"max_pool{nd}d")

    class MaxPool(Module):
        def __init__(self, kernel_size, stride=None, padding=0, dilation=1,
                     return_indices=False, ceil_mode=False):
            super().__init__()
            self.kernel_size = kernel_size
            self.stride = stride if stride is not None and stride != [] else kernel_size
            self.padding, self.dilation = padding, dilation
            self.return_indices, self.ceil_mode = return_indices, ceil_mode

        def forward(self, input):
            return max_pool(input, self.kernel_size, self.stride, self.padding, self.dilation,
                            self.ceil_mode, self.return_indices)

        def extra_repr(self) -> str:
            return (f"kernel_size={self.kernel_size}, stride={self.stride}, "
                    f"padding={self.padding}, dilation={self.dilation}, "
                    f"ceil_mode={self.ceil_mode}")

    MaxPool.__name__ = MaxPool.__qualname__ = f"MaxPool{nd}d"
    return MaxPool


def _avg_pool_class(nd):
    avg_pool = getattr(F, f"avg_pool{nd}d")

    class AvgPool(Module):
        def __init__(self, kernel_size, stride=None, padding=0, ceil_mode=False,
                     count_include_pad=True, divisor_override=None):
            super().__init__()
            stride = stride if stride is not None and stride != [] else kernel_size
            if nd == 1:  # torch stores AvgPool1d's sizes as 1-tuples
                kernel_size, stride, padding = (_tuple(v, 1) for v in (kernel_size, stride,
                                                                        padding))
                if divisor_override is not None:
                    raise TypeError("AvgPool1d.__init__() got an unexpected keyword argument "
                                    "'divisor_override'")
            self.kernel_size, self.stride, self.padding = kernel_size, stride, padding
            self.ceil_mode, self.count_include_pad = ceil_mode, count_include_pad
            self.divisor_override = divisor_override

        def forward(self, input):
            extra = () if nd == 1 else (self.divisor_override,)
            return avg_pool(input, self.kernel_size, self.stride, self.padding, self.ceil_mode,
                            self.count_include_pad, *extra)

        def extra_repr(self) -> str:
            return f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"

    AvgPool.__name__ = AvgPool.__qualname__ = f"AvgPool{nd}d"
    return AvgPool


def _adaptive_avg_pool_class(nd):
    adaptive_avg_pool = getattr(F, f"adaptive_avg_pool{nd}d")

    class AdaptiveAvgPool(Module):
        def __init__(self, output_size):
            super().__init__()
            self.output_size = output_size

        def forward(self, input):
            return adaptive_avg_pool(input, self.output_size)

        def extra_repr(self) -> str:
            return f"output_size={self.output_size}"

    AdaptiveAvgPool.__name__ = AdaptiveAvgPool.__qualname__ = f"AdaptiveAvgPool{nd}d"
    return AdaptiveAvgPool


def _adaptive_max_pool_class(nd):
    adaptive_max_pool = getattr(F, f"adaptive_max_pool{nd}d")

    class AdaptiveMaxPool(Module):
        def __init__(self, output_size, return_indices=False):
            super().__init__()
            self.output_size, self.return_indices = output_size, return_indices

        def forward(self, input):
            return adaptive_max_pool(input, self.output_size, self.return_indices)

        def extra_repr(self) -> str:
            return f"output_size={self.output_size}"

    AdaptiveMaxPool.__name__ = AdaptiveMaxPool.__qualname__ = f"AdaptiveMaxPool{nd}d"
    return AdaptiveMaxPool


Conv1d, Conv2d, Conv3d = map(_conv_class, (1, 2, 3))
ConvTranspose1d, ConvTranspose2d, ConvTranspose3d = map(_conv_transpose_class, (1, 2, 3))
MaxPool1d, MaxPool2d, MaxPool3d = map(_max_pool_class, (1, 2, 3))
AvgPool1d, AvgPool2d, AvgPool3d = map(_avg_pool_class, (1, 2, 3))
AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d = map(_adaptive_avg_pool_class,
                                                              (1, 2, 3))
AdaptiveMaxPool1d, AdaptiveMaxPool2d, AdaptiveMaxPool3d = map(_adaptive_max_pool_class,
                                                              (1, 2, 3))
