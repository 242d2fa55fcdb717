"""Numba's thread pool, started so that it yields its cores soon after each parallel loop.

Stage: run time (called before the first compiled kernel runs). Invariant: the pool starts
at most once per process, with Numba's own settings (threading layer, NUMBA_NUM_THREADS);
only how long its OpenMP workers spin when idle changes, and only when the user has not set
OMP_WAIT_POLICY or GOMP_SPINCOUNT.

Why: libgomp's default makes idle OpenMP workers spin for up to 300000 iterations before they
sleep. A generated kernel alternates `prange` loops with BLAS calls, whose own threads then
share the cores with spinning workers; on a 2-core machine an MLP training step with adc.grad
took 25 ms instead of 5 ms. GOMP_SPINCOUNT is set only while Numba loads its OpenMP layer and
restored afterwards, so OpenMP runtimes loaded later (torch's) read the user's environment.
"""
from __future__ import annotations

import os

SPIN_COUNT = "10000"  # short enough to yield to BLAS, long enough for back-to-back loops

_started = False


def start_pool() -> None:
    global _started
    if _started:
        return
    _started = True
    from numba.np.ufunc import parallel

    if "OMP_WAIT_POLICY" in os.environ or "GOMP_SPINCOUNT" in os.environ:
        parallel._launch_threads()
        return
    os.environ["GOMP_SPINCOUNT"] = SPIN_COUNT
    try:
        parallel._launch_threads()
    finally:
        del os.environ["GOMP_SPINCOUNT"]
