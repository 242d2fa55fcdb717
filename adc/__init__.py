"""adc: a symbolic-to-numeric reverse-mode automatic-differentiation compiler.

Public API only. `import adc` never imports torch.
"""
import sys

from . import numpy  # noqa: F401  (registers primitives and Tracer methods)
from .api import grad, jit, make_ir, show_source, value_and_grad, vjp, vmap
from .forward import hvp, jvp, linearize
from .jacobians import hessian, jacfwd, jacobian, jacrev
from .check import check_grad
from .errors import AdcError, ArgumentError, GradientError, ShapeError, TraceError, UnsupportedError
from .ir import Graph, eval_graph
from .loops import checkpoint, cond, fori_loop, remat, scan, while_loop
from .numpy import stop_gradient
from .validate import validate
from . import tensors  # noqa: I001  (tensors after the functional API)
from .tensors import *  # noqa: F403  (the PyTorch-style tensor API: adc.tensor, adc.no_grad, ...)
from .tensors import linalg, nn, optim
from . import utils  # noqa: E402  (adc.utils.data: Dataset, DataLoader, ...)
from . import viz  # noqa: E402  (adc.viz.to_dot, adc.viz.make_dot: graphs as DOT)

# nn, optim and linalg live in adc/tensors/; registering the modules themselves (and nn's
# submodules) under their short names makes `import adc.nn.functional as F`, `from adc.optim
# import SGD` and `import adc.linalg` work with adc.nn is adc.tensors.nn (no re-exporting shim
# package, no second copy).
_SHORT = ("adc.tensors.nn", "adc.tensors.optim", "adc.tensors.linalg")
for _name in [n for n in sys.modules if n.startswith(_SHORT)]:
    sys.modules[__name__ + _name[len("adc.tensors"):]] = sys.modules[_name]
del _name, _SHORT

__version__ = "0.1.0"

__all__ = [
    "grad",
    "value_and_grad",
    "vjp",
    "jacobian",
    "jacrev",
    "jacfwd",
    "jvp",
    "linearize",
    "hvp",
    "hessian",
    "jit",
    "vmap",
    "scan",
    "fori_loop",
    "while_loop",
    "cond",
    "checkpoint",
    "remat",
    "stop_gradient",
    "make_ir",
    "show_source",
    "check_grad",
    "validate",
    "eval_graph",
    "Graph",
    "AdcError",
    "TraceError",
    "ShapeError",
    "UnsupportedError",
    "GradientError",
    "ArgumentError",
    "linalg",
    "nn",
    "optim",
    "utils",
    "viz",
]
__all__ += tensors.__all__
