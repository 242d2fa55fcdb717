"""Forward mode: `adc.jvp`, `adc.linearize` and `adc.hvp` (`adc.jacfwd`: adc/jacobians.py).

Stage: the functional API (layer 7, beside api.py). Invariant: a JVP is the transpose of the
VJP. u ↦ Jᵀu is linear in the output cotangent u, so J v is the gradient in u of <Jᵀu, v>,
taken through the same reverse-mode transform (at u = 0; the value does not matter). Every
primitive with a VJP therefore has a JVP, to every order, and the two agree by construction.
One compiled program per function and argument signature computes f's output and J v
together (the output rides along as aux).
"""
from __future__ import annotations

import weakref

import numpy as np

from . import numpy as anp
from .api import _as_input, grad, partial_in, vjp
from .errors import ShapeError
from .tracer import Tracer, as_aval, trace, tree_flatten, tree_unflatten

# f -> {(number of primals, backend): _Pushforward}; per-function, so a cached program lives
# as long as the function does.
_CACHE: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class _Pushforward:
    """J v (and f's output) for one function of `nargs` arguments, differentiated in those at
    `nums`: `pairing(*us, *args, *tangents)` is <VJP(us), tangents> with f's output as aux;
    its gradient in the us is J v."""

    def __init__(self, f, nargs, nums, backend):
        self.f, self.backend = f, backend
        self._outs: dict = {}  # argument avals -> (output tree, output avals)
        self._grads: dict = {}  # number of outputs -> grad(pairing) over the cotangents

        def pairing(*xs):
            k = len(xs) - nargs - len(nums)
            us, args, tangents = xs[:k], xs[k:k + nargs], xs[k + nargs:]
            out, vjp_fn = vjp(partial_in(f, args, nums), *[args[i] for i in nums])
            cts = vjp_fn(tree_unflatten(tree_flatten(out)[1], list(us)))
            return sum(anp.sum(c * t) for c, t in zip(cts, tangents)), out

        self._pairing = pairing

    def __call__(self, args, tangents):
        avals = tuple(as_aval(a) for a in args)
        if avals not in self._outs:
            traced = trace(self.f, list(avals))
            self._outs[avals] = (traced.out_tree, traced.graph.out_avals)
        out_tree, out_avals = self._outs[avals]
        k = len(out_avals)
        if k not in self._grads:
            self._grads[k] = grad(self._pairing, argnums=tuple(range(k)), has_aux=True,
                                  backend=self.backend)
        us = [np.zeros(a.shape, a.dtype) for a in out_avals]
        tangents_out, out = self._grads[k](*us, *args, *tangents)
        return out, tree_unflatten(out_tree, list(tangents_out))


def _cached(f, key, make):
    """`make()` kept with f (so its compiled programs live as long as f), or fresh when f
    cannot be weakly referenced."""
    try:
        per_fn = _CACHE.setdefault(f, {})
    except TypeError:
        return make()
    if key not in per_fn:
        per_fn[key] = make()
    return per_fn[key]


def _pushforward(f, nargs, nums, backend) -> _Pushforward:
    return _cached(f, ("jvp", nargs, nums, backend),
                   lambda: _Pushforward(f, nargs, nums, backend))


def _check_tangents(name, primals, tangents):
    if len(tangents) != len(primals):
        raise ShapeError(f"{name}: {len(primals)} primal(s) but {len(tangents)} tangent(s); "
                         "pass one tangent per primal")
    for i, (p, t) in enumerate(zip(primals, tangents)):
        pa, ta = as_aval(p), as_aval(t)
        if pa.shape != ta.shape:
            raise ShapeError(f"{name}: tangent {i} has shape {ta.shape} for a primal of shape "
                             f"{pa.shape}; a tangent must have its primal's shape")
    return [t if isinstance(t, Tracer) else np.asarray(t, as_aval(p).dtype)
            for p, t in zip(primals, tangents)]


def jvp(f, primals, tangents, *, backend=None):
    """`(f(*primals), J·tangents)`: f's Jacobian at `primals` applied to `tangents` (one per
    primal, with its shape; JAX's `jax.jvp`, torch's `torch.func.jvp`)."""
    primals = [_as_input(p) for p in primals]
    tangents = _check_tangents("adc.jvp", primals, [_as_input(t) for t in tangents])
    n = len(primals)
    return _pushforward(f, n, tuple(range(n)), backend)(primals, tangents)


def linearize(f, *primals, backend=None):
    """`(f(*primals), f_jvp)`: `f_jvp(*tangents)` is J·tangents at these primals (each call
    runs the compiled JVP program, which also recomputes f's forward pass)."""
    primals = [_as_input(p) for p in primals]
    push = _pushforward(f, len(primals), tuple(range(len(primals))), backend)
    out = push(primals, _zeros(primals))[0]

    def f_jvp(*tangents):
        tangents = _check_tangents("f_jvp of adc.linearize", primals,
                                   [_as_input(t) for t in tangents])
        return push(primals, tangents)[1]

    return out, f_jvp


def hvp(f, primals, tangents, *, backend=None):
    """H·tangents for a scalar f: the JVP of its gradient (forward over reverse), one per
    primal (a tuple when there are several primals, as the gradient is)."""
    n = len(primals)
    gradient = _cached(f, ("grad", n, backend),
                       lambda: grad(f, argnums=tuple(range(n)), backend=backend))
    product = jvp(gradient, primals, tangents, backend=backend)[1]
    return product if n > 1 else product[0]


def _zeros(arrays):
    return [np.zeros(as_aval(a).shape, as_aval(a).dtype) for a in arrays]
