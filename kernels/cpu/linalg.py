"""Batched BLAS/LAPACK glue: loops over a leading batch axis around numpy's dot, inv, solve
(which Numba routes to BLAS/LAPACK through SciPy)."""
import numpy as np
from numba import njit


@njit(cache=True)
def matmul3(a, b, out):
    for t in range(out.shape[0]):
        out[t] = np.dot(a[t], b[t])


@njit(cache=True)
def inv3(a, out):
    for t in range(out.shape[0]):
        out[t] = np.linalg.inv(a[t])


@njit(cache=True)
def solve3(a, b, out):
    for t in range(out.shape[0]):
        out[t] = np.linalg.solve(a[t], b[t])
