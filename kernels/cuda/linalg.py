"""Batched matrix kernels on (batch, rows, cols) device arrays: a tiled shared-memory matmul
(float32 and float64: tiles take the operands' dtype) and per-matrix Gauss-Jordan inverse /
solve with partial pivoting, one thread per matrix (the matrices adc meets here are small).
A singular matrix sets err[SINGULAR] = 1; the host raises numpy's LinAlgError."""
import math

from numba import cuda

from .launch import THREADS, TILE, blocks

__all__ = ["matmul3", "inv3", "solve3"]

SINGULAR = 1  # position of the flag in the launcher's error array


@cuda.jit(cache=True)
def _matmul3(a, b, out):
    """out[t] = a[t or 0] @ b[t or 0]: a batch of 1 broadcasts. One TILE x TILE block per
    output tile; each step stages a tile of a and of b in shared memory."""
    sa = cuda.shared.array((TILE, TILE), a.dtype)
    sb = cuda.shared.array((TILE, TILE), b.dtype)
    tx, ty = cuda.threadIdx.x, cuda.threadIdx.y
    col = cuda.blockIdx.x * TILE + tx
    row = cuda.blockIdx.y * TILE + ty
    t = cuda.blockIdx.z
    ta = t if a.shape[0] > 1 else 0
    tb = t if b.shape[0] > 1 else 0
    m, k, n = a.shape[1], a.shape[2], b.shape[2]
    acc = out.dtype.type(0)
    for step in range((k + TILE - 1) // TILE):
        kk = step * TILE
        sa[ty, tx] = a[ta, row, kk + tx] if row < m and kk + tx < k else 0
        sb[ty, tx] = b[tb, kk + ty, col] if kk + ty < k and col < n else 0
        cuda.syncthreads()
        for q in range(TILE):
            acc += sa[ty, q] * sb[q, tx]
        cuda.syncthreads()
    if row < m and col < n:
        out[t, row, col] = acc


def matmul3(a, b, out):
    batch, m, n = out.shape
    if out.size == 0:
        return
    grid = ((n + TILE - 1) // TILE, (m + TILE - 1) // TILE, batch)
    _matmul3[grid, (TILE, TILE)](a, b, out)


@cuda.jit(device=True)
def _gauss_jordan(a, rhs, t, err):
    """Reduce a[t] to the identity in place, applying the same row operations to rhs[t]. A
    matrix with a NaN or infinite entry leaves rhs[t] NaN, and a column of rhs[t] holding one
    is NaN throughout before the elimination, so it stays NaN (the cpu kernels' results)."""
    n = a.shape[1]
    for r in range(n):
        for q in range(n):
            if not math.isfinite(a[t, r, q]):
                for i in range(n):
                    for j in range(rhs.shape[2]):
                        rhs[t, i, j] = math.nan
                return
    for q in range(rhs.shape[2]):
        finite = True
        for r in range(n):
            finite = finite and math.isfinite(rhs[t, r, q])
        if not finite:
            for r in range(n):
                rhs[t, r, q] = math.nan
    for c in range(n):
        p = c
        for r in range(c + 1, n):
            if abs(a[t, r, c]) > abs(a[t, p, c]):
                p = r
        pivot = a[t, p, c]
        if pivot == 0 or not math.isfinite(pivot):
            err[SINGULAR] = 1
            return
        if p != c:
            for q in range(n):
                a[t, c, q], a[t, p, q] = a[t, p, q], a[t, c, q]
            for q in range(rhs.shape[2]):
                rhs[t, c, q], rhs[t, p, q] = rhs[t, p, q], rhs[t, c, q]
        for q in range(n):
            a[t, c, q] /= pivot
        for q in range(rhs.shape[2]):
            rhs[t, c, q] /= pivot
        for r in range(n):
            f = a[t, r, c]
            if r != c and f != 0:
                for q in range(n):
                    a[t, r, q] -= f * a[t, c, q]
                for q in range(rhs.shape[2]):
                    rhs[t, r, q] -= f * rhs[t, c, q]


@cuda.jit(cache=True)
def _solve3(work, rhs, err):
    for t in range(cuda.grid(1), work.shape[0], cuda.gridsize(1)):
        _gauss_jordan(work, rhs, t, err)


@cuda.jit(cache=True)
def _eye3(out):
    n = out.shape[1]
    for j in range(cuda.grid(1), out.size, cuda.gridsize(1)):
        r = j % (n * n)
        out[j // (n * n), r // n, r % n] = 1 if r // n == r % n else 0


def solve3(work, rhs, err):
    """Overwrites `work` (a copy of the matrices) and leaves the solutions in `rhs`."""
    _solve3[blocks(work.shape[0]), THREADS](work, rhs, err)


def inv3(work, out, err):
    """Overwrites `work` (a copy of the matrices) and leaves the inverses in `out`."""
    _eye3[blocks(out.size), THREADS](out)
    solve3(work, out, err)
