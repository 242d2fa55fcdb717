"""Forward mode: `adc.jvp`, `adc.linearize`, `adc.jacfwd` and `adc.hvp`.

Stage: the functional API (layer 7, beside api.py). Invariant: a JVP is the transpose of the
VJP. u ↦ Jᵀu is linear in the output cotangent u, so J v is the gradient in u of <Jᵀu, v>,
taken through the same reverse-mode transform (at u = 0; the value does not matter). Every
primitive with a VJP therefore has a JVP, to every order, and the two agree by construction.
One compiled program per function and argument signature computes f's output and J v
together (the output rides along as aux).
"""
from __future__ import annotations

import functools
import weakref

import numpy as np

from . import numpy as anp
from .api import _as_input, _fn_name, _normalize_argnums, assemble_jacobian, grad, partial_in, vjp
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


def jacfwd(f, argnums=0, *, backend=None):
    """Forward-mode Jacobian: one JVP per element of the differentiated arguments. Shape
    `out.shape + arg.shape`, as `adc.jacobian` (a tuple over `argnums` when it is a tuple, and
    over outputs when f returns a tuple); the better choice when inputs are few."""

    @functools.wraps(f)
    def wrapped(*args):
        args = [_as_input(a) for a in args]
        nums = _normalize_argnums(argnums, len(args), "adc.jacfwd")
        push = _pushforward(f, len(args), nums, backend)
        wrt = [args[i] for i in nums]
        out = None  # f's output comes with every JVP; computed alone only when no input has one
        columns = []  # per differentiated argument: its aval and one output list per element
        for k, x in enumerate(wrt):
            aval, elements = as_aval(x), []
            for flat in range(aval.size):
                tangents = _zeros(wrt)
                tangents[k].reshape(-1)[flat] = 1
                out, t_out = push(args, tangents)
                elements.append(tree_flatten(t_out)[0])
            columns.append((aval, elements))
        if out is None:
            out = push(args, _zeros(wrt))[0]
        leaves, tree = tree_flatten(out)
        outs = [as_aval(_as_input(leaf)) for leaf in leaves]
        return assemble_jacobian(tree, outs, [aval for aval, _ in columns], argnums, axis=-1,
                                 pieces=lambda j, k: [_as_input(e[j]) for e in columns[k][1]])

    wrapped.__name__ = f"jacfwd({_fn_name(f)})"
    return wrapped


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
