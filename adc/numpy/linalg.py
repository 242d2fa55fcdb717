"""`adc.numpy.linalg`: inv, solve, det/slogdet, cholesky, qr, lstsq/pinv (of full rank), and
vector and matrix norms on traced arrays.

Stage: trace. Invariants: a 1-D right-hand side of solve is treated as a vector (numpy 2
semantics) by reshaping around the rank >= 2 `solve` primitive. det and slogdet are an LU
elimination unrolled over the matrix size, with the row order (partial pivoting) chosen from
the values before tracing (`pivot_order`): on traced arrays, whose values are not known then,
they raise UnsupportedError. cholesky is Cholesky–Banachiewicz elimination unrolled over the
matrix size; it reads the lower triangle and its gradient is the symmetric one (torch's). qr
is Householder's, unrolled, with LAPACK's choices (R's diagonal is -sign(a_jj) times the
column's norm; a column already zero below the diagonal is not reflected), so Q and R are
LAPACK's (and torch's) up to rounding. lstsq and pinv solve through that QR, which is their
solution only for matrices of full rank (the tensor ops check the rank first).
"""
from __future__ import annotations

import numpy as np

from .. import numpy as anp
from ..errors import UnsupportedError, with_location
from ..prims.lazy import LazyModule
from ..prims.linalg import inv_p, solve_p
from ..tracer import Tracer, bind

scipy_linalg = LazyModule("scipy.linalg")


def inv(a):
    (a,) = anp._promote(a, to_float=True)
    return bind(inv_p, a)


def solve(a, b):
    a, b = anp._promote(a, b, to_float=True)
    if anp.ndim(b) == 1:
        return anp.reshape(bind(solve_p, a, anp.reshape(b, (-1, 1))), (-1,))
    return bind(solve_p, a, b)


def norm(x, ord=None, axis=None, keepdims=False):
    """The 2-norm (Frobenius for matrices); gradient 0 at the origin, as in torch."""
    if ord not in (None, 2, "fro") or (ord == 2 and (axis is None and anp.ndim(x) > 1 or
                                                     isinstance(axis, tuple))):
        raise UnsupportedError(with_location(f"linalg.norm: ord={ord!r}; only the 2-norm "
                                             "(Frobenius for matrices) is supported"))
    (x,) = anp._promote(x, to_float=True)
    s = anp.sum(x * x, axis=axis, keepdims=keepdims)
    is_zero = anp.equal(s, 0)
    safe = anp.where(is_zero, np.ones((), s.dtype), s)
    return anp.where(is_zero, np.zeros((), s.dtype), anp.sqrt(safe))


def vector_norm(x, ord=2, axis=None, keepdims=False):
    """sum(|x|^ord)^(1/ord) over `axis` (None: all), with ord = inf, -inf, 0 as usual;
    gradient 0 where the norm is 0, as in torch."""
    (x,) = anp._promote(x, to_float=True)
    a = anp.abs(x)
    if ord == np.inf:
        return anp.max(a, axis=axis, keepdims=keepdims)
    if ord == -np.inf:
        return anp.min(a, axis=axis, keepdims=keepdims)
    if ord == 0:
        return anp.sum(anp.astype(anp.not_equal(x, 0), x.dtype), axis=axis, keepdims=keepdims)
    if ord == 1:
        return anp.sum(a, axis=axis, keepdims=keepdims)
    if ord == 2:
        return norm(x, None, axis, keepdims)
    s = anp.sum(anp.power(a, ord), axis=axis, keepdims=keepdims)
    is_zero = anp.equal(s, 0)
    safe = anp.where(is_zero, np.ones((), s.dtype), s)
    return anp.where(is_zero, np.zeros((), s.dtype), anp.power(safe, 1.0 / ord))


