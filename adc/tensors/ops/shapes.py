"""Shape tensor ops (views where torch returns views): reshape/view, flatten/unflatten, squeeze/
unsqueeze, permute/transpose, expand, repeat, flip, roll, clone, cat/stack, narrow/chunk/split,
diag/diagonal, triu/tril.

Stage: tensor front end; the invariants are the package's (ops/__init__.py).
"""
from __future__ import annotations

import builtins
import functools
import math
import numbers

import numpy as np

from ... import numpy as anp
from .. import dtypes
from ..dispatch import op
from ..tensor import Tensor, apply
from .common import _as_tensor, _axis, _dim, _dims, _name


def _shape_args(shape):
    if len(shape) == 1 and not isinstance(shape[0], numbers.Integral):
        shape = shape[0]
    return tuple(int(s) for s in shape)


def _reshape(x, shape):
    return anp.reshape(x, shape)


@op(numpy=lambda input, *shape: anp.reshape(input, _shape_args(shape)))
def reshape(input, *shape):
    return apply(_name("View"), _reshape, [input], (("shape", _shape_args(shape)),),
                 view=input.is_contiguous())


@op(function=False)
def view(input, *shape):
    if not input.is_contiguous():
        raise RuntimeError("view size is not compatible with input tensor's size and stride "
                           "(at least one dimension spans across two contiguous subspaces). "
                           "Use .reshape(...) instead.")
    return reshape(input, *shape)


@op(composite=True)
def flatten(input, start_dim=0, end_dim=-1):
    s, e = _dim(start_dim, input.ndim), _dim(end_dim, input.ndim)
    if s > e:
        raise RuntimeError("flatten() has invalid args: start_dim cannot come after end_dim")
    shape = input.shape[:s] + (-1,) + input.shape[e + 1:] if input.ndim else (1,)
    return reshape(input, shape)


@op(numpy=anp.expand_dims)
def unsqueeze(input, dim):
    return apply(_name("Unsqueeze"), anp.expand_dims, [input],
                 (("axis", _dim(dim, input.ndim + 1)),), view=True)


def _numpy_squeeze(input, dim=None):
    """torch's squeeze(dim) leaves a dimension that is not 1 in place; numpy's refuses it."""
    if dim is not None and (anp.ndim(input) == 0 or anp.shape(input)[dim] != 1):
        return input
    return anp.squeeze(input, dim)


@op(numpy=_numpy_squeeze)
def squeeze(input, dim=None):
    if dim is not None:
        dims = tuple(d for d in _dims(dim, input.ndim) if input.shape[d] == 1)
        if not dims:
            return input.view(input.shape)
    else:
        dims = tuple(i for i, n in enumerate(input.shape) if n == 1)
    return apply(_name("Squeeze"), anp.squeeze, [input], (("axis", dims),), view=True)


@op(numpy=lambda input, *dims: anp.transpose(input, _shape_args(dims)))
def permute(input, *dims):
    dims = _shape_args(dims)
    if len(dims) != input.ndim:
        raise RuntimeError(f"permute(sparse_coo): number of dimensions in the tensor input does "
                           f"not match the length of the desired ordering of dimensions i.e. "
                           f"input.dim() = {input.ndim} is not equal to len(dims) = {len(dims)}")
    dims = tuple(_dim(d, input.ndim) for d in dims)
    if len(set(dims)) != len(dims):
        raise RuntimeError("permute(): duplicate dims are not allowed.")
    return apply(_name("Permute"), anp.transpose, [input], (("axes", dims),), view=True)


@op(numpy=anp.swapaxes)
def transpose(input, dim0, dim1):
    axes = list(range(input.ndim))
    d0, d1 = _dim(dim0, input.ndim), _dim(dim1, input.ndim)
    if input.ndim:
        axes[d0], axes[d1] = axes[d1], axes[d0]
    return apply(_name("Transpose"), anp.transpose, [input], (("axes", tuple(axes)),), view=True)


swapaxes = op(transpose, name="swapaxes")
swapdims = op(transpose, name="swapdims")


