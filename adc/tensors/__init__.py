"""PyTorch-style tensors whose gradients run as compiled adc code (see tensor.py), with the
layers (nn) and optimizers (optim) built on them."""
from . import autograd, creation, cuda, dtypes, legacy, nn, ops, optim
from .creation import *  # noqa: F403
from .dtypes import (bool_, dtype, float16, float32, float64, get_default_dtype, int8, int16,
                     int32, int64, set_default_dtype, uint8)
from .grad_mode import (enable_grad, inference_mode, is_grad_enabled, is_inference_mode_enabled,
                        no_grad, set_grad_enabled)
from .methods import bind_methods
from .printing import get_printoptions, set_printoptions
from .ops import *  # noqa: F403
from .serialization import load, save
from .compiled import compile
from .tensor import Size, Tensor, device

bind_methods()
legacy.install()
globals().update(legacy.TYPES)
globals().update(legacy.ALIASES)  # float, double, long, int, bool: names torch code uses

__all__ = ["Size", "Tensor", "autograd", "bool_", "cuda", "device", "dtype", "dtypes", "enable_grad",
           "float16", "float32", "float64", "get_default_dtype", "get_printoptions", "inference_mode",
           "int8", "int16", "int32", "int64", "is_grad_enabled", "is_inference_mode_enabled", "no_grad", "ops",
           "set_default_dtype", "set_grad_enabled", "set_printoptions", "uint8"]
__all__ += ["compile", "load", "save"]
__all__ += creation.__all__
__all__ += ops.__all__
__all__ += list(legacy.TYPES) + list(legacy.ALIASES)
