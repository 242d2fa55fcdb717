"""adc.compile: a tensor-API step (forward, every backward() inside it, the `.grad`
accumulation, optimizer updates, BatchNorm running statistics) traced into one IR program and
compiled.

Stage: tensor front end → trace → optimize → lower (backends.compile_graph). Invariants:
- While a step is traced the tensors it reaches hold Tracers (`tensor.step_trace()` is
  the StepTrace). A tensor from before the trace (an argument, a parameter, a buffer, a `.grad`,
  an optimizer state tensor) becomes a program input the first time the step reads or writes
  it (`apply`, `tensor.read`, `tensor.write`); its buffer, or a `.grad` slot the step touched,
  holding another value at the end is a program output. Tensors created during the trace from
  concrete values are constants of the program. The trace then puts every tensor back as it
  was, and the compiled program runs the step: outputs are copied into the buffers in place
  (bumping their versions, as eager writes do) and `.grad` slots are set. The call returns the
  tensors the step would return eagerly: an argument, parameter or buffer itself, and one
  tensor handed back twice (returned twice, or returned and a `.grad`) as one tensor.
- A call runs a program only while its guards hold: the arguments' shapes, dtypes and
  requires_grad (and every other argument's value), grad mode, the lifted tensors' shapes and
  dtypes, which `.grad` slots are set, the optimizers' hyperparameters, parameters and state
  tensors, the modules' training flags, parameters and buffers. The first call of a signature
  traces and compiles, later ones replay; a guard miss traces again. A step whose trace
  creates state (Adam's moments, a momentum buffer: lazily, on the first step) runs eagerly
  instead, its traced state put back, and the next call traces the structure it left.
- What a trace cannot follow (a value needed in Python: `.item()`, `.numpy()`, a Python `if`
  on a tensor, printing one, a random draw, a write into a view) raises GraphBreakError under
  `fullgraph=True`; otherwise the function runs eagerly from then on, with one warning naming
  the line (v1 does not split a function at a graph break).
"""
from __future__ import annotations

import functools
import operator
import warnings

import numpy as np

from .. import numpy as anp
from ..backends import compile_graph, load_program, program_key
from ..errors import GraphBreakError, TraceError, UnsupportedError, with_location
from ..ir import Aval, Graph, eval_graph
from ..opt import optimize
from ..tracer import Tracer, building, inline, tracing, tree_flatten, tree_unflatten
from .grad_mode import is_grad_enabled
from .tensor import Tensor, set_step_trace, step_trace

PROGRAMS_PER_SIGNATURE = 8  # the most recent programs kept per argument signature


class _Restructured(Exception):
    """The traced step created or replaced state (an optimizer state entry): not replayable;
    the call runs eagerly and the next one traces the new structure."""


def _watch(kind, obj) -> tuple:
    """A guard entry: a dict's keys and values, a list's elements, or an object's attributes
    (see _holds)."""
    if kind == "dict":
        return kind, obj, (tuple(obj), tuple(obj.values()))
    if kind == "list":
        return kind, obj, tuple(obj)
    owner, names = obj
    return kind, owner, tuple((n, getattr(owner, n)) for n in names)


def _same(value, other) -> bool:
    """Tensors, lists and other containers the same objects, other values equal."""
    if value is other:
        return True
    if isinstance(value, (Tensor, list, dict)) or isinstance(other, (Tensor, list, dict)):
        return False
    return type(value) is type(other) and value == other


def _holds(watched) -> bool:
    """Whether every entry still holds: the same objects (quickly), or, for a dict whose
    values were replaced, equal plain values (an lr set to the value it had)."""
    for kind, obj, items in watched:
        if kind == "dict":
            keys, values = items
            if len(obj) != len(keys) or not all(map(operator.is_, obj, keys)):
                return False
            if not all(map(operator.is_, obj.values(), values)) and not all(
                    map(_same, obj.values(), values)):
                return False
        elif kind == "list":
            if len(obj) != len(items) or not all(map(operator.is_, obj, items)):
                return False
        elif not all(getattr(obj, n) is v for n, v in items):
            return False
    return True


