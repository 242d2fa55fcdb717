"""`backward` and `autograd.grad`: argument checking in torch's words, then the engine.

Stage: tensor front end → differentiate. Invariant: gradients accumulate into leaves'
`.grad` only through `backward`; `grad` returns them without touching `.grad`.
"""
from __future__ import annotations

import warnings

import numpy as np

from .engine import Backward
from .node import AccumulateGrad
from .tensor import Tensor

_BACKEND = "cpu"


def _seeds(outputs, grad_outputs) -> list:
    seeds = []
    for i, (out, g) in enumerate(zip(outputs, grad_outputs)):
        if not out.requires_grad:
            raise RuntimeError(f"element {i} of tensors does not require grad and does not have "
                               "a grad_fn")
        if g is None:
            if out.numel() != 1:
                raise RuntimeError("grad can be implicitly created only for scalar outputs")
            g = Tensor._wrap(np.ones(out.shape, out.dtype))
        elif not isinstance(g, Tensor):
            g = Tensor._wrap(np.asarray(g, out.dtype))
        if g.shape != out.shape:
            raise RuntimeError(f"Mismatch in shape: grad_output[{i}] has a shape of "
                               f"{g.shape} and output[{i}] has a shape of {out.shape}.")
        if g.dtype != out.dtype:
            g = g.to(out.dtype)
        seeds.append(g)
    return seeds


def _as_list(x) -> list:
    return list(x) if isinstance(x, (list, tuple)) else [x]


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """torch.autograd.backward: accumulate d(tensors)/d(leaf) · grad_tensors into `.grad`
    (`grad_variables` is torch's deprecated name for `grad_tensors`)."""
    if grad_variables is not None:
        warnings.warn("`grad_variables` is deprecated. Use `grad_tensors` instead.",
                      FutureWarning, stacklevel=2)
        if grad_tensors is not None:
            raise RuntimeError("`grad_tensors` and `grad_variables` (deprecated) arguments both "
                               "passed to `backward()`. Please only use `grad_tensors`.")
        grad_tensors = grad_variables
    tensors = _as_list(tensors)
    grad_tensors = _as_list(grad_tensors) if grad_tensors is not None else [None] * len(tensors)
    if inputs is not None:
        inputs = _as_list(inputs)
        for g, t in zip(grad(tensors, inputs, grad_tensors, retain_graph=retain_graph,
                             create_graph=create_graph, allow_unused=True), inputs):
            if g is not None:
                t._accumulate_grad(g, create_graph)
        return
    seeds = _seeds(tensors, grad_tensors)
    retain = create_graph if retain_graph is None else retain_graph
    engine = Backward(tensors, seeds, None, retain_graph=retain, create_graph=create_graph,
                      backend=_BACKEND)
    for edge, g in engine.run().items():
        if type(edge[0]) is AccumulateGrad:
            leaf = edge[0].variable
            if any(g is s for s in seeds):  # never alias the caller's seed
                g = Tensor._wrap(g._data.copy())
            leaf._accumulate_grad(g, create_graph)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         allow_unused=None, *, materialize_grads=False):
    """torch.autograd.grad: the gradients of `outputs` w.r.t. `inputs`, as a tuple (zeros for
    unused inputs with `materialize_grads`, None with `allow_unused`)."""
    if materialize_grads and allow_unused is False:
        raise ValueError("Expected allow_unused to be True or not passed when "
                         "materialize_grads=True, but got: allow_unused=False.")
    allow_unused = materialize_grads if allow_unused is None else allow_unused
    outputs, inputs = _as_list(outputs), _as_list(inputs)
    grad_outputs = (_as_list(grad_outputs) if grad_outputs is not None
                    else [None] * len(outputs))
    seeds = _seeds(outputs, grad_outputs)
    if not all(t.requires_grad for t in inputs):
        raise RuntimeError("One of the differentiated Tensors does not require grad")
    retain = create_graph if retain_graph is None else retain_graph
    edges = [t._edge() for t in inputs]
    engine = Backward(outputs, seeds, set(edges), retain_graph=retain,
                      create_graph=create_graph, backend=_BACKEND)
    found = engine.run()
    result = []
    for i, edge in enumerate(edges):
        g = found.get(edge)
        if g is None and not allow_unused:
            raise RuntimeError(f"The differentiated Tensor at index {i} appears to not have "
                               "been used in the graph. Set allow_unused=True if this is the "
                               "desired behavior.")
        if g is None and materialize_grads:
            g = Tensor._wrap(np.zeros(inputs[i].shape, inputs[i].dtype))
        elif g is not None and not create_graph:
            g = g.detach()
        result.append(g)
    return tuple(result)


from . import autograd_functional as functional  # noqa: F401 (torch.autograd.functional)
