"""adc.linalg: torch.linalg's names on adc tensors and, through each op's numpy form
(adc.numpy.linalg), on traced values and numpy arrays inside adc.grad — one linalg for both.

Stage: tensor front end. Invariant: the names here are the ops declared with
`function="linalg"` (dispatch.py) plus the adc-level ops that torch.linalg also has (det,
slogdet: one op each, as in torch; linalg.slogdet names its result linalg_slogdet).
"""
from . import ops
from .dispatch import function_names, namespace_functions
from .ops import det
from .ops.matrices import LinAlgError, slogdet_result


def slogdet(A):
    """torch.linalg.slogdet: adc.slogdet's (sign, logabsdet) as torch's linalg_slogdet."""
    return slogdet_result(*ops.slogdet(A))


__all__ = function_names("linalg") + ["LinAlgError", "det", "slogdet"]
globals().update(namespace_functions("linalg"))