def _movedim_order(ndim, source, destination):
    source = [source] if isinstance(source, numbers.Integral) else list(source)
    destination = [destination] if isinstance(destination, numbers.Integral) else list(
        destination)
    if len(source) != len(destination):
        raise RuntimeError(f"movedim: Invalid source or destination dims: source "
                           f"({source} dims) should contain the same number of dims as "
                           f"destination ({destination} dims)")
    source = [_dim(d, ndim) for d in source]
    destination = [_dim(d, ndim) for d in destination]
    for what, dims in (("source", source), ("destination", destination)):
        if len(set(dims)) < len(dims):
            raise RuntimeError(f"movedim: repeated dim in `{what}` ({dims})")
    rest = iter(d for d in range(ndim) if d not in source)
    placed = dict(zip(destination, source))
    return tuple(placed[i] if i in placed else next(rest) for i in range(ndim))


@op(numpy=anp.moveaxis)
def movedim(input, source, destination):
    return permute(input, _movedim_order(input.ndim, source, destination))


moveaxis = op(movedim, name="moveaxis")


@op(function=False, composite=True)
def view_as(input, other):
    return view(input, other.shape)


@op(function=False, composite=True)
def reshape_as(input, other):
    return reshape(input, other.shape)


@op(numpy=anp.ravel)
def ravel(input):
    return reshape(input, -1)


def _selections(x, *, axis, n):
    lead = (slice(None),) * axis
    return tuple(x[lead + (i,)] for i in range(n))


@op(numpy=lambda input, dim=0: _selections(input, axis=dim % anp.ndim(input),
                                           n=anp.shape(input)[dim]))
def unbind(input, dim=0):
    d = _dim(dim, input.ndim)
    return apply(_name("Unbind"), _selections, [input], (("axis", d), ("n", input.shape[d])),
                 view=True)


@op(numpy=anp.transpose)
def t(input):
    if input.ndim > 2:
        raise RuntimeError(f"t() expects a tensor with <= 2 dimensions, but self is "
                           f"{input.ndim}D")
    axes = (1, 0) if input.ndim == 2 else tuple(range(input.ndim))
    return apply(_name("T"), anp.transpose, [input], (("axes", axes),), view=True)


@op(function=False)
def expand(input, *sizes):
    sizes = _shape_args(sizes)
    lead = len(sizes) - input.ndim
    shape = tuple(input.shape[i - lead] if s == -1 else s for i, s in enumerate(sizes))
    return apply(_name("Expand"), anp.broadcast_to, [input], (("shp", shape),), view=True)


@op(function=False)
def expand_as(input, other):
    return expand(input, other.shape)


@op(function=False)
def broadcast_to(input, size):
    return expand(input, size)


@op(function=False)
def repeat(input, *sizes):
    if len(_shape_args(sizes)) < input.ndim:
        raise RuntimeError("Number of dimensions of repeat dims can not be smaller than number "
                           "of dimensions of tensor")
    return apply(_name("Repeat"), anp.tile, [input], (("reps", _shape_args(sizes)),))


@op(numpy=lambda input, dims: anp.flip(input, _axis(dims)), out=True)
def flip(input, dims):
    return apply(_name("Flip"), anp.flip, [input], (("axis", _dims(dims, input.ndim)),))


def _identity(x):
    return x


@op
def clone(input):
    return apply(_name("Clone"), _identity, [input])


@op(function=False)
def contiguous(input):
    return input if input.is_contiguous() else clone(input)


def _join(name, fn, tensors, dim):
    tensors = [_as_tensor(x) for x in tensors]
    if not tensors:
        raise RuntimeError(f"{name.lower()}(): expected a non-empty list of Tensors")
    dt = dtypes.result_type(*tensors)
    return apply(_name(name), _joined(fn), tensors, (("axis", dim), ("dtype", dt.char)))


@functools.cache
def _joined(fn):
    def joined(*xs, axis, dtype):
        return fn([anp.astype(x, dtype) for x in xs], axis=axis)
    return joined


