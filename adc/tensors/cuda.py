"""`adc.cuda`: torch's device queries, so `device = "cuda" if adc.cuda.is_available() else
"cpu"` works. Stage: tensor front end. Invariant: it reports a real GPU that numba.cuda sees
(never numba's simulator); tensors themselves live on the CPU, and compiled code runs on a
GPU through backend="cuda"."""
from __future__ import annotations


def is_available() -> bool:
    try:
        from numba import config
        from numba import cuda
    except ImportError:
        return False
    return not config.ENABLE_CUDASIM and bool(cuda.is_available())


def device_count() -> int:
    if not is_available():
        return 0
    from numba import cuda

    return len(cuda.gpus)
