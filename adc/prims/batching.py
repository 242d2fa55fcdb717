"""Batching rules shared by the primitives: each primitive names one as its `batch=` fact.

Stage: primitive definitions (used by adc.batching, the vmap transform). Invariant: a rule
`rule(prim, args, batched, size, params)` is called when at least one input is batched;
`batched[i]` says whether `args[i]` carries the batch as its leading axis (of length `size`,
the others being the per-example value), and the rule returns what `bind(prim, ...)` would
for the whole batch, every output batched along its leading axis. A rule returns
`NotImplemented` for an input combination it does not handle, and a primitive may declare
`LOOP`: adc.batching then runs it once per batch element in a compiled loop (adc.scan).
Rules are written with `bind` and `lax`, so the batched program is itself differentiable.
"""
from __future__ import annotations

import numpy as np

from ..tracer import bind
from . import lax

LOOP = "loop"  # no rule of its own: a compiled loop over the batch runs the primitive


def _lifted(x, rank):
    """A batched x (B, *s) as (B, 1, ..., 1, *s) of rank `rank` + 1, so that numpy's
    right-aligned broadcasting lines its per-example axes up with unbatched operands'."""
    missing = rank - (x.ndim - 1)
    return lax.reshape(x, (x.shape[0],) + (1,) * missing + tuple(x.shape[1:])) if missing else x


def broadcasting(prim, args, batched, size, params):
    """Operands broadcast against each other (elementwise primitives, where, matmul and
    solve's batch axes): batched operands get the batch axis in front of every other's."""
    rank = max(a.ndim - b for a, b in zip(args, batched))
    return bind(prim, *[_lifted(a, rank) if b else a for a, b in zip(args, batched)], **params)


def _shift(value):
    return tuple(v + 1 for v in value) if isinstance(value, tuple) else value + 1


def shifted(*names):
    """A rule for a primitive of one batched input that computes along the axes named by the
    params `names` (reductions' axes, cumsum's axis) and treats other leading axes as a batch:
    the same primitive with those axes moved one up. With no names: a primitive that treats
    every leading axis as a batch (the matrix functions: inv, det, svd, ...)."""
    def rule(prim, args, batched, size, params):
        if len(args) != 1:
            return NotImplemented
        return bind(prim, args[0], **{k: _shift(v) if k in names else v
                                      for k, v in params.items()})
    return rule


leading = shifted()


def reshape(prim, args, batched, size, params):
    return lax.reshape(args[0], (size,) + tuple(params["shape"]))


def transpose(prim, args, batched, size, params):
    return lax.transpose(args[0], (0,) + tuple(p + 1 for p in params["perm"]))


def broadcast_to(prim, args, batched, size, params):
    shape = tuple(params["shape"])
    return lax.broadcast_to(_lifted(args[0], len(shape)), (size,) + shape)


def slice_(prim, args, batched, size, params):
    return lax.slice(args[0], (0,) + params["start"], (size,) + params["stop"],
                     (1,) + params["step"])


def pad(prim, args, batched, size, params):
    if batched[1]:
        return NotImplemented  # a pad value per batch element
    return bind(prim, *args, **{k: (0,) + v for k, v in params.items()})


def concatenate(prim, args, batched, size, params):
    """Unbatched operands are broadcast to the batch."""
    full = [a if b else lax.broadcast_to(a, (size,) + tuple(a.shape))
            for a, b in zip(args, batched)]
    return bind(prim, *full, axis=params["axis"] + 1)


def _moved(x, src, dst):
    """x with its axis `src` moved to position `dst`."""
    order = [i for i in range(x.ndim) if i != src]
    order.insert(dst, src)
    return lax.transpose(x, order)


def _flat_indices(idx, size, n):
    """Batched indices into axis length n as indices into the batch and that axis flattened
    together (element b's index i becomes b * n + i)."""
    offsets = (np.arange(size, dtype=idx.dtype) * n).reshape((size,) + (1,) * (idx.ndim - 1))
    return lax.add(idx, offsets)


