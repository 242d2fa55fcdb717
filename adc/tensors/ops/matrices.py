"""Matrix functions, torch.linalg's and their top-level spellings: inverse/linalg.inv,
linalg.solve, det/slogdet/logdet, linalg.svd/svdvals and svd (torch.svd: V, some=),
linalg.eigh/eigvalsh, linalg.cholesky, linalg.qr, linalg.lstsq/pinv (of full rank),
linalg.norm/vector_norm/matrix_norm, norm, dist, linalg.cross, and linalg.eig/eigvals (refused:
their results are complex).

Stage: tensor front end; the invariants are the package's (ops/__init__.py). Ops declared with
`function="linalg"` are adc.linalg's (tensors/linalg.py); det and slogdet are one op serving
adc.det and adc.linalg.det, as torch's are. The decompositions are adc.numpy.linalg's (one
LAPACK primitive each); their named tuples are torch's.
"""
from __future__ import annotations

import contextlib
import numbers
import warnings

import numpy as np

from ... import numpy as anp
from ...errors import UnsupportedError, with_location
from ...numpy import linalg as anl
from .. import dtypes
from ..dispatch import op
from ...prims.linalg import SVD_OF_NAN
from ..tensor import Tensor
from ..tensor import apply as _apply
from .common import _as_tensor, _axis, _dims, _name, return_type
from .linalg import _cross, cross_product
from .shapes import transpose

# torch.slogdet / Tensor.slogdet and torch.linalg.slogdet: one op, two result names
torch_slogdet_result = return_type("slogdet", ["sign", "logabsdet"])
slogdet_result = return_type("linalg_slogdet", ["sign", "logabsdet"])
svd_result = return_type("linalg_svd", ["U", "S", "Vh"])
torch_svd_result = return_type("svd", ["U", "S", "V"])
eigh_result = return_type("linalg_eigh", ["eigenvalues", "eigenvectors"])
qr_result = return_type("linalg_qr", ["Q", "R"])
lstsq_result = return_type("linalg_lstsq", ["solution", "residuals", "rank",
                                          "singular_values"])


class LinAlgError(RuntimeError, np.linalg.LinAlgError):
    """torch.linalg.LinAlgError: a matrix the operation is not defined for."""


@contextlib.contextmanager
def _svd_of_nan():
    """numpy's (and adc's) error for the SVD of a NaN matrix raised as torch's LinAlgError."""
    try:
        yield
    except np.linalg.LinAlgError as e:
        if str(e) not in (SVD_OF_NAN, "SVD did not converge"):
            raise
        raise LinAlgError("linalg.svd: The algorithm failed to converge because the input "
                          "matrix contained non-finite values.") from None


def apply(name, fn, operands, params=()):
    """tensor.apply, for every matrix function here: SVD-based ones raise torch's error."""
    with _svd_of_nan():
        return _apply(name, fn, operands, params)


def _floating(input, what):
    if input.dtype.kind != "f":
        raise RuntimeError(f"{what}: Expected a floating point or complex tensor as input. Got "
                           f"{dtypes.scalar_type(input.dtype)}")


def _square(input, what):
    if input.ndim < 2:
        raise RuntimeError(f"{what}: The input tensor A must have at least 2 dimensions.")
    if input.shape[-1] != input.shape[-2]:
        raise RuntimeError(f"{what}: A must be batches of square matrices, but they are "
                           f"{input.shape[-2]} by {input.shape[-1]} matrices")
    _floating(input, what)


def _same_dtypes(A, B, message):
    """torch's error (`message` formatted with both dtypes' names) for operands of two dtypes."""
    if A.dtype != B.dtype:
        raise RuntimeError(message.format(dtypes.scalar_type(A.dtype),
                                          dtypes.scalar_type(B.dtype)))


