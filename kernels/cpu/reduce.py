"""Combining per-thread private accumulators (leading axis = thread) after a parallel loop, and
adding up a strip-mined loop's buffer of values."""
from numba import njit

from .scalar import maximum, minimum

__all__ = ["combine", "strip_sum"]


@njit(cache=True)
def combine(private, kind):
    """kind: 0 sum, 1 prod, 2 max, 3 min."""
    out = private[0].copy()
    flat_out = out.reshape(-1)
    for t in range(1, private.shape[0]):
        flat = private[t].reshape(-1)
        for k in range(flat.size):
            if kind == 0:
                flat_out[k] += flat[k]
            elif kind == 1:
                flat_out[k] *= flat[k]
            elif kind == 2:
                flat_out[k] = maximum(flat_out[k], flat[k])
            else:
                flat_out[k] = minimum(flat_out[k], flat[k])
    return out


@njit(cache=True)
def strip_sum(buf, n):
    """buf[0] + ... + buf[n-1] (0 when n is 0), the n values added in eight interleaved partial sums
    combined pairwise, the remainder after them in order (numpy's pairwise sum does the same
    within a block): one add after another would wait on the last one's latency, 4 cycles
    a value, which made a strip-mined sum of exp values slower than computing them."""
    m = n - n % 8
    if m == 0:
        total = 0  # typed as the buffer's dtype by unification with the sums below
        for j in range(n):
            total += buf[j]
        return total
    p0, p1, p2, p3 = buf[0], buf[1], buf[2], buf[3]
    p4, p5, p6, p7 = buf[4], buf[5], buf[6], buf[7]
    for j in range(8, m, 8):
        p0 += buf[j]
        p1 += buf[j + 1]
        p2 += buf[j + 2]
        p3 += buf[j + 3]
        p4 += buf[j + 4]
        p5 += buf[j + 5]
        p6 += buf[j + 6]
        p7 += buf[j + 7]
    total = ((p0 + p1) + (p2 + p3)) + ((p4 + p5) + (p6 + p7))
    for j in range(m, n):
        total += buf[j]
    return total


KINDS = {"sum": 0, "prod": 1, "max": 2, "min": 3}
