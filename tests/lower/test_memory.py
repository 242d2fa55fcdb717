"""adc.lower.memory: after its first call, a compiled function whose intermediates are large
(fresh mappings under glibc's default policy) reuses freed memory instead of faulting its
pages in again on every call. Counted in page faults (getrusage), not time."""
from __future__ import annotations

import os
import resource
import subprocess
import sys

import pytest

from adc.lower import memory

CHILD = """
import resource, numpy as np, adc
import adc.numpy as anp
f = adc.jit(lambda x: anp.sum(anp.sin(x @ x.T)))  # x @ x.T: a 4 MiB intermediate
x = np.random.default_rng(0).standard_normal((1024, 64)).astype(np.float32)
f(x); f(x)
before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
for _ in range(5):
    f(x)
print((resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) / 5)
"""


def _faults_per_call(env_extra):
    env = {k: v for k, v in os.environ.items() if k not in memory.GLIBC_VARIABLES}
    env.update(env_extra)
    out = subprocess.run([sys.executable, "-c", CHILD], env=env, capture_output=True,
                         text=True, check=True)
    return float(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(memory._glibc() is None, reason="glibc's malloc only")
def test_a_compiled_call_reuses_the_memory_its_previous_call_freed():
    pages = (4 << 20) // resource.getpagesize()
    assert _faults_per_call({}) < pages // 10
    # the user's own malloc settings are left alone (here: blocks over 128 KiB mapped afresh)
    assert _faults_per_call({"MALLOC_TRIM_THRESHOLD_": "131072",
                             "MALLOC_MMAP_THRESHOLD_": "131072"}) > pages // 2


def test_the_policy_is_set_once():
    first = memory.keep_freed_memory()
    assert memory.keep_freed_memory() is first
