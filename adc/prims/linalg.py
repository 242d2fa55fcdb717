"""Linear-algebra primitives: batched matmul, einsum, inv, solve, and the decompositions
det, slogdet, svd, eigh (LAPACK's, on the cpu target only).

Stage: primitive definitions. Invariant: matmul and solve take operands of rank >= 2 whose
batch dimensions broadcast (adc.numpy handles 1-D operands by reshaping); VJPs are written
with the same primitives, so second derivatives work; batch broadcasting is undone by ad.py.
A decomposition with several results is one primitive with one packed result (see
`svd_parts`, `eigh_parts`, `slogdet_parts`), so LAPACK runs once; its singular vectors and
eigenvectors have fixed signs (`canonical_signs`), so every target and torch agree.
"""
from __future__ import annotations

import numpy as np

from ..errors import ShapeError, UnsupportedError
from ..ir import Aval
from ..tracer import bind
from . import batching as B
from . import lax
from . import reduce as R
from .base import Primitive, broadcast_shapes
from .cases import case, well_conditioned
from .select import stop_gradient_p


def _matmul_shape(a, b):
    if a.ndim < 2 or b.ndim < 2 or a.shape[-1] != b.shape[-2]:
        raise ShapeError(f"shapes {a.shape} and {b.shape} are not aligned "
                         f"(last dim of the first must equal the second-to-last of the second)")
    if a.dtype != b.dtype:
        raise TypeError(f"matmul: dtypes {a.dtype} and {b.dtype} were not promoted")
    batch = broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return Aval(batch + (a.shape[-2], b.shape[-1]), a.dtype)


def _matmul_vjp(cts, ins, outs, needed):
    g, (a, b) = cts[0], ins
    return (lax.matmul(g, lax.mT(b)) if needed[0] else None,
            lax.matmul(lax.mT(a), g) if needed[1] else None)


matmul_p = Primitive("matmul", shape_rule=_matmul_shape, impl=np.matmul,
                     torch_impl=lambda t, a, b: t.matmul(a, b), vjp=_matmul_vjp,
                     domains=("real", "real"), batch=B.matmul, blas=True, second_order=True,
                     cases=[case(((2, 3), (3, 4))), case(((5, 2, 3), (3, 2))),
                            case(((2, 1, 2, 3), (4, 3, 2))), case(((2, 0), (0, 3)))])


def parse_einsum(spec: str, ndims):
    # adc.numpy.einsum reduces every numpy form to this one (adc/numpy/einsum.py)
    if "..." in spec or "->" not in spec:
        raise UnsupportedError(f"einsum_p {spec!r}: an explicit output and no ellipsis")
    ins, out = spec.replace(" ", "").split("->")
    ins = ins.split(",")
    if len(ins) != len(ndims) or len(ins) > 2:
        raise UnsupportedError(f"einsum_p {spec!r}: one or two operands")
    for sub, nd in zip(ins, ndims):
        if len(sub) != nd:
            raise ShapeError(f"subscripts {spec!r}: subscript {sub!r} for an operand of rank {nd}")
        if len(set(sub)) != len(sub):
            raise UnsupportedError(f"einsum_p {spec!r}: an index repeated within one operand")
    return ins, out


def _einsum_shape(*xs, spec):
    ins, out = parse_einsum(spec, [x.ndim for x in xs])
    sizes = {}
    for sub, x in zip(ins, xs):
        for c, d in zip(sub, x.shape):
            if sizes.setdefault(c, d) != d:
                raise ShapeError(f"subscripts {spec!r}: index {c!r} has sizes {sizes[c]} and {d}")
    missing = set(out) - set(sizes)
    if missing:
        raise ShapeError(f"subscripts {spec!r}: output indices {sorted(missing)} not in the inputs")
    return Aval(tuple(sizes[c] for c in out), xs[0].dtype)


def _einsum_vjp(cts, ins, outs, needed, spec):
    subs, out = parse_einsum(spec, [x.ndim for x in ins])
    g, result = cts[0], []
    for i, (sub, x) in enumerate(zip(subs, ins)):
        if not needed[i]:
            result.append(None)
            continue
        others = [(s, y) for j, (s, y) in enumerate(zip(subs, ins)) if j != i]
        avail = set(out).union(*[set(s) for s, _ in others])
        kept = "".join(c for c in sub if c in avail)  # indices summed away only in x broadcast
        ct = lax.einsum(",".join([out] + [s for s, _ in others]) + "->" + kept, g,
                        *[y for _, y in others])
        if kept != sub:
            shape = tuple(d if c in kept else 1 for c, d in zip(sub, x.shape))
            ct = lax.broadcast_to(lax.reshape(ct, shape), x.shape)
        result.append(ct)
    return tuple(result)


