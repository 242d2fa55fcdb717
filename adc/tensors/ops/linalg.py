"""Products of tensors: matmul and its checked spellings (mm, bmm, mv, dot), the scaled sums
addmm/addbmm/addmv/addr/baddbmm, outer, kron, cross, trace, einsum, tensordot.

Stage: tensor front end; the invariants are the package's (ops/__init__.py).
"""
from __future__ import annotations

import functools
import warnings

import numpy as np

from ... import numpy as anp
from .. import dtypes
from ..dispatch import op, refuse_traced
from ..tensor import apply
from .common import _as_tensor, _name
from .elementwise import _cast_then, mul
from .shapes import _dim, unsqueeze


def _same_dtype(a, b, what):
    if a.dtype != b.dtype:
        raise RuntimeError(f"{what}: expected both operands to have the same dtype, but got "
                           f"{a.dtype} and {b.dtype}")


@op(numpy=anp.matmul, out=True)
def matmul(input, other):
    _same_dtype(input, refuse_traced(other), "matmul")
    if input.ndim == 0 or other.ndim == 0:
        raise RuntimeError("both arguments to matmul need to be at least 1D, but they are "
                           f"{input.ndim}D and {other.ndim}D")
    name = {(1, 1): "Dot", (2, 1): "Mv", (2, 2): "Mm", (3, 3): "Bmm"}.get(
        (input.ndim, other.ndim), "Matmul")
    return apply(_name(name), anp.matmul, [input, other])


def _checked(name, ranks):
    def checked(input, other):
        if (input.ndim, other.ndim) != ranks:
            raise RuntimeError(f"{name}: expected {ranks[0]}-D and {ranks[1]}-D tensors, got "
                               f"{input.ndim}-D and {other.ndim}-D")
        return matmul(input, other)
    return op(checked, name=name, composite=True, out=True)


mm = _checked("mm", (2, 2))
bmm = _checked("bmm", (3, 3))
mv = _checked("mv", (2, 1))
dot = _checked("dot", (1, 1))


@op(composite=True, out=True)
def outer(input, vec2):
    return mul(unsqueeze(input, 1), vec2)


def _batched_mm(a, b):
    return anp.sum(anp.matmul(a, b), axis=0)


@functools.cache
def _scaled_sum(product):
    def scaled_sum(x, a, b, *, beta, alpha):
        """beta * x + alpha * product(a, b); beta == 0 ignores x (its NaNs too, as torch)."""
        p = product(a, b)
        p = p if alpha == 1 else anp.multiply(p, alpha)
        if beta == 0:
            return p
        return anp.add(x if beta == 1 else anp.multiply(x, beta), p)
    scaled_sum.__qualname__ = f"scaled_sum_{product.__name__}"
    return scaled_sum


def _product_shape(name, a, b, words):
    """The shape of the product of `a` and `b` in add<product>, checked as torch does."""
    if name == "addr":
        return a.shape + b.shape
    if a.ndim == 3 and a.shape[0] != b.shape[0]:
        raise RuntimeError(f"{words[0]} and {words[1]} must have same number of batches, got "
                           f"{a.shape[0]} and {b.shape[0]}")
    inner = b.shape[-2] if b.ndim > 1 else b.shape[0]
    if a.shape[-1] != inner:
        raise RuntimeError(f"{name}: {words[0]} and {words[1]} shapes cannot be multiplied "
                           f"({'x'.join(map(str, a.shape))} and {'x'.join(map(str, b.shape))})")
    shape = a.shape[:-1] + b.shape[-1:] if b.ndim > 1 else a.shape[:-1]
    return shape[1:] if name == "addbmm" else shape


def _broadcasts_to(shape, target) -> bool:
    try:
        return np.broadcast_shapes(shape, target) == tuple(target)
    except ValueError:
        return False


def _add_product(name, torch_name, ranks, product, words=("mat1", "mat2")):
    def add_product(input, a, b, *, beta=1, alpha=1):
        a, b = _as_tensor(a), _as_tensor(b)
        if (a.ndim, b.ndim) != ranks:
            raise RuntimeError(f"{name}: expected {words[0]} to be {ranks[0]}-D and {words[1]} "
                               f"{ranks[1]}-D, but got {a.ndim}-D and {b.ndim}-D tensors")
        shape = _product_shape(name, a, b, words)
        if not _broadcasts_to(input.shape, shape):
            raise RuntimeError(f"{name}: the input of shape {list(input.shape)} does not "
                               f"broadcast to the product's shape {list(shape)}")
        if name == "addr":  # torch promotes addr's operands; the matrix products need one dtype
            dt = dtypes.result_type(input, a, b)
            input, a, b = (x.to(dt) for x in (_as_tensor(input), a, b))
        elif not input.dtype == a.dtype == b.dtype:
            raise RuntimeError(f"{name}: expected the input, {words[0]} and {words[1]} to have "
                               f"the same dtype, but got {dtypes.scalar_type(input.dtype)}, "
                               f"{dtypes.scalar_type(a.dtype)} and {dtypes.scalar_type(b.dtype)}")
        if input.dtype.kind in "iub":  # torch truncates the scalars of integer products
            beta, alpha = int(beta), int(alpha)
        return apply(_name(torch_name), _scaled_sum(product), [input, a, b],
                     (("alpha", alpha), ("beta", beta)))

    def numpy_form(input, a, b, *, beta=1, alpha=1):
        return _scaled_sum(product)(input, a, b, beta=beta, alpha=alpha)
    return op(add_product, name=name, inplace=True, numpy=numpy_form, out=True)