def _nonsingular(run, A, what):
    """`run()`, with torch's LinAlgError (a RuntimeError) for a singular matrix instead of
    numpy's: the test is LAPACK's getrf, an exactly zero pivot, in all three libraries, and
    torch names the first such pivot of the first such matrix."""
    try:
        return run()
    except np.linalg.LinAlgError:
        pass
    from scipy.linalg import lu_factor

    flat = A._data.reshape((-1,) + A.shape[-2:])
    for b, m in enumerate(flat):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # scipy's own "singular matrix" warning
            zero = np.flatnonzero(np.diag(lu_factor(m, check_finite=False)[0]) == 0)
        if zero.size:
            break
    batch = f"(Batch element {b}): " if A.ndim > 2 else ""
    if what == "inv":
        pivot = zero[0] + 1 if zero.size else 1
        raise LinAlgError(f"linalg.inv: {batch}The diagonal element {pivot} is zero, the "
                          "inversion could not be completed because the input matrix is "
                          "singular.") from None
    raise LinAlgError(f"torch.linalg.solve: {batch}The solver failed because the input matrix "
                      "is singular.") from None


@op(numpy=anl.inv, out=True)
def inverse(input):
    _square(input, "linalg.inv")
    return _nonsingular(lambda: apply(_name("LinalgInvEx"), anl.inv, [input]), input, "inv")


inv = op(inverse, name="inv", function="linalg", method=False)


def _solve(a, b, vector, left):
    if not left:
        a, b = anp.swapaxes(a, -1, -2), anp.swapaxes(b, -1, -2)
    x = anl.solve(a, anp.expand_dims(b, -1) if vector else b)
    x = anp.squeeze(x, -1) if vector else x
    return x if left else anp.swapaxes(x, -1, -2)


def _is_vector(a, b):
    """torch's rule: B is a (batch of) vector(s) if 1-D or of A's shape without its last axis."""
    return anp.ndim(b) == 1 or tuple(anp.shape(b)) == tuple(anp.shape(a))[:-1]


@op(function="linalg", method=False, out=True,
    numpy=lambda A, B, *, left=True: _solve(A, B, _is_vector(A, B), left))
def solve(A, B, *, left=True):
    A, B = _as_tensor(A), _as_tensor(B)
    _square(A, "linalg.solve")
    _same_dtypes(A, B, "linalg.solve: Expected A and B to have the same dtype, but found A of "
                 "type {} and B of type {} instead")
    vector = _is_vector(A, B) and left
    return _nonsingular(lambda: apply(_name("LinalgSolveEx"), _solve, [A, B],
                                      (("left", left), ("vector", vector))), A, "solve")


@op(numpy=anl.det, out=True)
def det(input):
    _square(input, "linalg.det")
    return apply(_name("LinalgDet"), anl.det, [input])


def _slogdet(a):
    return tuple(anl.slogdet(a))


@op(numpy=lambda input: torch_slogdet_result(*anl.slogdet(input)))
def slogdet(input):
    _square(input, "linalg.slogdet")
    return torch_slogdet_result(*apply(_name("LinalgSlogdet"), _slogdet, [input]))


def _logdet(a):
    """torch's: log|det| where det > 0, -inf where 0, NaN where negative."""
    sign, logabsdet = anl.slogdet(a)
    return anp.where(anp.less(sign, 0), np.asarray(np.nan, logabsdet.dtype), logabsdet)


@op(numpy=_logdet)
def logdet(input):
    _square(input, "logdet")
    return apply("WhereBackward0", _logdet, [input])


def _matrices(A, what):
    if A.ndim < 2:
        raise RuntimeError(f"{what}: The input tensor A must have at least 2 dimensions.")
    _floating(A, what)


def _driver(driver, what):
    if driver is not None:
        raise UnsupportedError(with_location(
            f"adc.linalg.{what}: driver={driver!r}; drivers are CUDA's (cuSOLVER) in torch; "
            "adc's is LAPACK's gesdd on the cpu"))


def _svd(A, full_matrices):
    return tuple(anl.svd(A, full_matrices))


@op(name="svd", function="linalg", method=False, out=True,
    numpy=lambda A, full_matrices=True, *, driver=None: svd_result(*anl.svd(A, full_matrices)))
def linalg_svd(A, full_matrices=True, *, driver=None):
    """torch.linalg.svd with fixed signs (U's largest entry per column positive); full_matrices
    only for square matrices (adc.numpy.linalg.svd says why)."""
    _matrices(A, "linalg.svd")
    _driver(driver, "svd")
    return svd_result(*apply(_name("LinalgSvd"), _svd, [A],
                             (("full_matrices", full_matrices),)))


