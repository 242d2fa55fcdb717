"""Block-level reductions: each thread holds a partial result; a shared-memory tree combines
them so that one thread per block can commit the block's result (one atomic per block)."""
from numba import cuda

from .scalar import maximum, minimum

__all__ = ["block_reduce"]


@cuda.jit(device=True, inline="always")
def combine(a, b, kind):
    """kind: 0 sum, 1 prod, 2 max, 3 min (numpy's NaN propagation for max/min)."""
    if kind == 0:
        return a + b
    if kind == 1:
        return a * b
    if kind == 2:
        return maximum(a, b)
    return minimum(a, b)


@cuda.jit(device=True)
def block_reduce(shared, value, kind):
    """Every thread of the block must call this; `shared` holds blockDim.x values (a power of
    two). Returns the block's combined value (meaningful in every thread)."""
    t = cuda.threadIdx.x
    shared[t] = value
    cuda.syncthreads()
    step = cuda.blockDim.x // 2
    while step > 0:
        if t < step:
            shared[t] = combine(shared[t], shared[t + step], kind)
        cuda.syncthreads()
        step //= 2
    result = shared[0]
    cuda.syncthreads()  # the caller may reuse `shared`
    return result


KINDS = {"sum": 0, "prod": 1, "max": 2, "min": 3}
