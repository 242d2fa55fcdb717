"""A fused primitive whose inputs are one and the same value keeps numpy's NaN semantics on the
compiled backends (issue #19 item 5): `x == x` is False and `x != x` True at NaN, `x - x` is NaN
at ±inf (the scalar printer must not let sympy fold them)."""
from __future__ import annotations

import numpy as np
import pytest

import adc

X = np.array([np.nan, np.inf, -np.inf, 2.0, -0.0])


SAME_TWICE = [lambda x: x == x,  # noqa: PLR0124
              lambda x: x != x,  # noqa: PLR0124
              lambda x: x >= x,  # noqa: PLR0124
              lambda x: x - x, lambda x: x / x]


@pytest.mark.parametrize("backend", ["cpu", "cuda"])
@pytest.mark.parametrize("fn", SAME_TWICE)
def test_same_operand_twice_matches_numpy(fn, backend):
    if backend == "cuda":
        pytest.importorskip("numba.cuda")
    with np.errstate(invalid="ignore"):
        np.testing.assert_array_equal(adc.jit(fn, backend=backend)(X), fn(X))
