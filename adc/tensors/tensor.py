"""The Tensor: a numpy buffer plus torch's autograd state, recording into adc's IR.

Stage: tensor front end. Invariants:
- Every operation runs through `apply`: the operation is a function of adc.numpy ops, traced
  once per (function, static parameters, input shapes/dtypes) into an IR graph that is both
  evaluated for the value (eagerly, with the numpy reference semantics) and, when grad mode is
  on and an input requires grad, recorded as the output's `grad_fn` Node. There is no second
  copy of any math or VJP rule: backward differentiates these graphs (engine.py).
- View operations (view, reshape of contiguous data, transpose, slicing, ...) return tensors
  sharing the buffer and its version counter; in-place operations write into the buffer, bump
  the counter and move the tensor's autograd identity to the recorded operation.
- Every in-place write into a buffer goes through `write`, and code that computes on a buffer
  outside `apply` (optimizers, running statistics, gradient accumulation) reads it through
  `read`: while adc.compile traces a step (`_TRACE`, see compiled.py) the tensors hold traced
  values, and these two are where state met by the step is lifted into the program's inputs
  and its new values recorded as outputs.
"""
from __future__ import annotations

import functools
import warnings
import weakref

import numpy as np

from ..backends import compile_graph
from ..errors import GraphBreakError, ShapeError, UnsupportedError, with_location
from ..ir import Aval, eval_graph
from ..staging import LRU
from ..tracer import Tracer, trace, tree_unflatten
from . import dtypes
from .grad_mode import is_grad_enabled
from .node import AccumulateGrad, Node, RemovableHandle, Version, _HookDict

_OP_GRAPHS = LRU()  # (fn, params, avals) -> op_graph's entry
_TRACE = None  # the adc.compile trace in progress (compiled.StepTrace), set by compiled.py


def step_trace():
    """The adc.compile trace in progress (a compiled.StepTrace), or None."""
    return _TRACE


def set_step_trace(trace) -> None:
    global _TRACE
    _TRACE = trace


def read(t):
    """The buffer of tensor `t` for code that computes on it directly: under adc.compile's
    trace, a tensor from before the trace is lifted into a program input first."""
    return t._data if _TRACE is None else _TRACE.read(t)


def write(t, value) -> None:
    """Write `value` (broadcast and cast as numpy assigns) into `t`'s buffer and bump its
    version: the one in-place write of the tensor layer (see the module docstring)."""
    if _TRACE is None:
        t._data[...] = value
    else:
        _TRACE.write(t, value)
    t._version.n += 1


# the C++ type names torch's error messages give some dtypes
_C_TYPE_NAMES = {dtypes.float16: "c10::Half", dtypes.float32: "float", dtypes.float64: "double",
                 dtypes.int8: "signed char", dtypes.int16: "short int", dtypes.int32: "int",
                 dtypes.int64: "long int", dtypes.uint8: "unsigned char", dtypes.bool_: "bool"}


class TensorShapeError(ShapeError, RuntimeError):
    """Incompatible shapes in a tensor operation: adc's ShapeError (its message names the
    operation and the shapes) that is also the RuntimeError torch raises, so the tutorials'
    `except RuntimeError` catches it."""


def op_graph(fn, params, avals):
    """The traced IR graph of `fn(*inputs, **params)` on inputs with these avals (cached).

    Dtypes in `avals` (and in `params`) are given by their one-character codes: hashing and
    comparing np.dtype objects costs microseconds, a large part of an eager operation."""
    key = (fn, params, avals)
    try:
        return _OP_GRAPHS[key]
    except KeyError:
        pass
    kwargs = dict(params)
    try:
        traced = trace(lambda *xs: fn(*xs, **kwargs),
                       [Aval(s, np.dtype(d)) for s, d in avals])
    except ShapeError as e:
        if isinstance(e, RuntimeError):
            raise
        raise TensorShapeError(str(e)) from None
    graph = traced.graph
    entry = _OP_GRAPHS[key] = (graph, traced.out_tree, key, _runner(graph))
    return entry