einsum_p = Primitive("einsum", shape_rule=_einsum_shape,
                     impl=lambda *xs, spec: np.einsum(spec, *xs),
                     torch_impl=lambda t, *xs, spec: t.einsum(spec, *xs), vjp=_einsum_vjp,
                     domains=("real", "real"), batch=B.einsum, blas=True, second_order=True,
                     cases=[case(((2, 3), (3, 4)), {"spec": "ij,jk->ik"}),
                            case(((2, 2, 3), (2, 3, 4)), {"spec": "bij,bjk->bik"}),
                            case(((3,), (2,)), {"spec": "i,j->ij"}),
                            case(((2, 3),), {"spec": "ij->j"}),
                            case(((2, 3), (2, 3)), {"spec": "ij,ij->"}),
                            case(((2, 3, 4), (4,)), {"spec": "ijk,k->i"})])


def _square_shape(a):
    if a.ndim < 2 or a.shape[-1] != a.shape[-2]:
        raise ShapeError(f"expected square matrices (..., n, n), got {a.shape}")
    return a


def _finite_matrices(a):
    """Per matrix of a batch (..., m, n): whether every entry is finite."""
    return np.isfinite(a).all(axis=(-2, -1))


def _identity_for_nonfinite(a, good):
    """a with each matrix that is not `good` replaced by the identity, so LAPACK can run."""
    return np.where(good[..., None, None], a, np.eye(a.shape[-2], a.shape[-1], dtype=a.dtype))


def _nan_for_nonfinite(impl, fill=np.nan):
    """impl over a batch of matrices, where a matrix with a NaN or infinite entry gives `fill`
    (NaN; slogdet's [sign, log|det|] gives [0, NaN]) instead of what LAPACK makes of it: torch's
    values for a NaN matrix, and what the cpu and cuda kernels give."""
    def run(a):
        good = _finite_matrices(a)
        if good.all():
            return impl(a)
        out = np.array(impl(_identity_for_nonfinite(a, good)))
        out[~good] = fill
        return out
    return run


def _solve_impl(a, b):
    """np.linalg.solve; NaN for a non-finite matrix a and in each column of b holding a NaN or
    infinity (the column alone, as torch's)."""
    good = _finite_matrices(a)
    bad_columns = ~np.isfinite(b).all(axis=-2)
    if good.all() and not bad_columns.any():
        return np.linalg.solve(a, b)
    x = np.linalg.solve(_identity_for_nonfinite(a, good),
                        np.where(bad_columns[..., None, :], 0.0, b))
    return np.where(~good[..., None, None] | bad_columns[..., None, :], np.nan, x)


def _inv_vjp(cts, ins, outs, needed):
    ans_t = lax.mT(outs[0])
    return (lax.neg(lax.matmul(lax.matmul(ans_t, cts[0]), ans_t)),)


inv_p = Primitive("inv", shape_rule=_square_shape, impl=_nan_for_nonfinite(np.linalg.inv),
                  torch_impl=lambda t, a: t.linalg.inv(a), vjp=_inv_vjp, domains=("real",),
                  batch=B.leading, blas=True, second_order=True,
                  cases=[case(((3, 3),), values={0: well_conditioned((3, 3))}),
                         case(((2, 3, 3),), values={0: well_conditioned((2, 3, 3))})])


def _solve_shape(a, b):
    _square_shape(a)
    if b.ndim < 2 or b.shape[-2] != a.shape[-1]:
        raise ShapeError(f"a {a.shape} and b {b.shape} do not match")
    return Aval(broadcast_shapes(a.shape[:-2], b.shape[:-2]) + b.shape[-2:], a.dtype)


def _solve_vjp(cts, ins, outs, needed):
    gb = lax.solve(lax.mT(ins[0]), cts[0])
    return (lax.neg(lax.matmul(gb, lax.mT(outs[0]))) if needed[0] else None,
            gb if needed[1] else None)


def _solve_torch(t, a, b):
    """b is a (batch of) matrix(es) here; torch reads a b shaped as a without its last axis as
    a batch of vectors, so b is given the broadcast batch axes first."""
    batch = t.broadcast_shapes(a.shape[:-2], b.shape[:-2])
    return t.linalg.solve(a, b.expand(*batch, *b.shape[-2:]))


