"""Sliding windows: `patches` (im2col), its transpose `patches_transpose` (col2im), and
`window_argmax` (the position max pooling picks in each window).

Stage: primitive definitions. Invariants: an input has the layout (N, C, *S) with one to three
spatial axes S; the windows are laid out channels-last, (N, *O, *K, C), so a convolution is one
GEMM of (N * prod(O), prod(K) * C) patches by the weight and its VJPs are GEMMs too; `lo`/`hi`
pad each spatial axis (padded positions read `value` in patches and are dropped by
patches_transpose), O = (S + lo + hi - dilation * (K - 1) - 1) // stride + 1 >= 1. Each of
the pair is the other's VJP, so every derivative order is a patches or a transpose of one.
"""
from __future__ import annotations

import itertools

import numpy as np

from ..errors import ShapeError
from ..ir import Aval
from ..tracer import bind
from . import batching as B
from .base import Primitive
from .cases import case

_GEOMETRY = ("kernel", "stride", "dilation", "lo", "hi")


def out_sizes(spatial, kernel, stride, dilation, lo, hi) -> tuple:
    return tuple((s + a + b - d * (k - 1) - 1) // st + 1
                 for s, k, st, d, a, b in zip(spatial, kernel, stride, dilation, lo, hi))


def _check_geometry(x_shape, kernel, stride, dilation, lo, hi, what):
    nd = len(kernel)
    if not 1 <= nd <= 3 or len(x_shape) != nd + 2:
        raise ShapeError(f"{what}: an input (N, C, *S) with 1 to 3 spatial axes matching "
                         f"kernel {kernel}, got shape {x_shape}")
    if any(len(p) != nd for p in (stride, dilation, lo, hi)):
        raise ShapeError(f"{what}: kernel {kernel}, stride {stride}, dilation {dilation} and "
                         f"padding {lo}/{hi} must have one entry per spatial axis")
    if (min(kernel + stride + dilation) < 1 or min(lo + hi) < 0):
        raise ShapeError(f"{what}: kernel {kernel}, stride {stride} and dilation {dilation} "
                         f"must be positive and padding {lo}/{hi} non-negative")
    out = out_sizes(x_shape[2:], kernel, stride, dilation, lo, hi)
    if min(out) < 1:
        raise ShapeError(f"{what}: kernel {kernel} (dilation {dilation}) is larger than the "
                         f"padded input {tuple(s + a + b for s, a, b in zip(x_shape[2:], lo, hi))}")
    return out


def fill_value(value, dtype):
    """The pad value in `dtype` (-inf/inf become an integer type's extremes)."""
    dtype = np.dtype(dtype)
    if dtype.kind in "iu" and not np.isfinite(value):
        info = np.iinfo(dtype)
        return info.min if value < 0 else info.max
    return dtype.type(value)


def _offsets(kernel, stride, dilation, out):
    """For every kernel position k: k and the strided slices of the padded input it reads."""
    for k in itertools.product(*map(range, kernel)):
        yield k, tuple(slice(j * d, j * d + s * (o - 1) + 1, s)
                       for j, d, s, o in zip(k, dilation, stride, out))


class _Xp:
    """The few array functions the references need, for numpy or torch."""

    def __init__(self, t=None):
        self.t = t

    def pad(self, x, lo, hi, value):
        if self.t is None:
            return np.pad(x, [(0, 0), (0, 0)] + list(zip(lo, hi)),
                          constant_values=fill_value(value, x.dtype))
        flat = [p for a, b in reversed(list(zip(lo, hi))) for p in (a, b)]
        return self.t.nn.functional.pad(x, flat, value=float(fill_value(value, np.float64)))

    def permute(self, x, perm):
        return np.transpose(x, perm) if self.t is None else x.permute(*perm)

    def stack(self, xs):
        return np.stack(xs, -1) if self.t is None else self.t.stack(xs, -1)

    def zeros(self, shape, like):
        if self.t is None:
            return np.zeros(shape, like.dtype)
        return self.t.zeros(shape, dtype=like.dtype)


def _to_channels_last(nd):
    """(N, C, *O, *K) -> (N, *O, *K, C)."""
    return (0,) + tuple(range(2, 2 + 2 * nd)) + (1,)