def _runner(graph):
    """How an operation's value is computed: numpy, except for BLAS/LAPACK operations, which
    run compiled — the compiled backward calls the BLAS that Numba links (SciPy's), and
    alternating with numpy's own BLAS makes the two libraries' thread pools spin against each
    other (measured: 40x slower MLP steps on 2 cores)."""
    if any(e.prim.blas for e in graph.eqns):
        return compile_graph(graph, "cpu")
    return functools.partial(eval_graph, graph)


def apply(name: str, fn, operands, params=(), *, view: bool = False):
    """Run one tensor operation: value now, Node recorded when gradients are tracked.

    `operands` are Tensors or numpy arrays (constants such as indices or Python numbers
    already converted to the operation's dtype); `params` a tuple of (name, value) pairs.
    """
    if _TRACE is None:
        datas = [x._data if isinstance(x, Tensor) else x for x in operands]
    else:
        datas = [_TRACE.read(x) if isinstance(x, Tensor) else x for x in operands]
    graph, out_tree, key, run = op_graph(fn, params,
                                         tuple([(d.shape, d.dtype.char) for d in datas]))
    if _TRACE is None:
        outs = run(*datas)
    else:
        outs = _TRACE.run(graph, datas, view)
    if not view:
        outs = [_owned(o, datas) if type(o) is not Tracer else o for o in outs]
    results = _wrap_outputs(name, graph, key, operands, datas, outs,
                            source=operands[0] if view else None)
    return tree_unflatten(out_tree, results)


def apply_graph(name: str, graph, key, operands, *, run):
    """Like `apply` for an already built graph run by a compiled callable (`run`)."""
    datas = [x._data if isinstance(x, Tensor) else x for x in operands]
    outs = run(*datas) if _TRACE is None else _TRACE.run(graph, datas, False)
    return _wrap_outputs(name, graph, key, operands, datas, outs, source=None)


def _owned(out, datas):
    """`out` as an array the result owns: a graph that returns an input unchanged (clone, x * 1
    folded away) gives that input's own array, which must be copied as a fresh one would be."""
    if out.base is None and out.flags.writeable and not any(out is d for d in datas):
        return out  # a fresh array
    shared = not out.flags.writeable or any(np.may_share_memory(out, d) for d in datas)
    return out.copy() if shared else out


def _wrap_outputs(name, graph, key, operands, datas, outs, source):
    track = is_grad_enabled() and any(isinstance(x, Tensor) and x._requires_grad for x in operands)
    node = None
    if track:
        edges = tuple(x._edge() if isinstance(x, Tensor) and x._requires_grad else None
                      for x in operands)
        node = Node(name, graph, key, edges, None)
    results = []
    for k, out in enumerate(outs):
        t = Tensor._wrap(out)
        if source is not None:
            t._version = source._version
            t._base = source._base if source._base is not None else source
            t._version.share(source)
            t._version.share(t)
        if node is not None and out.dtype.kind == "f":
            t._requires_grad, t._grad_fn, t._index = True, node, k
        results.append(t)
    if node is not None:
        node.saved = (
            tuple((d, x._version, x._version.n) if isinstance(x, Tensor) else (d, None, 0)
                  for x, d in zip(operands, datas)),
            tuple((t._data, t._version, t._version.n) for t in results))
    return results


class device:
    """A device name: "cpu" or "cuda" (optionally "cuda:0")."""

    __slots__ = ("index", "type")

    def __init__(self, spec):
        spec = spec.type + (f":{spec.index}" if spec.index is not None else "") \
            if isinstance(spec, device) else str(spec)
        kind, _, index = spec.partition(":")
        if kind not in ("cpu", "cuda"):
            raise RuntimeError(f"Expected one of cpu, cuda device type at start of device "
                               f"string: {spec}")
        self.type, self.index = kind, (int(index) if index else None)

    def __eq__(self, other):
        try:
            other = device(other)
        except (RuntimeError, TypeError):
            return NotImplemented
        return (self.type, self.index) == (other.type, other.index)

    def __hash__(self):
        return hash((self.type, self.index))

    def __repr__(self):
        return f"device(type='{self.type}'" + (f", index={self.index})" if self.index is not
                                                  None else ")")

    def __str__(self):
        return self.type + (f":{self.index}" if self.index is not None else "")


