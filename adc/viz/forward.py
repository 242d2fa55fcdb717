"""`forward_ir`: a model's forward as one adc IR Graph, inputs and parameters as its inputs.

Stage: tensor front end → IR (for drawing: adc.viz.to_dot, SummaryWriter.add_graph). The model
runs once on the example inputs in eval mode with gradients recorded (the inputs made to
require grad), and the recorded Nodes' graphs are re-bound, in order, into one trace whose
inputs are the model's inputs followed by its parameters. Invariants: on the example inputs the
Graph computes the model's outputs; an operand that is neither one of those inputs (the same
array) nor recorded as computed from them enters as a constant holding the value it had: a
tensor that is not a Parameter, an integer computed in the forward (argmax), and an integer
input the tensor layer converts before use (an index key is copied to int64 first); the
model's train/eval flags are restored afterwards.
"""
from __future__ import annotations

from typing import NamedTuple

from ..errors import UnsupportedError
from ..ir import Aval, Graph
from ..tensors.creation import as_tensor
from ..tensors.engine import _topological
from ..tensors.grad_mode import enable_grad
from ..tensors.node import AccumulateGrad
from ..tensors.tensor import Tensor
from ..tracer import inline, trace


class ForwardIR(NamedTuple):
    graph: Graph
    names: list  # one per graph input: "input0", ..., then the parameters' names


def _modules(model):
    yield model
    for child in model._modules.values():
        yield from _modules(child)


def forward_ir(model, *inputs) -> ForwardIR:
    """The forward of `model` (an adc.nn.Module, or any callable of tensors) on `inputs`
    (adc tensors, numpy arrays or numbers) as an IR Graph, with the names of its inputs."""
    xs = [as_tensor(x).detach() for x in inputs]
    xs = [x.requires_grad_() if x.dtype.kind == "f" else x for x in xs]
    params = list(model.named_parameters()) if hasattr(model, "named_parameters") else []
    leaves = xs + [p for _, p in params]
    names = [f"input{k}" for k in range(len(xs))] + [n for n, _ in params]
    modules = list(_modules(model)) if hasattr(model, "_modules") else []
    flags = [m.training for m in modules]
    try:
        if modules:
            model.eval()
        with enable_grad():
            result = model(*xs)
    finally:
        for m, flag in zip(modules, flags):
            object.__setattr__(m, "training", flag)
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    for k, t in enumerate(outputs):
        if not isinstance(t, Tensor):
            raise UnsupportedError(f"adc.viz.forward_ir: output {k} of the model is a "
                                   f"{type(t).__name__}; expected adc Tensors")
    order = _topological([t.grad_fn for t in outputs if t.grad_fn is not None])
    position = {id(t._data): k for k, t in enumerate(leaves)}

    def body(*values):
        def operand(edge, array):
            if edge is not None and type(edge[0]) is not AccumulateGrad:
                return produced[edge]
            k = position.get(id(edge[0].variable._data if edge is not None else array))
            return values[k] if k is not None else array

        produced: dict = {}
        for node in order:
            ins = [operand(edge, array) for edge, (array, _, _) in zip(node.edges,
                                                                        node.saved[0])]
            produced.update(((node, k), v) for k, v in enumerate(inline(node.graph, ins)))
        return [operand(t._edge() if t.grad_fn is not None else None, t._data) for t in outputs]

    traced = trace(body, [Aval(tuple(t.shape), t._data.dtype) for t in leaves])
    return ForwardIR(traced.graph, names)
