"""torch.nn.functional.pad: constant (negative widths crop), reflect, replicate and circular.

Stage: tensor front end. Invariant: constant padding is adc.numpy's pad plus slicing; the
other modes are adc.numpy's pad in numpy's modes (reflect, edge, wrap: one `take` per padded
dimension with indices computed from the sizes alone, so their gradient is take's scatter-add
and the graph depends only on shapes).
"""
from __future__ import annotations

import numpy as np

from .... import numpy as anp
from ...dispatch import op
from .common import run

_NAMES = {"constant": "ConstantPadNd", "reflect": "ReflectionPad{}D",
          "replicate": "ReplicationPad{}D", "circular": "CircularPad{}D"}
_SUPPORTED = ("Supported combinations for non-constant padding:\n"
              "  - 2D or 3D input: padding size = 2 (pads last dimension)\n"
              "  - 3D or 4D input: padding size = 4 (pads last 2 dimensions)\n"
              "  - 4D or 5D input: padding size = 6 (pads last 3 dimensions)")


_NUMPY_MODES = {"reflect": "reflect", "replicate": "edge", "circular": "wrap"}


def _pad(x, *, widths, mode, value):
    nd = anp.ndim(x)
    if mode == "constant":
        grow = [(max(lo, 0), max(hi, 0)) for lo, hi in widths]
        x = anp.pad(x, [(0, 0)] * (nd - len(widths)) + grow,
                    constant_values=np.array(value, x.dtype))
        crop = tuple(slice(-min(lo, 0), anp.shape(x)[nd - len(widths) + k] + min(hi, 0))
                     for k, (lo, hi) in enumerate(widths))
        return x[(slice(None),) * (nd - len(widths)) + crop]
    return anp.pad(x, [(0, 0)] * (nd - len(widths)) + list(widths), mode=_NUMPY_MODES[mode])


def _check(shape, pad, mode):
    nd, pairs = len(shape), len(pad) // 2
    if len(pad) % 2:
        raise RuntimeError("Padding length must be divisible by 2")
    if pairs > nd:
        raise RuntimeError("Padding length should be less than or equal to two times the input "
                           f"dimension but got padding length {len(pad)} and input of "
                           f"dimension {nd}")
    if mode == "constant":
        return
    if mode not in _NAMES:
        raise NotImplementedError(f"Unrecognised padding mode {mode}")
    if not 1 <= pairs <= 3 or nd not in (pairs + 1, pairs + 2):
        raise NotImplementedError(f"Padding size {len(pad)} is not supported for {nd}D input "
                                  f"tensor.\n{_SUPPORTED}")
    for k in range(pairs):
        lo, hi = pad[2 * k], pad[2 * k + 1]
        dim = nd - 1 - k
        if mode == "reflect" and (lo >= shape[dim] or hi >= shape[dim]):
            raise RuntimeError(f"Argument #4: Padding size should be less than the "
                               f"corresponding input dimension, but got: padding ({lo}, {hi}) "
                               f"at dimension {dim} of input {list(shape)}")
        if mode == "circular" and (lo > shape[dim] or hi > shape[dim]):
            raise RuntimeError("Padding value causes wrapping around more than once.")
        if mode == "replicate" and shape[dim] == 0:
            raise RuntimeError(f"input tensor must have non-zero size at dimension {dim}")


@op(function="functional", method=False, composite=True)
def pad(input, pad, mode: str = "constant", value=None):
    pad = tuple(int(w) for w in pad)
    _check(tuple(anp.shape(input)), pad, mode)
    if mode != "constant" and value:
        raise NotImplementedError(f"Padding mode \"{mode}\" doesn't take in value argument.")
    # torch lists (left, right) pairs from the last dimension backwards
    widths = tuple((pad[2 * k], pad[2 * k + 1]) for k in range(len(pad) // 2))[::-1]
    name = _NAMES[mode].format(len(widths)) + "Backward0"
    return run(name, _pad, [input], widths=widths, mode=mode,
               value=0 if value is None else value)
