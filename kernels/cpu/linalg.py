"""BLAS/LAPACK glue: numpy's dot, inv, solve, det, slogdet, svd and eigh (which Numba routes
to BLAS/LAPACK through SciPy) compiled once into Numba's cache, for one matrix and looped over
a leading batch axis. The decompositions write adc's packed results (adc/prims/linalg.py:
svd [U; S; V], eigh [w; V], slogdet [sign, log|det|]) with its canonical signs.
Generated modules call these instead of inlining np.dot: Numba then loads the cached machine
code instead of compiling its dot/inv/solve implementations into every new module (about
0.9 s of a cold MLP gradient compile)."""
import numpy as np
from numba import njit

from ...prims.linalg import SVD_OF_NAN  # the numpy reference's error, word for word

__all__ = ["matmul2", "inv2", "solve2", "matmul3", "inv3", "solve3", "matmul_int2",
           "matmul_int3", "det3", "slogdet3", "svd3", "eigh3"]


@njit(cache=True)
def matmul2(a, b):
    return np.dot(a, b)


# Numba's inv and solve return Fortran-ordered arrays; generated code treats every kernel
# result as C-contiguous (its reshape needs that), so they are returned in C order. A matrix
# with a NaN or infinite entry gives NaN (torch's inv, solve and det of a NaN matrix; Numba's
# LAPACK wrappers refuse such input), as do the columns of b holding one (adc/prims/linalg.py).
@njit(cache=True)
def inv2(a):
    if not np.isfinite(a).all():
        return np.full(a.shape, np.nan, a.dtype)
    return np.ascontiguousarray(np.linalg.inv(a))


@njit(cache=True)
def solve2(a, b):
    if not np.isfinite(a).all():
        return np.full(b.shape, np.nan, b.dtype)
    if np.isfinite(b).all():
        return np.ascontiguousarray(np.linalg.solve(a, b))
    bad = np.zeros(b.shape[1], np.bool_)
    safe = b.copy()
    for i in range(b.shape[0]):
        for j in range(b.shape[1]):
            if not np.isfinite(b[i, j]):
                bad[j] = True
                safe[i, j] = 0.0
    x = np.ascontiguousarray(np.linalg.solve(a, safe))
    for j in range(b.shape[1]):
        if bad[j]:
            x[:, j] = np.nan
    return x


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


@njit(cache=True)
def det3(a, out):
    for t in range(out.shape[0]):
        if not np.isfinite(a[t]).all():
            out[t] = np.nan
        else:
            out[t] = np.linalg.det(a[t]) if a.shape[1] else 1.0


@njit(cache=True)
def slogdet3(a, out):
    for t in range(out.shape[0]):
        if not np.isfinite(a[t]).all():
            out[t, 0], out[t, 1] = 0.0, np.nan  # torch's sign and log|det| of a NaN matrix
        elif a.shape[1]:
            out[t, 0], out[t, 1] = np.linalg.slogdet(a[t])
        else:
            out[t, 0], out[t, 1] = 1.0, 0.0


@njit(cache=True)
def _canonical_signs(u, v):
    """Negate column pairs so that the first entry of largest magnitude of u's is positive."""
    for j in range(u.shape[1]):
        top = 0
        for i in range(1, u.shape[0]):
            if abs(u[i, j]) > abs(u[top, j]):
                top = i
        if u[top, j] < 0:
            u[:, j] = -u[:, j]
            v[:, j] = -v[:, j]


@njit(cache=True)
def svd3(a, out):
    """out[t] = [U; S; V] (m + 1 + n rows, k = min(m, n) columns) of a[t]; NaN for a matrix
    with an infinite entry, LinAlgError for one with a NaN (as the numpy reference)."""
    m, n = a.shape[1], a.shape[2]
    if min(m, n) == 0:
        return
    for t in range(out.shape[0]):
        if not np.isfinite(a[t]).all():
            if np.isnan(a[t]).any():
                raise np.linalg.LinAlgError(SVD_OF_NAN)
            out[t] = np.nan
            continue
        u, s, vh = np.linalg.svd(a[t], full_matrices=False)
        u, v = np.ascontiguousarray(u), np.ascontiguousarray(vh.T)
        _canonical_signs(u, v)
        out[t, :m] = u
        out[t, m] = s
        out[t, m + 1:] = v


@njit(cache=True)
def eigh3(a, out):
    """out[t] = [w; V] (n + 1 rows) of the symmetric part of a[t], w ascending; NaN for a
    matrix with a NaN or infinite entry."""
    if a.shape[1] == 0:
        return
    for t in range(out.shape[0]):
        if not np.isfinite(a[t]).all():
            out[t] = np.nan
            continue
        w, v = np.linalg.eigh((a[t] + a[t].T) * 0.5)
        v = np.ascontiguousarray(v)
        _canonical_signs(v, v[:0])  # no second matrix: an empty view
        out[t, 0] = w
        out[t, 1:] = v
