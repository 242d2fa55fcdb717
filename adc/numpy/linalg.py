"""`adc.numpy.linalg`: inv, solve, det/slogdet, svd/svdvals, eigh/eigvalsh, cholesky, qr,
lstsq/pinv (of full rank), matrix_power, matrix_rank, vector and matrix norms (numpy's norm),
cond, multi_dot, numpy 2's matrix_transpose/diagonal/trace/outer/vecdot, and tensordot
(exported as adc.numpy.tensordot), on traced arrays.

Stage: trace. Invariants: a 1-D right-hand side of solve is treated as a vector (numpy 2
semantics) by reshaping around the rank >= 2 `solve` primitive. det, slogdet, svd and eigh
are LAPACK's, one primitive each (adc.prims.linalg; results of several parts are unpacked
here, with numpy's named tuples). cholesky is Cholesky–Banachiewicz elimination unrolled over the
matrix size; it reads the lower triangle and its gradient is the symmetric one (torch's). qr
is Householder's, unrolled, with LAPACK's choices (R's diagonal is -sign(a_jj) times the
column's norm; a column already zero below the diagonal is not reflected), so Q and R are
LAPACK's (and torch's) up to rounding. lstsq and pinv solve through that QR, which is their
solution only for matrices of full rank (the tensor ops check the rank first, and a
rank-deficient matrix gives NaN rather than QR's wrong solution); lstsq returns
numpy's (x, residuals, rank, s), so numpy code's `lstsq(a, b)[0]` is the solution.
"""
from __future__ import annotations

import collections

import numpy as np

from .. import numpy as anp
from ..errors import ShapeError, UnsupportedError, with_location
from ..prims.linalg import (det_p, eigh_p, eigh_parts, inv_p, slogdet_p, slogdet_parts,
                            solve_p, svd_p, svd_parts)
from ..tracer import bind

SlogdetResult = collections.namedtuple("SlogdetResult", ["sign", "logabsdet"])
SVDResult = collections.namedtuple("SVDResult", ["U", "S", "Vh"])
EighResult = collections.namedtuple("EighResult", ["eigenvalues", "eigenvectors"])
QRResult = collections.namedtuple("QRResult", ["Q", "R"])


def inv(a):
    (a,) = anp._promote(a, to_float=True)
    return bind(inv_p, a)


def solve(a, b):
    a, b = anp._promote(a, b, to_float=True)
    if anp.ndim(b) == 1:
        return anp.reshape(bind(solve_p, a, anp.reshape(b, (-1, 1))), (-1,))
    return bind(solve_p, a, b)


def _two_norm(x, axis, keepdims):
    """sqrt(sum(x^2)) over `axis`; gradient 0 at the origin, as in torch."""
    s = anp.sum(x * x, axis=axis, keepdims=keepdims)
    is_zero = anp.equal(s, 0)
    safe = anp.where(is_zero, np.ones((), s.dtype), s)
    return anp.where(is_zero, np.zeros((), s.dtype), anp.sqrt(safe))


def norm(x, ord=None, axis=None, keepdims=False):
    """numpy's: with axis None, the 2-norm of all elements (ord None), else the vector norm of
    a 1-D or the matrix norm of a 2-D `x`; an int axis: vector norms (ord: any number, inf,
    -inf, 0); a pair of axes: matrix norms (ord: 'fro', 'nuc', 1, -1, 2, -2, inf, -inf)."""
    (x,) = anp._promote(x, to_float=True)
    nd = anp.ndim(x)
    if axis is None:
        if ord is None:
            return _two_norm(x, None, keepdims)
        if nd not in (1, 2):
            raise ValueError(f"linalg.norm: ord={ord!r} without axis needs a 1-D or 2-D array, "
                             f"got {nd}-D")
        axis = tuple(range(nd))
    axes = (axis,) if isinstance(axis, (int, np.integer)) else tuple(axis)
    if len(axes) == 1:
        if isinstance(ord, str):
            raise ValueError(f"Invalid norm order '{ord}' for vectors")
        return vector_norm(x, 2 if ord is None else ord, axes[0], keepdims)
    if len(axes) == 2:
        return matrix_norm(x, "fro" if ord is None else ord, axes, keepdims)
    raise ValueError("Improper number of dimensions to norm.")


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
        return _two_norm(x, axis, keepdims)
    s = anp.sum(anp.power(a, ord), axis=axis, keepdims=keepdims)
    is_zero = anp.equal(s, 0)
    safe = anp.where(is_zero, np.ones((), s.dtype), s)
    return anp.where(is_zero, np.zeros((), s.dtype), anp.power(safe, 1.0 / ord))