addmm = _add_product("addmm", "Addmm", (2, 2), anp.matmul)
addbmm = _add_product("addbmm", "Addbmm", (3, 3), _batched_mm, ("batch1", "batch2"))
baddbmm = _add_product("baddbmm", "Baddbmm", (3, 3), anp.matmul, ("batch1", "batch2"))
addmv = _add_product("addmv", "Addmv", (2, 1), anp.matmul, ("mat", "vec"))
addr = _add_product("addr", "Addr", (1, 1), anp.outer, ("vec1", "vec2"))


@op(numpy=anp.kron, out=True)
def kron(input, other):
    dt = dtypes.result_type(_as_tensor(input), _as_tensor(other))
    return apply("UnsafeViewBackward0", _cast_then(anp.kron), [_as_tensor(input), _as_tensor(other)],
                 (("dtype", dt.char),))


def _cross(a, b, axis, dtype=None):
    if dtype is not None:
        a, b = anp.astype(a, dtype), anp.astype(b, dtype)
    return anp.cross(a, b, axis=axis)


def _cross_dim(a, b, dim, what):
    shape = np.broadcast_shapes(a.shape, b.shape)
    if dim is None:  # torch.cross's deprecated default: the first dimension of size 3
        warnings.warn("Using torch.cross without specifying the dim arg is deprecated.\n"
                      "Please either pass the dim explicitly or simply use torch.linalg.cross."
                      "\nThe default value of dim will change to agree with that of "
                      "linalg.cross in a future release.", UserWarning, stacklevel=3)
        dim = next((i for i, n in enumerate(shape) if n == 3), None)
        if dim is None:
            raise RuntimeError("no dimension of size 3 in input")
    d = _dim(dim, len(shape))
    if a.shape[d - len(shape) + a.ndim] != 3 or b.shape[d - len(shape) + b.ndim] != 3:
        raise RuntimeError(f"{what}: inputs dimension {dim} must have length 3. Got "
                           f"{a.shape[d - len(shape) + a.ndim]} and "
                           f"{b.shape[d - len(shape) + b.ndim]}")
    return d


def cross_product(input, other, dim, what):
    """The cross product along `dim` (None: torch.cross's deprecated default)."""
    input, other = _as_tensor(input), _as_tensor(other)
    if input.ndim != other.ndim:
        raise RuntimeError(f"{what}: inputs must have the same number of dimensions.")
    d = _cross_dim(input, other, dim, what)
    dt = dtypes.result_type(input, other)
    return apply("LinalgCrossBackward0", _cross, [input, other],
                 (("axis", d), ("dtype", dt.char)))


@op(numpy=lambda input, other, dim=None: _cross(input, other, -1 if dim is None else dim),
    out=True)
def cross(input, other, dim=None):
    return cross_product(input, other, dim, "linalg.cross")


@op(numpy=anp.trace)
def trace(input):
    if input.ndim != 2:
        raise RuntimeError(f"trace: expected a matrix, but got tensor with dim {input.ndim}")
    if input.dtype.kind == "b":
        raise NotImplementedError('"trace" not implemented for \'Bool\'')
    if input.dtype.kind in "biu":
        input = input.to(dtypes.int64)
    return apply(_name("Trace"), anp.trace, [input])


def _einsum_operands(operands):
    """torch.einsum(equation, *operands) also takes the operands as one list."""
    if len(operands) == 1 and isinstance(operands[0], (list, tuple)):
        return list(operands[0])
    return list(operands)


def _einsum(*xs, spec):
    return anp.einsum(spec, *xs)


@op(method=False, numpy=lambda equation, *operands: anp.einsum(equation,
                                                               *_einsum_operands(operands)))
def einsum(equation, *operands):
    """One recorded op (grad_fn EinsumBackward0; torch names the last of the products it
    decomposes the equation into)."""
    tensors = [_as_tensor(t) for t in _einsum_operands(operands)]
    for t in tensors[1:]:
        if t.dtype != tensors[0].dtype:
            raise RuntimeError(f"expected scalar type {dtypes.scalar_type(tensors[0].dtype)} "
                               f"but found {dtypes.scalar_type(t.dtype)}")
    return apply("EinsumBackward0", _einsum, tensors, (("spec", equation),))


def _tensordot_axes(a, b, dims):
    """torch's dims (an int N: a's last N with b's first N; or two lists) as numpy's axes,
    checked with torch's errors."""
    na, nb = anp.ndim(a), anp.ndim(b)
    if isinstance(dims, (int, np.integer)):
        if dims < 0:
            raise RuntimeError(f"tensordot expects dims >= 0, but got dims={dims}")
        if dims > na or dims > nb:
            raise RuntimeError(f"tensordot expects dims < ndim_a or ndim_b, but got dims={dims}")
        dims = (tuple(range(na - dims, na)), tuple(range(dims)))
    xa, xb = (tuple(int(d) for d in np.atleast_1d(np.asarray(ds))) for ds in dims)
    if len(xa) != len(xb):
        raise RuntimeError("both dimension lists should have same length")
    sa, sb = anp.shape(a), anp.shape(b)
    for i, j in zip(xa, xb):
        if sa[i] != sb[j]:
            raise RuntimeError(f"contracted dimensions need to match, but first has size "
                               f"{sa[i]} in dim {i} and second has size {sb[j]} in dim {j}")
    return xa, xb


@op(method=False, out=True, numpy=lambda a, b, dims=2: anp.tensordot(
    a, b, _tensordot_axes(a, b, dims)))
def tensordot(a, b, dims=2):
    a, b = _as_tensor(a), _as_tensor(b)
    _same_dtype(a, b, "tensordot")
    return apply(_name("View"), anp.tensordot, [a, b], (("axes", _tensordot_axes(a, b, dims)),))
