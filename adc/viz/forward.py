"""`forward_ir`: a model's forward as one adc IR Graph, inputs and parameters as its inputs.

Stage: tensor front end → IR (for drawing: adc.viz.to_dot, SummaryWriter.add_graph). The model
runs once on the example inputs in eval mode with gradients recorded (the inputs made to
require grad), and the recorded Nodes' graphs are re-bound, in order, into one trace whose
inputs are the model's inputs followed by its parameters; each equation carries the scope of
the module that ran it (adc/viz/scopes.py). Invariants: on the example inputs the
Graph computes the model's outputs; an operand that is neither one of those inputs (the same
array) nor recorded as computed from them enters as a constant holding the value it had: a
tensor that is not a Parameter, an integer computed in the forward (argmax), and an integer
input the tensor layer converts before use (an index key is copied to int64 first); the
model's train/eval flags are restored afterwards.
"""
from __future__ import annotations

from contextlib import nullcontext
from typing import NamedTuple

from ..errors import UnsupportedError
from ..ir import Aval, Graph
from ..tensors.creation import as_tensor
from ..tensors.engine import _topological
from ..tensors.grad_mode import enable_grad
from ..tensors.node import AccumulateGrad
from ..tensors.tensor import Tensor
from ..tracer import Tracer, inline, trace
from .scopes import named_scopes, recording


class ForwardIR(NamedTuple):
    graph: Graph
    names: list         # per graph input: "input0", ..., then the parameters' names
    input_scopes: list  # per graph input: "" for the model's inputs, a parameter's module scope
    eqn_scopes: list    # per equation: the scope of the module that ran it ("" outside modules)


def forward_ir(model, *inputs) -> ForwardIR:
    """The forward of `model` (an adc.nn.Module, or any callable of tensors) on `inputs`
    (adc tensors, numpy arrays or numbers) as an IR Graph, with the names of its inputs and the
    module scopes (`Net/Linear[fc1]`, as torch's TensorBoard graphs name them) of its inputs
    and equations."""
    xs = [as_tensor(x).detach() for x in inputs]
    xs = [x.requires_grad_() if x.dtype.kind == "f" else x for x in xs]
    is_module = hasattr(model, "_modules")
    modules = list(named_scopes(model, type(model).__name__)) if is_module else []
    owner = {id(p): scope for scope, m in modules for p in m._parameters.values()
             if p is not None}
    params, seen = [], set()  # a parameter shared by several modules is one input, named once
    for name, p in model.named_parameters() if hasattr(model, "named_parameters") else ():
        if id(p) not in seen:
            seen.add(id(p))
            params.append((name, p))
    leaves = xs + [p for _, p in params]
    names = [f"input{k}" for k in range(len(xs))] + [n for n, _ in params]
    flags = [m.training for _, m in modules]
    node_scope: dict = {}
    try:
        if is_module:
            model.eval()
        with enable_grad(), recording(model, node_scope) if is_module else nullcontext():
            result = model(*xs)
    finally:
        for (_, m), flag in zip(modules, flags):
            object.__setattr__(m, "training", flag)
    outputs = list(result) if isinstance(result, (tuple, list)) else [result]
    for k, t in enumerate(outputs):
        if not isinstance(t, Tensor):
            raise UnsupportedError(f"adc.viz.forward_ir: output {k} of the model is a "
                                   f"{type(t).__name__}; expected adc Tensors")
    order = _topological([t.grad_fn for t in outputs if t.grad_fn is not None])
    position = {id(t._data): k for k, t in enumerate(leaves)}
    boundaries = []  # per node: (its input Vars, its output Vars) in the trace

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
            outs = inline(node.graph, ins)
            produced.update(((node, k), v) for k, v in enumerate(outs))
            boundaries.append(tuple({x.variable for x in vs if isinstance(x, Tracer)}
                                    for vs in (ins, outs)))
        return [operand(t._edge() if t.grad_fn is not None else None, t._data) for t in outputs]

    graph = trace(body, [Aval(tuple(t.shape), t._data.dtype) for t in leaves]).graph
    return ForwardIR(graph, names, [owner.get(id(t), "") for t in leaves],
                     _eqn_scopes(graph, [node_scope.get(n, "") for n in order], boundaries))


def _eqn_scopes(graph, scopes, boundaries) -> list:
    """Each equation's scope: that of the node whose re-bound graph emitted it, found walking
    back from the node's outputs to its inputs (earlier nodes' equations are already taken)."""
    producer = {v: i for i, e in enumerate(graph.eqns) for v in e.outs}
    found: list = [None] * len(graph.eqns)
    for scope, (ins, outs) in zip(scopes, boundaries):
        stack = list(outs)
        while stack:
            i = producer.get(stack.pop())
            if i is not None and found[i] is None:
                found[i] = scope
                stack += [v for v in graph.eqns[i].ins if v not in ins]
    return [s or "" for s in found]
