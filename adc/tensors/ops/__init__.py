"""Tensor operations with torch's names and signatures, built on adc.numpy.

Stage: tensor front end. Invariants: each operation is declared once, with `@op` (dispatch.py),
in the module of its family (elementwise, bitwise, math_functions, reductions, statistics,
linalg, matrices, shapes, joins, indexing, predicates, sampling): that table is the only list of the
functions, methods and in-place methods, and it holds the op's numpy form for inputs that are
not Tensors. On Tensors each operation is a module-level function of adc.numpy calls (so its
traced graph is cached by identity) applied through `tensor.apply`; torch's dtype rules are
decided before the call (dtypes.py) and data-dependent facts (argmax indices, boolean masks,
sort orders) are computed eagerly and passed in as integer inputs, so the graph depends only
on shapes and dtypes.
"""
from __future__ import annotations

from ..dispatch import function_names, namespace_functions
from . import (  # noqa: F401  (declare)
    bitwise, elementwise, indexing, joins, linalg, math_functions, matrices, predicates,
    reductions, sampling, shapes, statistics)
from .elementwise import copy_from, full_of, to_dtype  # noqa: F401  (used by tensor methods)
from .indexing import getitem, index_put  # noqa: F401

__all__ = function_names()
globals().update(namespace_functions())
