"""The window kernels of kernels/cpu/window.py and kernels/cuda/window.py (numba's simulator)
called directly on their 3-spatial-axis views, against the numpy references of
adc.prims.window: one channel (read in place) and several (through the channels-last scratch
copy), strides, dilations, uneven padding, and the arg-max's ties, NaNs and -inf."""
from __future__ import annotations

import numpy as np
import pytest
from numba import cuda

from adc.kernels.cpu import window as cpu
from adc.kernels.cuda import window as gpu
from adc.prims.window import kernel_views, patches_p, patches_transpose_p, window_argmax_p

GEOMETRIES = [  # input shape, kernel, stride, dilation, lo, hi
    ((2, 1, 6), (3,), (2,), (1,), (1,), (2,)),
    ((1, 3, 5, 6), (2, 3), (1, 2), (2, 1), (1, 0), (0, 2)),
    ((2, 2, 3, 4, 3), (2, 2, 1), (1, 2, 1), (1, 1, 1), (0, 1, 0), (1, 0, 0)),
]


def _run(target, kernel, *arrays_and_args, out):
    if target == "cpu":
        kernel(*arrays_and_args[:1], out, *arrays_and_args[1:])
        return out
    d_out = cuda.to_device(out)
    kernel(cuda.to_device(arrays_and_args[0]), d_out, *arrays_and_args[1:])
    return d_out.copy_to_host()


@pytest.mark.parametrize("target,module", [("cpu", cpu), ("cuda", gpu)])
@pytest.mark.parametrize("shape,kernel,stride,dilation,lo,hi", GEOMETRIES)
def test_patches_and_transpose_match_the_references(target, module, shape, kernel, stride,
                                                    dilation, lo, hi):
    rng = np.random.default_rng(0)
    geometry = {"kernel": kernel, "stride": stride, "dilation": dilation, "lo": lo, "hi": hi}
    x = rng.standard_normal(shape)
    x5, w8, stride3, dilation3, lo3 = kernel_views(shape, **geometry)
    windows = _run(target, module.patches3, x.reshape(x5), stride3, dilation3, lo3, -2.5,
                   out=np.empty(w8))
    reference = patches_p.impl(x, value=-2.5, **geometry)
    np.testing.assert_array_equal(windows.reshape(reference.shape), reference)
    g = rng.standard_normal(reference.shape)
    summed = _run(target, module.patches_transpose3, g.reshape(w8), stride3, dilation3, lo3,
                  out=np.zeros(x5))
    expected = patches_transpose_p.impl(g, shape=shape, **geometry)
    np.testing.assert_allclose(summed.reshape(shape), expected, rtol=1e-14, atol=1e-14)


@pytest.mark.parametrize("target,module", [("cpu", cpu), ("cuda", gpu)])
def test_window_argmax_takes_the_first_maximum_or_the_last_nan(target, module):
    nan, inf = np.nan, np.inf
    x = np.array([[2.0, 5.0, 5.0, 1.0], [nan, 1.0, nan, 9.0], [-inf, -inf, -inf, -inf],
                  [0.0, -0.0, 0.0, -1.0]])
    x3 = np.ascontiguousarray(x.T).reshape(1, 4, 4)  # windows along the middle axis
    out = _run(target, module.window_argmax3, x3, out=np.zeros((1, 1, 4), np.int64))
    np.testing.assert_array_equal(out.reshape(4), [1, 2, 0, 0])
    np.testing.assert_array_equal(window_argmax_p.impl(x, axis=1).reshape(4), [1, 2, 0, 0])
