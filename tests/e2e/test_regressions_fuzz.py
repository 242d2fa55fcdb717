"""Regressions found by the differential fuzzer (tests/lower/fuzz_programs.py) while it was
extended to every adc.numpy family (#19, #16): each test is the shrunk program, and fails
before its fix."""
from __future__ import annotations

import numpy as np
import pytest

import adc
import adc.numpy as anp

pytest.importorskip("torch")


def test_solve_of_a_stacked_matrix_by_a_matrix_runs_in_torch():
    """solve(A of (1, 1, 1), b of (1, 1)): b is a matrix (numpy's result is (1, 1, 1)), but
    torch.linalg.solve reads a b shaped as A without its last axis as a batch of vectors, so
    validate's torch graph of the gradient failed in a slice after it (IndexError)."""
    x = np.array([[[0.3, -1.2, 0.5, 2.0]]])

    def f(x):
        A = anp.eye(1) - 0.2 * anp.tanh(x[..., :1, :1])
        return anp.sum(anp.sin(anp.linalg.solve(A, anp.ones((1, 1)))))

    report = adc.validate(f, x, backend="numpy")
    assert report.ok, str(report)
