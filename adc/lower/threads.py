"""Numba's thread pool, started so that it yields its cores soon after each parallel loop.

Stage: run time (called before the first compiled CPU program runs, serial ones too, so that
a parallel Numba function of the user's that runs later finds the pool started with these
settings). Invariant: the pool starts at most once per process, with Numba's own settings
(threading layer, NUMBA_NUM_THREADS); only how long its OpenMP workers spin when idle
changes, and only when the user has not set OMP_WAIT_POLICY or GOMP_SPINCOUNT.

Why: libgomp's default makes idle OpenMP workers spin for up to 300000 iterations before they
sleep. A generated kernel alternates `prange` loops with BLAS calls, whose own threads then
share the cores with spinning workers; on a 2-core machine an MLP training step with adc.grad
took 25 ms instead of 3.3 ms (10000 spins still cost 5 ms). GOMP_SPINCOUNT is set only while
Numba loads its OpenMP layer and restored afterwards, so OpenMP runtimes loaded later read the
user's environment. The layer is loaded with RTLD_DEEPBIND (where the platform has it, and
not under LD_PRELOAD) so that it binds to its own libgomp: torch's libgomp, loaded into the
global symbol scope by `import torch`, has already read the environment and would otherwise
serve Numba's loops too.
"""
from __future__ import annotations

import os
import sys

SPIN_COUNT = "200"  # about 10 µs: back-to-back loops measured no faster with longer spins

_started = False


def start_pool() -> None:
    global _started
    if _started:
        return
    _started = True
    from numba.np.ufunc import parallel

    ours = "OMP_WAIT_POLICY" not in os.environ and "GOMP_SPINCOUNT" not in os.environ
    # Deep binding would also bypass an LD_PRELOAD allocator for the layer's own allocations.
    deep = (getattr(os, "RTLD_DEEPBIND", 0) if hasattr(sys, "getdlopenflags")
            and not os.environ.get("LD_PRELOAD") else 0)
    if deep:
        flags = sys.getdlopenflags()
        sys.setdlopenflags(flags | deep)
    if ours:
        os.environ["GOMP_SPINCOUNT"] = SPIN_COUNT
    try:
        parallel._launch_threads()
    finally:
        if deep:
            sys.setdlopenflags(flags)
        if ours:
            del os.environ["GOMP_SPINCOUNT"]
