"""Linear-algebra primitives: batched matmul, einsum, inv, solve.

Stage: primitive definitions. Invariant: matmul and solve take operands of rank >= 2 whose
batch dimensions broadcast (adc.numpy handles 1-D operands by reshaping); VJPs are written
with the same primitives, so second derivatives work; batch broadcasting is undone by ad.py.
"""
from __future__ import annotations

import numpy as np

from ..errors import ShapeError, UnsupportedError
from ..ir import Aval
from . import lax
from .base import Primitive, broadcast_shapes
from .cases import case, well_conditioned


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
                     domains=("real", "real"), blas=True, second_order=True,
                     cases=[case(((2, 3), (3, 4))), case(((5, 2, 3), (3, 2))),
                            case(((2, 1, 2, 3), (4, 3, 2))), case(((2, 0), (0, 3)))])


def parse_einsum(spec: str, ndims):
    if "..." in spec or "->" not in spec:
        raise UnsupportedError(f"einsum {spec!r}: write the output explicitly ('ij,jk->ik'); "
                               "ellipsis is not supported")
    ins, out = spec.replace(" ", "").split("->")
    ins = ins.split(",")
    if len(ins) != len(ndims) or len(ins) > 2:
        raise UnsupportedError(f"einsum {spec!r}: one or two operands are supported")
    for sub, nd in zip(ins, ndims):
        if len(sub) != nd:
            raise ShapeError(f"subscripts {spec!r}: subscript {sub!r} for an operand of rank {nd}")
        if len(set(sub)) != len(sub):
            raise UnsupportedError(f"einsum {spec!r}: repeated index within one operand; use "
                                   "adc.numpy.diagonal/trace")
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
                     domains=("real", "real"), blas=True, second_order=True,
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


def _inv_vjp(cts, ins, outs, needed):
    ans_t = lax.mT(outs[0])
    return (lax.neg(lax.matmul(lax.matmul(ans_t, cts[0]), ans_t)),)


inv_p = Primitive("inv", shape_rule=_square_shape, impl=np.linalg.inv,
                  torch_impl=lambda t, a: t.linalg.inv(a), vjp=_inv_vjp, domains=("real",),
                  blas=True, second_order=True,
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


solve_p = Primitive("solve", shape_rule=_solve_shape, impl=np.linalg.solve,
                    torch_impl=lambda t, a, b: t.linalg.solve(a, b), vjp=_solve_vjp,
                    domains=("real", "real"), blas=True, second_order=True,
                    cases=[case(((3, 3), (3, 2)), values={0: well_conditioned((3, 3))}),
                           case(((2, 3, 3), (3, 1)), values={0: well_conditioned((2, 3, 3))})])
