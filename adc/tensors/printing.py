"""Tensor printing as torch prints: `tensor([5.5000, 3.0000], dtype=torch.float64)`.

Stage: tensor front end. Invariant: the text equals torch's for the same values, dtype and
autograd state under the same print options — one formatter chosen per tensor from its
(summarized) finite nonzero values (integer, fixed or scientific mode, one width), rows
wrapped at `linewidth`, tensors over `threshold` elements summarized to `edgeitems` per edge,
suffixes (size, dtype, grad_fn, requires_grad) wrapped as torch wraps them.
"""
from __future__ import annotations

import dataclasses
import math

import numpy as np

from . import dtypes


@dataclasses.dataclass
class _Options:
    precision: int = 4
    threshold: float = 1000
    edgeitems: int = 3
    linewidth: int = 80
    sci_mode: bool | None = None


_PROFILES = {"default": _Options(), "short": _Options(precision=2, edgeitems=2),
             "full": _Options(threshold=math.inf)}
OPTIONS = _Options()


def set_printoptions(precision=None, threshold=None, edgeitems=None, linewidth=None,
                     profile=None, sci_mode=None) -> None:
    """torch.set_printoptions: a profile ('default', 'short', 'full') and/or single options."""
    if profile is not None:
        if profile not in _PROFILES:
            raise ValueError(f"set_printoptions: unknown profile {profile!r}; expected one of "
                             f"{sorted(_PROFILES)}")
        base = _PROFILES[profile]
        for f in ("precision", "threshold", "edgeitems", "linewidth"):
            setattr(OPTIONS, f, getattr(base, f))
    for f, v in (("precision", precision), ("threshold", threshold),
                 ("edgeitems", edgeitems), ("linewidth", linewidth)):
        if v is not None:
            setattr(OPTIONS, f, v)
    OPTIONS.sci_mode = sci_mode


def get_printoptions() -> dict:
    return dataclasses.asdict(OPTIONS)


def dtype_name(dtype) -> str:
    """torch's name of a dtype (`torch.float32`), as torch code prints it."""
    return "torch." + np.dtype(dtype).name


class _Formatter:
    def __init__(self, values: np.ndarray):
        self.floating = values.dtype.kind in "fc"
        self.int_mode, self.sci_mode, self.max_width = True, False, 1
        p = OPTIONS.precision
        flat = values.reshape(-1)
        if not self.floating:
            for v in flat.tolist():
                self.max_width = max(self.max_width, len(f"{v}"))
            return
        finite = flat[np.isfinite(flat) & (flat != 0)]
        if finite.size == 0:
            return
        mags = np.abs(finite.astype(np.float64))
        lo, hi = mags.min(), mags.max()
        items = finite.tolist()
        self.int_mode = bool(np.all(finite == np.ceil(finite)))
        self.sci_mode = bool(hi / lo > 1000.0 or hi > 1.0e8 or lo < 1.0e-4
                             if OPTIONS.sci_mode is None else OPTIONS.sci_mode)
        if self.sci_mode:
            texts = [f"{v:.{p}e}" for v in items]
        elif self.int_mode:
            texts = [f"{v:.0f} " for v in items]  # the space stands for the "." printed after
        else:
            texts = [f"{v:.{p}f}" for v in items]
        self.max_width = max(self.max_width, *map(len, texts))

    def format(self, value) -> str:
        p = OPTIONS.precision
        if not self.floating:
            text = f"{value}"
        elif self.sci_mode:
            text = f"{value:{self.max_width}.{p}e}"
        elif self.int_mode:
            text = f"{value:.0f}" + ("" if math.isinf(value) or math.isnan(value) else ".")
        else:
            text = f"{value:.{p}f}"
        return " " * (self.max_width - len(text)) + text


def _summarized(a: np.ndarray) -> np.ndarray:
    e = OPTIONS.edgeitems
    if a.ndim == 0:
        return a
    if a.ndim == 1:
        return np.concatenate([a[:e], a[-e:]]) if a.shape[0] > 2 * e else a
    if not e:
        return a[tuple(slice(0, 0) for _ in a.shape)]
    rows = list(range(e)) + list(range(a.shape[0] - e, a.shape[0])) if a.shape[0] > 2 * e \
        else range(a.shape[0])
    return np.stack([_summarized(a[i]) for i in rows])


def _vector(a, indent, summarize, fmt) -> str:
    e = OPTIONS.edgeitems
    per_line = max(1, int(math.floor((OPTIONS.linewidth - indent) / (fmt.max_width + 2))))
    if summarize and not e:
        data = ["..."]
    elif summarize and a.shape[0] > 2 * e:
        data = ([fmt.format(v) for v in a[:e].tolist()] + [" ..."]
                + [fmt.format(v) for v in a[-e:].tolist()])
    else:
        data = [fmt.format(v) for v in a.tolist()]
    lines = [", ".join(data[i:i + per_line]) for i in range(0, len(data), per_line)]
    return "[" + (",\n" + " " * (indent + 1)).join(lines) + "]"


def _nested(a, indent, summarize, fmt) -> str:
    if a.ndim == 0:
        return fmt.format(a.item())
    if a.ndim == 1:
        return _vector(a, indent, summarize, fmt)
    e = OPTIONS.edgeitems
    if summarize and a.shape[0] > 2 * e:
        parts = ([_nested(a[i], indent + 1, summarize, fmt) for i in range(e)] + ["..."]
                 + [_nested(a[i], indent + 1, summarize, fmt)
                    for i in range(a.shape[0] - e, a.shape[0])])
    else:
        parts = [_nested(a[i], indent + 1, summarize, fmt) for i in range(a.shape[0])]
    return "[" + ("," + "\n" * (a.ndim - 1) + " " * (indent + 1)).join(parts) + "]"


def _with_suffixes(text: str, suffixes: list, indent: int) -> str:
    parts = [text]
    last = len(text) - text.rfind("\n") + 1
    for s in suffixes:
        if last + len(s) + 2 > OPTIONS.linewidth:
            parts.append(",\n" + " " * indent + s)
            last = indent + len(s)
        else:
            parts.append(", " + s)
            last += len(s) + 2
    return "".join(parts) + ")"


def tensor_repr(data: np.ndarray, *, grad_fn_name: str | None, requires_grad: bool) -> str:
    prefix = "tensor("
    indent = len(prefix)
    if data.dtype == np.float16:
        shown = data.astype(np.float32)
    else:
        shown = data
    default = data.dtype in (dtypes.get_default_dtype(), dtypes.int64, dtypes.bool_)
    suffixes = []
    if data.size == 0:
        if data.ndim != 1:
            suffixes.append(f"size={tuple(data.shape)}")
        if data.dtype != dtypes.get_default_dtype():
            suffixes.append("dtype=" + dtype_name(data.dtype))
        body = "[]"
    else:
        if not OPTIONS.edgeitems:
            suffixes.append(f"size={tuple(data.shape)}")
        if not default:
            suffixes.append("dtype=" + dtype_name(data.dtype))
        summarize = data.size > OPTIONS.threshold
        fmt = _Formatter(_summarized(shown) if summarize else shown)
        body = _nested(shown, indent, summarize, fmt)
    if grad_fn_name is not None:
        suffixes.append(f"grad_fn=<{grad_fn_name}>")
    elif requires_grad:
        suffixes.append("requires_grad=True")
    return _with_suffixes(prefix + body, suffixes, indent)
