"""The tensor op table: each op declared once (tensors/ops/) with how it is exposed and what it does
on inputs that are not Tensors.

Stage: tensor front end. Invariants: `OPS` is the only list of tensor op names — the functions
exported as `adc.tensors.<name>` / `adc.<name>`, the Tensor methods and the in-place methods
`<name>_` are all read from it. A call with a Tensor among its arguments runs the op's tensor
implementation (torch semantics, unchanged); a call without one (traced values inside
adc.grad, numpy arrays, Python numbers) runs the op's numpy form, built on adc.numpy with
numpy's semantics; an op without one raises UnsupportedError naming it, and Tensors mixed with
traced values raise TraceError. An op declared with `out=True` also takes torch's `out=`
keyword, handled here once for every such op (`_write_out`). Ops of a namespace ("functional",
"linalg") are keyed `namespace.name`, so `adc.linalg.norm` and `adc.norm` are two ops.
"""
from __future__ import annotations

import dataclasses
import warnings
from typing import Callable

import numpy as np

from ..errors import TraceError, UnsupportedError, with_location
from ..tracer import Tracer
from . import dtypes
from .tensor import Tensor, write


@dataclasses.dataclass(frozen=True)
class Op:
    name: str         # the key in OPS: the function's name, `namespace.name` in a namespace
    impl: Callable    # torch semantics on Tensors; what the methods run
    public: Callable  # ops.<name>: `impl` on Tensors, the numpy form on other inputs
    function: bool | str  # True: adc.tensors.<name> (and adc.<name>); a namespace's name
                          # ("functional": adc.nn.functional.<name>); False: neither
    method: bool      # bound as Tensor.<name>
    inplace: bool     # also bound as Tensor.<name>_ (writes the result into the tensor)
    inplace_dtype: bool = False  # the op takes dtype=; in place it is the tensor's (cumsum_)

    @property
    def short_name(self) -> str:
        return self.name.rpartition(".")[2]


OPS: dict[str, Op] = {}
NAMESPACES = ("functional", "linalg")
_IMPL = {}  # public function -> its tensor implementation (so an alias reuses both)


def op(impl=None, *, name=None, function=True, method=True, inplace=False, numpy=None,
       composite=False, out=False, inplace_dtype=False):
    """Declare a tensor op (as a decorator, or called on an existing function to add an alias).

    `name` defaults to the function's and becomes its `__name__`. `numpy` is the op's form
    for non-Tensor inputs (same signature, adc.numpy calls); None means it has none.
    `function="functional"` exports it as adc.nn.functional.<name> instead of adc.<name>.
    `composite=True` says `impl` is built from other public ops only, so it already serves
    every kind of input and needs no numpy form of its own. `out=True`: the function also
    takes torch's `out=` keyword. `inplace_dtype=True`: the in-place variant computes in the
    tensor's dtype (the op's `dtype=` argument), as torch's do.
    """
    def declare(fn):
        n = name or fn.__name__
        key = n if function in (True, False) else f"{function}.{n}"
        if function and function is not True and function not in NAMESPACES:
            raise ValueError(f"tensor op {n!r}: unknown namespace {function!r}")
        if fn in _IMPL:  # an alias: the declared op's implementation and public function
            impl, public = _IMPL[fn], fn
        else:
            impl = fn
            impl.__name__ = impl.__qualname__ = n
            qualified = n if function in (True, False) else key
            public = (_dispatching(n, qualified, impl, numpy) if function and not composite
                      else impl)
            if out:
                public = _with_out(qualified, public)
        if key in OPS:
            raise ValueError(f"tensor op {key!r} is declared twice")
        OPS[key] = Op(key, impl, public, function, method, inplace, inplace_dtype)
        _IMPL[public] = impl
        return public
    return declare if impl is None else declare(impl)