@op(function="linalg", method=False, out=True,
    numpy=lambda A, *, driver=None: anl.svdvals(A))
def svdvals(A, *, driver=None):
    _matrices(A, "linalg.svdvals")
    _driver(driver, "svdvals")
    return apply(_name("LinalgSvd"), anl.svdvals, [A])


def _torch_svd(input, some, compute_uv, svd_fn, transpose_fn, zeros_fn):
    """torch.svd: V, not V^T; without compute_uv, U and V are zero matrices (m x m, n x n)."""
    if not compute_uv:
        m, n = anp.shape(input)[-2:]
        batch = tuple(anp.shape(input)[:-2])
        S = svdvals(input)
        return torch_svd_result(zeros_fn(batch + (m, m), input), S,
                                zeros_fn(batch + (n, n), input))
    U, S, Vh = svd_fn(input, not some)
    return torch_svd_result(U, S, transpose_fn(Vh, -2, -1))


@op(numpy=lambda input, some=True, compute_uv=True: _torch_svd(
    input, some, compute_uv, anl.svd, anp.swapaxes,
    lambda shape, like: np.zeros(shape, like.dtype)))
def svd(input, some=True, compute_uv=True):
    _matrices(input, "linalg.svd")
    return _torch_svd(input, some, compute_uv, linalg_svd, transpose,
                      lambda shape, like: Tensor._wrap(np.zeros(shape, like.dtype)))


def _eigh(A, UPLO):
    return tuple(anl.eigh(A, UPLO))


def _check_uplo(UPLO, what):
    if UPLO not in ("L", "U"):
        raise RuntimeError(f"{what}: Expected UPLO argument to be 'L' or 'U', but got {UPLO}")


@op(function="linalg", method=False, out=True,
    numpy=lambda A, UPLO="L": eigh_result(*anl.eigh(A, UPLO)))
def eigh(A, UPLO="L"):
    """torch.linalg.eigh with fixed signs (each eigenvector's largest entry positive)."""
    _square(A, "linalg.eigh")
    _check_uplo(UPLO, "linalg.eigh")
    return eigh_result(*apply(_name("LinalgEigh"), _eigh, [A], (("UPLO", UPLO),)))


@op(function="linalg", method=False, out=True, numpy=anl.eigvalsh)
def eigvalsh(A, UPLO="L"):
    _square(A, "linalg.eigvalsh")
    _check_uplo(UPLO, "linalg.eigvalsh")
    return apply(_name("LinalgEigh"), anl.eigvalsh, [A], (("UPLO", UPLO),))


def _matrix_power_name(A, n):
    """torch's grad_fn of matrix_power: a clone for n = 1, a copy of the identity for 0, the
    inverse for -1, else the last matrix product's."""
    if n == -1:
        return _name("LinalgInvEx")
    if n in (0, 1):
        return "torch::autograd::CopyBackwards" if n == 0 else "CloneBackward0"
    return "MmBackward0" if A.ndim == 2 else "UnsafeViewBackward0"


@op(out=True, numpy=anl.matrix_power)
def matrix_power(input, n):
    if input.ndim < 2 or input.shape[-1] != input.shape[-2]:
        raise RuntimeError(
            "linalg.matrix_power: A must be batches of square matrices, but they are "
            f"{input.shape[-2] if input.ndim > 1 else 1} by {input.shape[-1]} matrices")
    if n < 0:
        _floating(input, "linalg.inv")
    return apply(_matrix_power_name(input, n), anl.matrix_power, [input], (("n", int(n)),))


linalg_matrix_power = op(matrix_power, name="matrix_power", function="linalg", method=False)


def _torch_rank(A, atol=None, rtol=None):
    """torch's tolerance: max(atol, rtol * the largest singular value), rtol defaulting to
    max(m, n) * eps unless only atol is given (then 0)."""
    if rtol is None and atol is not None and np.all(np.asarray(atol) > 0):
        rtol = 0.0
    return anl.rank(A, 0.0 if atol is None else atol, rtol)


