"""Selection and type primitives: where, convert_element_type, stop_gradient.

Stage: primitive definitions. Invariant: `where` passes the cotangent to exactly one branch
per element (so the double-where pattern keeps NaN out of the safe branch's gradient).
"""
from __future__ import annotations

import numpy as np

from ..ir import Aval
from .base import Primitive
from .elementwise import broadcast_shapes


def _where_shape(c, x, y):
    if x.dtype != y.dtype:
        raise TypeError(f"where: branches of dtypes {x.dtype} and {y.dtype} were not promoted")
    return Aval(broadcast_shapes(c.shape, x.shape, y.shape), x.dtype)


def _where_vjp(cts, ins, outs, needed):
    from .. import numpy as anp

    g, (c, _, _) = cts[0], ins
    zero = np.zeros((), outs[0].dtype)
    return (None,
            anp.where(c, g, zero) if needed[1] else None,
            anp.where(c, zero, g) if needed[2] else None)


where_p = Primitive("where", shape_rule=_where_shape, impl=np.where,
                    torch_impl=lambda t, c, x, y: t.where(c, x, y), vjp=_where_vjp,
                    domains=("bool", "real", "real"))


def _convert_vjp(cts, ins, outs, needed, dtype):
    from .. import numpy as anp

    x = ins[0]
    return (anp.astype(cts[0], x.dtype) if needed[0] else None,)


convert_p = Primitive(
    "convert_element_type",
    shape_rule=lambda x, dtype: Aval(x.shape, np.dtype(dtype)),
    impl=lambda x, dtype: x.astype(dtype),
    torch_impl=lambda t, x, dtype: x.to(getattr(t, np.dtype(dtype).name)),
    vjp=_convert_vjp, domains=("real",))

stop_gradient_p = Primitive("stop_gradient", shape_rule=lambda x: x, impl=lambda x: x,
                            torch_impl=lambda t, x: x.detach(),
                            vjp=lambda cts, ins, outs, needed: (None,), domains=("real",))
