"""torch.autograd.functional's `jacobian` and `hessian` (as `adc.autograd.functional`): the
function runs once on fresh leaves, then `autograd.grad` once per output element.

Stage: tensor front end → differentiate. Invariant: torch's result structure (a tensor, or
tuples over the outputs and/or inputs exactly where torch has them), blocks of shape
`output.shape + input.shape`, zeros where an output does not depend on an input (strict=False),
and results that require grad only with `create_graph=True`.
"""
from __future__ import annotations

import numpy as np

from .grad_mode import enable_grad
from .tensor import Tensor


def _inputs(inputs, what):
    is_tuple = isinstance(inputs, tuple)
    inputs = inputs if is_tuple else (inputs,)
    if not all(isinstance(x, Tensor) for x in inputs):
        raise TypeError(f"The inputs given to {what} must be either a Tensor or a tuple of "
                        "Tensors")
    return is_tuple, inputs


def jacobian(func, inputs, create_graph=False, strict=False, vectorize=False,
             strategy="reverse-mode"):
    """torch.autograd.functional.jacobian. `vectorize` and `strategy` change only how torch
    computes it, not the result: adc runs one backward per output element either way."""
    from .autograd import grad

    if strategy not in ("reverse-mode", "forward-mode"):
        raise RuntimeError('Expected strategy to be either "forward-mode" or "reverse-mode".')
    if strategy == "forward-mode" and not vectorize:
        raise RuntimeError("torch.autograd.functional.jacobian: `strategy=\"forward-mode\"` "
                           "is only implemented together with `vectorize=True`.")
    if strict:
        raise NotImplementedError("adc.autograd.functional.jacobian: strict=True is not "
                                  "supported; the default (strict=False) gives zeros where an "
                                  "output does not depend on an input")
    in_tuple, inputs = _inputs(inputs, "jacobian")
    with enable_grad():
        leaves = tuple(x.detach().requires_grad_(True) for x in inputs)
        outputs = func(*leaves)
    out_tuple = isinstance(outputs, tuple)
    outputs = outputs if out_tuple else (outputs,)
    if not all(isinstance(o, Tensor) for o in outputs):
        raise TypeError("The outputs of the user-provided function given to jacobian must be "
                        "either a Tensor or a tuple of Tensors")
    blocks = []
    for out in outputs:
        rows = [[] for _ in leaves]
        flat = out.reshape(-1)
        for i in range(out.numel()):
            grads = (grad(flat[i], leaves, retain_graph=True, create_graph=create_graph,
                          materialize_grads=True) if flat.requires_grad else _zeros(leaves))
            for j, g in enumerate(grads):
                rows[j].append(g)
        per_input = []
        for j, x in enumerate(leaves):
            block = (_stack(rows[j]) if rows[j]
                     else Tensor._wrap(np.zeros((0,) + tuple(x.shape), x.dtype)))
            block = block.reshape(tuple(out.shape) + tuple(x.shape))
            per_input.append(block if create_graph else block.detach())
        blocks.append(tuple(per_input) if in_tuple else per_input[0])
    return tuple(blocks) if out_tuple else blocks[0]


def _zeros(tensors) -> tuple:
    """The gradients of an output that does not require grad: zeros."""
    return tuple(Tensor._wrap(np.zeros(x.shape, x.dtype)) for x in tensors)


def _stack(tensors):
    from .ops import stack

    return stack(tensors)


def hessian(func, inputs, create_graph=False, strict=False, vectorize=False,
            outer_jacobian_strategy="reverse-mode"):
    """torch.autograd.functional.hessian: the Jacobian of the gradient of a function returning
    one element; a tuple of tuples over the inputs when `inputs` is a tuple."""
    from .autograd import grad

    in_tuple, inputs = _inputs(inputs, "hessian")

    def gradient(*xs):
        out = func(*xs)
        if not isinstance(out, Tensor):
            raise TypeError("The function given to hessian should return a single Tensor")
        if out.numel() != 1:
            raise RuntimeError("The Tensor returned by the function given to hessian should "
                               "contain a single element")
        if not out.requires_grad:
            return _zeros(xs)
        return grad(out.reshape(()), xs, create_graph=True, materialize_grads=True)

    result = jacobian(gradient, inputs if in_tuple else inputs[0], create_graph=create_graph,
                      strict=strict, vectorize=vectorize, strategy=outer_jacobian_strategy)
    return result if in_tuple else result[0]