_CPU = device("cpu")


class Size(tuple):
    """A tensor's shape: a tuple that prints as torch's does; slicing, concatenating and
    repeating it give a Size, as torch's do."""

    def __repr__(self) -> str:
        return f"torch.Size({list(self)})"

    def __getitem__(self, key):
        item = tuple.__getitem__(self, key)
        return Size(item) if isinstance(key, slice) else item

    def __add__(self, other):
        return Size(tuple.__add__(self, other)) if isinstance(other, tuple) else NotImplemented

    def __radd__(self, other):
        return Size(tuple.__add__(other, self)) if isinstance(other, tuple) else NotImplemented

    def __mul__(self, n):
        return Size(tuple.__mul__(self, n))

    __rmul__ = __mul__

    def numel(self) -> int:
        return int(np.prod(self, dtype=np.int64))


class Tensor:
    """An n-dimensional array with torch's autograd semantics (see the module docstring)."""

    __slots__ = (
        "__weakref__",
        "_accum",
        "_base",
        "_data",
        "_grad",
        "_grad_fn",
        "_index",
        "_post_hooks",
        "_requires_grad",
        "_retains",
        "_version",
    )
    __array_priority__ = 1000  # numpy scalars and arrays defer to Tensor's operators

    @classmethod
    def _wrap(cls, array, *, edge=None):
        t = object.__new__(cls)
        t._data = array
        if _TRACE is not None:
            _TRACE.created(t)
        t._requires_grad = edge is not None
        t._grad_fn, t._index, t._accum = None, 0, None
        if edge is not None:
            if type(edge[0]) is Node:
                t._grad_fn, t._index = edge
            else:
                t._accum = edge[0]
        t._version = Version()
        t._grad = t._base = t._post_hooks = None
        t._retains = False
        return t

    # ---- metadata ----
    @property
    def shape(self) -> tuple:
        return Size(self._data.shape)

    def size(self, dim=None):
        return self.shape if dim is None else self._data.shape[dim]

    @property
    def dtype(self) -> dtypes.dtype:
        return dtypes.of(self._data.dtype)

    @property
    def ndim(self) -> int:
        return self._data.ndim

    def dim(self) -> int:
        return self._data.ndim

    def numel(self) -> int:
        return self._data.size

    def __len__(self) -> int:
        if not self._data.ndim:
            raise TypeError("len() of a 0-d tensor")
        return self._data.shape[0]

    @property
    def device(self) -> device:
        return _CPU

    is_cuda, is_cpu = False, True

    def is_contiguous(self) -> bool:
        return self._data.flags.c_contiguous

    # ---- autograd state ----
    @property
    def requires_grad(self) -> bool:
        return self._requires_grad

    @requires_grad.setter
    def requires_grad(self, flag: bool) -> None:
        self._set_requires_grad(flag, "only Tensors of floating point and complex dtype can "
                                      "require gradients")

    def requires_grad_(self, requires_grad: bool = True) -> Tensor:
        return self._set_requires_grad(requires_grad, "only Tensors of floating point dtype "
                                                      "can require gradients")

    def _set_requires_grad(self, requires_grad: bool, dtype_error: str) -> Tensor:
        """requires_grad_ and the setter; torch words the error for an integer tensor
        differently on each path (`dtype_error`)."""
        if self._grad_fn is not None:
            if requires_grad:
                return self
            raise RuntimeError("you can only change requires_grad flags of leaf variables. If "
                               "you want to use a computed variable in a subgraph that doesn't "
                               "require differentiation use var_no_grad = var.detach().")
        if requires_grad and self.dtype.kind != "f":
            raise RuntimeError(dtype_error)
        self._requires_grad = bool(requires_grad)
        return self

    @property
    def is_leaf(self) -> bool:
        return self._grad_fn is None

    @property
    def grad_fn(self):
        return self._grad_fn

    @property
    def grad(self):
        if _TRACE is not None:
            _TRACE.grad_slot(self)
        if self._grad_fn is not None and not self._retains and self._grad is None:
            warnings.warn(
                "The .grad attribute of a Tensor that is not a leaf Tensor is being accessed. "
                "Its .grad attribute won't be populated during backward(). If you indeed want "
                "the gradient for a non-leaf Tensor, use .retain_grad() on the non-leaf Tensor.",
                UserWarning, stacklevel=2)
        return self._grad

    @grad.setter
    def grad(self, value) -> None:
        if value is not None:
            if not isinstance(value, Tensor):
                raise TypeError(f"assigned grad expected to be a Tensor or None but got grad "
                                f"of type {type(value).__name__}")
            if value.shape != self.shape:
                raise RuntimeError(f"attempting to assign a gradient of size "
                                   f"'{list(value.shape)}' to a tensor of size "
                                   f"'{list(self.shape)}'. Please ensure that the gradient and "
                                   "the tensor are the same size")
            if value.dtype != self.dtype:
                raise RuntimeError(f"attempting to assign a gradient with dtype "
                                   f"'{_C_TYPE_NAMES[value.dtype]}' to a tensor with grad_dtype "
                                   f"'{dtypes.scalar_type(self.dtype)}'. The gradient must "
                                   "match the tensor's grad_dtype (defaults to the tensor's "
                                   "dtype).")
        if _TRACE is not None:
            _TRACE.grad_slot(self, overwritten=True)
        self._grad = value

    def _edge(self):
        if self._grad_fn is not None:
            return (self._grad_fn, self._index)
        if self._accum is None:
            self._accum = AccumulateGrad(self)
        return (self._accum, 0)

    def retain_grad(self) -> None:
        if not self._requires_grad:
            raise RuntimeError("can't retain_grad on Tensor that has requires_grad=False")
        if self._grad_fn is None or self._retains:
            return
        self._retains = True
        self._retain_at_edge()

    def _retain_at_edge(self) -> None:
        if self._grad_fn.retained is None:
            self._grad_fn.retained = {}
        self._grad_fn.retained[self._index] = weakref.ref(self)

    @property
    def retains_grad(self) -> bool:
        return self._retains

    def _accumulate_grad(self, grad, create_graph: bool) -> None:
        if not create_graph:
            grad = grad.detach()
        if _TRACE is not None:
            _TRACE.grad_slot(self)
        if self._grad is None:
            self._grad = grad
        elif create_graph or self._grad._requires_grad:
            self._grad = self._grad + grad
        else:
            write(self._grad, read(self._grad) + grad._data)
        for hook in list((self._post_hooks or {}).values()):
            hook(self)

    def register_hook(self, hook) -> RemovableHandle:
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        node, index = self._edge()
        hooks = node.output_hooks(index)
        handle = RemovableHandle(hooks)
        hooks[handle.id] = hook
        return handle

    def register_post_accumulate_grad_hook(self, hook) -> RemovableHandle:
        """`hook(tensor)` runs after each accumulation of this leaf's `.grad`."""
        if not self._requires_grad:
            raise RuntimeError("cannot register a hook on a tensor that doesn't require gradient")
        if self._grad_fn is not None:
            raise RuntimeError("post accumulate grad hooks cannot be registered on non-leaf "
                               "tensors")
        if self._post_hooks is None:
            self._post_hooks = _HookDict()
        handle = RemovableHandle(self._post_hooks)
        self._post_hooks[handle.id] = hook
        return handle

    def detach(self) -> Tensor:
        t = Tensor._wrap(read(self))
        t._version = self._version
        t._base = self._base if self._base is not None else self
        return t

    def detach_(self) -> Tensor:
        self._grad_fn, self._requires_grad = None, False
        return self

    @property
    def data(self) -> Tensor:
        return Tensor._wrap(read(self))

    @data.setter
    def data(self, value: Tensor) -> None:
        read(self)  # under adc.compile's trace: lifted, so the new buffer is an output
        self._data = read(value)

    def backward(self, gradient=None, retain_graph=None, create_graph=False, inputs=None):
        from .autograd import backward

        backward([self], [gradient], retain_graph=retain_graph, create_graph=create_graph,
                 inputs=inputs)

    # ---- leaving the tensor world ----
    def _concrete(self, what: str) -> None:
        """Refuses `what` (which needs the tensor's value) while adc.compile traces."""
        if type(self._data) is Tracer:
            raise GraphBreakError(with_location(
                f"{what} on a tensor inside a function compiled by adc.compile: its value is "
                "not known while the function is traced. Return the tensor and call "
                f"{what} on the result outside the compiled function, or compute with tensor "
                "operations (adc.where instead of a Python `if`)"))

    def numpy(self) -> np.ndarray:
        self._concrete(".numpy()")
        if self._requires_grad and is_grad_enabled():  # torch allows it under no_grad
            raise RuntimeError("Can't call numpy() on Tensor that requires grad. Use "
                               "tensor.detach().numpy() instead.")
        return self._data

    def __array__(self, dtype=None, copy=None):
        array = self.numpy()
        return array if dtype is None else array.astype(dtype)

    def item(self):
        self._concrete(".item()")
        if self._data.size != 1:
            raise RuntimeError(f"a Tensor with {self._data.size} elements cannot be converted "
                               "to Scalar")
        return self._data.reshape(()).item()

    def tolist(self):
        self._concrete(".tolist()")
        return self._data.tolist()

    def _scalar(self):
        self._concrete("float()/int()")
        if self._data.size != 1:
            raise ValueError("only one element tensors can be converted to Python scalars")
        return self._data.reshape(()).item()

    def __float__(self):
        return float(self._scalar())

    def __int__(self):
        return int(self._scalar())

    def __index__(self):
        self._concrete("use as an index")
        if self.dtype.kind not in "iu" or self._data.size != 1:
            raise TypeError("only integer tensors of a single element can be converted to an "
                            "index")
        return int(self.item())

    def __bool__(self):
        self._concrete("bool() (a Python `if`, `while`, `and`/`or`)")
        if self._data.size != 1:
            raise RuntimeError(f"Boolean value of Tensor with "
                               f"{'no values' if not self._data.size else 'more than one value'}"
                               " is ambiguous")
        return bool(self.item())

    def __iter__(self):
        if not self._data.ndim:
            raise TypeError("iteration over a 0-d tensor")
        return (self[i] for i in range(self._data.shape[0]))

    __hash__ = object.__hash__

    def __repr__(self) -> str:
        from .printing import tensor_repr

        self._concrete("printing")
        return tensor_repr(self._data, requires_grad=self._requires_grad, grad_fn_name=(
            None if self._grad_fn is None else self._grad_fn._name))

    # ---- conversions ----
    def to(self, *args, **kwargs) -> Tensor:
        """`to(dtype)`, `to(device)`, `to(device, dtype)` or `to(other_tensor)`."""
        target_dtype = kwargs.pop("dtype", None)
        target_device = kwargs.pop("device", None)
        if kwargs:
            raise TypeError(f"to() got unexpected keyword arguments {sorted(kwargs)}")
        for a in args:
            if isinstance(a, Tensor):
                target_dtype, target_device = a.dtype, a.device
            elif isinstance(a, (str, device)):
                target_device = a
            else:
                target_dtype = a
        if target_device is not None:
            _check_device(target_device)
        if target_dtype is None or np.dtype(target_dtype) == self.dtype:
            return self
        if np.float16 in (np.dtype(target_dtype), self.dtype):
            return self._float16_cast(np.dtype(target_dtype))
        from . import ops

        return ops.to_dtype(self, np.dtype(target_dtype))

    def cpu(self) -> Tensor:
        return self

    def cuda(self, device=None) -> Tensor:
        _check_device("cuda")
        return self

    def float(self) -> Tensor:
        return self.to(dtypes.float32)

    def double(self) -> Tensor:
        return self.to(dtypes.float64)

    def half(self) -> Tensor:
        return self.to(dtypes.float16)

    def _float16_cast(self, target) -> Tensor:
        """A copy to or from float16, which adc holds, prints and converts but computes in no
        op: the copy is made outside autograd, so it is refused for a tensor that requires
        grad."""
        if self.requires_grad:
            raise UnsupportedError(f"to({dtypes.of(target)}) of a tensor that requires grad: adc "
                                   "does not compute or differentiate in float16; keep float32")
        return Tensor._wrap(self._data.astype(target))

    def long(self) -> Tensor:
        return self.to(dtypes.int64)

    def int(self) -> Tensor:
        return self.to(dtypes.int32)

    def bool(self) -> Tensor:
        return self.to(dtypes.bool_)

    def type_as(self, other: Tensor) -> Tensor:
        return self.to(other.dtype)

    # ---- in place ----
    def _assign(self, result: Tensor, op: str) -> Tensor:
        """Write an out-of-place `result` of `op` into this tensor's buffer (torch's `op_`)."""
        recording = is_grad_enabled() and (self._requires_grad or result._requires_grad)
        if recording and self._grad_fn is None and self._requires_grad:
            raise RuntimeError("a leaf Variable that requires grad is being used in an "
                               "in-place operation.")
        if recording and (self._base is not None or any(
                t is not self and t._requires_grad for t in self._version.sharing())):
            raise UnsupportedError(
                f"adc: {op} writes in place into a tensor that shares its buffer with another "
                "tensor (a view) while gradients are recorded; adc does not rebase views' "
                "gradients as torch does. Use an out-of-place operation, or .clone() first.")
        if result.shape != self.shape:
            raise RuntimeError(f"output with shape {list(self.shape)} doesn't match the "
                               f"broadcast shape {list(result.shape)}")
        if not dtypes.can_cast(result.dtype, self.dtype):
            raise RuntimeError(f"result type {result.dtype} can't be cast to the desired output "
                               f"type {self.dtype}")
        if result.dtype != self.dtype:  # torch's op computes in the result type, then casts
            from .ops import to_dtype

            name = result._grad_fn and result._grad_fn._name
            result = to_dtype(result, self.dtype)
            if name:
                result._grad_fn._name = name
        if recording and result._grad_fn is not None:
            _keep_old_value(result._grad_fn, self._data)
            if result._grad_fn.refused:
                result._grad_fn.refuse(op)
        try:
            write(self, result._data)
        except ValueError as err:  # a read-only view (expand/broadcast)
            raise RuntimeError(f"unsupported operation: {op} on a tensor whose elements share "
                               f"memory (e.g. a result of expand); clone() it first ({err})"
                               ) from None
        if recording and result._grad_fn is not None:
            self._requires_grad = True
            self._grad_fn, self._index = result._grad_fn, result._index
            if self._retains:
                self._retain_at_edge()
        return self


def _keep_old_value(node, buffer) -> None:
    """The in-place write is about to overwrite `buffer`: the node recording the operation
    keeps a copy of what it read from it (torch would keep only what its formula needs)."""
    inputs, outputs = node.saved
    old = None
    kept = []
    for array, version, seen in inputs:
        if array is buffer:
            old = buffer.copy() if old is None else old
            kept.append((old, None, 0))
        else:
            kept.append((array, version, seen))
    node.saved = (tuple(kept), outputs)


def _check_device(spec) -> None:
    dev = device(spec)
    if dev.type == "cuda":
        raise UnsupportedError("adc: tensors live on the CPU in this version; for GPU gradients "
                               "use the functional API with backend='cuda' (adc.grad(f, "
                               "backend='cuda')), or device='cpu'")
