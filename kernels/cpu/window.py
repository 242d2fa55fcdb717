"""Sliding windows on (N, C, S1, S2, S3) arrays (fewer spatial axes are viewed with leading
axes of size 1): im2col into channels-last windows (N, O1, O2, O3, K1, K2, K3, C), its
transpose (col2im, accumulating the windows back), and the max-pooling arg-max along the
middle axis of (pre, n, post) arrays.

With several channels the input (or the accumulated result) goes through a channels-last
scratch copy and the innermost loop runs over the C contiguous values of a window element; with
one channel it runs instead over the windows along the last spatial axis, in the range where
they read the input (measured 3x faster each way: the short loop dominates otherwise).
Serial, as the other CPU kernels (see index.py); each is one pass over the windows."""
import numpy as np
from numba import njit

__all__ = ["patches3", "patches_transpose3", "window_argmax3"]


@njit(cache=True)
def _inside(o_, s_, stride, lo, offset):
    """[first, last): the windows o whose position o * stride - lo + offset is in [0, s_)."""
    first = max(0, -((offset - lo) // stride))
    last = min(o_, (s_ - 1 + lo - offset) // stride + 1)
    return first, max(first, last)


@njit(cache=True)
def patches3(x, out, stride, dilation, lo, value):
    if out.shape[7] == 1:
        _patches_rows(x, out, stride, dilation, lo, value)
    else:
        _patches_channels(np.ascontiguousarray(x.transpose((0, 2, 3, 4, 1))), out, stride,
                          dilation, lo, value)


@njit(cache=True)
def _patches_rows(x, out, stride, dilation, lo, value):
    n_, o1_, o2_, o3_, k1_, k2_, k3_ = out.shape[:7]
    s1_, s2_, s3_ = x.shape[2], x.shape[3], x.shape[4]
    for n in range(n_):
        for o1 in range(o1_):
            for k1 in range(k1_):
                i1 = o1 * stride[0] - lo[0] + k1 * dilation[0]
                for o2 in range(o2_):
                    for k2 in range(k2_):
                        i2 = o2 * stride[1] - lo[1] + k2 * dilation[1]
                        for k3 in range(k3_):
                            first, last = _inside(o3_, s3_, stride[2], lo[2], k3 * dilation[2])
                            if not (0 <= i1 < s1_ and 0 <= i2 < s2_):
                                first = last = 0
                            start = k3 * dilation[2] - lo[2]
                            for o3 in range(first):
                                out[n, o1, o2, o3, k1, k2, k3, 0] = value
                            for o3 in range(first, last):
                                out[n, o1, o2, o3, k1, k2, k3, 0] = x[n, 0, i1, i2,
                                                                      o3 * stride[2] + start]
                            for o3 in range(last, o3_):
                                out[n, o1, o2, o3, k1, k2, k3, 0] = value


@njit(cache=True)
def _patches_channels(xt, out, stride, dilation, lo, value):
    n_, o1_, o2_, o3_, k1_, k2_, k3_, c_ = out.shape
    s1_, s2_, s3_ = xt.shape[1], xt.shape[2], xt.shape[3]
    for n in range(n_):
        for o1 in range(o1_):
            for o2 in range(o2_):
                for o3 in range(o3_):
                    for k1 in range(k1_):
                        i1 = o1 * stride[0] - lo[0] + k1 * dilation[0]
                        for k2 in range(k2_):
                            i2 = o2 * stride[1] - lo[1] + k2 * dilation[1]
                            inside = 0 <= i1 < s1_ and 0 <= i2 < s2_
                            for k3 in range(k3_):
                                i3 = o3 * stride[2] - lo[2] + k3 * dilation[2]
                                if inside and 0 <= i3 < s3_:
                                    for c in range(c_):
                                        out[n, o1, o2, o3, k1, k2, k3, c] = xt[n, i1, i2, i3, c]
                                else:
                                    for c in range(c_):
                                        out[n, o1, o2, o3, k1, k2, k3, c] = value


@njit(cache=True)
def patches_transpose3(g, out, stride, dilation, lo):
    """out (zero-filled) += every window of g at its place; padded positions are dropped."""
    if g.shape[7] == 1:
        _patches_transpose_rows(g, out, stride, dilation, lo)
    else:
        n_, c_, s1_, s2_, s3_ = out.shape
        acc = np.zeros((n_, s1_, s2_, s3_, c_), out.dtype)
        _patches_transpose_channels(g, acc, stride, dilation, lo)
        out[:] = acc.transpose((0, 4, 1, 2, 3))


@njit(cache=True)
def _patches_transpose_rows(g, out, stride, dilation, lo):
    n_, o1_, o2_, o3_, k1_, k2_, k3_ = g.shape[:7]
    s1_, s2_, s3_ = out.shape[2], out.shape[3], out.shape[4]
    for n in range(n_):
        for o1 in range(o1_):
            for k1 in range(k1_):
                i1 = o1 * stride[0] - lo[0] + k1 * dilation[0]
                if i1 < 0 or i1 >= s1_:
                    continue
                for o2 in range(o2_):
                    for k2 in range(k2_):
                        i2 = o2 * stride[1] - lo[1] + k2 * dilation[1]
                        if i2 < 0 or i2 >= s2_:
                            continue
                        for k3 in range(k3_):
                            first, last = _inside(o3_, s3_, stride[2], lo[2], k3 * dilation[2])
                            start = k3 * dilation[2] - lo[2]
                            for o3 in range(first, last):
                                out[n, 0, i1, i2, o3 * stride[2] + start] += \
                                    g[n, o1, o2, o3, k1, k2, k3, 0]


@njit(cache=True)
def _patches_transpose_channels(g, acc, stride, dilation, lo):
    n_, o1_, o2_, o3_, k1_, k2_, k3_, c_ = g.shape
    s1_, s2_, s3_ = acc.shape[1], acc.shape[2], acc.shape[3]
    for n in range(n_):
        for o1 in range(o1_):
            for o2 in range(o2_):
                for o3 in range(o3_):
                    for k1 in range(k1_):
                        i1 = o1 * stride[0] - lo[0] + k1 * dilation[0]
                        if i1 < 0 or i1 >= s1_:
                            continue
                        for k2 in range(k2_):
                            i2 = o2 * stride[1] - lo[1] + k2 * dilation[1]
                            if i2 < 0 or i2 >= s2_:
                                continue
                            for k3 in range(k3_):
                                i3 = o3 * stride[2] - lo[2] + k3 * dilation[2]
                                if 0 <= i3 < s3_:
                                    for c in range(c_):
                                        acc[n, i1, i2, i3, c] += g[n, o1, o2, o3, k1, k2, k3, c]


@njit(cache=True)
def window_argmax3(x, out):
    """out[i, 0, k]: torch's max-pooling choice along x[i, :, k], the last NaN if there is
    one, else the first maximum."""
    pre, n, post = x.shape
    for i in range(pre):
        for k in range(post):
            best = x[i, 0, k]
            at = 0
            for j in range(1, n):
                v = x[i, j, k]
                if v > best or v != v:  # v != v: NaN, for any dtype
                    best = v
                    at = j
            out[i, 0, k] = at
