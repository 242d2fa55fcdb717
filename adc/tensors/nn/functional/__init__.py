"""adc.nn.functional: torch.nn.functional's names and signatures on adc tensors and, through
each op's numpy form, on traced values and numpy arrays inside adc.grad.

Stage: tensor front end. Invariant: the names here are the ops declared with
`function="functional"` (dispatch.py) plus the functions whose names adc.<name> already
holds (relu, tanh, sigmoid, softplus, softmax, log_softmax), which take F's signatures here.
"""
from ...dispatch import OPS, function_names
from . import (
                                          conv,  # noqa: F401
                                          dropout,  # noqa: F401  (the modules declare their ops)
                                          embedding,  # noqa: F401
                                          linear,  # noqa: F401
                                          loss,  # noqa: F401
                                          norm,  # noqa: F401
                                          padding,  # noqa: F401
)
from .activation import log_softmax, relu, sigmoid, softmax, softplus, tanh

__all__ = function_names("functional") + ["log_softmax", "relu", "sigmoid", "softmax",
                                          "softplus", "tanh"]
globals().update({o.public.__name__: o.public for o in OPS.values() if o.function == "functional"})