def take(prim, args, batched, size, params):
    x, idx, axis = *args, params["axis"]
    if not batched[1]:
        return bind(prim, x, idx, axis=axis + 1)
    k = idx.ndim - 1
    if not batched[0]:
        # x's axis `axis` becomes idx's axes, the batch first among them: move it to the front
        return _moved(bind(prim, x, idx, axis=axis), axis, 0)
    # both batched: gather from the batch and the axis flattened together, (B, *k, *rest)
    n = x.shape[axis + 1]
    flat = lax.reshape(_moved(x, axis + 1, 1), (size * n,) + tuple(
        d for i, d in enumerate(x.shape) if i not in (0, axis + 1)))
    out = bind(prim, flat, _flat_indices(idx, size, n), axis=0)
    order = [0] + list(range(k + 1, k + 1 + axis)) + list(range(1, k + 1)) + list(
        range(k + 1 + axis, out.ndim))
    return lax.transpose(out, order)


def scatter_add(prim, args, batched, size, params):
    idx, upd, axis, n = *args, params["axis"], params["size"]
    if not batched[0]:
        return bind(prim, *args, axis=axis + 1, size=n)
    k = idx.ndim - 1
    if not batched[1]:
        upd = lax.broadcast_to(upd, (size,) + tuple(upd.shape))
    # both batched: add into the batch and the axis flattened together
    order = [0] + list(range(axis + 1, axis + 1 + k)) + list(range(1, axis + 1)) + list(
        range(axis + 1 + k, upd.ndim))
    out = bind(prim, _flat_indices(idx, size, n), lax.transpose(upd, order), axis=0,
               size=size * n)
    rest = tuple(upd.shape[1:axis + 1]) + tuple(upd.shape[axis + 1 + k:])
    return _moved(lax.reshape(out, (size, n) + rest), 1, axis + 1)


def matmul(prim, args, batched, size, params):
    """A batch of matrices times one matrix is one GEMM (the batch folded into the rows, or
    into the columns), not a batch of small ones; other forms broadcast."""
    a, b = args
    if batched == (True, False) and a.ndim == 3 and b.ndim == 2:
        m, k = a.shape[1:]
        out = bind(prim, lax.reshape(a, (size * m, k)), b)
        return lax.reshape(out, (size, m, b.shape[1]))
    if batched == (False, True) and a.ndim == 2 and b.ndim == 3:
        k, n = b.shape[1:]
        if n == 1:  # a batch of vectors: their rows times a's transpose
            out = bind(prim, lax.reshape(b, (size, k)), lax.mT(a))
            return lax.reshape(out, (size, a.shape[0], 1))
        cols = lax.reshape(lax.transpose(b, (1, 0, 2)), (k, size * n))
        out = lax.reshape(bind(prim, a, cols), (a.shape[0], size, n))
        return lax.transpose(out, (1, 0, 2))
    return broadcasting(prim, args, batched, size, params)


_LETTERS = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def einsum(prim, args, batched, size, params):
    """A new index for the batch, in front of the batched operands' and the output's."""
    spec = params["spec"]
    letter = next(c for c in _LETTERS if c not in spec)
    ins, out = spec.replace(" ", "").split("->")
    subs = [letter + s if b else s for s, b in zip(ins.split(","), batched)]
    return bind(prim, *args, spec=",".join(subs) + "->" + letter + out)


def merged(prim, args, batched, size, params):
    """A primitive whose inputs and outputs lead with an axis of independent items (the N of
    convolution windows): the batch folded into it, `shape` params included, then unfolded."""
    if len(args) != 1:
        return NotImplemented
    x = args[0]
    folded = lax.reshape(x, (size * x.shape[1],) + tuple(x.shape[2:]))
    if "shape" in params:
        params = dict(params, shape=(size * params["shape"][0],) + tuple(params["shape"][1:]))
    out = bind(prim, folded, **params)
    return lax.reshape(out, (size, x.shape[1]) + tuple(out.shape[1:]))
