"""torch.nn.functional's losses: mse_loss, l1_loss, smooth_l1_loss, nll_loss, cross_entropy
(class indices or probabilities; weight, ignore_index, label_smoothing), binary_cross_entropy
and binary_cross_entropy_with_logits (pos_weight).

Stage: tensor front end. Invariant: each loss is torch's formula (ATen's LossNLL.cpp and
Loss.cpp, reductions included) written once at the adc.numpy level and run as one tensor
operation with torch's grad_fn name, or composed of such operations as torch composes it; the
argument checks are torch's, with its messages.
"""
from __future__ import annotations

import warnings

import numpy as np

from .... import numpy as anp
from ...dispatch import op
from ...tensor import Tensor
from .activation import log_softmax
from .common import check_reduction, floating, legacy_reduction, run, torch_dtype_name


def _reduce(loss, reduction):
    if reduction == "none":
        return loss
    return anp.sum(loss) if reduction == "sum" else anp.mean(loss)


def _shape(x):
    return tuple(anp.shape(x))


def _size(x):
    return f"torch.Size({list(_shape(x))})"


def _broadcast_warning(input, target):
    if _shape(input) != _shape(target):
        warnings.warn(f"Using a target size ({_size(target)}) that is different to the input "
                      f"size ({_size(input)}). This will likely lead to incorrect results due "
                      "to broadcasting. Please ensure they have the same size.", stacklevel=3)


def _weighted(loss, weight, reduction):
    if reduction == "mean":
        return anp.sum(loss * weight) / anp.sum(anp.broadcast_to(weight, anp.shape(loss)))
    return _reduce(loss * weight, reduction)


def _mse(x, t, *w, reduction):
    d = x - t
    return _weighted(d * d, w[0], reduction) if w else _reduce(d * d, reduction)


def _l1(x, t, *w, reduction):
    d = anp.abs(x - t)
    return _weighted(d, w[0], reduction) if w else _reduce(d, reduction)


_WEIGHTED = {"mean": "DivBackward0", "sum": "SumBackward0", "none": "MulBackward0"}


def _pointwise(public, names, kernel, fn, integers=False):
    """A loss of elementwise differences; `names` maps the reduction to torch's grad_fn; with
    `integers`, integer inputs are computed (torch's l1_loss: their mean raises)."""
    def loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
             weight=None):
        _broadcast_warning(input, target)
        reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
        dtype = np.dtype(getattr(input, "dtype", np.float64))
        if not (integers and dtype.kind in "iu"):
            floating(input, kernel)
        elif reduction == "mean":
            raise RuntimeError("mean(): could not infer output dtype. Input dtype must be either "
                               "a floating point or complex dtype. Got: "
                               f"{torch_dtype_name(dtype)}")
        if weight is not None and _shape(weight) != _shape(input):
            raise ValueError("Weights and input must have the same size.")
        extra = [] if weight is None else [weight]
        name = (_WEIGHTED if weight is not None else names)[reduction]
        return run(name, fn, [input, target, *extra], reduction=reduction)
    loss.__name__ = loss.__qualname__ = public
    return op(loss, function="functional", method=False, composite=True)


mse_loss = _pointwise("mse_loss", dict.fromkeys(("mean", "sum", "none"), "MseLossBackward0"),
                      "mse_cpu", _mse)
l1_loss = _pointwise("l1_loss", {"mean": "MeanBackward0", "sum": "SumBackward0",
                                 "none": "AbsBackward0"}, "abs", _l1, integers=True)


def _smooth_l1(x, t, *, beta, reduction):
    d = anp.abs(x - t)
    if beta == 0:
        return _reduce(d, reduction)
    # torch's branches: the square unless |d| >= beta (NaN included, whose gradient is NaN); its
    # operand is 0 elsewhere, so the unused branch's gradient is no 0 * inf
    small = anp.logical_not(d >= beta)
    near = anp.where(small, x - t, 0)
    return _reduce(anp.where(small, (0.5 / beta) * near * near, d - 0.5 * beta), reduction)


@op(function="functional", method=False, composite=True)
def smooth_l1_loss(input, target, size_average=None, reduce=None, reduction: str = "mean",
                   beta: float = 1.0):
    _broadcast_warning(input, target)
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    if beta < 0:
        raise RuntimeError("smooth_l1_loss does not support negative values for beta.")
    floating(input, "smooth_l1_cpu")
    return run("SmoothL1LossBackward0", _smooth_l1, [input, target], beta=beta,
               reduction=reduction)


# ---- negative log-likelihood and cross entropy ----

def _class_axis(x):
    return 1 if anp.ndim(x) >= 2 else 0