def _patches(xp, x, kernel, stride, dilation, lo, hi, value):
    out = out_sizes(x.shape[2:], kernel, stride, dilation, lo, hi)
    padded = xp.pad(x, lo, hi, value)
    cols = xp.stack([padded[(slice(None), slice(None)) + sl]
                     for _, sl in _offsets(kernel, stride, dilation, out)])
    cols = cols.reshape(tuple(x.shape[:2]) + out + tuple(kernel))
    return xp.permute(cols, _to_channels_last(len(kernel)))


def _patches_transpose(xp, g, kernel, stride, dilation, lo, hi, shape):
    nd = len(kernel)
    out = tuple(g.shape[1:1 + nd])
    cols = xp.permute(g, np.argsort(_to_channels_last(nd)).tolist())  # (N, C, *O, *K)
    padded = xp.zeros(tuple(shape[:2]) + tuple(s + a + b for s, a, b in
                                                zip(shape[2:], lo, hi)), g)
    for k, sl in _offsets(kernel, stride, dilation, out):
        padded[(slice(None), slice(None)) + sl] += cols[(Ellipsis,) + k]
    return padded[(slice(None), slice(None)) + tuple(slice(a, a + s)
                                                     for a, s in zip(lo, shape[2:]))]


def _patches_transpose_impl(g, **params):
    return np.ascontiguousarray(_patches_transpose(_Xp(), g, **params))


def _geometry(params):
    return {k: params[k] for k in _GEOMETRY}


def _patches_shape(x, value, **geometry):
    out = _check_geometry(x.shape, **geometry, what="patches")
    return Aval((x.shape[0],) + out + tuple(geometry["kernel"]) + (x.shape[1],), x.dtype)


def _patches_vjp(cts, ins, outs, needed, value, **geometry):
    return (patches_transpose(cts[0], ins[0].shape, **geometry),)


def _patches_transpose_shape(g, shape, **geometry):
    out = _check_geometry(tuple(shape), **geometry, what="patches_transpose")
    nd = len(out)
    expected = (shape[0],) + out + tuple(geometry["kernel"]) + (shape[1],)
    if tuple(g.shape) != expected:
        raise ShapeError(f"patches_transpose: windows of shape {g.shape} do not fit an input "
                         f"{tuple(shape)} (expected {expected}, {nd} spatial axes)")
    return Aval(tuple(shape), g.dtype)


def _patches_transpose_vjp(cts, ins, outs, needed, shape, **geometry):
    return (patches(cts[0], 0.0, **geometry),)


def patches(x, value, kernel, stride, dilation, lo, hi):
    return bind(patches_p, x, value=float(value), kernel=tuple(kernel), stride=tuple(stride),
                    dilation=tuple(dilation), lo=tuple(lo), hi=tuple(hi))


def patches_transpose(g, shape, kernel, stride, dilation, lo, hi):
    return bind(patches_transpose_p, g, shape=tuple(shape), kernel=tuple(kernel),
                    stride=tuple(stride), dilation=tuple(dilation), lo=tuple(lo), hi=tuple(hi))


def _geo(kernel, stride=None, dilation=None, lo=None, hi=None, value=0.0):
    nd = len(kernel)
    return {"kernel": kernel, "stride": stride or (1,) * nd, "dilation": dilation or (1,) * nd,
            "lo": lo or (0,) * nd, "hi": hi or (0,) * nd, "value": value}


# 1-, 2- and 3-d windows with stride, dilation, uneven padding and a non-zero pad value
_PATCH_CASES = [
    ((2, 3, 5), _geo((2,))),
    ((1, 2, 7), _geo((3,), (2,), (1,), (1,), (2,))),
    ((2, 2, 4, 5), _geo((2, 3), (1, 2), (2, 1), (1, 0), (0, 1))),
    ((1, 1, 5, 4), _geo((2, 2), (2, 2), lo=(1, 1), hi=(1, 1), value=-1.5)),
    ((1, 2, 3, 4, 3), _geo((2, 2, 1), (1, 2, 1), hi=(0, 1, 0))),
]