def _module_guard(module) -> list:
    """What a traced step read of a module: its mode, parameters and buffers."""
    return [_watch("attrs", (module, ("training",))), _watch("dict", module._parameters),
            _watch("dict", module._buffers)]


def _optimizer_guard(opt) -> list:
    """What a traced step read of an optimizer: its groups' hyperparameters and parameters,
    its state entries (the tensors by identity)."""
    watched = [_watch("attrs", (opt, ("param_groups", "state"))),
               _watch("list", opt.param_groups)]
    for group in opt.param_groups:
        watched += [_watch("dict", group), _watch("list", group["params"])]
    watched.append(_watch("dict", opt.state))
    watched += [_watch("dict", state) for state in opt.state.values()]
    return watched


class StepTrace:
    """The trace of one step: lifts state into inputs, follows writes, collects outputs."""

    def __init__(self, builder, args: dict):
        self.builder = builder
        self.args = args  # id(tensor) -> its position among the call's leaves
        self._created: set = set()  # ids of tensors created during the trace
        self._states: list = []  # (optimizer state, its entries before, each entry's before)
        self._overwritten: set = set()  # ids of tensors whose .grad the step assigned first
        self._keep: list = []  # those tensors, alive so that their ids stay theirs
        self.lifted: list = []  # (tensor, buffer before, tracer given, autograd fields before)
        self._lifted: set = set()
        self._by_buffer: dict = {}  # id(buffer) -> tracer (tensors on one buffer share it)
        self.sources: list = []  # per program input: the tensor whose buffer it reads
        self._holders: dict = {}  # id(tracer) -> (tracer, tensors holding it as their value)
        self.slots: dict = {}  # id(tensor) -> (tensor, its .grad before the trace)
        self.watched: dict = {}  # id(module or optimizer) -> what the step read of it

    # ---- the hooks of the tensor layer ----
    def created(self, t) -> None:
        self._created.add(id(t))
        self._keep.append(t)

    def read(self, t):
        data = t._data
        if id(t) in self._lifted or id(t) in self._created or type(data) is Tracer:
            return data
        tracer = self._by_buffer.get(id(data))
        if tracer is None:
            tracer = self._by_buffer[id(data)] = self.builder.add_input(
                Aval(data.shape, data.dtype))
            self.sources.append(t)
        self._lifted.add(id(t))
        self.lifted.append((t, data, tracer, (t._version.n, t._grad_fn, t._index,
                                              t._requires_grad)))
        self._hold(tracer, t)
        t._data = tracer
        return tracer

    def write(self, t, value) -> None:
        old = self.read(t)
        if t._base is not None and old is not self.read(t._base):
            raise GraphBreakError(with_location(
                "an in-place write into a view (a slice, reshape or transpose of another "
                "tensor) inside a function compiled by adc.compile: the trace cannot follow "
                "it into the viewed tensor. Write into the whole tensor (e.g. with adc.where "
                "or index_put) instead"))
        if type(value) is Tracer or type(old) is Tracer:
            value = anp.asarray(value)
            if value.dtype != old.dtype:
                value = value.astype(old.dtype)
            if tuple(value.shape) != tuple(old.shape):
                value = anp.broadcast_to(value, old.shape)
            if type(value) is Tracer:  # its own object: writes follow identity, not values
                value = Tracer(value.variable, value.builder)
        else:
            array = np.empty(old.shape, old.dtype)
            array[...] = value
            value = array
        holders = self._holders.get(id(old))
        aliases = [c for c in (holders[1] if holders else ()) if c._data is old]
        for c in aliases + [t]:
            c._data = value
        self._hold(value, *aliases, t)

    def run(self, graph, datas, view: bool) -> list:
        if not any(type(d) is Tracer for d in datas):
            return eval_graph(graph, *datas)
        outs = inline(graph, datas)
        if view:
            return outs
        # a result equal to an operand (clone folded away) is its own tensor: a new object
        return [Tracer(o.variable, o.builder) if any(o is d for d in datas) else o for o in outs]

    def grad_slot(self, t, overwritten: bool = False) -> None:
        """The step reads (or, `overwritten`, assigns) t's .grad: a slot first assigned (as
        zero_grad does) does not depend on whether a gradient was there before."""
        if id(t) not in self.slots and id(t) not in self._created:
            self.slots[id(t)] = (t, t._grad)
            if overwritten:
                self._overwritten.add(id(t))

    def depends_on_module(self, module) -> None:
        if id(module) not in self.watched:
            self.watched[id(module)] = (module, _module_guard(module))

    def depends_on_optimizer(self, opt) -> None:
        if id(opt) not in self.watched:
            self.watched[id(opt)] = (opt, _optimizer_guard(opt))
            # restored after the trace: state created by a traced step (Adam's moments on a
            # first step) holds traced values, and the eager run that follows creates it anew
            self._states.append((opt.state, dict(opt.state),
                                 [(entry, dict(entry)) for entry in opt.state.values()]))

    def _hold(self, value, *tensors) -> None:
        if type(value) is Tracer:
            self._holders.setdefault(id(value), (value, []))[1].extend(tensors)

    # ---- the end of the trace ----
    def finish(self, out):
        """(graph, program plan) of the traced step returning `out`; raises GraphBreakError
        or _Restructured where the step cannot be replayed."""
        if not all(_holds(watched) for _, watched in self.watched.values()):
            raise _Restructured
        for t, _, _, (_, grad_fn, _, _) in self.lifted:
            if t._grad_fn is not None and t._grad_fn is not grad_fn:
                raise GraphBreakError(
                    "adc.compile: a tensor from outside the compiled function (a parameter, "
                    "buffer or state) ends the call with autograd history (an in-place "
                    "operation on it recorded for backward); the compiled program cannot "
                    "carry a tape. Update it under adc.no_grad()")
        outvars, writes, grads = [], [], []
        written = set()
        for t, buffer, tracer, _ in self.lifted:
            if t._data is not tracer and id(buffer) not in written:
                written.add(id(buffer))
                writes.append((self._where(t), len(outvars)))
                outvars.append(self.builder.var_of(t._data))
        handed: dict = {}  # id(tensor) -> its output: one tensor object handed back twice

        def output(t) -> int:
            if id(t) not in handed:
                handed[id(t)] = len(outvars)
                outvars.append(self.builder.var_of(t._data))
            return handed[id(t)]

        for t, before in self.slots.values():
            grad = t._grad
            if grad is not before:
                grads.append((self._where(t), None if grad is None else output(grad)))
        leaves, out_tree = tree_flatten(out)
        results = [("static", leaf) if not isinstance(leaf, Tensor)
                   else output(leaf) if id(leaf) in handed or id(leaf) not in self._lifted
                   else ("tensor", self._where(leaf))  # an argument, parameter, buffer: itself
                   for leaf in leaves]
        graph = Graph(list(self.builder.inputs), outvars, self.builder.eqns,
                      self.builder.consts)
        sources = [self._where(t) for t in self.sources]
        guards = ([(self._where(t), t._data.shape, t._data.dtype) for t in self.sources],
                  [(self._where(t), None if id(t) in self._overwritten else before is None,
                    before if id(before) in self._lifted else None)
                   for t, before in self.slots.values()],
                  [entry for _, watched in self.watched.values() for entry in watched])
        return graph, (sources, writes, grads, results, out_tree, guards)

    def _where(self, t):
        """A tensor as the program finds it: the call's argument at a position, or itself."""
        position = self.args.get(id(t))
        return ("arg", position) if position is not None else ("state", t)

    def restore(self) -> None:
        for t, buffer, _, (version, grad_fn, index, requires_grad) in reversed(self.lifted):
            t._data, t._grad_fn, t._index, t._requires_grad = (buffer, grad_fn, index,
                                                               requires_grad)
            t._version.n = version
        for t, before in self.slots.values():
            t._grad = before
        for state, before, entries in self._states:
            for entry, items in entries:
                entry.clear()
                entry.update(items)
            state.clear()
            state.update(before)