def _nll(logp, target, weight, *, ignore_index, reduction):
    """torch's nll_loss_nd: -weight[t] * logp[t] per element, 0 where t == ignore_index; the
    mean divides by the sum of the weights that count."""
    axis = _class_axis(logp)
    valid = anp.not_equal(target, ignore_index)
    idx = anp.where(valid, target, 0)
    w = anp.where(valid, anp.take(weight, idx), 0)
    picked = anp.squeeze(anp.take_along_axis(logp, anp.expand_dims(idx, axis), axis), axis)
    loss = -picked * w
    if reduction == "none":
        return loss
    total = anp.sum(loss)
    return total if reduction == "sum" else total / anp.sum(w)


def _check_targets(input, target, weight, ignore_index):
    """torch's checks of class-index targets (shapes, dtype, bounds, weight)."""
    nd, classes = anp.ndim(input), _shape(input)[_class_axis(input)] if anp.ndim(input) else 0
    if nd < 1:
        raise ValueError(f"Expected 1 or more dimensions (got {nd})")
    tshape = _shape(target)
    if nd >= 2 and (not tshape or tshape[0] != _shape(input)[0]):
        raise ValueError(f"Expected input batch_size ({_shape(input)[0]}) to match target "
                         f"batch_size ({tshape[0] if tshape else 0}).")
    expected = _shape(input)[:1] + _shape(input)[2:] if nd >= 2 else ()
    if nd == 4 and len(tshape) != 3:
        raise RuntimeError("only batches of spatial targets supported (3D tensors) but got "
                           f"targets of dimension: {len(tshape)}")
    if nd == 4 and tshape != expected:
        raise RuntimeError(f"size mismatch (got input: {list(_shape(input))} , target: "
                           f"{list(tshape)}")
    if tshape != expected:
        raise RuntimeError(f"Expected target size {list(expected)}, got {list(tshape)}")
    dtype = getattr(target, "dtype", None)
    if dtype is not None and np.dtype(dtype) not in (np.int64, np.uint8) and isinstance(
            target, Tensor):
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{torch_dtype_name(dtype)}")
    if weight is not None and _shape(weight) != (classes,):
        raise RuntimeError(f"weight tensor should be defined either for all {classes} classes "
                           f"or no classes but got weight tensor of shape: {list(_shape(weight))}")
    t = target._data if isinstance(target, Tensor) else target
    if isinstance(t, np.ndarray):  # (adc.compile traces a Tensor's values: not checked)
        bad = t[(t != ignore_index) & ((t < 0) | (t >= classes))]
        if bad.size:
            raise IndexError(f"Target {bad.flat[0]} is out of bounds.")
    return classes


def _nll_name(input):
    return "NllLoss2DBackward0" if anp.ndim(input) == 4 else "NllLossBackward0"


def _class_weight(input, weight, classes):
    if weight is not None:
        return weight
    return np.ones(classes, getattr(input, "dtype", np.float64))


@op(function="functional", method=False, composite=True)
def nll_loss(input, target, weight=None, size_average=None, ignore_index: int = -100,
             reduce=None, reduction: str = "mean"):
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    classes = _check_targets(input, target, weight, ignore_index)
    return run(_nll_name(input), _nll, [input, target, _class_weight(input, weight, classes)],
               ignore_index=ignore_index, reduction=reduction)


def _smoothing_term(logp, target, weight, *, ignore_index, reduction):
    """torch's label-smoothing term: -sum_c weight_c logp_c per element (0 where ignored),
    the mean normalised as nll_loss normalises."""
    axis = _class_axis(logp)
    shape = [1] * anp.ndim(logp)
    shape[axis] = -1
    smooth = -anp.sum(logp * anp.reshape(weight, tuple(shape)), axis=axis)
    valid = anp.not_equal(target, ignore_index)
    smooth = anp.where(valid, smooth, 0)
    if reduction == "none":
        return smooth
    if reduction == "sum":
        return anp.sum(smooth)
    w = anp.where(valid, anp.take(weight, anp.where(valid, target, 0)), 0)
    return anp.sum(smooth) / anp.sum(w)


def _soft_targets(logp, target, *weight, reduction):
    axis = _class_axis(logp)
    prod = logp * target
    if weight:
        shape = [1] * anp.ndim(logp)
        shape[axis] = -1
        prod = prod * anp.reshape(weight[0], tuple(shape))
    if reduction == "none":
        return -anp.sum(prod, axis=axis)
    total = -anp.sum(prod)
    if reduction == "sum":
        return total
    n = int(np.prod(_shape(logp))) // _shape(logp)[axis]
    return total / n if n else total * np.nan


