"""Selection and type primitives: where, convert_element_type, stop_gradient.

Stage: primitive definitions. Invariant: `where` passes the cotangent to exactly one branch
per element (so the double-where pattern keeps NaN out of the safe branch's gradient).
"""
from __future__ import annotations

import numpy as np

from ..ir import Aval
from . import batching as B
from . import lax
from .base import Primitive, broadcast_shapes
from .cases import case


def _where_shape(c, x, y):
    if x.dtype != y.dtype:
        raise TypeError(f"where: branches of dtypes {x.dtype} and {y.dtype} were not promoted")
    return Aval(broadcast_shapes(c.shape, x.shape, y.shape), x.dtype)


def _where_vjp(cts, ins, outs, needed):
    g, (c, _, _) = cts[0], ins
    zero = np.zeros((), outs[0].dtype)
    return (None,
            lax.where(c, g, zero) if needed[1] else None,
            lax.where(c, zero, g) if needed[2] else None)


where_p = Primitive("where", shape_rule=_where_shape, impl=np.where,
                    torch_impl=lambda t, c, x, y: t.where(c, x, y), vjp=_where_vjp,
                    domains=("bool", "real", "real"), batch=B.broadcasting, fusable=True,
                    second_order=True,
                    cases=[case(((3,), (3,), (3,))), case(((2, 3), (3,), ())),
                           case(((2, 1), (), (1, 3))), case(((0,), (0,), ()))])


def _convert_vjp(cts, ins, outs, needed, dtype):
    return (lax.astype(cts[0], ins[0].dtype) if needed[0] else None,)


convert_p = Primitive(
    "convert_element_type",
    shape_rule=lambda x, dtype: Aval(x.shape, np.dtype(dtype)),
    impl=lambda x, dtype: x.astype(dtype),
    torch_impl=lambda t, x, dtype: x.to(getattr(t, np.dtype(dtype).name)),
    vjp=_convert_vjp, domains=("real",), batch=B.broadcasting, fusable=True,
    second_order=True,
    cases=[case(((3,),), {"dtype": "float64"}), case(((2, 3),), {"dtype": "float32"})])

stop_gradient_p = Primitive("stop_gradient", shape_rule=lambda x: x, impl=lambda x: x,
                            torch_impl=lambda t, x: x.detach(),
                            vjp=lambda cts, ins, outs, needed: (None,), domains=("real",),
                            batch=B.broadcasting, fusable=True, cases=[case(((3,),))])
