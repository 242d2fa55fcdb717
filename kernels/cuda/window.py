"""Sliding windows on (N, C, S1, S2, S3) device arrays (fewer spatial axes are viewed with
leading axes of size 1): im2col into channels-last windows (N, O1, O2, O3, K1, K2, K3, C) with
one thread per window element; its transpose (col2im) with one thread per input element
summing the window elements that read it (a gather: no atomics, a fixed order); and the
max-pooling arg-max with one thread per line of (pre, n, post) arrays."""
import math

from numba import cuda

from .launch import THREADS, blocks

__all__ = ["patches3", "patches_transpose3", "window_argmax3"]


@cuda.jit(cache=True)
def _patches3(x, out, stride, dilation, lo, value):
    o1_, o2_, o3_, k1_, k2_, k3_, c_ = out.shape[1:]
    for j in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        r = j
        c = r % c_
        r //= c_
        k3 = r % k3_
        r //= k3_
        k2 = r % k2_
        r //= k2_
        k1 = r % k1_
        r //= k1_
        o3 = r % o3_
        r //= o3_
        o2 = r % o2_
        r //= o2_
        o1 = r % o1_
        n = r // o1_
        i1 = o1 * stride[0] - lo[0] + k1 * dilation[0]
        i2 = o2 * stride[1] - lo[1] + k2 * dilation[1]
        i3 = o3 * stride[2] - lo[2] + k3 * dilation[2]
        if 0 <= i1 < x.shape[2] and 0 <= i2 < x.shape[3] and 0 <= i3 < x.shape[4]:
            out[n, o1, o2, o3, k1, k2, k3, c] = x[n, c, i1, i2, i3]
        else:
            out[n, o1, o2, o3, k1, k2, k3, c] = value


@cuda.jit(device=True)
def _window(i, lo, k, d, s, o_):
    """The window index reading position i at kernel offset k, or -1."""
    p = i + lo - k * d
    if p < 0 or p % s != 0 or p // s >= o_:
        return -1
    return p // s


@cuda.jit(cache=True)
def _patches_transpose3(g, out, stride, dilation, lo):
    o1_, o2_, o3_, k1_, k2_, k3_ = g.shape[1:7]
    c_, s1_, s2_, s3_ = out.shape[1], out.shape[2], out.shape[3], out.shape[4]
    for j in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        r = j
        i3 = r % s3_
        r //= s3_
        i2 = r % s2_
        r //= s2_
        i1 = r % s1_
        r //= s1_
        c = r % c_
        n = r // c_
        out[n, c, i1, i2, i3] = 0
        for k1 in range(k1_):
            o1 = _window(i1, lo[0], k1, dilation[0], stride[0], o1_)
            if o1 < 0:
                continue
            for k2 in range(k2_):
                o2 = _window(i2, lo[1], k2, dilation[1], stride[1], o2_)
                if o2 < 0:
                    continue
                for k3 in range(k3_):
                    o3 = _window(i3, lo[2], k3, dilation[2], stride[2], o3_)
                    if o3 >= 0:
                        out[n, c, i1, i2, i3] += g[n, o1, o2, o3, k1, k2, k3, c]


@cuda.jit(cache=True)
def _window_argmax3(x, out):
    pre, n, post = x.shape
    for j in range(cuda.grid(1), pre * post, cuda.gridsize(1)):
        i, k = j // post, j % post
        best = x[i, 0, k]
        at = 0
        for t in range(1, n):
            v = x[i, t, k]
            if v > best or math.isnan(v):
                best = v
                at = t
        out[i, 0, k] = at


def patches3(x, out, stride, dilation, lo, value):
    if out.size:
        _patches3[blocks(out.size), THREADS](x, out, stride, dilation, lo, value)


def patches_transpose3(g, out, stride, dilation, lo):
    if out.size:
        _patches_transpose3[blocks(out.size), THREADS](g, out, stride, dilation, lo)


def window_argmax3(x, out):
    pre, _, post = x.shape
    if pre * post:
        _window_argmax3[blocks(pre * post), THREADS](x, out)