def function_names(namespace: bool | str = True) -> list:
    """The op names exported as functions of `namespace` (True: adc.tensors / adc)."""
    return [o.short_name for o in OPS.values() if o.function == namespace]


def namespace_functions(namespace: bool | str = True) -> dict:
    """{name: public function} of the ops exported in `namespace`."""
    return {o.short_name: o.public for o in OPS.values() if o.function == namespace}


def _with_out(name, public):
    def with_out(*args, out=None, **kwargs):
        result = public(*args, **kwargs)
        return result if out is None else _write_out(name, result, out)
    with_out.__name__ = with_out.__qualname__ = public.__name__
    with_out.__doc__, with_out.__wrapped__ = public.__doc__, getattr(public, "__wrapped__", public)
    return with_out


def _write_out(name, result, out):
    """torch's `out=`: the result is cast into `out` (resized, with torch's warning, when its
    shape differs), and `out` is returned; refused where autograd would have to record."""
    if not isinstance(out, Tensor):
        raise TypeError(f"{name}(): argument 'out' must be Tensor, not {type(out).__name__}")
    if not isinstance(result, Tensor):
        raise UnsupportedError(with_location(
            f"adc.{name}(..., out=...) writes a Tensor result; its inputs here are not Tensors"))
    if result.requires_grad or out.requires_grad:
        raise RuntimeError(f"{name}(): functions with out=... arguments don't support automatic "
                           "differentiation, but one of the arguments requires grad.")
    if not dtypes.can_cast(result.dtype, out.dtype):
        raise RuntimeError(f"result type {dtypes.scalar_type(result.dtype)} can't be cast to "
                           f"the desired output type {dtypes.scalar_type(out.dtype)}")
    if out.shape != result.shape:
        if out.numel():
            warnings.warn(
                f"An output with one or more elements was resized since it had shape "
                f"{list(out.shape)}, which does not match the required output shape "
                f"{list(result.shape)}. This behavior is deprecated, and in a future PyTorch "
                "release outputs will not be resized unless they have zero elements. You can "
                "explicitly reuse an out tensor t by resizing it, inplace, to zero elements "
                "with t.resize_(0).", UserWarning, stacklevel=3)
        out._data = np.empty(result.shape, out.dtype)
    write(out, result._data)
    return out


def _dispatching(short_name, name, impl, numpy_form):
    """`name` is the op's qualified name (`linalg.norm`), as its errors name it."""
    def public(*args, **kwargs):
        if _has_tensor(name, args, kwargs):
            return impl(*args, **kwargs)
        if numpy_form is None:
            raise UnsupportedError(with_location(
                f"adc.{name} is a tensor operation with no adc.numpy form; call it on adc "
                "Tensors (adc.tensor(...)), or inside adc.grad use the adc.numpy functions on "
                "the traced arrays"))
        return numpy_form(*args, **kwargs)
    public.__name__ = public.__qualname__ = short_name
    public.__doc__, public.__wrapped__ = impl.__doc__, impl
    return public


def _has_tensor(name, args, kwargs) -> bool:
    tensor = traced = False
    for values in (args, kwargs.values()):
        for v in values:
            for x in (v if isinstance(v, (list, tuple)) else (v,)):
                if isinstance(x, Tensor):
                    tensor = True
                elif isinstance(x, Tracer):
                    traced = True
    if tensor and traced:
        raise _mixed(f"adc.{name}")
    return tensor


def refuse_traced(x):
    """`x`, a non-Tensor operand of a Tensor operation, unless it is a traced array."""
    if isinstance(x, Tracer):
        raise _mixed("a Tensor operation")
    return x


def _mixed(what: str) -> TraceError:
    return TraceError(with_location(
        f"{what} got both an adc Tensor and a traced array: Tensors cannot enter a "
        "function traced by adc.grad/jit. Pass the tensor's values as a numpy array "
        "(t.detach().numpy()) or as an argument of the traced function, and use adc.numpy "
        "operations there"))