def matrix_norm(x, ord="fro", axis=(-2, -1), keepdims=False):
    """The Frobenius norm and the induced 1- and inf-norms (ord = +-1, +-inf) of the matrices
    spanned by the two axes; the spectral and nuclear norms need singular values."""
    (x,) = anp._promote(x, to_float=True)
    rows, cols = (anp._normalize_axis(a, anp.ndim(x), "matrix_norm") for a in axis)
    if ord == "fro":
        return norm(x, None, (rows, cols), keepdims)
    if ord not in (1, -1, np.inf, -np.inf):
        raise UnsupportedError(with_location(
            f"linalg.matrix_norm: ord={ord!r} needs singular values, which adc does not "
            "compute; use ord='fro', 1, -1, inf or -inf"))
    summed, kept = (rows, cols) if ord in (1, -1) else (cols, rows)
    pick = anp.max if ord > 0 else anp.min
    out = pick(anp.sum(anp.abs(x), axis=summed, keepdims=True), axis=kept, keepdims=True)
    return out if keepdims else anp.squeeze(out, (rows, cols))


def pivot_order(a: np.ndarray):
    """The row order of LU with partial pivoting of each matrix of `a` (..., n, n) and its
    permutation's sign: a[order] = L @ U."""
    a = np.asarray(a)
    n = a.shape[-1]
    if a.size == 0:
        return (np.broadcast_to(np.arange(n), a.shape[:-1]).copy(),
                np.ones(a.shape[:-2], a.dtype))
    p = scipy_linalg.lu(a, p_indices=True)[0].reshape(a.shape[:-1])
    sign = np.round(np.linalg.det(np.eye(n, dtype=np.float64)[p])).astype(a.dtype)
    return np.argsort(p, axis=-1), sign


def lu_pivots(a, order):
    """The diagonal of U in a[order] = L @ U (an elimination without further pivoting, unrolled
    over n; a zero pivot, which partial pivoting gives only with a zero column, divides by 1)."""
    n = anp.shape(a)[-1]
    if n == 0:
        return np.ones(anp.shape(a)[:-1], a.dtype)
    rows = anp.broadcast_to(anp.expand_dims(order, -1), tuple(anp.shape(order)) + (n,))
    u = anp.take_along_axis(a, rows, -2)
    pivots = []
    for k in range(n):
        pivot = u[..., 0, 0]
        pivots.append(pivot)
        if k == n - 1:
            break
        safe = anp.where(anp.equal(pivot, 0), np.ones((), pivot.dtype), pivot)
        factors = u[..., 1:, 0] / anp.expand_dims(safe, -1)
        u = u[..., 1:, 1:] - anp.expand_dims(factors, -1) * u[..., 0:1, 1:]
    return anp.stack(pivots, axis=-1)


def _pivoted(a, what):
    if isinstance(a, Tracer):
        raise UnsupportedError(with_location(
            f"linalg.{what} on a traced array: its pivoting depends on the matrix's values, "
            "which are not known while tracing; call it on adc Tensors or numpy arrays"))
    (a,) = anp._promote(a, to_float=True)
    order, sign = pivot_order(a)
    return a, order, sign


def det_from_pivots(a, order, sign):
    return sign * anp.prod(lu_pivots(a, order), axis=-1)


def slogdet_from_pivots(a, order, sign):
    pivots = lu_pivots(a, order)
    return (sign * anp.prod(anp.sign(pivots), axis=-1),
            anp.sum(anp.log(anp.abs(pivots)), axis=-1))


def det(a):
    return det_from_pivots(*_pivoted(a, "det"))


def slogdet(a):
    return slogdet_from_pivots(*_pivoted(a, "slogdet"))


def _symmetric_from_lower(a):
    """The symmetric matrix of `a`'s lower triangle, whose derivative is that of (a + a^T)/2:
    a matrix function defined on symmetric matrices gets the symmetric gradient."""
    lower = anp.tril(a)
    value = lower + anp.swapaxes(anp.tril(a, -1), -1, -2)
    mean = (a + anp.swapaxes(a, -1, -2)) * 0.5
    return anp.stop_gradient(value) + (mean - anp.stop_gradient(mean))