def matrix_norm(x, ord="fro", axis=(-2, -1), keepdims=False):
    """The Frobenius norm, the induced 1- and inf-norms (ord = +-1, +-inf), and from the
    singular values the spectral norm (2: the largest, -2: the smallest) and the nuclear norm
    ('nuc': their sum) of the matrices spanned by the two axes."""
    (x,) = anp._promote(x, to_float=True)
    rows, cols = (anp._normalize_axis(a, anp.ndim(x), "matrix_norm") for a in axis)
    if rows == cols:
        raise ValueError("Duplicate axes given.")
    if ord == "fro":
        return _two_norm(x, (rows, cols), keepdims)
    if ord in (2, -2, "nuc"):
        s = svdvals(anp.moveaxis(x, (rows, cols), (-2, -1)))
        out = (anp.sum(s, axis=-1) if ord == "nuc" else
               anp.max(s, axis=-1) if ord == 2 else anp.min(s, axis=-1))
        return anp.expand_dims(out, (rows, cols)) if keepdims else out
    if ord not in (1, -1, np.inf, -np.inf):
        raise ValueError(f"Invalid norm order {ord!r} for matrices.")
    summed, kept = (rows, cols) if ord in (1, -1) else (cols, rows)
    pick = anp.max if ord > 0 else anp.min
    out = pick(anp.sum(anp.abs(x), axis=summed, keepdims=True), axis=kept, keepdims=True)
    return out if keepdims else anp.squeeze(out, (rows, cols))


def matrix_power(a, n):
    """a @ a @ ... (n times; n = 0: the identity; n < 0: of inv(a)), by repeated squaring;
    integer matrices stay integer for n >= 0, as numpy's."""
    if not isinstance(n, (int, np.integer)) or isinstance(n, bool):
        raise TypeError("exponent must be an integer")
    (a,) = anp._promote(a)
    shape = anp.shape(a)
    if len(shape) < 2 or shape[-1] != shape[-2]:
        raise ShapeError(with_location(
            f"matrix_power: expected square matrices (..., n, n), got {tuple(shape)}"))
    if n == 0:
        return anp.broadcast_to(np.eye(shape[-1], dtype=a.dtype), shape)
    if n < 0:
        a, n = inv(a), -n
    result, square = None, a
    while n:
        if n & 1:
            result = square if result is None else anp.matmul(result, square)
        n >>= 1
        if n:
            square = anp.matmul(square, square)
    return result


def rank(A, atol=0.0, rtol=None):
    """The number of singular values above max(atol, rtol * the largest) of each matrix, as
    int64 (no gradient); rtol None: max(m, n) * eps."""
    return _rank_from(svdvals(A), anp.shape(A)[-2:], A.dtype, atol, rtol)


def _rank_from(s, matrix_shape, dtype, atol, rtol):
    """rank's count, from the singular values `s` of matrices shaped `matrix_shape`."""
    m, n = matrix_shape
    if not min(m, n):
        return anp.sum(anp.astype(anp.greater(s, 0), np.int64), axis=-1)
    rtol = max(m, n) * np.finfo(dtype).eps if rtol is None else rtol
    tol = anp.maximum(np.asarray(atol, dtype)[..., None],
                      anp.max(s, axis=-1, keepdims=True) * np.asarray(rtol, dtype))
    return anp.sum(anp.astype(anp.greater(s, tol), np.int64), axis=-1)


def matrix_rank(A, tol=None, hermitian=False, *, rtol=None):
    """numpy's: singular values above tol (absolute) or rtol (relative to the largest;
    default max(m, n) * eps) counted, as int64; a 1-D or 0-D A: 1 unless all zeros."""
    if tol is not None and rtol is not None:
        raise ValueError("`tol` and `rtol` can't be both set.")
    (A,) = anp._promote(A, to_float=True)
    if anp.ndim(A) < 2:
        return anp.astype(anp.greater(anp.sum(anp.astype(anp.not_equal(A, 0), np.int64)), 0),
                          np.int64)
    return rank(A, 0.0, rtol) if tol is None else rank(A, tol, 0.0)


