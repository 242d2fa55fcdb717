"""Shape primitives: reshape, transpose, broadcast_to, concatenate, pad, slice, rev.

Stage: primitive definitions. Invariant: parameters are static tuples of Python ints already
normalized by adc.numpy (no -1 in shapes, non-negative starts, positive steps); pad and slice
are each other's VJP, as are transpose/transpose, reshape/reshape and rev/rev.
"""

from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..ir import Aval
from . import batching as B
from . import lax
from .base import Primitive
from .cases import case


def _reshape_shape(x, shape):
    if int(np.prod(shape, dtype=np.int64)) != x.size:
        raise ShapeError(f"cannot reshape {x.shape} ({x.size} elements) into {shape}")
    return Aval(tuple(shape), x.dtype)


reshape_p = Primitive(
    "reshape",
    shape_rule=_reshape_shape,
    impl=lambda x, shape: np.reshape(x, shape),
    torch_impl=lambda t, x, shape: x.reshape(shape),
    vjp=lambda cts, ins, outs, needed, shape: (lax.reshape(cts[0], ins[0].shape),),
    domains=("real",),
    batch=B.reshape,
    rearranging=True,
    collapsing=True,
    second_order=True,
    cases=[case(((2, 3),), {"shape": (3, 2)}), case(((6,),), {"shape": (1, 2, 3)}),
           case(((),), {"shape": (1,)}), case(((0, 3),), {"shape": (3, 0)})],
)


def _transpose_vjp(cts, ins, outs, needed, perm):
    return (lax.transpose(cts[0], np.argsort(perm)),)


transpose_p = Primitive(
    "transpose",
    shape_rule=lambda x, perm: Aval(tuple(x.shape[i] for i in perm), x.dtype),
    impl=lambda x, perm: np.transpose(x, perm),
    torch_impl=lambda t, x, perm: x.permute(*perm),
    vjp=_transpose_vjp,
    domains=("real",),
    batch=B.transpose,
    rearranging=True,
    second_order=True,
    cases=[case(((2, 3, 4),), {"perm": (2, 0, 1)}), case(((2, 3),), {"perm": (1, 0)})],
)


def _broadcast_shape(x, shape):
    try:
        ok = np.broadcast_shapes(x.shape, shape) == tuple(shape)
    except ValueError:
        ok = False
    if not ok:
        raise ShapeError(f"cannot broadcast {x.shape} to {tuple(shape)}")
    return Aval(tuple(shape), x.dtype)


def _broadcast_vjp(cts, ins, outs, needed, shape):
    return (lax.sum_to_shape(cts[0], ins[0].shape),)


broadcast_to_p = Primitive(
    "broadcast_to",
    shape_rule=_broadcast_shape,
    impl=lambda x, shape: np.broadcast_to(x, shape),
    torch_impl=lambda t, x, shape: t.broadcast_to(x, shape),
    vjp=_broadcast_vjp,
    domains=("real",),
    batch=B.broadcast_to,
    rearranging=True,
    fusable=True,
    second_order=True,
    cases=[case(((3,),), {"shape": (2, 3)}), case(((1, 3),), {"shape": (4, 3)}),
           case(((),), {"shape": (2, 2)}), case(((2, 1),), {"shape": (3, 2, 4)})],
)


def _concat_shape(*xs, axis):
    first = xs[0]
    for x in xs[1:]:
        if x.ndim != first.ndim or any(
            a != b for i, (a, b) in enumerate(zip(x.shape, first.shape)) if i != axis
        ):
            raise ShapeError(
                f"along axis {axis}: shapes "
                f"{', '.join(str(x.shape) for x in xs)} differ off that axis"
            )
    shape = list(first.shape)
    shape[axis] = sum(x.shape[axis] for x in xs)
    return Aval(tuple(shape), first.dtype)


def _concat_vjp(cts, ins, outs, needed, axis):
    g, start, result = cts[0], 0, []
    for x, need in zip(ins, needed):
        n = x.shape[axis]
        if need:
            starts = [0] * x.ndim
            stops = list(g.shape)
            starts[axis], stops[axis] = start, start + n
            result.append(lax.slice(g, starts, stops, (1,) * x.ndim))
        else:
            result.append(None)
        start += n
    return tuple(result)


