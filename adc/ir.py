"""The IR: typed variables, equations and graphs, and a printer; `eval_graph` (the numpy
reference interpreter, from adc.interpret) is importable from here too.

Stage: shared by every stage. Invariant: a Graph is a flat, topologically ordered list of
equations over `Var`s whose abstract values (shape, dtype) are known; every Var is defined
once, by being an input, a constant or the output of exactly one equation.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .interpret import eval_graph  # noqa: F401  (part of the IR's interface)


@dataclass(frozen=True)
class Aval:
    """Abstract value: what tracing knows about an array."""

    shape: tuple
    dtype: np.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return int(np.prod(self.shape, dtype=np.int64))

    def __str__(self) -> str:
        dims = ",".join(map(str, self.shape))
        return f"{_DTYPE_SHORT.get(self.dtype.name, self.dtype.name)}[{dims}]"


# Elements: while tracing, an operation on constants whose result is bigger than this and than
# its inputs (a broadcast) is recorded, not evaluated, so it fuses and is never stored; folding
# stores constants only up to this size.
CONST_GROWTH_LIMIT = 4096

_DTYPE_SHORT = {"float64": "f64", "float32": "f32", "int64": "i64", "int32": "i32", "bool": "bool"}


def is_device_array(x) -> bool:
    """A GPU array: numba's device arrays (also the simulator's) or anything exposing
    __cuda_array_interface__ (torch CUDA tensors, CuPy arrays)."""
    return hasattr(x, "__cuda_array_interface__") or hasattr(x, "copy_to_host")


def check_dtype(dtype: np.dtype, what: str) -> None:
    """Raise UnsupportedError for a dtype adc does not compute with (native-order booleans,
    integers, float32 and float64 only), saying how to convert."""
    from .errors import UnsupportedError, with_location

    dtype = np.dtype(dtype)
    if dtype.kind in "biuf" and not dtype.isnative:
        raise UnsupportedError(with_location(
            f"adc: {what} has dtype {dtype.str} (non-native byte order); adc computes in the "
            "machine's byte order. Convert it first: x.astype(x.dtype.newbyteorder('='))"))
    if dtype.kind in "biu" or dtype in (np.float32, np.float64):
        return
    hint = "x.astype(np.float32)" if dtype.kind == "f" else "x.astype(np.float64)"
    raise UnsupportedError(with_location(
        f"adc: {what} has dtype {dtype.name}, which adc does not support (it computes with "
        f"bool, integers, float32 and float64); convert it first, e.g. {hint}"
        + (" (complex values: split them into real and imaginary parts)" if dtype.kind == "c"
           else "")))


def aval_of(x) -> Aval:
    if is_device_array(x) and not isinstance(x, np.ndarray):
        if hasattr(x, "copy_to_host"):
            return Aval(tuple(x.shape), np.dtype(x.dtype))
        cai = x.__cuda_array_interface__
        return Aval(tuple(cai["shape"]), np.dtype(cai["typestr"]))
    x = np.asarray(x)
    return Aval(tuple(x.shape), x.dtype)


_ids = itertools.count()


class Var:
    """A typed variable; identity is the object itself."""

    __slots__ = ("aval", "id")

    def __init__(self, aval: Aval):
        self.aval = aval
        self.id = next(_ids)

    def __repr__(self) -> str:
        return f"Var({self.id}:{self.aval})"


def _freeze(value):
    if isinstance(value, (list, tuple)):
        return tuple(_freeze(v) for v in value)
    if isinstance(value, np.ndarray):
        return ("ndarray", value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, np.dtype):
        return value.str
    if isinstance(value, Graph):
        return ("graph", graph_key(value))
    return value


def graph_key(graph) -> tuple:
    """A hashable key of a Graph's structure: equal for graphs computing the same equations
    on the same types and constants, whatever their Var objects (a loop body's parameter key)."""
    index: dict = {}

    def ix(v) -> int:
        return index.setdefault(v, len(index))

    return (tuple((ix(v), str(v.aval)) for v in graph.invars),
            tuple((ix(v), _freeze(np.asarray(c))) for v, c in graph.consts.items()),
            tuple((e.prim.name, tuple(ix(v) for v in e.ins),
                   tuple((ix(v), str(v.aval)) for v in e.outs), e.params_key())
                  for e in graph.eqns),
            tuple(ix(v) for v in graph.outvars))


@dataclass(eq=False)
class Eqn:
    prim: Any
    ins: tuple
    outs: tuple
    params: dict
    src: str = ""

    def params_key(self) -> tuple:
        return tuple(sorted((k, _freeze(v)) for k, v in self.params.items()))


@dataclass
class Graph:
    invars: list
    outvars: list
    eqns: list
    consts: dict = field(default_factory=dict)  # Var -> np.ndarray

    def __str__(self) -> str:
        return format_graph(self)

    @property
    def in_avals(self) -> list:
        return [v.aval for v in self.invars]

    @property
    def out_avals(self) -> list:
        return [v.aval for v in self.outvars]


def _format_param(value) -> str:
    if isinstance(value, Graph):  # a loop body: printed below its equation, indented
        return "\n      " + format_graph(value).replace("\n", "\n      ")
    if isinstance(value, np.ndarray):
        return (
            f"array{list(value.shape)}" if value.size > 6 else np.array2string(value, separator=",")
        )
    if isinstance(value, np.dtype):
        return value.name
    return repr(value)


def format_graph(graph: Graph) -> str:
    """One equation per line: `c:f64[3] = mul a b` with shapes, dtypes and parameters."""
    names: dict = {}

    def name(v: Var) -> str:
        if v not in names:
            n, s = len(names), ""
            while True:
                s = chr(ord("a") + n % 26) + s
                n = n // 26 - 1
                if n < 0:
                    break
            names[v] = s
        return names[v]

    def typed(v: Var) -> str:
        return f"{name(v)}:{v.aval}"

    lines = [f"{{ lambda {' '.join(typed(v) for v in graph.invars)} ."]
    for v, value in graph.consts.items():
        shown = np.array2string(np.asarray(value), threshold=6, separator=",").replace("\n", "")
        lines.append(f"    {typed(v)} = const {shown}")
    for eqn in graph.eqns:
        params = " ".join(f"{k}={_format_param(p)}" for k, p in eqn.params.items())
        rhs = " ".join([eqn.prim.name] + [name(v) for v in eqn.ins])
        lines.append(
            f"    {' '.join(typed(v) for v in eqn.outs)} = {rhs}{' ' if params else ''}"
            f"{'[' + params + ']' if params else ''}"
        )
    lines.append(f"  in ({', '.join(name(v) for v in graph.outvars)}) }}")
    return "\n".join(lines)

