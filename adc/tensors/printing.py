"""How a Tensor prints: torch's format (`tensor(4.5000)`, `tensor([1., 2.],
dtype=torch.float64)`, `tensor([ True, False])`).

Stage: tensor front end. Invariant: one formatter for all elements of a tensor, chosen as
torch's `_tensor_str.Formatter` chooses it: integers as they are; floats with integer values
as `1.`, others with 4 decimals, both in scientific notation (`1.0000e-05`) when the nonzero
finite magnitudes span more than 1000x, exceed 1e8 or (non-integer) go below 1e-4; every
element padded to the widest.
"""
from __future__ import annotations

import numpy as np

from . import dtypes

_PRECISION = 4
_LINE_WIDTH = 80


def _formatter(data: np.ndarray):
    flat = data.reshape(-1)
    if data.dtype.kind != "f":
        width = max((len(str(v)) for v in flat.tolist()), default=1)
        return lambda v: str(v).rjust(width)
    finite = flat[np.isfinite(flat) & (flat != 0)].astype(np.float64)
    integral = bool(np.all(finite == np.ceil(finite)))
    magnitude = np.abs(finite)
    big, small = (magnitude.max(), magnitude.min()) if finite.size else (0.0, 0.0)
    scientific = finite.size > 0 and (big / small > 1000.0 or big > 1.0e8 or
                                      (not integral and small < 1.0e-4))

    def text(v) -> str:
        if scientific:
            return f"{v:.{_PRECISION}e}"
        if integral:
            return f"{v:.0f}" + ("." if np.isfinite(v) else "")
        return f"{v:.{_PRECISION}f}"
    width = max((len(text(v)) for v in finite.tolist()), default=1)
    return lambda v: text(v).rjust(width)


def tensor_repr(data: np.ndarray, grad_fn_name, requires_grad: bool) -> str:
    extras = []
    if data.size == 0:
        body = "[]"
        if data.ndim != 1:
            extras.append(f"size={tuple(data.shape)}")
        if data.dtype != dtypes.get_default_dtype():
            extras.append(f"dtype=torch.{data.dtype}")
    else:
        fmt = _formatter(data)
        # torch puts floor((80 - indent) / (width + 2)) elements on a line, its indent being
        # the column where the innermost brackets' elements start
        width = max(len(fmt(v)) for v in data.reshape(-1)[:1].tolist())
        indent = len("tensor(") + max(data.ndim - 1, 0)
        per_line = max(1, (_LINE_WIDTH - indent) // (width + 2))
        body = np.array2string(data, separator=", ", prefix="tensor(",
                               max_line_width=indent + 1 + per_line * (width + 2),
                               formatter={"all": fmt})
        if data.dtype not in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool_):
            extras.append(f"dtype=torch.{data.dtype}")
    if grad_fn_name is not None:
        extras.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        extras.append("requires_grad=True")
    return "tensor(" + body + "".join(", " + e for e in extras) + ")"