def _getter(where):
    """`leaves -> the tensor at where`, resolved once: an argument's position, or the tensor."""
    kind, x = where
    if kind == "arg":
        return operator.itemgetter(x)
    return lambda leaves: x


class Program:
    """A compiled step and how it reads and writes the tensors it lifted (where each tensor is
    found resolved once, when the program is made)."""

    def __init__(self, run, plan):
        self.run = run
        sources, writes, grads, results, self.out_tree, (avals, slots, self.watched) = plan
        self._sources = [_getter(w) for w in sources]
        self._avals = [(_getter(w), shape, dtype) for w, shape, dtype in avals]
        self._slots = [(_getter(w), was_none, lifted) for w, was_none, lifted in slots]
        self._writes = [(_getter(w), k) for w, k in writes]
        self._grads = [(_getter(w), k) for w, k in grads]
        self._results = [("tensor", _getter(r[1])) if type(r) is not int and r[0] == "tensor"
                         else r for r in results]  # output k, ("static", value), ("tensor", at)
        self._one_tensor = self.out_tree is None and type(results[0]) is int

    def guards_hold(self, leaves) -> bool:
        for at, shape, dtype in self._avals:
            data = at(leaves)._data
            if data.shape != shape or data.dtype != dtype:
                return False
        for at, was_none, lifted in self._slots:
            grad = at(leaves)._grad
            if was_none is not None and (grad is None) != was_none or (
                    lifted is not None and grad is not lifted):
                return False
        return _holds(self.watched)

    def __call__(self, leaves):
        outs = self.run(*[at(leaves)._data for at in self._sources])
        for at, k in self._writes:
            t = at(leaves)
            if t._data.shape == outs[k].shape and t._data.dtype == outs[k].dtype:
                t._data[...] = outs[k]
            else:  # the step rebound the tensor's buffer (t.data = ...)
                t._data = outs[k]
            t._version.n += 1
        made: dict = {}  # output -> its tensor, so one traced tensor stays one tensor
        for at, k in self._grads:
            at(leaves)._grad = None if k is None else _tensor(outs, k, made)
        if self._one_tensor:
            return _tensor(outs, self._results[0], made)
        return tree_unflatten(self.out_tree, [
            _tensor(outs, r, made) if type(r) is int else r[1](leaves) if r[0] == "tensor"
            else r[1] for r in self._results])


