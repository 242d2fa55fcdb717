"""What both targets' rules for the window primitives (adc.prims.window) pass to their
kernels: the 3-spatial-axis views and geometry of a call, and the pad value as source text.

Stage: lower. Invariant: the cpu and cuda kernels `patches3`/`patches_transpose3` take the
same arguments, so these are computed once here.
"""
from __future__ import annotations

import numpy as np

from ..prims import window as W


def window_call(eqn, x_shape):
    """The views and geometry arguments of a window kernel call (see prims.window)."""
    p = eqn.params
    x5, w8, stride, dilation, lo = W.kernel_views(x_shape, p["kernel"], p["stride"],
                                                  p["dilation"], p["lo"], p["hi"])
    return x5, w8, f"{stride}, {dilation}, {lo}"


def fill_text(value, dtype) -> str:
    """Source for the pad value `value` in `dtype` (infinities as np.inf)."""
    v = W.fill_value(value, dtype)
    return repr(int(v)) if np.dtype(dtype).kind in "iub" else (
        repr(float(v)) if np.isfinite(v) else ("-np.inf" if v < 0 else "np.inf"))