def _transposed_cases():
    result = []
    for shape, geo in _PATCH_CASES[:3] + _PATCH_CASES[4:]:
        geometry = {k: v for k, v in geo.items() if k != "value"}
        out = out_sizes(shape[2:], **geometry)
        windows = (shape[0],) + out + geometry["kernel"] + (shape[1],)
        result.append(case((windows,), dict(geometry, shape=shape)))
    return result


patches_p = Primitive(
    "patches", shape_rule=_patches_shape,
    impl=lambda x, **params: np.ascontiguousarray(_patches(_Xp(), x, **params)),
    torch_impl=lambda t, x, **params: _patches(_Xp(t), x, **params),
    vjp=_patches_vjp, domains=("real",), batch=B.merged, second_order=True,
    cases=[case((shape,), geo) for shape, geo in _PATCH_CASES])

patches_transpose_p = Primitive(
    "patches_transpose", shape_rule=_patches_transpose_shape,
    impl=_patches_transpose_impl,
    torch_impl=lambda t, g, **params: _patches_transpose(_Xp(t), g, **params),
    vjp=_patches_transpose_vjp, domains=("real",), batch=B.merged, second_order=True,
    cases=_transposed_cases())


def _argmax_shape(x, axis):
    if not 0 <= axis < x.ndim or x.shape[axis] == 0:
        raise ShapeError(f"window_argmax: axis {axis} of an array of shape {x.shape} (it must "
                         "exist and be non-empty)")
    return Aval(x.shape[:axis] + (1,) + x.shape[axis + 1:], np.dtype(np.int64))


def _argmax_impl(x, axis):
    """torch's max-pooling choice: the last NaN of the window if it has one, else the first
    maximum (the comparison `v > best or isnan(v)` in scan order)."""
    n = x.shape[axis]
    nan = np.isnan(x) if x.dtype.kind == "f" else np.zeros(x.shape, bool)
    last_nan = n - 1 - np.argmax(np.flip(nan, axis), axis=axis)
    first_max = np.argmax(np.where(nan, x.dtype.type(0), x), axis=axis)
    return np.expand_dims(np.where(nan.any(axis), last_nan, first_max), axis).astype(np.int64)


def _argmax_torch(t, x, axis):
    n = x.shape[axis]
    nan = t.isnan(x)
    last_nan = n - 1 - t.argmax(t.flip(nan, (axis,)).to(t.int8), dim=axis, keepdim=True)
    first_max = t.argmax(t.where(nan, t.zeros((), dtype=x.dtype), x), dim=axis, keepdim=True)
    return t.where(nan.any(axis, keepdim=True), last_nan, first_max)


def _ties_and_nans(rng, dtype):
    x = np.array([[1.0, 3.0, 3.0, 0.0], [np.nan, 1.0, np.nan, 2.0], [-np.inf] * 4])
    return x.astype(dtype)


window_argmax_p = Primitive(
    "window_argmax", shape_rule=_argmax_shape, impl=_argmax_impl, torch_impl=_argmax_torch,
    vjp=None, domains=("real",), batch=B.shifted("axis"), differentiable=False,
    axis_kernel="window_argmax3",
    cases=[case(((3, 4),), {"axis": 1}, {0: _ties_and_nans}),
           case(((2, 3, 4),), {"axis": 2}), case(((2, 3, 1),), {"axis": 1}),
           case(((2, 3, 4),), {"axis": 0}, {0: lambda rng, dtype: np.zeros((2, 3, 4), dtype)})])


def kernel_views(x_shape, kernel, stride, dilation, lo, hi) -> tuple:
    """What the targets' window kernels take: the (N, C, S1, S2, S3) view of an input, the
    (N, O1, O2, O3, K1, K2, K3, C) view of its windows, and stride, dilation and lo as
    3-tuples (missing leading spatial axes have size 1, a kernel of 1 and no padding)."""
    one = (1,) * (3 - len(kernel))
    out = out_sizes(x_shape[2:], kernel, stride, dilation, lo, hi)
    return (tuple(x_shape[:2]) + one + tuple(x_shape[2:]),
            (x_shape[0],) + one + out + one + tuple(kernel) + (x_shape[1],),
            one + tuple(stride), one + tuple(dilation), (0,) * len(one) + tuple(lo))