@op(method=False, numpy=lambda tensors, dim=0: anp.concatenate(list(tensors), dim), out=True)
def cat(tensors, dim=0):
    return _join("Cat", anp.concatenate, tensors, dim)


concatenate = op(cat, name="concatenate", method=False)
concat = op(cat, name="concat", method=False)


@op(method=False, numpy=lambda tensors, dim=0: anp.stack(list(tensors), dim), out=True)
def stack(tensors, dim=0):
    return _join("Stack", anp.stack, tensors, dim)


@op(composite=True)
def unflatten(input, dim, sizes):
    d = _dim(dim, input.ndim)
    sizes = tuple(int(s) for s in sizes)
    known = math.prod(s for s in sizes if s != -1)
    n = input.shape[d]
    if list(sizes).count(-1) > 1 or (-1 not in sizes and known != n) or (
            -1 in sizes and (known == 0 or n % known)):
        raise RuntimeError(f"unflatten: Provided sizes {list(sizes)} don't multiply up to the "
                           f"size of dim {dim} ({n}) in the input tensor")
    return reshape(input, tuple(input.shape[:d]) + sizes + tuple(input.shape[d + 1:]))


def _pieces(x, *, axis, bounds):
    """The slices [a, b) of `x` along `axis` (views where the input is a tensor)."""
    lead = (slice(None),) * axis
    return tuple(x[lead + (slice(a, b),)] for a, b in bounds)


def _split(input, bounds, dim, name):
    if isinstance(input, Tensor):
        return apply(name, _pieces, [input], (("axis", dim), ("bounds", tuple(bounds))),
                     view=True)
    return _pieces(input, axis=dim, bounds=bounds)


def _size(x, d):
    return anp.shape(x)[d] if not isinstance(x, Tensor) else x.shape[d]


@op(composite=True)
def select(input, dim, index):
    if not anp.ndim(input):
        raise IndexError("select() cannot be applied to a 0-dim tensor.")
    d = _dim(dim, anp.ndim(input))
    n, index = _size(input, d), int(index)
    if not -n <= index < n:
        raise IndexError(f"select(): index {index} out of range for tensor of size "
                         f"{list(anp.shape(input))} at dimension {d}")
    return input[(slice(None),) * d + (index,)]


@op(composite=True)
def narrow(input, dim, start, length):
    d = _dim(dim, anp.ndim(input))
    n, start = _size(input, d), int(start)
    if not -n <= start <= n:
        raise IndexError(f"start out of range (expected to be in range of [{-n}, {n}], but got "
                         f"{start})")
    start = start + n if start < 0 else start
    if length < 0 or start + length > n:
        raise RuntimeError(f"start ({start}) + length ({length}) exceeds dimension size ({n}).")
    return input[(slice(None),) * d + (slice(start, start + length),)]


