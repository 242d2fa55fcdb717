"""Launch configuration and host-side helpers shared by generated launchers and the kernels.

Under the CUDA simulator (NUMBA_ENABLE_CUDASIM=1) every thread is a Python thread, so blocks
and tiles are small there; on a GPU they are sized for occupancy. Invariant: a block has
THREADS threads, a power of two (block reductions halve it), and grids are capped at
MAX_BLOCKS (kernels loop grid-stride, so any size is covered).
"""
import numpy as np
from numba import config, cuda

__all__ = ["copy", "full"]

SIMULATOR = bool(config.ENABLE_CUDASIM)
THREADS = 32 if SIMULATOR else 256
MAX_BLOCKS = 4 if SIMULATOR else 8192
TILE = 4 if SIMULATOR else 16  # matmul tiles are TILE x TILE threads


def blocks(n: int) -> int:
    return max(1, min(MAX_BLOCKS, (n + THREADS - 1) // THREADS))


@cuda.jit(cache=True)
def _fill(out, value):
    for j in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        out[j] = value


def full(shape, value, dtype):
    """A new device array filled on the device (nothing is copied from the host)."""
    out = cuda.device_array(shape, dtype)
    flat = out.reshape(out.size)
    _fill[blocks(out.size), THREADS](flat, flat.dtype.type(value))
    return out


def is_device_array(x) -> bool:
    return cuda.is_cuda_array(x) if not SIMULATOR else hasattr(x, "copy_to_host")


def to_device(x, shape):
    """x (numpy, a numba device array, or anything exposing __cuda_array_interface__) as a
    C-contiguous device array of `shape`'s storage; device inputs are used without a copy."""
    if is_device_array(x):
        x = x if hasattr(x, "copy_to_host") else cuda.as_cuda_array(x)
        if not x.is_c_contiguous():
            raise ValueError("adc: device arrays must be C-contiguous (e.g. tensor.contiguous())")
        return x.reshape(shape)
    return cuda.to_device(np.ascontiguousarray(x).reshape(shape))


def copy(x):
    """A device copy of the contiguous device array x (outputs never alias inputs)."""
    out = cuda.device_array(x.shape, x.dtype)
    if x.size:
        out.copy_to_device(x)
    return out
