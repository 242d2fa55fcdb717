"""torch.nn.functional's embedding (rows of a weight by index, padding_idx rows receiving no
gradient) and one_hot (int64 result).

Stage: tensor front end. Invariant: lookups are one `take` along the weight's rows; on Tensors
the indices are checked eagerly with torch's messages.
"""
from __future__ import annotations

import numpy as np

from .... import numpy as anp
from ...dispatch import op
from ...tensor import Tensor
from .common import run, torch_dtype_name


def _embedding(weight, idx, *pad_mask):
    rows = anp.take(weight, idx, axis=0)
    if pad_mask:  # the rows at padding_idx keep their values but pass no gradient back
        rows = anp.where(anp.expand_dims(pad_mask[0], -1), anp.stop_gradient(rows), rows)
    return rows


@op(function="functional", method=False, composite=True)
def embedding(input, weight, padding_idx=None, max_norm=None, norm_type: float = 2.0,
              scale_grad_by_freq: bool = False, sparse: bool = False):
    if max_norm is not None or scale_grad_by_freq or sparse:
        raise NotImplementedError("adc: embedding(max_norm=..., scale_grad_by_freq=True, "
                                  "sparse=True) is not supported")
    rows = anp.shape(weight)[0]
    if padding_idx is not None:
        if not -rows <= padding_idx < rows:
            raise AssertionError("Padding_idx must be within num_embeddings")
        padding_idx %= rows
    if isinstance(input, Tensor):
        if input.dtype not in (np.int64, np.int32):
            raise RuntimeError("Expected tensor for argument #1 'indices' to have one of the "
                               "following scalar types: Long, Int; but got torch."
                               f"{torch_dtype_name(input.dtype)}Tensor instead (while "
                               "checking arguments for embedding)")
        if input.numel() and (int(input._data.min()) < 0 or int(input._data.max()) >= rows):
            raise IndexError("index out of range in self")
    mask = [] if padding_idx is None else [anp.equal(input if not isinstance(input, Tensor)
                                                     else input._data, padding_idx)]
    return run("EmbeddingBackward0", _embedding, [weight, input, *mask])


def _one_hot(t, *, classes):
    return anp.astype(anp.equal(anp.expand_dims(t, -1), np.arange(classes)), np.int64)


@op(function="functional", method=False, composite=True)
def one_hot(tensor, num_classes: int = -1):
    if isinstance(tensor, Tensor) and tensor.dtype != np.int64:
        raise RuntimeError("one_hot is only applicable to index tensor of type LongTensor.")
    if isinstance(tensor, (Tensor, np.ndarray)):
        data = tensor._data if isinstance(tensor, Tensor) else tensor
        if num_classes == -1:
            if not data.size:
                raise RuntimeError("Can not infer total number of classes from empty tensor.")
            num_classes = int(data.max()) + 1
        if data.size and data.min() < 0:
            raise RuntimeError("Class values must be non-negative.")
        if data.size and data.max() >= num_classes:
            raise RuntimeError("Class values must be smaller than num_classes.")
    elif num_classes == -1:
        raise ValueError("adc.nn.functional.one_hot on a traced value needs num_classes: the "
                         "number of classes of traced data is not known while tracing")
    return run("OneHotBackward", _one_hot, [tensor], classes=int(num_classes))
