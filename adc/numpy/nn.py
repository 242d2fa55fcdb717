"""`adc.numpy.nn`: convolution, transposed convolution and pooling on traced arrays (and numpy
arrays), with torch.nn.functional's argument names and conventions (NCHW layout, weights
(out, in / groups, *kernel), conv_transpose weights (in, out / groups, *kernel)).

Stage: trace. Invariants: every function is a composition of the window primitives
(adc.prims.window) with matrix products and elementwise ops, so gradients of every order are
ordinary traced ops; a convolution is one GEMM of channels-last patches by the weight (its
VJPs are GEMMs and a patches_transpose); max pooling picks torch's arg-max (the first maximum
in window scan order, or the last NaN) and sends the gradient there alone; bad geometry raises
ShapeError naming the function and the shapes before anything is traced.
"""
from __future__ import annotations

import numbers

import numpy as np

from .. import numpy as anp
from ..errors import ShapeError, UnsupportedError, with_location
from ..prims.window import out_sizes, patches, patches_transpose, window_argmax_p
from ..tracer import bind

__all__ = ["WindowShapeError", "adaptive_avg_pool", "adaptive_max_pool", "avg_pool", "conv",
           "conv_transpose", "max_pool"]


class WindowShapeError(ShapeError, RuntimeError):
    """Bad geometry for a convolution or pooling: an adc ShapeError that is also the
    RuntimeError torch raises for it."""


def _error(what, message):
    return WindowShapeError(with_location(f"{what}: {message}"))


def _tuple(value, nd, name, what, minimum=0) -> tuple:
    """An int or a sequence of nd ints as a tuple of nd ints >= minimum."""
    values = (value,) * nd if isinstance(value, numbers.Integral) else tuple(value)
    if len(values) != nd or not all(isinstance(v, numbers.Integral) for v in values):
        raise _error(what, f"{name} must be an int or {nd} ints, got {value!r}")
    if min(values) < minimum:
        raise _error(what, f"{name} must be at least {minimum}, got {value!r}")
    return tuple(int(v) for v in values)


def _batched(x, nd, what):
    """x as (N, C, *S) and whether it came without the batch axis (torch's unbatched form)."""
    rank = anp.ndim(x)
    if rank == nd + 1:
        return anp.reshape(x, (1,) + tuple(anp.shape(x))), True
    if rank != nd + 2:
        raise _error(what, f"expected a {nd + 1}-D (unbatched) or {nd + 2}-D (batched) input, "
                           f"got shape {tuple(anp.shape(x))}")
    return x, False


def _unbatched(y, squeeze):
    return anp.reshape(y, anp.shape(y)[1:]) if squeeze else y


def _channels_first(y, nd):
    """(N, *O, C) -> (N, C, *O)."""
    return anp.transpose(y, (0, nd + 1) + tuple(range(1, nd + 1)))


def _add_bias(y, bias, channels, nd, what):
    if bias is None:
        return y
    if tuple(anp.shape(bias)) != (channels,):
        raise _error(what, f"bias of shape {tuple(anp.shape(bias))} for {channels} output "
                           f"channels (expected ({channels},))")
    return y + anp.reshape(bias, (channels,) + (1,) * nd)