@op(function="linalg", method=False, out=True,
    numpy=lambda A, *, atol=None, rtol=None, hermitian=False: _torch_rank(A, atol, rtol))
def matrix_rank(A, *, atol=None, rtol=None, hermitian=False):
    if A.ndim < 2:
        raise RuntimeError("torch.linalg.matrix_rank: The input tensor input must have at "
                           "least 2 dimensions.")
    _floating(A, "linalg.matrix_rank")
    return apply(_name("LinalgMatrixRank"), _torch_rank, [A], (("atol", atol), ("rtol", rtol)))


def _check_positive_definite(a: np.ndarray) -> None:
    """torch's error for the first matrix (and leading minor) that is not positive-definite."""
    flat = a.reshape((-1,) + a.shape[-2:])
    for b, m in enumerate(flat):
        for k in range(1, m.shape[-1] + 1):
            try:
                np.linalg.cholesky(m[:k, :k])
            except np.linalg.LinAlgError:
                batch = f"(Batch element {b}): " if a.ndim > 2 else ""
                raise LinAlgError(
                    f"linalg.cholesky: {batch}The factorization could not be completed because "
                    f"the input is not positive-definite (the leading minor of order {k} is not "
                    "positive-definite).") from None


@op(function="linalg", method=False, out=True,
    numpy=lambda A, *, upper=False: anl.cholesky(A, upper))
def cholesky(A, *, upper=False):
    _square(A, "linalg.cholesky")
    try:  # numpy's factorization reads the lower triangle too
        np.linalg.cholesky(A._data)
    except np.linalg.LinAlgError:
        _check_positive_definite(A._data)
    return apply(_name("LinalgCholeskyEx"), anl.cholesky, [A], (("upper", upper),))


@op(function="linalg", method=False,
    numpy=lambda A, mode="reduced": qr_result(*anl.qr_parts(A, mode)))
def qr(A, mode="reduced"):
    if A.ndim < 2:
        raise RuntimeError("linalg.qr: The input tensor A must have at least 2 dimensions.")
    _floating(A, "linalg.qr")
    if mode not in ("reduced", "complete", "r"):
        raise RuntimeError(f"qr received unrecognized mode '{mode}' but expected one of "
                           "'reduced' (default), 'r', or 'complete'")
    return qr_result(*apply(_name("LinalgQr"), anl.qr_parts, [A], (("mode", mode),)))


def _full_rank(A, what, tol=None):
    """The rank of each matrix (int64), refusing a rank-deficient one: its solution needs
    singular values (torch's default tolerance, numpy's: max(m, n) * eps * largest)."""
    with _svd_of_nan():
        rank = np.linalg.matrix_rank(A._data, tol=tol)
    if np.any(rank < min(A.shape[-2:])):
        raise UnsupportedError(with_location(
            f"adc.linalg.{what}: the matrix is rank-deficient (rank {np.min(rank)} < "
            f"{min(A.shape[-2:])}); its solution needs singular values, which adc does not "
            "compute. Matrices of full rank are supported"))
    return np.asarray(rank, np.int64)


def _numpy_lstsq(A, B, rcond=None, *, driver=None):
    """On traced arrays the rank is not known: the solution is the full-rank one."""
    shape = anp.shape(A)
    rank = np.full(shape[:-2], min(shape[-2:]), np.int64)
    return lstsq_result(anl.least_squares(A, B), np.zeros(0), rank, np.zeros(0))


def _tolerance(A, absolute, relative):
    """max(absolute, relative * the largest singular value) per matrix (None: numpy's)."""
    if absolute is None and relative is None:
        return None
    largest = np.linalg.norm(A._data, 2, axis=(-2, -1)) if A.numel() else np.zeros(())
    return np.maximum(absolute or 0.0, (relative or 0.0) * largest)


