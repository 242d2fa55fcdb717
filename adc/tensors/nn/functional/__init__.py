"""adc.nn.functional: torch.nn.functional's names and signatures on adc tensors and, through
each op's numpy form, on traced values and numpy arrays inside adc.grad.

Stage: tensor front end. Invariant: the names here are the ops declared with
`function="functional"` (dispatch.py) plus the adc-level ops torch.nn.functional also has.
"""
from ...dispatch import function_names, namespace_functions
from ...ops import log_softmax, relu, sigmoid, softmax, tanh

__all__ = function_names("functional") + ["log_softmax", "relu", "sigmoid", "softmax", "tanh"]
globals().update(namespace_functions("functional"))
