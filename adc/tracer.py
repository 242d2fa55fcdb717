"""Tracing: run a user function on Tracers and record the primitives it applies into a Graph.

Stage: trace (user fn → Graph). Invariant: `bind` is the only way an equation enters a graph;
with no Tracer among its arguments it evaluates the primitive eagerly with numpy, so the same
code runs traced and untraced. Tracers from an enclosing trace that a nested trace meets are
captured as extra inputs of the nested graph (closure conversion), never baked in as values.
"""
from __future__ import annotations

import contextlib

import numpy as np

from .errors import ShapeError, TraceError, UnsupportedError, user_location, with_location
from .interpret import interpret, outputs
from .ir import CONST_GROWTH_LIMIT, Aval, Eqn, Graph, Var, aval_of, check_dtype

_STACK: list = []


class Builder:
    """Collects the equations of one trace level."""

    def __init__(self, level: int):
        self.level = level
        self.eqns: list = []
        self.consts: dict = {}  # Var -> array
        self._const_ids: dict = {}  # id(array) -> (array, Var)
        self.captured: dict = {}  # outer Tracer -> inner Var
        self.inputs: list = []  # Vars added by add_input, in order
        self.finished = False

    def add_input(self, aval: Aval) -> Tracer:
        """A new input of the graph being built (adc.compile lifts state into inputs as the
        traced function reaches it)."""
        var = Var(aval)
        self.inputs.append(var)
        return Tracer(var, self)

    def const_var(self, value) -> Var:
        if isinstance(value, np.ndarray):
            hit = self._const_ids.get(id(value))
            if hit is not None and hit[0] is value:
                return hit[1]
        # a copy: a closed-over array is captured at trace time, as the README says, so
        # mutating it later cannot make one compiled graph's results disagree with another's
        arr = np.array(value) if isinstance(value, np.ndarray) else np.asarray(value)
        check_dtype(arr.dtype, f"a constant of shape {arr.shape} (closed over or created)")
        var = Var(aval_of(arr))
        self.consts[var] = arr
        if isinstance(value, np.ndarray):
            self._const_ids[id(value)] = (value, var)
        return var

    def var_of(self, x) -> Var:
        if isinstance(x, Tracer):
            if x.builder is self:
                return x.variable
            if x.builder.finished:
                raise TraceError(with_location(
                    "a traced value escaped the function that produced it (stored in a global "
                    "or closure and used after tracing ended); return it instead"))
            if x not in self.captured:
                self.captured[x] = Var(x.aval)
            return self.captured[x]
        return self.const_var(x)


class Tracer:
    """Stands for an array while a function is traced; numpy-style methods come from adc.numpy."""

    __slots__ = ("variable", "builder")
    __array_priority__ = 1000

    def __init__(self, var: Var, builder: Builder):
        self.variable = var
        self.builder = builder

    @property
    def aval(self) -> Aval:
        return self.variable.aval

    @property
    def shape(self) -> tuple:
        return self.variable.aval.shape

    @property
    def dtype(self) -> np.dtype:
        return self.variable.aval.dtype

    @property
    def ndim(self) -> int:
        return len(self.shape)

    @property
    def size(self) -> int:
        return self.variable.aval.size

    def __len__(self) -> int:
        if not self.shape:
            raise TypeError("len() of a 0-d traced array")
        return self.shape[0]

    def __repr__(self) -> str:
        return f"Traced<{self.aval}>"

    def _concrete_error(self, what: str, fix: str = ""):
        raise TraceError(with_location(
            f"{what} of a traced array {self.aval}: its value is not known while tracing"
            + (fix or " (a Python `if`/`while`/`and`/`or` or int()/float() on a traced value). "
               "Use adc.numpy.where(cond, a, b) to select values, or pass the value as a "
               "static Python number instead of an array")))

    def __bool__(self):
        self._concrete_error("bool()")

    def __int__(self):
        self._concrete_error("int()")

    def __float__(self):
        self._concrete_error("float()")

    def __index__(self):
        self._concrete_error("use as an index")

    def __array__(self, *args, **kwargs):
        self._concrete_error(
            "conversion to a numpy array (np.array/np.asarray/np.float64, or a numpy function "
            "given a list holding it)",
            ", and numpy cannot hold it: build the array with adc.numpy (`import "
            "adc.numpy as anp`: anp.array([...]), anp.stack, anp.mean([...]), anp.r_), or "
            "use anp.where(cond, a, b) to select values")

    def __iter__(self):
        if not self.shape:
            raise TypeError("iteration over a 0-d traced array")
        return (self[i] for i in range(self.shape[0]))

    def __hash__(self):
        return id(self)

    def __getattr__(self, name):
        if hasattr(np.ndarray, name) and not name.startswith("__"):
            raise UnsupportedError(with_location(
                f"ndarray.{name} is not supported on traced arrays by adc; see adc.numpy for "
                "the supported operations"))
        raise AttributeError(f"'Tracer' object has no attribute {name!r}")


@contextlib.contextmanager
def building():
    """A trace level whose inputs are added as they are met (`Builder.add_input`): yields the
    Builder; its graph is `Graph(builder.inputs, outvars, builder.eqns, builder.consts)`."""
    builder = Builder(len(_STACK))
    _STACK.append(builder)
    try:
        yield builder
    finally:
        _STACK.pop()
        builder.finished = True


def tracing() -> bool:
    """Whether a trace is in progress (so values may be captured from an enclosing trace)."""
    return bool(_STACK)


def _innermost_builder(args) -> Builder | None:
    best = None
    for a in args:
        if isinstance(a, Tracer) and (best is None or a.builder.level > best.level):
            best = a.builder
    return best