@op(function="linalg", method=False, numpy=_numpy_lstsq)
def lstsq(A, B, rcond=None, *, driver=None):
    """torch.linalg.lstsq with its CPU driver's results (gelsy: the rank, no residuals or
    singular values), for A of full rank."""
    A, B = _as_tensor(A), _as_tensor(B)
    _floating(A, "linalg.lstsq")
    _same_dtypes(A, B, "torch.linalg.lstsq: Expected input and other to have the same dtype, "
                 "but got input's dtype {} and other's dtype {}")
    vector = B.ndim == A.ndim - 1
    if A.ndim < 2 or B.ndim < A.ndim - 1 or B.shape[-1 if vector else -2] != A.shape[-2]:
        raise RuntimeError(f"torch.linalg.lstsq: input.size(-2) should match other.size(-"
                           f"{1 if vector else 2}), got input of shape {list(A.shape)} and "
                           f"other of shape {list(B.shape)}")
    if driver not in (None, "gelsy"):
        raise UnsupportedError(with_location(f"adc.linalg.lstsq: driver={driver!r}; only "
                                             "gelsy (the CPU default) is supported"))
    rank = _full_rank(A, "lstsq", _tolerance(A, None, rcond))
    solution = apply(_name("LinalgLstsq"), anl.least_squares, [A, B])
    empty = Tensor._wrap(np.zeros(0, A.dtype))
    return lstsq_result(solution, empty, Tensor._wrap(rank), Tensor._wrap(np.zeros(0, A.dtype)))


@op(function="linalg", method=False, out=True,
    numpy=lambda A, *, atol=None, rtol=None, hermitian=False: anl.pinv(A))
def pinv(A, *, atol=None, rtol=None, hermitian=False):
    if A.ndim < 2:
        raise RuntimeError("linalg.pinv(A): The input tensor A must have at least 2 "
                           "dimensions.")
    _floating(A, "linalg.pinv")
    _full_rank(A, "pinv", _tolerance(A, atol, rtol))
    return apply(_name("LinalgPinv"), anl.pinv, [A])


def _complex_results(what):
    def refuse(A, *args, **kwargs):
        raise UnsupportedError(with_location(
            f"adc.linalg.{what}: the eigenvalues of a general real matrix are complex, and adc "
            "has no complex dtype; for a symmetric matrix the eigenvalues are real: use "
            "adc.linalg.eigh or adc.linalg.eigvalsh"))
    refuse.__name__ = what
    return op(refuse, name=what, function="linalg", method=False, numpy=refuse)


eig = _complex_results("eig")
eigvals = _complex_results("eigvals")


def _norm_input(x, what, dtype):
    x = _as_tensor(x)
    if dtype is not None:
        x = x.to(dtype)
    _floating(x, what)
    return x


def _numpy_vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    return anl.vector_norm(x if dtype is None else anp.astype(x, dtype), ord, _axis(dim),
                           keepdim)


def _numpy_matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    return anl.matrix_norm(A if dtype is None else anp.astype(A, dtype), ord, tuple(dim),
                           keepdim)


@op(function="linalg", method=False, numpy=_numpy_vector_norm, out=True)
def vector_norm(x, ord=2, dim=None, keepdim=False, *, dtype=None):
    x = _norm_input(x, "linalg.vector_norm", dtype)
    return apply(_name("LinalgVectorNorm"), anl.vector_norm, [x],
                 (("axis", _dims(dim, x.ndim)), ("keepdims", keepdim), ("ord", float(ord))))


@op(function="linalg", method=False, numpy=_numpy_matrix_norm, out=True)
def matrix_norm(A, ord="fro", dim=(-2, -1), keepdim=False, *, dtype=None):
    A = _norm_input(A, "linalg.matrix_norm", dtype)
    if A.ndim < 2:
        raise RuntimeError("linalg.matrix_norm: The input tensor A must have at least 2 "
                           "dimensions.")
    if ord not in ("fro", "nuc", 1, -1, 2, -2, np.inf, -np.inf):
        raise RuntimeError(f"linalg.matrix_norm: Order {ord} not supported.")
    axis = tuple(d % A.ndim for d in dim)
    name = ("LinalgVectorNormBackward0" if ord == "fro" else
            "PermuteBackward0" if keepdim and ord in (2, -2, "nuc") else
            "SumBackward1" if ord == "nuc" else
            "AmaxBackward0" if ord in (1, 2, np.inf) else "AminBackward0")
    return apply(name, anl.matrix_norm, [A], (("axis", axis), ("keepdims", keepdim), ("ord", ord)))