@op(function="functional", method=False, composite=True)
def cross_entropy(input, target, weight=None, size_average=None, ignore_index: int = -100,
                  reduce=None, reduction: str = "mean", label_smoothing: float = 0.0):
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    if not 0.0 <= label_smoothing <= 1.0:
        raise RuntimeError(f"label_smoothing must be between 0.0 and 1.0. Got: "
                           f"{label_smoothing:g}")
    floating(input, "log_softmax_lastdim_kernel_impl")
    axis = _class_axis(input)
    classes = _shape(input)[axis] if anp.ndim(input) else 0
    tdtype = getattr(target, "dtype", None)
    if _shape(target) == _shape(input) and tdtype is not None and np.dtype(tdtype).kind == "f":
        if weight is not None and _shape(weight) != (classes,):
            raise RuntimeError(f"weight tensor should be defined either for all {classes} "
                               "classes or no classes but got weight tensor of shape: "
                               f"{list(_shape(weight))}")
        if label_smoothing > 0:
            target = target * (1 - label_smoothing) + label_smoothing / classes
        logp = log_softmax(input, axis)
        extra = [] if weight is None else [weight]
        return run("NegBackward0" if reduction == "none" else "DivBackward0", _soft_targets,
                   [logp, target, *extra], reduction=reduction)
    if tdtype is not None and np.dtype(tdtype).kind == "f":
        raise RuntimeError("expected target dtype to be Long or Byte, but got "
                           f"{torch_dtype_name(tdtype)}")
    classes = _check_targets(input, target, weight, ignore_index)
    logp = log_softmax(input, axis)
    w = _class_weight(input, weight, classes)
    nll = run(_nll_name(input), _nll, [logp, target, w], ignore_index=ignore_index,
              reduction=reduction)
    if label_smoothing == 0:
        return nll
    smooth = run("DivBackward0", _smoothing_term, [logp, target, w], ignore_index=ignore_index,
                 reduction=reduction)
    return (1 - label_smoothing) * nll + smooth * (label_smoothing / classes)


# ---- binary cross entropy ----

def _log_clamped(x, complement):
    """max(log(x), -100) (log(1 - x) when `complement`), torch's clamp; the log never sees a
    zero, so x = 0 or 1 gives no infinity and a zero (not NaN) gradient there."""
    inside = anp.less(x, 1) if complement else anp.greater(x, 0)
    safe = anp.where(inside, x, 0 if complement else 1)
    log = anp.log1p(-safe) if complement else anp.log(safe)
    return anp.maximum(anp.where(inside, log, -100.0), -100.0)


def _bce(x, t, *w, reduction):
    loss = -(t * _log_clamped(x, False) + (1 - t) * _log_clamped(x, True))
    return _reduce(loss * w[0] if w else loss, reduction)


@op(function="functional", method=False, composite=True)
def binary_cross_entropy(input, target, weight=None, size_average=None, reduce=None,
                         reduction: str = "mean"):
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    if _shape(target) != _shape(input):
        raise ValueError(f"Using a target size ({_size(target)}) that is different to the "
                         f"input size ({_size(input)}) is deprecated. Please ensure they have "
                         "the same size.")
    floating(input, "binary_cross_entropy")
    if isinstance(input, Tensor) and not ((input._data >= 0) & (input._data <= 1)).all():
        raise RuntimeError("all elements of input should be between 0 and 1")
    extra = [] if weight is None else [weight]
    return run("BinaryCrossEntropyBackward0", _bce, [input, target, *extra],
               reduction=reduction)


def _bce_logits(x, t, *ws, weighted, positive, reduction):
    ws = list(ws)
    w = ws.pop(0) if weighted else None
    softplus_neg = anp.softplus(-x)  # log(1 + exp(-x)), overflow-free
    if positive:
        loss = (1 - t) * x + ((ws[0] - 1) * t + 1) * softplus_neg
    else:
        loss = (1 - t) * x + softplus_neg
    return _reduce(loss * w if weighted else loss, reduction)


@op(function="functional", method=False, composite=True)
def binary_cross_entropy_with_logits(input, target, weight=None, size_average=None,
                                     reduce=None, reduction: str = "mean", pos_weight=None):
    reduction = check_reduction(legacy_reduction(size_average, reduce, reduction))
    if _shape(target) != _shape(input):
        raise ValueError(f"Target size ({_size(target)}) must be the same as input size "
                         f"({_size(input)})")
    floating(input, "binary_cross_entropy_with_logits")
    extra = [x for x in (weight, pos_weight) if x is not None]
    return run("BinaryCrossEntropyWithLogitsBackward0", _bce_logits, [input, target, *extra],
               weighted=weight is not None, positive=pos_weight is not None,
               reduction=reduction)