def cholesky(a, upper=False):
    """L with L @ L^T = a (the lower triangle of a; upper=True: L^T), for positive-definite
    matrices (others give NaN; the tensor op checks first)."""
    (a,) = anp._promote(a, to_float=True)
    a = _symmetric_from_lower(a)
    n = anp.shape(a)[-1]
    index = np.arange(n)
    cols = []
    for j in range(n):
        v = a[..., :, j]
        if cols:
            done = anp.stack(cols, axis=-1)  # (..., n, j): the columns found so far
            v = v - anp.squeeze(anp.matmul(done, anp.expand_dims(done[..., j, :], -1)), -1)
        root = anp.sqrt(v[..., j:j + 1])
        below = anp.where(index > j, v / root, np.zeros((), v.dtype))
        cols.append(anp.where(index == j, root, below))
    low = anp.stack(cols, axis=-1) if cols else a
    return anp.swapaxes(low, -1, -2) if upper else low


def qr(a, mode="reduced"):
    """(Q, R) with a = Q @ R, Q's columns orthonormal and R upper triangular; mode "reduced"
    (Q: m x k, R: k x n for k = min(m, n)), "complete" (Q: m x m) or "r" (Q empty)."""
    if mode not in ("reduced", "complete", "r"):
        raise UnsupportedError(with_location(f"qr: mode={mode!r}; expected 'reduced', "
                                             "'complete' or 'r'"))
    (a,) = anp._promote(a, to_float=True)
    batch, (m, n) = tuple(anp.shape(a)[:-2]), tuple(anp.shape(a)[-2:])
    r = a
    q = anp.broadcast_to(np.eye(m, dtype=a.dtype), batch + (m, m))
    zero, one = np.zeros((), a.dtype), np.ones((), a.dtype)
    for j in range(min(m, n) if m > 1 else 0):
        x = r[..., j:, j]
        alpha, tail = x[..., 0], x[..., 1:]
        tail_sq = anp.sum(tail * tail, axis=-1)
        reflect = anp.greater(tail_sq, 0)
        norm = anp.sqrt(alpha * alpha + anp.where(reflect, tail_sq, one))
        beta = anp.where(anp.greater_equal(alpha, 0), -norm, norm)
        v = anp.concatenate([anp.expand_dims(alpha - beta, -1), tail], axis=-1)
        scale = anp.where(reflect, 2.0 / anp.sum(v * v, axis=-1), zero)  # 0: no reflection
        block = r[..., j:, :]
        block = block - anp.expand_dims(v, -1) * anp.expand_dims(
            scale[..., None] * anp.squeeze(anp.matmul(anp.expand_dims(v, -2), block), -2), -2)
        r = anp.concatenate([r[..., :j, :], block], axis=-2) if j else block
        cols = q[..., :, j:]
        cols = cols - anp.expand_dims(anp.squeeze(anp.matmul(cols, anp.expand_dims(v, -1)), -1)
                                      * scale[..., None], -1) * anp.expand_dims(v, -2)
        q = anp.concatenate([q[..., :, :j], cols], axis=-1) if j else cols
    k = m if mode == "complete" else min(m, n)
    R = anp.triu(r[..., :k, :])
    if mode == "r":
        return np.zeros((0,), a.dtype), R
    return q[..., :, :k], R


def lstsq(a, b):
    """The least-squares solution of a @ x = b for `a` of full rank (the minimum-norm one for
    a wide `a`); `b` is a (batch of) vector(s) when it has one dimension fewer than `a`."""
    a, b = anp._promote(a, b, to_float=True)
    vector = anp.ndim(b) == anp.ndim(a) - 1
    if vector:
        b = anp.expand_dims(b, -1)
    m, n = anp.shape(a)[-2:]
    if m >= n:
        q, r = qr(a)
        x = solve(r, anp.matmul(anp.swapaxes(q, -1, -2), b))
    else:
        q, r = qr(anp.swapaxes(a, -1, -2))
        x = anp.matmul(q, solve(anp.swapaxes(r, -1, -2), b))
    return anp.squeeze(x, -1) if vector else x


def pinv(a):
    """The pseudo-inverse of `a` of full rank: the least-squares solution of a @ x = I."""
    (a,) = anp._promote(a, to_float=True)
    m = anp.shape(a)[-2]
    return lstsq(a, anp.broadcast_to(np.eye(m, dtype=a.dtype), tuple(anp.shape(a)[:-2]) + (m, m)))