def _conv_padding(padding, kernel, stride, dilation, what):
    """(lo, hi) per spatial axis for padding an int, ints, 'valid' or 'same'."""
    nd = len(kernel)
    if isinstance(padding, str):
        if padding == "valid":
            return (0,) * nd, (0,) * nd
        if padding != "same":
            raise _error(what, f"padding must be an int, a tuple, 'valid' or 'same', got "
                               f"{padding!r}")
        if any(s != 1 for s in stride):
            raise _error(what, f"padding='same' is not supported for strided convolutions "
                               f"(stride {stride})")
        total = [d * (k - 1) for k, d in zip(kernel, dilation)]
        lo = tuple(t // 2 for t in total)
        return lo, tuple(t - a for t, a in zip(total, lo))
    pad = _tuple(padding, nd, "padding", what)
    return pad, pad


def _check_fits(spatial, kernel, dilation, lo, hi, what):
    padded = tuple(s + a + b for s, a, b in zip(spatial, lo, hi))
    effective = tuple(d * (k - 1) + 1 for k, d in zip(kernel, dilation))
    if any(e > p for e, p in zip(effective, padded)):
        raise _error(what, f"the padded input size {padded} is smaller than the kernel "
                           f"{tuple(kernel)} (dilated: {effective})")


def _conv_operands(name, input, weight, stride, dilation, groups, layout):
    """(what, nd, x as (N, C, *S), squeeze, stride, dilation), checked: a weight of 1 to 3
    kernel axes in `layout`, a positive int `groups`."""
    nd = anp.ndim(weight) - 2
    what = f"{name}{nd}d"
    if not 1 <= nd <= 3:
        raise _error(name, f"weight must be {layout} with 1 to 3 kernel axes, got shape "
                           f"{tuple(anp.shape(weight))}")
    if not isinstance(groups, numbers.Integral) or groups < 1:
        raise _error(what, f"groups must be a positive int, got {groups!r}")
    x, squeeze = _batched(input, nd, what)
    return (what, nd, x, squeeze, _tuple(stride, nd, "stride", what, 1),
            _tuple(dilation, nd, "dilation", what, 1))


def conv(input, weight, bias=None, stride=1, padding=0, dilation=1, groups=1):
    """torch.nn.functional.conv{1,2,3}d: the spatial rank is weight.ndim - 2."""
    what, nd, x, squeeze, stride, dilation = _conv_operands(
        "conv", input, weight, stride, dilation, groups, "(out, in / groups, *kernel)")
    (n, c, *spatial), (o, cg, *kernel) = anp.shape(x), anp.shape(weight)
    if o % groups:
        raise _error(what, f"groups={groups} does not divide the {o} output channels of "
                           f"weight {tuple(anp.shape(weight))}")
    if c != cg * groups:
        raise _error(what, f"weight {tuple(anp.shape(weight))} with groups={groups} expects "
                           f"{cg * groups} input channels, but input {tuple(anp.shape(x))} has "
                           f"{c}")
    lo, hi = _conv_padding(padding, kernel, stride, dilation, what)
    _check_fits(spatial, kernel, dilation, lo, hi, what)
    x, weight = anp._promote(x, weight)
    cols = patches(x, 0, kernel, stride, dilation, lo, hi)  # (N, *O, *K, C)
    out = tuple(anp.shape(cols)[1:1 + nd])
    rows, kp = n * int(np.prod(out, dtype=np.int64)), int(np.prod(kernel, dtype=np.int64))
    w = anp.moveaxis(weight, 1, -1)  # (O, *K, C / groups), the windows' order
    if groups == 1:
        y = anp.matmul(anp.reshape(cols, (rows, kp * c)), anp.reshape(w, (o, kp * c)).T)
    else:
        y = anp.einsum("rkgc,gokc->rgo", anp.reshape(cols, (rows, kp, groups, cg)),
                       anp.reshape(w, (groups, o // groups, kp, cg)))
    y = _channels_first(anp.reshape(y, (n,) + out + (o,)), nd)
    return _unbatched(_add_bias(y, bias, o, nd, what), squeeze)


def conv_transpose(input, weight, bias=None, stride=1, padding=0, output_padding=0, groups=1,
                   dilation=1):
    """torch.nn.functional.conv_transpose{1,2,3}d (the VJP of conv with respect to its input):
    weight (in, out / groups, *kernel)."""
    what, nd, x, squeeze, stride, dilation = _conv_operands(
        "conv_transpose", input, weight, stride, dilation, groups, "(in, out / groups, *kernel)")
    (n, c, *spatial), (cw, og, *kernel) = anp.shape(x), anp.shape(weight)
    pad = _tuple(padding, nd, "padding", what)
    extra = _tuple(output_padding, nd, "output_padding", what)
    if any(e >= s and e >= d for e, s, d in zip(extra, stride, dilation)):
        raise _error(what, f"output_padding {extra} must be smaller than either stride "
                           f"{stride} or dilation {dilation}")
    if c % groups:
        raise _error(what, f"groups={groups} does not divide the {c} input channels of input "
                           f"{tuple(anp.shape(x))}")
    if cw != c:
        raise _error(what, f"weight {tuple(anp.shape(weight))} expects {cw} input channels, "
                           f"but input {tuple(anp.shape(x))} has {c}")
    size = tuple((s - 1) * st - 2 * p + d * (k - 1) + e + 1 for s, st, p, d, k, e in
                 zip(spatial, stride, pad, dilation, kernel, extra))
    if min(size) < 1:
        raise _error(what, f"input {tuple(anp.shape(x))} gives a non-positive output size "
                           f"{size}")
    # the windows of the convolution whose input gradient this is: as many as `spatial`
    hi = tuple(max(0, p - e) for p, e in zip(pad, extra))
    if out_sizes(size, kernel, stride, dilation, pad, hi) != tuple(spatial):
        raise UnsupportedError(with_location(
            f"{what}: output_padding {extra} larger than padding {pad} plus stride - 1 "
            f"(stride {stride}) is not supported"))
    x, weight = anp._promote(x, weight)
    rows, kp = n * int(np.prod(spatial, dtype=np.int64)), int(np.prod(kernel, dtype=np.int64))
    xt = anp.reshape(anp.moveaxis(x, 1, -1), (rows, c))
    w = anp.moveaxis(weight, 1, -1)  # (in, *K, out / groups), the windows' order
    if groups == 1:
        cols = anp.matmul(xt, anp.reshape(w, (c, kp * og)))
    else:
        cols = anp.einsum("rgc,gcko->rkgo", anp.reshape(xt, (rows, groups, c // groups)),
                          anp.reshape(w, (groups, c // groups, kp, og)))
    cols = anp.reshape(cols, (n,) + tuple(spatial) + tuple(kernel) + (og * groups,))
    y = patches_transpose(cols, (n, og * groups) + size, kernel, stride, dilation, pad, hi)
    return _unbatched(_add_bias(y, bias, og * groups, nd, what), squeeze)


def _pool_geometry(x_shape, nd, kernel_size, stride, padding, dilation, ceil_mode, what):
    """kernel, stride, dilation, lo, hi (hi grown for ceil_mode) and the output sizes, with
    torch's rules: the padding is at most half the (dilated) kernel, and with ceil_mode the
    last window starts inside the input or its left padding."""
    kernel = _tuple(kernel_size, nd, "kernel_size", what, 1)
    stride = kernel if stride is None or (not isinstance(stride, numbers.Integral)
                                          and len(stride) == 0) else \
        _tuple(stride, nd, "stride", what, 1)
    dilation = _tuple(dilation, nd, "dilation", what, 1)
    pad = _tuple(padding, nd, "padding", what)
    if any(p > (d * (k - 1) + 1) // 2 for p, k, d in zip(pad, kernel, dilation)):
        raise _error(what, f"padding {pad} should be at most half of the effective kernel size "
                           f"(kernel_size {kernel}, dilation {dilation})")
    out = []
    for s, k, st, d, p in zip(x_shape[2:], kernel, stride, dilation, pad):
        span = s + 2 * p - d * (k - 1) - 1
        o = (span + (st - 1 if ceil_mode else 0)) // st + 1
        if ceil_mode and (o - 1) * st >= s + p:
            o -= 1
        out.append(o)
    if min(out) < 1:
        raise _error(what, f"input {tuple(x_shape)} with kernel_size {kernel}, stride {stride}, "
                           f"padding {pad} and dilation {dilation} gives output size "
                           f"{tuple(out)}, which is too small")
    hi = tuple(max(p, (o - 1) * st + d * (k - 1) + 1 - s - p) for s, k, st, d, p, o in
               zip(x_shape[2:], kernel, stride, dilation, pad, out))
    return kernel, stride, dilation, pad, hi, tuple(out)


def _pool_nd(input, kernel_size, what):
    nd = (len(kernel_size) if not isinstance(kernel_size, numbers.Integral)
          else anp.ndim(input) - 2)
    x, squeeze = _batched(input, nd, what)
    return nd, x, squeeze


def _pool_windows(x, value, kernel, stride, dilation, lo, hi):
    """(N, C, *O, prod(K)): each channel's windows (channels are batched as images of one
    channel, so the windows come out channels-first)."""
    n, c, *spatial = anp.shape(x)
    cols = patches(anp.reshape(x, (n * c, 1) + tuple(spatial)), value, kernel, stride,
                   dilation, lo, hi)
    out = tuple(anp.shape(cols)[1:1 + len(kernel)])
    return anp.reshape(cols, (n, c) + out + (int(np.prod(kernel, dtype=np.int64)),))


def max_pool(input, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False,
             return_indices=False):
    """torch.nn.functional.max_pool{1,2,3}d: the spatial rank is len(kernel_size) (or
    input.ndim - 2 for an int). Indices are flat positions in each channel's input plane."""
    nd, x, squeeze = _pool_nd(input, kernel_size, "max_pool")
    what = f"max_pool{nd}d"
    kernel, stride, dilation, lo, hi, out = _pool_geometry(
        anp.shape(x), nd, kernel_size, stride, padding, dilation, ceil_mode, what)
    cols = _pool_windows(x, -np.inf, kernel, stride, dilation, lo, hi)
    at = bind(window_argmax_p, cols, axis=nd + 2)
    y = _unbatched(anp.squeeze(anp.take_along_axis(cols, at, nd + 2), nd + 2), squeeze)
    if not return_indices:
        return y
    return y, _unbatched(_input_positions(at, anp.shape(x)[2:], kernel, stride, dilation, lo,
                                          out), squeeze)


def _input_positions(at, spatial, kernel, stride, dilation, lo, out):
    """The flat input-plane position (torch's indices) of window position `at` (..., *O, 1):
    the window's start plus a table lookup of the offset of each kernel position."""
    nd = len(kernel)
    plane = [int(np.prod(spatial[j + 1:], dtype=np.int64)) for j in range(nd)]
    offsets = sum(np.arange(k).reshape((k,) + (1,) * (nd - 1 - j)) * d * p
                  for j, (k, d, p) in enumerate(zip(kernel, dilation, plane)))
    starts = sum((np.arange(o) * st - a).reshape((o,) + (1,) * (nd - 1 - j)) * p
                 for j, (o, st, a, p) in enumerate(zip(out, stride, lo, plane)))
    picked = anp.take(np.asarray(offsets, np.int64).reshape(-1), anp.squeeze(at, nd + 2))
    return picked + np.asarray(starts, np.int64)


def _counts(spatial, kernel, stride, lo, out, include_pad):
    """Each window's divisor (torch's avg_pool): its size within the padded input (or within
    the input itself without count_include_pad), as a constant array of shape out."""
    total = np.ones((), np.float64)
    for s, k, st, p, o in zip(spatial, kernel, stride, lo, out):
        start = np.arange(o) * st - p
        end = np.minimum(start + k, s + p)
        if not include_pad:
            start, end = np.maximum(start, 0), np.minimum(end, s)
        total = np.multiply.outer(total, (end - start).astype(np.float64))
    return total


def avg_pool(input, kernel_size, stride=None, padding=0, ceil_mode=False,
             count_include_pad=True, divisor_override=None):
    """torch.nn.functional.avg_pool{1,2,3}d: the spatial rank is len(kernel_size) (or
    input.ndim - 2 for an int)."""
    nd, x, squeeze = _pool_nd(input, kernel_size, "avg_pool")
    what = f"avg_pool{nd}d"
    if np.dtype(anp._dtype_of(x) or np.float64).kind not in "fc":
        raise UnsupportedError(with_location(
            f"{what}: integer inputs (torch truncates their averages) are not supported; "
            "convert the input to a floating dtype"))
    kernel, stride, dilation, lo, hi, out = _pool_geometry(
        anp.shape(x), nd, kernel_size, stride, padding, 1, ceil_mode, what)
    if divisor_override is not None and (not isinstance(divisor_override, numbers.Integral)
                                         or divisor_override == 0):
        raise _error(what, f"divisor_override must be a non-zero int, got {divisor_override!r}")
    cols = _pool_windows(x, 0, kernel, stride, dilation, lo, hi)
    total = anp.sum(cols, axis=-1)
    divisor = (np.asarray(float(divisor_override)) if divisor_override is not None else
               _counts(anp.shape(x)[2:], kernel, stride, lo, out, count_include_pad))
    return _unbatched(total / divisor.astype(anp._dtype_of(x)), squeeze)


def _adaptive_bounds(size, out):
    """torch's adaptive windows along one axis: window i is floor(i * size / out) ..
    ceil((i + 1) * size / out)."""
    i = np.arange(out)
    return (i * size) // out, -((-(i + 1) * size) // out)


def _adaptive_matrix(size, out, dtype):
    """(out, size): row i averages adaptive window i."""
    a = np.zeros((out, size), dtype)
    for i, (start, end) in enumerate(zip(*_adaptive_bounds(size, out))):
        a[i, start:end] = 1.0 / (end - start)
    return a


def _adaptive_input(input, output_size, kind):
    """(nd, what, x batched, squeeze, output sizes) of an adaptive pooling, checked as torch
    checks it."""
    nd = (len(output_size) if not isinstance(output_size, numbers.Integral)
          else anp.ndim(input) - 2)
    what = f"adaptive_{kind}_pool{nd}d"
    if not 1 <= nd <= 3:
        raise _error(what, f"output_size {output_size!r} for an input of shape "
                           f"{tuple(anp.shape(input))}")
    x, squeeze = _batched(input, nd, what)
    spatial = anp.shape(x)[2:]
    sizes = (output_size,) * nd if isinstance(output_size, numbers.Integral) else tuple(
        s if o is None else o for o, s in zip(output_size, spatial))
    if not all(isinstance(o, numbers.Integral) and o >= 1 for o in sizes):
        raise _error(what, f"output_size must be positive ints, got {output_size!r}")
    if min(spatial) < 1:
        raise _error(what, f"input {tuple(anp.shape(x))} has an empty spatial axis")
    if np.dtype(anp._dtype_of(x)).kind not in "fc":
        raise UnsupportedError(with_location(f"{what}: integer inputs are not supported "
                                             "(torch refuses them too); convert to float"))
    return nd, what, x, squeeze, sizes


def adaptive_avg_pool(input, output_size):
    """torch.nn.functional.adaptive_avg_pool{1,2,3}d: output_size an int or one entry per
    spatial axis (None keeps that axis's size); the spatial rank is len(output_size) (or
    input.ndim - 2 for an int)."""
    nd, _, x, squeeze, sizes = _adaptive_input(input, output_size, "avg")
    dtype = anp._dtype_of(x)
    letters = "abcdefgh"[:nd + 2]
    y = x
    for j, (s, o) in enumerate(zip(anp.shape(x)[2:], sizes)):
        if s == o:
            continue
        axis = letters[j + 2]
        spec = f"{letters},z{axis}->{letters.replace(axis, 'z')}"
        y = anp.einsum(spec, y, _adaptive_matrix(s, o, dtype))
    return _unbatched(y, squeeze)


def _adaptive_positions(spatial, sizes):
    """(prod(O), K): the flat input-plane positions of each output's window, in torch's scan
    order; windows shorter than the longest along an axis repeat their last position, which
    never changes the position max pooling picks (a repeat is neither a new first maximum nor
    a NaN at another position)."""
    nd = len(spatial)
    flat = np.zeros((1,) * 2 * nd, np.int64)
    for j, (s, o) in enumerate(zip(spatial, sizes)):
        start, end = _adaptive_bounds(s, o)
        k = int((end - start).max())
        table = np.minimum(start[:, None] + np.arange(k), end[:, None] - 1)
        shape = [1] * 2 * nd
        shape[j], shape[nd + j] = o, k
        flat = flat + table.reshape(shape) * int(np.prod(spatial[j + 1:], dtype=np.int64))
    return flat.reshape(int(np.prod(sizes)), -1)


def adaptive_max_pool(input, output_size, return_indices=False):
    """torch.nn.functional.adaptive_max_pool{1,2,3}d: each output is the maximum of its
    adaptive window (torch's pick: the first maximum, or the last NaN), which alone gets the
    gradient; indices are flat positions in each channel's input plane."""
    nd, _, x, squeeze, sizes = _adaptive_input(input, output_size, "max")
    n, c, *spatial = anp.shape(x)
    positions = _adaptive_positions(spatial, sizes)
    plane = anp.reshape(x, (n, c, int(np.prod(spatial, dtype=np.int64))))
    cols = anp.reshape(anp.take(plane, positions.reshape(-1), axis=2),
                       (n, c) + tuple(sizes) + (positions.shape[1],))
    at = bind(window_argmax_p, cols, axis=nd + 2)
    y = _unbatched(anp.squeeze(anp.take_along_axis(cols, at, nd + 2), nd + 2), squeeze)
    if not return_indices:
        return y
    rows = (np.arange(positions.shape[0]) * positions.shape[1]).reshape(sizes)
    indices = anp.take(positions.reshape(-1), anp.squeeze(at, nd + 2) + rows)
    return y, _unbatched(indices, squeeze)
