"""adc.nn.functional: torch.nn.functional's names and signatures on adc tensors and, through
each op's numpy form, on traced values and numpy arrays inside adc.grad.

Stage: tensor front end. Invariant: the names here are the ops declared with
`function="functional"` (dispatch.py) plus the adc-level ops torch.nn.functional also has.
"""
from ...dispatch import OPS, function_names
from ...ops import log_softmax, relu, sigmoid, softmax, tanh
from . import conv  # noqa: F401  (declares the convolution and pooling ops)

__all__ = function_names("functional") + ["log_softmax", "relu", "sigmoid", "softmax", "tanh"]
globals().update({o.name: o.public for o in OPS.values() if o.function == "functional"})
