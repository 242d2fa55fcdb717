"""Random draws shaped by a tensor: bernoulli, multinomial, randint_like, from adc's one
generator (creation.generator, reseeded by adc.manual_seed).

Stage: tensor front end; the invariants are the package's (ops/__init__.py). Draws carry no
gradient and are computed eagerly; torch's `generator=` is refused, as creation's are.
"""
from __future__ import annotations

import numpy as np

from ...errors import UnsupportedError
from .. import creation
from ..dispatch import op
from ..tensor import Tensor
from .common import _as_tensor


def refuse_generator(name, generator):
    if generator is not None:
        raise UnsupportedError(f"adc: {name}(generator=...) is not supported; adc draws from "
                               "its own generator (adc.manual_seed)")


def bernoulli_draws(p, shape, dtype):
    """1 with probability p (a number or an array broadcast to `shape`), else 0."""
    return (creation.generator().random(shape) < p).astype(dtype)


@op
def bernoulli(input, p=None, *, generator=None):
    refuse_generator("bernoulli", generator)
    probs = input._data if p is None else _as_tensor(p)._data if isinstance(p, Tensor) else p
    if np.any((np.asarray(probs) < 0) | (np.asarray(probs) > 1)):
        raise RuntimeError("Expected p_in >= 0 && p_in <= 1 to be true, but got false.")
    return Tensor._wrap(bernoulli_draws(probs, input.shape, input.dtype))


@op
def multinomial(input, num_samples, replacement=False, *, generator=None):
    refuse_generator("multinomial", generator)
    weights = input._data.astype(np.float64)
    if input.ndim not in (1, 2):
        raise RuntimeError("prob_dist must be 1 or 2 dim")
    rows = weights.reshape(-1, weights.shape[-1])
    if np.any(rows < 0) or not np.all(np.isfinite(rows)):
        raise RuntimeError("probability tensor contains either `inf`, `nan` or element < 0")
    if np.any(rows.sum(axis=1) <= 0):
        raise RuntimeError("invalid multinomial distribution (sum of probabilities <= 0)")
    if not replacement and num_samples > rows.shape[1]:
        raise RuntimeError("cannot sample n_sample > prob_dist.size(-1) samples without "
                           "replacement")
    if not replacement and np.any((rows > 0).sum(axis=1) < num_samples):
        raise RuntimeError("invalid multinomial distribution (with replacement=False, not "
                           "enough non-negative category to sample)")
    rng = creation.generator()
    drawn = np.stack([rng.choice(rows.shape[1], num_samples, replace=replacement,
                                 p=r / r.sum()) for r in rows])
    return Tensor._wrap(drawn.reshape(*input.shape[:-1], num_samples).astype(np.int64))


@op(function=True, method=False)
def randint_like(input, low=0, high=None, *, dtype=None, requires_grad=False):
    if high is None:
        low, high = 0, low
    return creation.randint(low, high, tuple(input.shape), dtype=dtype or input.dtype) \
        .requires_grad_(requires_grad)


def random_bound(dtype):
    """torch's default `to` of random_: every integer the dtype holds exactly, plus one."""
    if dtype.kind == "f":
        return 2 ** (np.finfo(dtype).nmant + 1)
    if dtype.kind == "b":
        return 2
    return int(np.iinfo(dtype).max) + 1