def tensordot(a, b, axes=2):
    """numpy's: the sum over a's axes `axes[0]` and b's `axes[1]` (an int N: a's last N and
    b's first N), as one matrix product; the result has a's free axes then b's."""
    a, b = anp._promote(a, b)
    sa, sb = tuple(anp.shape(a)), tuple(anp.shape(b))
    if isinstance(axes, (int, np.integer)):
        axes = (list(range(len(sa) - axes, len(sa))), list(range(axes)))
    xa, xb = ([int(i) for i in np.atleast_1d(ax)] for ax in axes)
    xa = [anp._normalize_axis(i, len(sa), "tensordot") for i in xa]
    xb = [anp._normalize_axis(i, len(sb), "tensordot") for i in xb]
    if len(xa) != len(xb) or any(sa[i] != sb[j] for i, j in zip(xa, xb)):
        raise ShapeError(with_location(
            f"tensordot: shape-mismatch for sum: axes {xa} of {sa} and {xb} of {sb}"))
    free_a = [i for i in range(len(sa)) if i not in xa]
    free_b = [j for j in range(len(sb)) if j not in xb]
    k = int(np.prod([sa[i] for i in xa], dtype=np.int64))
    left = anp.reshape(anp.transpose(a, free_a + xa), (-1, k))
    right = anp.reshape(anp.transpose(b, xb + free_b), (k, -1))
    return anp.reshape(anp.matmul(left, right),
                       tuple(sa[i] for i in free_a) + tuple(sb[j] for j in free_b))


def det(a):
    """LAPACK's determinant (LU); its gradient is the cofactor matrix, singular matrices
    included (adc.prims.linalg.det_p)."""
    (a,) = anp._promote(a, to_float=True)
    return bind(det_p, a)


def slogdet(a):
    """(sign, log|det|) as numpy's SlogdetResult; (0, -inf) for a singular matrix."""
    (a,) = anp._promote(a, to_float=True)
    return SlogdetResult(*slogdet_parts(bind(slogdet_p, a)))


def _svd(a):
    m, n = anp.shape(a)[-2:]
    u, s, v = svd_parts(bind(svd_p, a), m, n)
    return u, anp.squeeze(s, -2), v


def svd(a, full_matrices=True, compute_uv=True, hermitian=False):
    """(U, S, Vh) with a = U diag(S) Vh, S descending, as numpy's SVDResult; the signs of the
    singular vectors are fixed (the largest entry of each of U's columns is positive), where
    LAPACK's are arbitrary. full_matrices=True is the reduced SVD for square matrices."""
    (a,) = anp._promote(a, to_float=True)
    m, n = anp.shape(a)[-2:] if anp.ndim(a) >= 2 else (None, None)
    if hermitian:
        raise UnsupportedError(with_location(
            "linalg.svd: hermitian=True is not supported; the default (hermitian=False) "
            "gives the same singular values"))
    if not compute_uv:
        return svdvals(a)
    if full_matrices and m != n:
        raise UnsupportedError(with_location(
            f"linalg.svd: full_matrices=True of {m} x {n} matrices: the columns completing U "
            "or V are not unique and have no gradient; pass full_matrices=False"))
    u, s, v = _svd(a)
    return SVDResult(u, s, anp.swapaxes(v, -1, -2))


def svdvals(x):
    """The singular values, descending; the gradient is U diag(g) V^T, defined for repeated
    singular values too."""
    (x,) = anp._promote(x, to_float=True)
    return _svd(x)[1]


def _uplo(a, UPLO, what):
    if UPLO not in ("L", "U"):
        raise ValueError(f"linalg.{what}: UPLO argument must be 'L' or 'U', got {UPLO!r}")
    (a,) = anp._promote(a, to_float=True)
    return _symmetric_from_triangle(a, UPLO == "L")


