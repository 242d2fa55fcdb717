"""adc.nn: torch.nn's modules, layers, losses and `functional` on adc tensors.

Stage: tensor front end. Invariant: everything here is built from tensor ops (tensors/ops/ and
the ops declared in nn/functional/), so gradients come from the same primitives and compiled
backward as everything else.
"""
from . import functional
from .conv import (AdaptiveAvgPool1d, AdaptiveAvgPool2d, AdaptiveAvgPool3d, AvgPool1d,
                   AvgPool2d, AvgPool3d, Conv1d, Conv2d, Conv3d, ConvTranspose1d, ConvTranspose2d,
                   ConvTranspose3d, MaxPool1d, MaxPool2d, MaxPool3d)
from .layers import Linear, ReLU
from .loss import CrossEntropyLoss, MSELoss
from .module import Module, Parameter, Sequential

__all__ = ["AdaptiveAvgPool1d", "AdaptiveAvgPool2d", "AdaptiveAvgPool3d", "AvgPool1d", "AvgPool2d",
           "AvgPool3d", "Conv1d", "Conv2d", "Conv3d", "ConvTranspose1d", "ConvTranspose2d",
           "ConvTranspose3d", "CrossEntropyLoss", "Linear", "MSELoss", "MaxPool1d", "MaxPool2d",
           "MaxPool3d", "Module", "Parameter", "ReLU", "Sequential", "functional"]