def _tensor(outs, k, made: dict) -> Tensor:
    """The tensor of output k: the one made already for k (one traced tensor handed back twice
    stays one tensor), else a new one (the program's outputs never share memory)."""
    t = made.get(k)
    if t is None:
        t = made[k] = Tensor._wrap(outs[k])
    return t


def _leaf_key(leaf):
    if isinstance(leaf, Tensor):
        return (leaf._data.shape, leaf._data.dtype.char, leaf._requires_grad)
    if isinstance(leaf, np.ndarray):
        raise UnsupportedError(with_location(
            "adc.compile: pass adc Tensors to a compiled function, not numpy arrays (an array "
            "would be compiled in as a constant); wrap it with adc.from_numpy(array)"))
    try:
        hash(leaf)
    except TypeError:
        raise UnsupportedError(with_location(
            f"adc.compile: an argument of type {type(leaf).__name__} is neither a Tensor nor "
            "hashable; a compiled function's other arguments are constants of its program, "
            "compared by value")) from None
    return ("static", type(leaf), leaf)


class CompiledFunction:
    """The callable `adc.compile` returns; `traces` counts the programs traced, and
    `eager_calls` the calls that ran the function eagerly."""

    def __init__(self, fn, backend: str, fullgraph: bool):
        self.fn = fn
        self.backend = backend
        self.fullgraph = fullgraph
        self.traces = 0
        self.eager_calls = 0
        self.graph_break = None  # the GraphBreakError that made the function run eagerly
        self._programs: dict = {}  # signature -> recent Programs, the newest last
        functools.update_wrapper(self, fn)

    def __call__(self, *args, **kwargs):
        if self.graph_break is not None or step_trace() is not None:
            return self._eager(args, kwargs)  # (inside another compiled step: traced into it)
        if tracing():
            raise UnsupportedError(with_location(
                "adc.compile: a compiled tensor step called inside a function traced by "
                "adc.grad/jit/vmap; call it outside, on adc Tensors"))
        if not kwargs and all(type(x) is Tensor for x in args):  # the common case, quickly
            leaves = args
            signature = (len(args), tuple([(x._data.shape, x._data.dtype.char,
                                            x._requires_grad) for x in args]),
                         is_grad_enabled())
        else:
            leaves, tree = tree_flatten((args, kwargs))
            signature = (tree, tuple(_leaf_key(x) for x in leaves), is_grad_enabled())
        programs = self._programs.setdefault(signature, [])
        for program in reversed(programs):
            if program.guards_hold(leaves):
                return program(leaves)
        program = self._trace(args, kwargs, leaves)
        if program is None:
            return self._eager(args, kwargs)
        programs.append(program)
        del programs[:-PROGRAMS_PER_SIGNATURE]
        return program(leaves)

    def _eager(self, args, kwargs):
        self.eager_calls += 1
        return self.fn(*args, **kwargs)

    def _trace(self, args, kwargs, leaves):
        """The Program of this call's structure, or None when the call must run eagerly."""
        positions = {id(x): i for i, x in enumerate(leaves) if isinstance(x, Tensor)}
        with building() as builder:
            trace = StepTrace(builder, positions)
            set_step_trace(trace)
            try:
                for x in leaves:
                    if isinstance(x, Tensor):
                        trace.read(x)
                graph, plan = trace.finish(self.fn(*args, **kwargs))
            except _Restructured:
                return None
            except (TraceError, UnsupportedError) as err:
                if self.fullgraph or not _is_break(err):
                    raise
                self._break(err)
                return None
            finally:
                set_step_trace(None)
                trace.restore()
        self.traces += 1
        key = program_key((graph, ("compile",)), self.backend, False)
        run = load_program(key) if key is not None else None
        if run is None:
            run = compile_graph(optimize(graph), self.backend, key=key)
        return Program(run, plan)

    def _break(self, err) -> None:
        self.graph_break = err
        name = getattr(self.fn, "__qualname__", repr(self.fn))
        warnings.warn(
            f"adc.compile: {name} runs eagerly from now on (adc.compile v1 does not split a "
            f"function at a graph break; fullgraph=True raises instead): {err}",
            UserWarning, stacklevel=4)


def _is_break(err) -> bool:
    """Whether an error raised while tracing means the trace cannot follow the function (it
    would not be raised eagerly): a graph break, or a traced value used as a concrete one."""
    return isinstance(err, TraceError) or "traced array" in str(err)


def compile(fn=None, *, backend: str = "cpu", fullgraph: bool = False):
    """A tensor-API function (a training step: forward, backward(), optimizer step) traced
    once per signature into one compiled program (see the module docstring). Use as
    `@adc.compile`, `@adc.compile(fullgraph=True)` or `adc.compile(fn)`."""
    if backend == "cuda":
        raise UnsupportedError("adc.compile(backend='cuda'): the compiled tensor step runs on "
                               "the cpu only for now; use backend='cpu' (or adc.grad(f, "
                               "backend='cuda') for GPU gradients of a functional loss)")
    if backend != "cpu":
        raise UnsupportedError(f"adc.compile: unknown backend {backend!r}; the compiled "
                               "tensor step runs on 'cpu'")
    if fn is None:
        return lambda f: CompiledFunction(f, backend, fullgraph)
    return CompiledFunction(fn, backend, fullgraph)
