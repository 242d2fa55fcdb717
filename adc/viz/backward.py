"""`make_dot`: the backward graph recorded behind a tensor, drawn as torchviz draws torch's.

Stage: visualization of the tensor tape (adc/tensors/node.py). Invariant: one DOT node per
recorded Node (its grad_fn name, e.g. `MulBackward0`), per leaf's AccumulateGrad and per leaf
tensor (blue: its name in `params` and its shape), the output (green) and, on request, the
values a Node saved (orange); edges run from inputs towards the output, as torchviz's do.
The tape is only read: nothing is run, freed or retained.
"""
from __future__ import annotations

from ..errors import UnsupportedError
from ..ir import _format_param
from ..tensors.node import AccumulateGrad, Node
from ..tensors.tensor import Tensor
from .dot import Dot, DotBuilder


def _size(shape) -> str:
    return "(" + ", ".join(str(int(d)) for d in shape) + ")"


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[:max(limit - 3, 0)] + "..."


def _fn_label(fn, show_attrs: bool, max_attr_chars: int) -> str:
    name = fn.name().rpartition("::")[2]
    if not show_attrs or not isinstance(fn, Node):
        return name
    lines = [_truncate(" ".join([e.prim.name] + [f"{k}={_format_param(v)}"
                                                 for k, v in e.params.items()]), max_attr_chars)
             for e in fn.graph.eqns]
    return "\n".join([name, "-" * max(map(len, [name] + lines))] + lines)


def make_dot(var, params=None, show_attrs: bool = False, show_saved: bool = False,
             max_attr_chars: int = 50) -> Dot:
    """The backward graph of `var` (an adc Tensor or a tuple of them), like torchviz's
    make_dot: `params` (e.g. `dict(model.named_parameters())`) names the leaf tensors;
    `show_attrs` lists each node's recorded operations with their parameters, `show_saved` the
    values each node saved for backward (inputs `input<j>`, outputs `result<k>`)."""
    outputs = var if isinstance(var, tuple) else (var,)
    for t in outputs:
        if not isinstance(t, Tensor):
            raise UnsupportedError(f"adc.viz.make_dot expects an adc Tensor or a tuple of "
                                   f"them; got {type(t).__name__}")
    names = {}
    for k, p in (params or {}).items():
        if not isinstance(p, Tensor):
            raise UnsupportedError(f"adc.viz.make_dot: params[{k!r}] is a "
                                   f"{type(p).__name__}, not an adc Tensor")
        names[id(p)] = k
    dot = DotBuilder("adc_backward", {"size": "12,12"})

    def tensor_label(t) -> str:
        return f"{names.get(id(t), '')}\n {_size(t.shape)}"

    def add_fn(root) -> None:
        stack = [root]
        while stack:
            fn = stack.pop()
            if str(id(fn)) in dot:
                continue
            dot.node(str(id(fn)), _fn_label(fn, show_attrs, max_attr_chars))
            if isinstance(fn, AccumulateGrad):
                dot.node(str(id(fn.variable)), tensor_label(fn.variable), fillcolor="lightblue")
                dot.edge(str(id(fn.variable)), str(id(fn)))
            if show_saved and isinstance(fn, Node) and fn.saved is not None:
                inputs, results = fn.saved
                for prefix, saved in (("input", inputs), ("result", results)):
                    for j, (array, _, _) in enumerate(saved):
                        dot.node(str(id(array)), f"{prefix}{j}\n {_size(array.shape)}",
                                 fillcolor="orange")
                        dot.edge(str(id(fn)), str(id(array)), dir="none")
            for producer, _ in fn.next_functions:
                if producer is not None:
                    dot.edge(str(id(producer)), str(id(fn)))
                    stack.append(producer)

    def add_tensor(t, color: str) -> None:
        if str(id(t)) in dot:
            return
        dot.node(str(id(t)), tensor_label(t), fillcolor=color)
        if t.grad_fn is not None:
            add_fn(t.grad_fn)
            dot.edge(str(id(t.grad_fn)), str(id(t)))
        if t._base is not None:
            add_tensor(t._base, "darkolivegreen3")
            dot.edge(str(id(t._base)), str(id(t)), style="dotted")

    for t in outputs:
        add_tensor(t, "darkolivegreen1")
    return dot.build()
