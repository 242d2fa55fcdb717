"""torch.utils's place in adc: `adc.utils.data` is the tensor layer's data module
(adc/tensors/data.py), registered under this name so `import adc.utils.data` and
`from adc.utils.data import DataLoader` work without a re-exporting copy.

Stage: tensor front end (layer 8). Invariant: adc.utils.data is adc.tensors.data.
"""
import sys

from ..tensors import data

sys.modules[__name__ + ".data"] = data

__all__ = ["data"]
