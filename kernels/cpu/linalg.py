"""BLAS/LAPACK glue: numpy's dot, inv and solve (which Numba routes to BLAS/LAPACK through
SciPy) compiled once into Numba's cache, for one matrix and looped over a leading batch axis.
Generated modules call these instead of inlining np.dot: Numba then loads the cached machine
code instead of compiling its dot/inv/solve implementations into every new module (about
0.9 s of a cold MLP gradient compile)."""
import numpy as np
from numba import njit

__all__ = ["matmul2", "inv2", "solve2", "matmul3", "inv3", "solve3", "matmul_int2",
           "matmul_int3"]


@njit(cache=True)
def matmul2(a, b):
    return np.dot(a, b)


# Numba's inv and solve return Fortran-ordered arrays; generated code treats every kernel
# result as C-contiguous (its reshape needs that), so they are returned in C order.
@njit(cache=True)
def inv2(a):
    return np.ascontiguousarray(np.linalg.inv(a))


@njit(cache=True)
def solve2(a, b):
    return np.ascontiguousarray(np.linalg.solve(a, b))


@njit(cache=True)
def matmul3(a, b, out):
    for t in range(out.shape[0]):
        out[t] = matmul2(a[t], b[t])


@njit(cache=True)
def inv3(a, out):
    for t in range(out.shape[0]):
        out[t] = inv2(a[t])


@njit(cache=True)
def solve3(a, b, out):
    for t in range(out.shape[0]):
        out[t] = solve2(a[t], b[t])


@njit(cache=True)
def matmul_int2(a, b):
    """Integer matrix product (BLAS has none; numpy loops too): exact, wrapping on overflow."""
    out = np.zeros((a.shape[0], b.shape[1]), a.dtype)
    for i in range(a.shape[0]):
        for k in range(a.shape[1]):
            aik = a[i, k]
            for j in range(b.shape[1]):
                out[i, j] += aik * b[k, j]
    return out


@njit(cache=True)
def matmul_int3(a, b, out):
    for t in range(out.shape[0]):
        out[t] = matmul_int2(a[t], b[t])
