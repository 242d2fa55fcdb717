"""GradBench's BA objective (benchmarks/gradbench_objectives.py): the sparse Jacobian that the
JVP vmapped over 15 compressed seeds gives, inside adc.jit, holds the dense Jacobian's rows."""
from __future__ import annotations

import sys
from pathlib import Path

import numpy as np

import adc
import adc.numpy as anp

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

import gradbench  # noqa: E402
import gradbench_objectives as G  # noqa: E402


def test_sparse_jacobian_rows_are_the_dense_jacobians():
    n, m, p = 3, 5, 12
    residuals, wrt, _ = G.make("ba_jac", {"n": n, "m": m, "p": p})
    jacobian, _ = gradbench.adc_impl("ba_jac", residuals, len(wrt))
    rows, dw = jacobian(*wrt)
    assert rows.shape == (p, 2, 15) and dw.shape == (p,)
    dense = adc.jacobian(lambda *a: residuals(*a, xp=anp)[0], argnums=(0, 1, 2))(*wrt)
    obs = np.arange(p)
    np.testing.assert_allclose(rows[..., :11], dense[0][obs, :, obs % n], rtol=1e-12)
    np.testing.assert_allclose(rows[..., 11:14], dense[1][obs, :, obs % m], rtol=1e-12)
    np.testing.assert_allclose(rows[..., 14], dense[2][obs, :, obs], rtol=1e-12)
    np.testing.assert_allclose(dw, -2 * wrt[2], rtol=1e-15)
