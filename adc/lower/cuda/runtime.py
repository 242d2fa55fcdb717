"""Running a generated CUDA launcher: numpy inputs give numpy results; device inputs (numba's,
or anything exposing __cuda_array_interface__) give device results without copies.

Stage: run time. Invariants: numba-cuda and a GPU (or the simulator) are checked before any
code is generated, with an UnsupportedError naming the install command; error flags set by
kernels (out-of-bounds index, singular matrix) are raised on the host as IndexError and
numpy's LinAlgError after the launch.
"""
from __future__ import annotations

import numpy as np

from ...errors import UnsupportedError
from ...ir import Graph
from ..nest import storage
from .codegen import CudaCodegen

INSTALL = "pip install 'adc-autodiff[cuda]'"


def check_available() -> None:
    """Raise UnsupportedError unless numba-cuda imports and a GPU (or the simulator) is there."""
    try:
        import numba_cuda  # noqa: F401
        from numba import cuda
    except ImportError:
        raise UnsupportedError(f"backend='cuda' needs the numba-cuda package: {INSTALL}") from None
    if not cuda.is_available():
        raise UnsupportedError("backend='cuda': numba.cuda finds no usable GPU (driver and "
                               "device); set NUMBA_ENABLE_CUDASIM=1 to run on the simulator")


class CompiledCudaGraph:
    """Calls the generated launcher; `.source` is the generated module."""

    def __init__(self, graph: Graph, launch, source: str, consts):
        from ...kernels.cuda import launch as runtime

        self.source = source
        self._launch = launch
        self._runtime = runtime
        self._in_shapes = [storage(v.aval.shape) for v in graph.invars]
        self._out_shapes = [v.aval.shape for v in graph.outvars]
        self._consts = consts

    def __call__(self, *args):
        rt = self._runtime
        on_device = any(rt.is_device_array(a) for a in args)
        dev = [rt.to_device(a, s) for a, s in zip(args, self._in_shapes)]
        outs, err = self._launch(*dev, *self._consts)
        if err is not None:
            _raise_flagged(err.copy_to_host())
        if on_device:
            return [o.reshape(s) if s == () else o for o, s in zip(outs, self._out_shapes)]
        return [o.copy_to_host().reshape(s) for o, s in zip(outs, self._out_shapes)]


def _raise_flagged(flags) -> None:
    from ...kernels.cuda.index import OUT_OF_BOUNDS
    from ...kernels.cuda.linalg import SINGULAR

    if flags[OUT_OF_BOUNDS]:
        raise IndexError("adc: an index is out of bounds (a negative index may be at most the "
                         "axis size in magnitude)")
    if flags[SINGULAR]:
        raise np.linalg.LinAlgError("adc: singular matrix")


def compile_cuda(graph: Graph, fastmath: bool = False) -> CompiledCudaGraph:
    """Compile a graph prepared for CUDA (adc.opt.prepare(graph, "cuda"))."""
    check_available()
    from numba import cuda

    gen, source, module = CudaCodegen.build(graph, fastmath)
    consts = [cuda.to_device(c) for c in gen.const_arrays()]
    return CompiledCudaGraph(graph, module.launch, source, consts)