def bind(prim, *args, **params):
    """Apply a primitive: record it when any argument is traced, else evaluate it with numpy."""
    builder = _innermost_builder(args)
    if builder is None:
        args = [np.asarray(a) for a in args]
        if not _STACK or prim.multiple_results or not _grows_past_limit(prim, args, params):
            return prim.impl(*args, **params)
        builder = _STACK[-1]
    in_vars = [builder.var_of(a) for a in args]
    avals = _abstract_eval(prim, [v.aval for v in in_vars], params)
    avals = tuple(avals) if prim.multiple_results else (avals,)
    for aval in avals:
        check_dtype(aval.dtype, f"the result of {prim.name} (shape {aval.shape})")
    outs = tuple(Var(a) for a in avals)
    builder.eqns.append(Eqn(prim, tuple(in_vars), outs, params, user_location()))
    tracers = [Tracer(v, builder) for v in outs]
    return tracers if prim.multiple_results else tracers[0]


def rebind(eqn, ins) -> tuple:
    """Apply an equation with `bind` (recorded when an input is traced, else evaluated): the
    interpreter's `apply` for replaying or inlining a graph."""
    return outputs(eqn, bind(eqn.prim, *ins, **eqn.params))


def _grows_past_limit(prim, arrays, params) -> bool:
    """Whether evaluating `prim` on constants would store a large array bigger than its inputs."""
    out = _abstract_eval(prim, [aval_of(a) for a in arrays], params)
    return out.size > max([CONST_GROWTH_LIMIT] + [a.size for a in arrays])


def _abstract_eval(prim, avals, params) -> Aval:
    try:
        return prim.abstract_eval(*avals, **params)
    except ShapeError as err:
        raise ShapeError(with_location(f"{prim.name}: {err}")) from None


# ---- pytrees: tuples, lists and dicts of arrays; None is a node without leaves (as in JAX) ----

def tree_flatten(tree):
    if tree is None:
        return [], (type(None), ())
    if isinstance(tree, (tuple, list)):
        leaves, defs = [], []
        for t in tree:
            sub_leaves, sub_def = tree_flatten(t)
            leaves += sub_leaves
            defs.append(sub_def)
        return leaves, (type(tree), tuple(defs))
    if isinstance(tree, dict):
        keys = sorted(tree)
        leaves, sub_def = tree_flatten([tree[k] for k in keys])
        return leaves, (dict, (tuple(keys), sub_def))
    return [tree], None


def tree_flatten_up_to(treedef, tree) -> list:
    """The leaves of `tree` at `treedef`'s leaf positions (a nested list of numbers there is one
    leaf); ValueError if the containers differ (tuples and lists count as the same)."""
    if treedef is None:
        if isinstance(tree, (tuple, list)) and any(
                isinstance(t, (np.ndarray, Tracer, dict, tuple)) for t in tree):
            raise ValueError("a container of arrays where one array is expected")
        return [tree]
    kind, sub = treedef
    if kind is type(None):
        if tree is not None:
            raise ValueError("expected None")
        return []
    if kind is dict:
        keys, inner = sub
        if not isinstance(tree, dict) or tuple(sorted(tree)) != keys:
            raise ValueError("dict keys differ")
        return tree_flatten_up_to(inner, [tree[k] for k in keys])
    if not isinstance(tree, (tuple, list)) or len(tree) != len(sub):
        raise ValueError("sequence lengths differ")
    return [leaf for d, t in zip(sub, tree) for leaf in tree_flatten_up_to(d, t)]


def tree_unflatten(treedef, leaves):
    it = iter(leaves)

    def build(d):
        if d is None:
            return next(it)
        kind, sub = d
        if kind is type(None):
            return None
        if kind is dict:
            keys, inner = sub
            return dict(zip(keys, build(inner)))
        children = [build(s) for s in sub]
        return kind(*children) if hasattr(kind, "_fields") else kind(children)  # namedtuples

    return build(treedef)


class Traced:
    """The result of tracing: the graph, the out-of-trace values it captured, the output tree."""

    def __init__(self, graph: Graph, captured: list, out_tree):
        self.graph = graph
        self.captured = captured
        self.out_tree = out_tree


def trace(fn, in_avals, *, out_check=None) -> Traced:
    """Trace `fn` on abstract inputs. Graph invars are the inputs followed by captured values."""
    for i, aval in enumerate(in_avals):
        check_dtype(aval.dtype, f"argument {i} (shape {aval.shape})")
    builder = Builder(len(_STACK))
    invars = [Var(a) for a in in_avals]
    _STACK.append(builder)
    try:
        out = fn(*[Tracer(v, builder) for v in invars])
        leaves, out_tree = tree_flatten(out)
        if out_check is not None:
            out_check(leaves, out_tree)
        outvars = [_leaf_var(builder, leaf) for leaf in leaves]
    finally:
        _STACK.pop()
        builder.finished = True
    captured = list(builder.captured)
    graph = Graph(invars + [builder.captured[t] for t in captured], outvars, builder.eqns,
                  builder.consts)
    return Traced(graph, captured, out_tree)


def _leaf_var(builder: Builder, leaf) -> Var:
    if isinstance(leaf, Tracer) or isinstance(leaf, (np.ndarray, np.generic, int, float, bool)):
        return builder.var_of(leaf)
    raise TraceError(with_location(
        f"the function returned a {type(leaf).__name__}; return arrays (or tuples, lists or "
        "dicts of arrays)"))


def inline(graph: Graph, args) -> list:
    """Apply a graph to tracers or arrays: re-binds its equations (eager when all concrete)."""
    return interpret(graph, args, rebind)


def as_aval(x) -> Aval:
    return x.aval if isinstance(x, Tracer) else aval_of(x)