def eigh(a, UPLO="L"):
    """(eigenvalues ascending, eigenvectors as columns) of the symmetric matrix of `a`'s lower
    (UPLO='L') or upper triangle, as numpy's EighResult; the eigenvectors' signs are fixed (the
    largest entry of each is positive). The gradient is the symmetric one (torch's); through the
    eigenvectors it is finite only for distinct eigenvalues, as torch documents."""
    w, v = eigh_parts(bind(eigh_p, _uplo(a, UPLO, "eigh")))
    return EighResult(anp.squeeze(w, -2), v)


def eigvalsh(a, UPLO="L"):
    """The eigenvalues, ascending; the gradient V diag(g) V^T is finite for repeated ones."""
    return eigh(a, UPLO).eigenvalues


def _symmetric_from_triangle(a, lower=True):
    """The symmetric matrix of `a`'s lower (or upper) triangle, whose derivative is that of
    (a + a^T)/2: a matrix function defined on symmetric matrices gets the symmetric gradient."""
    triangle = anp.tril if lower else anp.triu
    value = triangle(a) + anp.swapaxes(triangle(a, -1 if lower else 1), -1, -2)
    finite = anp.where(anp.isfinite(a), a, 0.0)  # a NaN in the other triangle stays unread
    mean = (finite + anp.swapaxes(finite, -1, -2)) * 0.5
    return anp.stop_gradient(value) + (mean - anp.stop_gradient(mean))


def cholesky(a, upper=False):
    """L with L @ L^T = a (the lower triangle of a; upper=True: L^T), for positive-definite
    matrices (others give NaN; the tensor op checks first)."""
    (a,) = anp._promote(a, to_float=True)
    a = _symmetric_from_triangle(a)
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
    """numpy's: QRResult(Q, R) with a = Q @ R, Q's columns orthonormal and R upper triangular;
    mode "reduced" (Q: m x k, R: k x n for k = min(m, n)) or "complete" (Q: m x m); mode "r":
    R alone."""
    q, r = qr_parts(a, mode)
    return r if mode == "r" else QRResult(q, r)


def qr_parts(a, mode="reduced"):
    """(Q, R) as torch.linalg.qr gives them: mode "r" gives an empty Q."""
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


def lstsq(a, b, rcond=None):
    """numpy's: (x, residuals, rank, s) for a 2-D `a` and a 1-D or 2-D `b`. x is the
    least-squares solution for `a` of full rank (the minimum-norm one for a wide `a`), NaN for
    a rank-deficient `a` (see least_squares). residuals are the squared norms of b - a @ x's
    columns when a is tall ((1,) for a 1-D b), else empty, as numpy's for a full rank; rank
    counts the singular values `s` above rcond (default max(m, n) * eps) times the largest."""
    if anp.ndim(a) != 2 or anp.ndim(b) not in (1, 2):
        raise ShapeError(with_location(
            f"linalg.lstsq: a must be 2-dimensional and b 1- or 2-dimensional, got shapes "
            f"{tuple(anp.shape(a))} and {tuple(anp.shape(b))}; adc.linalg.lstsq (the tensor "
            "API) takes batches"))
    a, b = anp._promote(a, b, to_float=True)
    (m, n), k = anp.shape(a), anp.shape(b)
    if k[0] != m:
        raise ShapeError(with_location(
            f"linalg.lstsq: incompatible dimensions: a {(m, n)} and b {tuple(k)}"))
    x = least_squares(a, b)
    if m > n:
        r = b - (anp.matmul(a, x))
        residuals = anp.sum(r * r, axis=0)
        residuals = anp.reshape(residuals, (1,)) if anp.ndim(b) == 1 else residuals
    else:
        residuals = np.zeros((0,), a.dtype)
    s = svdvals(a)  # one SVD for the rank and the singular values
    return x, residuals, _rank_from(s, (m, n), a.dtype, 0.0, rcond), s


