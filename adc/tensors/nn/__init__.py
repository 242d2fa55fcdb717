"""adc.nn: torch.nn's modules, layers, losses and `functional` on adc tensors.

Stage: tensor front end. Invariant: everything here is built from tensor ops (tensors/ops/ and
the ops declared in nn/functional/), so gradients come from the same primitives and compiled
backward as everything else.
"""
from . import functional
from .layers import Linear, ReLU
from .loss import CrossEntropyLoss, MSELoss
from .module import Module, Parameter, Sequential

__all__ = ["CrossEntropyLoss", "Linear", "MSELoss", "Module", "Parameter", "ReLU", "Sequential",
           "functional"]