@op(composite=True)
def chunk(input, chunks, dim=0):
    if chunks <= 0:
        raise RuntimeError(f"chunk expects `chunks` to be greater than 0, got: {chunks}")
    d = _dim(dim, anp.ndim(input))
    n = _size(input, d)
    if n == 0:  # torch: `chunks` empty pieces (by split_with_sizes)
        return _split(input, [(0, 0)] * chunks, d, "SplitWithSizesBackward0")
    step = -(-n // chunks)
    return _split(input, [(a, builtins.min(a + step, n)) for a in range(0, n, step)], d,
                  "SplitBackward0")


@op(composite=True)
def split(tensor, split_size_or_sections, dim=0):
    d = _dim(dim, anp.ndim(tensor))
    n = _size(tensor, d)
    sizes = split_size_or_sections
    if isinstance(sizes, numbers.Integral):
        if sizes < 0 or (sizes == 0 and n):
            raise RuntimeError(f"split expects split_size be non-negative, but got split_size="
                               f"{sizes}" if sizes < 0 else
                               "split_size can only be 0 if dimension size is 0, but got "
                               f"dimension size of {n}")
        starts = range(0, n, sizes) if n else [0]  # an empty dimension: one empty piece
        return _split(tensor, [(a, builtins.min(a + sizes, n)) for a in starts], d,
                      "SplitBackward0")
    sizes = [int(s) for s in sizes]
    if builtins.sum(sizes) != n or builtins.min(sizes, default=0) < 0:
        raise RuntimeError(f"split_with_sizes expects split_sizes to sum exactly to {n} "
                           f"(input tensor's size at dimension {d}), but got split_sizes="
                           f"{sizes}")
    ends = np.cumsum(sizes).tolist()
    return _split(tensor, [(e - s, e) for s, e in zip(sizes, ends)], d,
                  "SplitWithSizesBackward0")


def _roll(x, *, shifts, axes):
    return anp.roll(x, shifts, axes)


def _roll_args(x, shifts, dims):
    shifts = (shifts,) if isinstance(shifts, numbers.Integral) else tuple(shifts)
    if dims is None:
        if len(shifts) != 1:
            raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, "
                               "dims:0")
        return shifts, None
    dims = (dims,) if isinstance(dims, numbers.Integral) else tuple(dims)
    if len(shifts) != len(dims):
        raise RuntimeError(f"shifts and dimensions must align. shifts: {len(shifts)}, dims:"
                           f"{len(dims)}")
    return shifts, tuple(_dim(d, anp.ndim(x)) for d in dims)


@op(numpy=lambda input, shifts, dims=None: anp.roll(input, *_roll_args(input, shifts, dims)))
def roll(input, shifts, dims=None):
    shifts, axes = _roll_args(input, shifts, dims)
    return apply(_name("Roll"), _roll, [input], (("axes", axes), ("shifts", shifts)))


def _diagonal_args(ndim, dim1, dim2):
    if ndim < 2:
        raise RuntimeError(f"diagonal dimensions requires ndim larger than 1, but got {ndim}")
    d1, d2 = _dim(dim1, ndim), _dim(dim2, ndim)
    if d1 == d2:
        raise RuntimeError(f"diagonal dimensions cannot be identical {dim1}, {dim2}")
    return d1, d2


@op(numpy=lambda input, offset=0, dim1=0, dim2=1: anp.diagonal(input, offset, dim1, dim2))
def diagonal(input, offset=0, dim1=0, dim2=1):
    d1, d2 = _diagonal_args(input.ndim, dim1, dim2)
    out = apply(_name("Diagonal"), anp.diagonal, [input],
                (("axis1", d1), ("axis2", d2), ("offset", offset)), view=True)
    # adc.numpy's diagonal gathers a copy; torch's is a view, so the result takes numpy's
    # strided view of the same elements (writes through it reach the input, as in torch)
    start = [slice(None)] * input.ndim
    start[d2 if offset >= 0 else d1] = slice(builtins.abs(offset), None)
    first = input._data[tuple(start)]
    view = np.diagonal(input._data, offset, d1, d2)
    if view.size:
        out._data = np.lib.stride_tricks.as_strided(first, view.shape, view.strides)
    return out


@op(numpy=lambda input, diagonal=0: anp.diag(input, diagonal), out=True)
def diag(input, diagonal=0):
    if input.ndim not in (1, 2):
        raise RuntimeError("diag(): Supports 1D or 2D tensors. Got " f"{input.ndim}D")
    name = "DiagEmbedBackward0" if input.ndim == 1 else "DiagonalBackward0_copy"
    return apply(name, anp.diag, [input], (("k", diagonal),))


def _triangle(lower):
    fn = anp.tril if lower else anp.triu
    torch_name = "Tril" if lower else "Triu"

    def triangle(input, diagonal=0):
        if input.ndim < 2:
            raise RuntimeError(f"{torch_name.lower()}: input tensor must have at least 2 "
                               "dimensions")
        return apply(_name(torch_name), fn, [input], (("k", diagonal),))
    return op(triangle, name=torch_name.lower(), inplace=True,
              numpy=lambda input, diagonal=0: fn(input, diagonal), out=True)


tril = _triangle(True)
triu = _triangle(False)