def least_squares(a, b):
    """The least-squares solution of a @ x = b for (a batch of) `a` of full rank (the
    minimum-norm one for a wide `a`); `b` is a (batch of) vector(s) when it has one dimension
    fewer than `a`. A rank-deficient `a` (by R's diagonal against max(m, n) * eps times its
    largest entry; on a traced `a` the rank is known only when the program runs) gives NaN:
    its solution needs singular values, and QR's would be silently wrong."""
    a, b = anp._promote(a, b, to_float=True)
    vector = anp.ndim(b) == anp.ndim(a) - 1
    if vector:
        b = anp.expand_dims(b, -1)
    m, n = anp.shape(a)[-2:]
    tall = m >= n
    q, r = qr(a if tall else anp.swapaxes(a, -1, -2))
    deficient = None
    if min(m, n):
        d = anp.abs(anp.diagonal(r, axis1=-2, axis2=-1))
        tol = anp.max(d, axis=-1, keepdims=True) * np.asarray(max(m, n) * np.finfo(a.dtype).eps,
                                                              a.dtype)
        deficient = anp.expand_dims(anp.any(anp.less_equal(d, tol), axis=-1), (-2, -1))
        r = anp.where(deficient, np.eye(min(m, n), dtype=a.dtype), r)  # solvable stand-in
    if tall:
        x = solve(r, anp.matmul(anp.swapaxes(q, -1, -2), b))
    else:
        x = anp.matmul(q, solve(anp.swapaxes(r, -1, -2), b))
    if deficient is not None:
        x = anp.where(deficient, np.asarray(np.nan, x.dtype), x)
    return anp.squeeze(x, -1) if vector else x


def pinv(a):
    """The pseudo-inverse of `a` of full rank: the least-squares solution of a @ x = I (NaN
    for a rank-deficient `a`, see least_squares)."""
    (a,) = anp._promote(a, to_float=True)
    m = anp.shape(a)[-2]
    eye = anp.broadcast_to(np.eye(m, dtype=a.dtype), tuple(anp.shape(a)[:-2]) + (m, m))
    return least_squares(a, eye)


# ---- numpy 2's linalg names for matrix stacks (the array API's), and condition numbers ----

def matrix_transpose(x):
    if anp.ndim(x) < 2:
        raise ValueError("Input array must be at least 2-dimensional")
    return anp.swapaxes(x, -1, -2)


def diagonal(x, /, *, offset=0):
    return anp.diagonal(x, offset, -2, -1)


def trace(x, /, *, offset=0, dtype=None):
    return anp.sum(anp.diagonal(x, offset, -2, -1), axis=-1, dtype=dtype)


def outer(x1, x2, /):
    if anp.ndim(x1) != 1 or anp.ndim(x2) != 1:
        raise ValueError(f"Input arrays must be one-dimensional, but they are "
                         f"x1.ndim={anp.ndim(x1)} and x2.ndim={anp.ndim(x2)}.")
    return anp.outer(x1, x2)


def vecdot(x1, x2, /, *, axis=-1):
    return anp.sum(anp.multiply(x1, x2), axis=axis)


def multi_dot(arrays, *, out=None):
    """The product of a chain of matrices (a 1-D first operand is a row, a 1-D last one a
    column, as numpy's), multiplied left to right: numpy's result up to rounding (numpy picks
    the cheapest order)."""
    if out is not None:
        raise UnsupportedError(with_location("linalg.multi_dot: out= is not supported on "
                                             "traced arrays; use the returned array"))
    if len(arrays) < 2:
        raise ValueError("Expecting at least two arrays.")
    for i, a in enumerate(arrays):
        if anp.ndim(a) != 2 and not (anp.ndim(a) == 1 and i in (0, len(arrays) - 1)):
            raise ValueError(f"{anp.ndim(a)}-dimensional array given. Array must be "
                             "two-dimensional")
    result = arrays[0]
    for a in arrays[1:]:
        result = anp.matmul(result, a)
    return result


def cond(x, p=None):
    """numpy's condition number: the ratio of the extreme singular values for p None, 2 or -2,
    else norm(x, p) * norm(inv(x), p)."""
    (x,) = anp._promote(x, to_float=True)
    if p in (None, 2, -2):
        s = svdvals(x)
        big, small = anp.max(s, axis=-1), anp.min(s, axis=-1)
        return anp.divide(small, big) if p == -2 else anp.divide(big, small)
    axis = (-2, -1)
    return anp.multiply(matrix_norm(x, p, axis), matrix_norm(inv(x), p, axis))