solve_p = Primitive("solve", shape_rule=_solve_shape, impl=_solve_impl,
                    torch_impl=_solve_torch, vjp=_solve_vjp, batch=B.broadcasting,
                    domains=("real", "real"), blas=True, second_order=True,
                    cases=[case(((3, 3), (3, 2)), values={0: well_conditioned((3, 3))}),
                           case(((2, 3, 3), (3, 1)), values={0: well_conditioned((2, 3, 3))})])


# ---- decompositions ----

def _rows(x, lo, hi):
    """Rows lo:hi (the second-to-last axis) of a batch of matrices."""
    return lax.slice(x, (0,) * (x.ndim - 2) + (lo, 0), tuple(x.shape[:-2]) + (hi, x.shape[-1]),
                     (1,) * x.ndim)


def svd_parts(packed, m, n):
    """U (..., m, k), S as a row (..., 1, k) and V (..., n, k) of svd_p's result of an m x n
    matrix: the rows [U; S; V] of one (..., m + 1 + n, k) array (V, not V^T: all have k
    columns)."""
    return _rows(packed, 0, m), _rows(packed, m, m + 1), _rows(packed, m + 1, m + 1 + n)


def eigh_parts(packed):
    """The eigenvalues as a row (..., 1, n) and the eigenvectors (..., n, n) of eigh_p's
    result: the rows [w; V] of one (..., n + 1, n) array."""
    n = packed.shape[-1]
    return _rows(packed, 0, 1), _rows(packed, 1, n + 1)


def slogdet_parts(packed):
    """sign and log|det| (each of the batch's shape) of slogdet_p's result (..., 2)."""
    batch = tuple(packed.shape[:-1])
    return tuple(lax.reshape(lax.slice(packed, (0,) * len(batch) + (j,), batch + (j + 1,),
                                       (1,) * packed.ndim), batch) for j in (0, 1))


def canonical_signs(u, v):
    """u's and v's columns, each pair negated where needed so that the entry of largest
    magnitude (the first such) of u's column is positive: LAPACK's signs are arbitrary, and
    numpy's, Numba's and torch's LAPACK builds may choose differently."""
    if u.size == 0:
        return u, v
    top = np.take_along_axis(u, np.argmax(np.abs(u), axis=-2)[..., None, :], -2)
    sign = np.where(top < 0, -1, 1).astype(u.dtype)
    return u * sign, v * sign


def _canonical_signs_torch(t, u, v):
    if u.numel() == 0:
        return u, v
    top = u.gather(-2, u.detach().abs().argmax(-2, keepdim=True))
    sign = t.where(top < 0, -1.0, 1.0).to(u.dtype)
    return u * sign, v * sign


def _ratio(num, den):
    """num / den elementwise, 0 where num is 0 (the cotangent of an unused part of a packed
    result, even over a zero gap of a degenerate spectrum); a nonzero num over a zero den is
    +-inf, as in torch's formulas."""
    zero = lax.equal(den, 0)
    inf = np.asarray(np.inf, num.dtype)
    infinite = lax.where(lax.greater(num, 0), inf, -inf)
    quotient = lax.where(zero, infinite, lax.div(num, lax.where(zero, 1.0, den)))
    return lax.where(lax.equal(num, 0), 0.0, quotient)


def _skew(x):
    return lax.sub(x, lax.mT(x))


def _gaps(row):
    """E[i, j] = row[j] - row[i] for a row (..., 1, k), with 1 on the diagonal."""
    k = row.shape[-1]
    return lax.add(lax.sub(row, lax.mT(row)), np.eye(k, dtype=row.dtype))


def _matrices_shape(a):
    if a.ndim < 2:
        raise ShapeError(f"expected matrices (..., m, n), got {a.shape}")
    return a


def _svd_shape(a):
    m, n = _matrices_shape(a).shape[-2:]
    return Aval(a.shape[:-2] + (m + 1 + n, min(m, n)), a.dtype)


# numpy's and torch's svd raise for a NaN entry (LAPACK does not converge); so does every backend
SVD_OF_NAN = ("svd: the matrix holds a NaN, for which the SVD does not converge (numpy and "
              "torch raise too); an infinite entry gives NaN results")


def _svd_packed(a):
    m, n = a.shape[-2:]
    if min(m, n) == 0:
        return np.zeros(a.shape[:-2] + (m + 1 + n, 0), a.dtype)
    u, s, vh = np.linalg.svd(a, full_matrices=False)
    u, v = canonical_signs(u, np.swapaxes(vh, -1, -2))
    return np.concatenate([u, s[..., None, :], v], axis=-2)


_svd_of_finite = _nan_for_nonfinite(_svd_packed)


def _svd_impl(a):
    if np.isnan(a).any():
        raise np.linalg.LinAlgError(SVD_OF_NAN)
    return _svd_of_finite(a)


