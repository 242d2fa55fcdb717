"""The order of elements: argsort, the stable ascending order along one axis (NaN last, as
numpy and torch sort). It has no gradient; sorted values, order statistics and quantiles
(adc.numpy.ordering) take the input along it, so their gradients reach the picked elements.

Stage: primitive definitions. Invariant: the result is int64, of the input's shape, and among
equal elements keeps their order (so every target gives the same indices).
"""
from __future__ import annotations

import numpy as np

from ..errors import ShapeError
from ..ir import Aval
from . import batching as B
from .base import Primitive
from .cases import case, const


def _argsort_shape(x, axis):
    if not 0 <= axis < x.ndim:
        raise ShapeError(f"axis {axis} is out of bounds for an array of dimension {x.ndim}")
    return Aval(x.shape, np.dtype(np.int64))


_TIES = const([[3.0, 1.0, 3.0, np.nan, 1.0], [0.5, -np.inf, 0.5, 2.0, np.inf]])

argsort_p = Primitive(
    "argsort", shape_rule=_argsort_shape,
    impl=lambda x, axis: np.argsort(x, axis=axis, kind="stable").astype(np.int64),
    torch_impl=lambda t, x, axis: t.argsort(x, dim=axis, stable=True), vjp=None,
    differentiable=False, domains=("real",), batch=B.shifted("axis"), axis_kernel="argsort3",
    cases=[case(((4,),), {"axis": 0}), case(((2, 3),), {"axis": 0}),
           case(((2, 3),), {"axis": 1}), case(((2, 1, 3),), {"axis": 2}),
           case(((2, 5),), {"axis": 1}, values={0: _TIES}), case(((0, 3),), {"axis": 0}),
           case(((2, 5),), {"axis": 0}, values={0: _TIES})])
