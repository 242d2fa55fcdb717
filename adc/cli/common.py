"""Shared by the subcommands: backend resolution, the traced graphs, guarded calls into user
code, tables and summary statistics.

Stage: CLI. Invariant: a backend that is asked for is either used or reported as unavailable
with adc's reason; none is ever substituted for another.
"""
from __future__ import annotations

import functools
import time
from dataclasses import dataclass

import numpy as np

from .. import backends
from ..errors import AdcError, UnsupportedError
from .specs import CliError, UserCodeError, has_user_frame, user_traceback

KNOWN_BACKENDS = ("cpu", "cuda", "numpy")


def fn_label(fn) -> str:
    code = getattr(fn, "__code__", None)
    name = getattr(fn, "__qualname__", repr(fn))
    return f"{name} ({code.co_filename.rsplit('/', 1)[-1]}:{code.co_firstlineno})" if code else name


def resolve_backend(name):
    """(backend name, None) when usable, (name, adc's reason) when not; unknown names are
    usage errors."""
    if name is None:
        return backends.resolve(None), None
    if name not in KNOWN_BACKENDS:
        raise CliError(f"unknown backend {name!r}; choose from {', '.join(KNOWN_BACKENDS)}")
    try:
        return backends.resolve(name), None
    except UnsupportedError as err:
        return name, str(err)


def parse_list(text, known, what):
    items = [t.strip() for t in text.split(",") if t.strip()]
    for t in items:
        if t not in known:
            raise CliError(f"unknown {what} {t!r}; choose from {', '.join(known)}")
    if not items:
        raise CliError(f"empty {what} list")
    return list(dict.fromkeys(items))


def guarded(fn, what):
    """Run a thunk that calls user code; failures become UserCodeError (a trimmed
    traceback) when they are the user's, and propagate as internal errors otherwise."""
    try:
        return fn()
    except AdcError as err:
        raise UserCodeError(user_traceback(err, f"error: {what} failed:")) from None
    except Exception as err:
        if has_user_frame(err):
            raise UserCodeError(user_traceback(err, f"error: {what} failed:")) from None
        raise


@dataclass
class Graphs:
    raw_fwd: object
    fwd: object
    raw_grad: object
    grad: object
    seconds: dict


def build_graphs(fn, arrays, argnums, label) -> Graphs:
    """The forward and value+gradient graphs, raw and optimized, with stage timings; the
    gradient graph is the one adc.value_and_grad builds and optimizes before compiling, and
    building it raises adc.grad's checks (scalar output, float arguments) with the user's
    source line."""
    from ..api import trace_gradient
    from ..opt import optimize
    from ..tracer import as_aval, trace

    avals = [as_aval(np.asarray(a)) for a in arrays]
    seconds = {}
    t = time.perf_counter()
    raw = guarded(lambda: trace(fn, avals), f"tracing {label}")
    seconds["trace"] = time.perf_counter() - t
    t = time.perf_counter()
    fwd = optimize(raw.graph)
    seconds["optimize"] = time.perf_counter() - t
    t = time.perf_counter()
    _, raw_grad = guarded(lambda: trace_gradient(fn, avals, argnums), f"differentiating {label}")
    grad = optimize(raw_grad)
    seconds["differentiate+optimize"] = time.perf_counter() - t
    return Graphs(raw.graph, fwd, raw_grad, grad, seconds)


class Counting:
    """Calls fn and counts the calls (each one is a trace). It carries fn's name and code
    object, so adc's messages name the user's function, not this wrapper."""

    def __init__(self, fn):
        functools.update_wrapper(self, fn)
        self.__code__ = getattr(fn, "__code__", None)
        self.fn = fn
        self.calls = 0

    def __call__(self, *args):
        self.calls += 1
        return self.fn(*args)


def stats(times) -> dict:
    t = np.asarray(times, np.float64)
    if not t.size:
        return {"median_s": None, "iqr_s": None, "min_s": None, "max_s": None, "times_s": []}
    q1, med, q3 = np.percentile(t, [25, 50, 75])
    return {"median_s": float(med), "iqr_s": float(q3 - q1), "min_s": float(t.min()),
            "max_s": float(t.max()), "times_s": [float(x) for x in t]}


def table(headers, rows, right=()) -> str:
    """A plain text table; columns in `right` are right-aligned."""
    cells = [[str(c) for c in r] for r in rows]
    # A short row ends in a note that spans the remaining columns; only its leading cells
    # count towards the widths.
    widths = [max([len(h)] + [len(r[i]) for r in cells
                              if i < len(r) - 1 or len(r) == len(headers)])
              for i, h in enumerate(headers)]

    def fmt(row):
        out = []
        for i, c in enumerate(row):
            if i == len(row) - 1 and len(row) < len(headers):  # a note spanning the rest
                out.append(c)
            elif i in right:
                out.append(c.rjust(widths[i]))
            else:
                out.append(c.ljust(widths[i]))
        return "  ".join(out).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([fmt(headers), rule] + [fmt(r) for r in cells])


def arg_line(inputs) -> str:
    from ..tracer import as_aval

    return ", ".join(f"{n}: {as_aval(a)}" for n, a in zip(inputs.names, inputs.arrays))


def describe_inputs(inputs) -> list:
    from ..tracer import as_aval

    rows = [(n, str(as_aval(a)), o) for n, a, o in
            zip(inputs.names, inputs.arrays, inputs.origins)]
    return rows