def _linalg_norm(A, ord, dim, keepdim, dtype, vector_fn, matrix_fn):
    """torch.linalg.norm: a vector norm over no dim (all elements) or one dim, a matrix norm
    over two; with `ord` but no `dim` the input must be 1-D or 2-D."""
    nd = anp.ndim(A)
    if dim is not None:
        dims = (dim,) if isinstance(dim, numbers.Integral) else tuple(dim)
    elif ord is None:
        dims = None
    elif nd in (1, 2):
        dims = tuple(range(nd))
    else:
        raise RuntimeError(f"linalg.norm: If dim is not specified but ord is, the input must be "
                           f"1D or 2D. Got {nd}D.")
    if dims is None or len(dims) == 1:
        return vector_fn(A, 2 if ord is None else ord, dims, keepdim, dtype=dtype)
    return matrix_fn(A, "fro" if ord is None else ord, dims, keepdim, dtype=dtype)


@op(function="linalg", method=False, out=True,
    numpy=lambda A, ord=None, dim=None, keepdim=False, *, dtype=None: _linalg_norm(
        A, ord, dim, keepdim, dtype, _numpy_vector_norm, _numpy_matrix_norm))
def norm(A, ord=None, dim=None, keepdim=False, *, dtype=None):
    return _linalg_norm(_as_tensor(A), ord, dim, keepdim, dtype, vector_norm, matrix_norm)


def _p_norm(p):
    if isinstance(p, str) and p not in ("fro", "nuc"):
        raise RuntimeError(f"norm(): unsupported norm type {p!r}")
    return 2.0 if p == "fro" else p if p == "nuc" else float(p)


def _torch_norm(input, p, dim, keepdim, dtype, vector_fn, matrix_fn):
    """torch.norm: the nuclear norm of the matrices over `dim` (default the last two), else
    the p-norm of all elements or over `dim` ('fro' is the 2-norm)."""
    p = _p_norm(p)
    if p == "nuc":
        dims = tuple(range(anp.ndim(input))) if dim is None else tuple(dim)
        if len(dims) != 2:
            raise RuntimeError(f"linalg.matrix_norm: dim must be a 2-tuple. Got "
                               f"{' '.join(map(str, dims))}")
        return matrix_fn(input, "nuc", dims, keepdim, dtype=dtype)
    return vector_fn(input, p, dim, keepdim, dtype=dtype)


@op(name="norm", out=True, numpy=lambda input, p="fro", dim=None, keepdim=False, dtype=None:
    _torch_norm(input, p, dim, keepdim, dtype, _numpy_vector_norm, _numpy_matrix_norm))
def torch_norm(input, p="fro", dim=None, keepdim=False, dtype=None):
    if input.dtype.kind != "f" and dtype is None:
        raise RuntimeError(f"norm(): input dtype should be either floating point or complex. "
                           f"Got {dtypes.scalar_type(input.dtype)} instead.")
    return _torch_norm(input, p, dim, keepdim, dtype, vector_norm.__wrapped__,
                       matrix_norm.__wrapped__)


def _dist(a, b, ord, dtype):
    return anl.vector_norm(anp.subtract(anp.astype(a, dtype), anp.astype(b, dtype)), ord)


@op(numpy=lambda input, other, p=2: anl.vector_norm(anp.subtract(input, other), p),
    out=True)
def dist(input, other, p=2):
    input, other = _as_tensor(input), _as_tensor(other)
    dt = dtypes.result_type(input, other)
    if dt.kind != "f":
        raise RuntimeError(f"linalg.vector_norm: Expected a floating point or complex tensor "
                           f"as input. Got {dtypes.scalar_type(dt)}")
    return apply(_name("Dist"), _dist, [input, other], (("dtype", dt.char), ("ord", float(p))))


@op(name="cross", function="linalg", method=False, out=True,
    numpy=lambda input, other, *, dim=-1: _cross(input, other, dim))
def linalg_cross(input, other, *, dim=-1):
    return cross_product(input, other, dim, "linalg.cross")