def _svd_torch(t, a):
    u, s, vh = t.linalg.svd(a, full_matrices=False)
    u, v = _canonical_signs_torch(t, u, vh.mT)
    return t.cat([u, s.unsqueeze(-2), v], -2)


def _svd_vjp(cts, ins, outs, needed):
    """torch's svd_backward for real A = U S V^T (full_matrices=False):
    U [(skew(U^T gU) / E) S + S (skew(V^T gV) / E) + diag(gS)] V^T
    + (I - U U^T) gU S^-1 V^T + U S^-1 gV^T (I - V V^T), E[i, j] = s_j^2 - s_i^2."""
    m, n = ins[0].shape[-2:]
    u, s, v = svd_parts(outs[0], m, n)
    gu, gs, gv = svd_parts(cts[0], m, n)
    k = s.shape[-1]
    gap = _gaps(lax.mul(s, s))
    utgu, vtgv = lax.matmul(lax.mT(u), gu), lax.matmul(lax.mT(v), gv)
    inner = lax.add(lax.add(lax.mul(_ratio(_skew(utgu), gap), s),
                            lax.mul(lax.mT(s), _ratio(_skew(vtgv), gap))),
                    lax.mul(gs, np.eye(k, dtype=s.dtype)))
    ga = lax.matmul(lax.matmul(u, inner), lax.mT(v))
    if m > k:
        ga = lax.add(ga, lax.matmul(_ratio(lax.sub(gu, lax.matmul(u, utgu)), s), lax.mT(v)))
    if n > k:
        ga = lax.add(ga, lax.matmul(u, lax.mT(_ratio(lax.sub(gv, lax.matmul(v, vtgv)), s))))
    return (ga,)


def _orthogonal(rng, batch, n):
    q, r = np.linalg.qr(rng.standard_normal(batch + (n, n)))
    return q * np.sign(np.diagonal(r, axis1=-2, axis2=-1))[..., None, :]


def separated_singular_values(shape):
    """U diag(s) V^T with random orthogonal U, V and singular values 1, 2, ... (well apart)."""
    def make(rng, dtype):
        batch, (m, n) = tuple(shape[:-2]), shape[-2:]
        k = min(m, n)
        u, v = _orthogonal(rng, batch, m)[..., :k], _orthogonal(rng, batch, n)[..., :k]
        s = np.arange(1, k + 1, dtype=np.float64)[::-1] * 1.3
        return ((u * s[..., None, :]) @ np.swapaxes(v, -1, -2)).astype(dtype)
    return make


def separated_eigenvalues(shape, asymmetry=0.0):
    """V diag(w) V^T with a random orthogonal V and eigenvalues -2.5, -1.2, 0.1, ... plus
    `asymmetry` times a random antisymmetric part (eigh_p symmetrizes its input)."""
    def make(rng, dtype):
        batch, n = tuple(shape[:-2]), shape[-1]
        v = _orthogonal(rng, batch, n)
        w = -2.5 + 1.3 * np.arange(n)
        noise = rng.standard_normal(shape)
        a = (v * w[..., None, :]) @ np.swapaxes(v, -1, -2) + asymmetry * (
            noise - np.swapaxes(noise, -1, -2))
        return a.astype(dtype)
    return make


svd_p = Primitive("svd", shape_rule=_svd_shape, impl=_svd_impl, torch_impl=_svd_torch,
                  vjp=_svd_vjp, domains=("real",), batch=B.leading, blas=True,
                  second_order=True,
                  cases=[case(((3, 3),), values={0: separated_singular_values((3, 3))}),
                         case(((4, 2),), values={0: separated_singular_values((4, 2))}),
                         case(((2, 4),), values={0: separated_singular_values((2, 4))}),
                         case(((2, 3, 2),), values={0: separated_singular_values((2, 3, 2))})])


def _eigh_shape(a):
    n = _square_shape(a).shape[-1]
    return Aval(a.shape[:-2] + (n + 1, n), a.dtype)


def _eigh_impl(a):
    n = a.shape[-1]
    if n == 0:
        return np.zeros(a.shape[:-2] + (1, 0), a.dtype)
    w, v = np.linalg.eigh((a + np.swapaxes(a, -1, -2)) * a.dtype.type(0.5))
    v, _ = canonical_signs(v, v)
    return np.concatenate([w[..., None, :], v], axis=-2)


def _eigh_torch(t, a):
    w, v = t.linalg.eigh((a + a.mT) * 0.5)
    v, _ = _canonical_signs_torch(t, v, v)
    return t.cat([w.unsqueeze(-2), v], -2)