concatenate_p = Primitive(
    "concatenate",
    shape_rule=_concat_shape,
    impl=lambda *xs, axis: np.concatenate(xs, axis),
    torch_impl=lambda t, *xs, axis: t.cat(xs, axis),
    vjp=_concat_vjp,
    domains=("real", "real"),
    batch=B.concatenate,
    second_order=True,
    cases=[case(((2, 3), (1, 3)), {"axis": 0}), case(((2, 1), (2, 2)), {"axis": 1}),
           case(((2,), (0,)), {"axis": 0})],
)


def _pad_shape(x, value, lo, hi, interior):
    if value.shape != ():
        raise ShapeError("pad value must be a scalar")
    shape = tuple(
        lo_ + hi_ + d + max(d - 1, 0) * it for d, lo_, hi_, it in zip(x.shape, lo, hi, interior)
    )
    return Aval(shape, x.dtype)


def _pad_slices(x_shape, lo, interior):
    return tuple(
        slice(lo_, lo_ + (d - 1) * (it + 1) + 1 if d else lo_, it + 1)
        for d, lo_, it in zip(x_shape, lo, interior)
    )


def _pad_impl(x, value, lo, hi, interior):
    out = np.full(_pad_shape(x, value, lo, hi, interior).shape, value, dtype=x.dtype)
    out[_pad_slices(x.shape, lo, interior)] = x
    return out


def _pad_torch(t, x, value, lo, hi, interior):
    out = value.expand(_pad_shape(x, value, lo, hi, interior).shape).clone()
    out[_pad_slices(x.shape, lo, interior)] = x
    return out


def _pad_vjp(cts, ins, outs, needed, lo, hi, interior):
    g, x = cts[0], ins[0]
    sl = _pad_slices(x.shape, lo, interior)
    inner = lax.slice(g, [s.start for s in sl], [s.stop for s in sl], [s.step for s in sl])
    g_value = None
    if needed[1]:
        every = tuple(range(g.ndim))
        g_value = lax.sub(lax.reduce_sum(g, every), lax.reduce_sum(inner, every))
    return (inner if needed[0] else None, g_value)


pad_p = Primitive(
    "pad",
    shape_rule=_pad_shape,
    impl=_pad_impl,
    torch_impl=_pad_torch,
    vjp=_pad_vjp,
    domains=("real", "real"),
    batch=B.pad,
    fusable=True,
    second_order=True,
    cases=[case(((3,), ()), {"lo": (1,), "hi": (2,), "interior": (0,)}),
           case(((2, 3), ()), {"lo": (0, 1), "hi": (1, 0), "interior": (1, 0)}),
           case(((0,), ()), {"lo": (1,), "hi": (1,), "interior": (0,)})],
)


def _slice_shape(x, start, stop, step):
    return Aval(tuple(len(range(a, b, s)) for a, b, s in zip(start, stop, step)), x.dtype)


def _slice_vjp(cts, ins, outs, needed, start, stop, step):
    x, out = ins[0], outs[0]
    last = [a + (n - 1) * s if n else a for a, n, s in zip(start, out.shape, step)]
    hi = tuple(d - 1 - la if n else d - a for d, la, n, a in zip(x.shape, last, out.shape, start))
    return (lax.pad(cts[0], 0, start, hi, [s - 1 for s in step]),)


def _slices(start, stop, step):
    return tuple(slice(a, b, s) for a, b, s in zip(start, stop, step))


slice_p = Primitive(
    "slice",
    shape_rule=_slice_shape,
    impl=lambda x, start, stop, step: x[_slices(start, stop, step)],
    torch_impl=lambda t, x, start, stop, step: x[_slices(start, stop, step)],
    vjp=_slice_vjp,
    domains=("real",),
    batch=B.slice_,
    second_order=True,
    cases=[case(((5,),), {"start": (1,), "stop": (5,), "step": (2,)}),
           case(((4, 3),), {"start": (0, 1), "stop": (3, 3), "step": (1, 1)}),
           case(((4,),), {"start": (2,), "stop": (2,), "step": (1,)})],
)


rev_p = Primitive(
    "rev",
    shape_rule=lambda x, axes: x,
    impl=lambda x, axes: np.flip(x, axes),
    torch_impl=lambda t, x, axes: t.flip(x, axes),
    vjp=lambda cts, ins, outs, needed, axes: (lax.rev(cts[0], axes),),
    domains=("real",),
    batch=B.shifted("axes"),
    second_order=True,
    cases=[case(((2, 3),), {"axes": (1,)}), case(((2, 3),), {"axes": (0, 1)})],
)