def _eigh_vjp(cts, ins, outs, needed):
    """torch's for A = V diag(w) V^T: V [skew(V^T gV) / (2 E) + diag(gw)] V^T, E[i, j] =
    w_j - w_i; symmetric, so it is also the gradient through eigh_p's symmetrization."""
    w, v = eigh_parts(outs[0])
    gw, gv = eigh_parts(cts[0])
    n = w.shape[-1]
    half_skew = lax.mul(_skew(lax.matmul(lax.mT(v), gv)), 0.5)
    inner = lax.add(_ratio(half_skew, _gaps(w)), lax.mul(gw, np.eye(n, dtype=w.dtype)))
    return (lax.matmul(lax.matmul(v, inner), lax.mT(v)),)


eigh_p = Primitive("eigh", shape_rule=_eigh_shape, impl=_nan_for_nonfinite(_eigh_impl),
                   torch_impl=_eigh_torch, vjp=_eigh_vjp, domains=("real",), batch=B.leading,
                   blas=True, second_order=True,
                   cases=[case(((3, 3),), values={0: separated_eigenvalues((3, 3))}),
                          case(((2, 4, 4),), values={0: separated_eigenvalues((2, 4, 4), 0.3)}),
                          case(((1, 1),), values={0: separated_eigenvalues((1, 1))})])


def _det_shape(a):
    return Aval(_square_shape(a).shape[:-2], a.dtype)


def _det_vjp(cts, ins, outs, needed):
    """g times the cofactor matrix, from the SVD as torch's for every matrix (singular ones
    included): sign(det U det V) U diag(prod_{j != i} s_j) V^T."""
    a = ins[0]
    n = a.shape[-1]
    u, s, v = svd_parts(bind(svd_p, a), n, n)
    others = lax.where(np.eye(n, dtype=bool), 1.0, lax.broadcast_to(s, tuple(s.shape[:-2]) +
                                                                     (n, n)))
    cofactors = R.reduce_prod_p.bind(others, axes=(others.ndim - 1,))
    signs = bind(stop_gradient_p, lax.mul(bind(det_p, u), bind(det_p, v)))
    scale = lax.reshape(lax.mul(cts[0], signs), tuple(a.shape[:-2]) + (1, 1))
    return (lax.mul(scale, lax.matmul(lax.mul(u, lax.reshape(cofactors, s.shape)),
                                      lax.mT(v))),)


def _det_impl(a):
    return np.linalg.det(a) if a.shape[-1] else np.ones(a.shape[:-2], a.dtype)


det_p = Primitive("det", shape_rule=_det_shape, impl=_nan_for_nonfinite(_det_impl),
                  torch_impl=lambda t, a: t.linalg.det(a), vjp=_det_vjp, domains=("real",),
                  batch=B.leading, blas=True, second_order=True,
                  cases=[case(((3, 3),), values={0: well_conditioned((3, 3))}),
                         case(((2, 3, 3),), values={0: well_conditioned((2, 3, 3))}),
                         case(((2, 2),), values={0: separated_singular_values((2, 2))})])


def _slogdet_shape(a):
    return Aval(_square_shape(a).shape[:-2] + (2,), a.dtype)


def _slogdet_impl(a):
    if a.shape[-1] == 0:
        return np.stack([np.ones(a.shape[:-2], a.dtype), np.zeros(a.shape[:-2], a.dtype)], -1)
    sign, logabsdet = np.linalg.slogdet(a)
    return np.stack([sign, logabsdet], -1)


def _slogdet_vjp(cts, ins, outs, needed):
    """The sign is piecewise constant: only log|det| has a gradient, g inv(A)^T."""
    a = ins[0]
    _, g = slogdet_parts(cts[0])
    scale = lax.reshape(g, tuple(a.shape[:-2]) + (1, 1))
    return (lax.mul(scale, lax.mT(bind(inv_p, a))),)


def _negated(make):
    return lambda rng, dtype: -make(rng, dtype)


slogdet_p = Primitive("slogdet", shape_rule=_slogdet_shape,
                      impl=_nan_for_nonfinite(_slogdet_impl, np.array([0.0, np.nan])),
                      torch_impl=lambda t, a: t.stack(t.linalg.slogdet(a), -1),
                      vjp=_slogdet_vjp, domains=("real",), batch=B.leading, blas=True,
                      second_order=True,
                      cases=[case(((3, 3),), values={0: _negated(well_conditioned((3, 3)))}),
                             case(((2, 2, 2),), values={0: well_conditioned((2, 2, 2))})])
