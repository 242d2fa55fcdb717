"""The functional API: grad, value_and_grad, vjp, vmap, jit, make_ir.

Stage: orchestration (trace → differentiate → optimize → execute). Invariants: tracing and
differentiation happen once per (function, argument shapes/dtypes, keyword arguments);
called with traced arguments (inside another transformation) a transformation inlines its
graph into the enclosing trace, which is how gradients of gradients work.
"""
from __future__ import annotations

import functools
import weakref

import numpy as np

from . import backends
from .ad import backward_pass
from .batching import vmap_call
from .errors import ArgumentError, GradientError, ShapeError, UnsupportedError
from .ir import Graph, is_device_array
from .opt import optimize
from .staging import LRU, Stage, StagingCache
from .tracer import (Tracer, as_aval, inline, trace, tracing, tree_flatten, tree_flatten_up_to,
                    tree_unflatten)


def _as_input(x):
    if isinstance(x, Tracer):
        return x
    if isinstance(x, np.ma.MaskedArray):
        raise UnsupportedError("adc: masked arrays are not supported (the mask would be "
                               "dropped); pass x.filled(value) or x.data with a mask array "
                               "and adc.numpy.where")
    if isinstance(x, (np.ndarray, np.generic, int, float, bool, list, tuple)):
        return np.asarray(x)
    if is_device_array(x):
        return x  # used in place by backend='cuda' (other backends refuse it)
    raise UnsupportedError(f"adc: cannot use an argument of type {type(x).__name__} as an array; "
                           "pass numpy arrays or Python numbers (static settings can be passed "
                           "as keyword arguments)")


def _freeze_kwargs(kwargs):
    try:
        key = tuple(sorted(kwargs.items()))
        hash(key)
    except TypeError:
        raise UnsupportedError("adc: keyword arguments are static (part of the cache key) and "
                               "must be hashable; pass arrays positionally") from None
    return key


def _fn_name(f) -> str:
    code = getattr(f, "__code__", None)
    name = getattr(f, "__qualname__", repr(f))
    return f"{name} ({code.co_filename.rsplit('/', 1)[-1]}:{code.co_firstlineno})" if code else name


class _StagedFunction:
    """A transformed function's stages, one per signature (adc.staging); run on arrays, or
    inlined when given tracers."""

    def __init__(self, build, backend, fastmath):
        # (avals, kwargs) -> (a function building the Graph, captured tracers, aux, origin:
        # what it is built from, see backends.program_key, or None: not kept on disk)
        self._build = build
        self._backend = backend
        self._fastmath = fastmath
        self._stages = StagingCache()
        self._compiled = LRU()  # numpy arrays' shapes/dtypes -> (compiled graph, aux)

    def __call__(self, args, kwargs):
        # The hot path for a cached signature: a key from shapes/dtypes, one dict look-up,
        # one call of the compiled graph.
        if not kwargs:
            hit = self._compiled.get(tuple([(a.shape, a.dtype) if type(a) is np.ndarray else None
                                            for a in args]))
            if hit is not None and not tracing():
                return hit[0](*args), hit[1]
        traced, key, converted = False, [], None
        for i, a in enumerate(args):
            kind = type(a)
            if kind is not np.ndarray and kind is not Tracer:
                converted = list(args) if converted is None else converted
                converted[i] = a = _as_input(a)
                if is_device_array(a):
                    _check_device_backend(self._backend)
            traced = traced or type(a) is Tracer
            key.append((a.shape, a.dtype))
        args = args if converted is None else converted
        key = (tuple(key), _freeze_kwargs(kwargs) if kwargs else ())

        def build():
            make, captured, aux, origin = self._build([as_aval(a) for a in args], kwargs)
            return (lambda: optimize(make())), captured, aux, origin

        stage = self._stages.get(key, build, self._backend, self._fastmath)
        if traced or stage.captured:  # inside another transformation: inline, compile nothing
            return inline(stage.graph, list(args) + list(stage.captured)), stage.aux
        if not kwargs and all(type(a) is np.ndarray for a in args):
            self._compiled[key[0]] = (stage.run, stage.aux)
        return stage.run(*args), stage.aux


def _check_device_backend(backend) -> None:
    if backends.resolve(backend) != "cuda":
        raise UnsupportedError(f"adc: a GPU array was passed to a function compiled for "
                               f"backend={backend!r}; use backend='cuda' (or pass numpy arrays)")


def _normalize_argnums(argnums, nargs, fname):
    nums = (argnums,) if isinstance(argnums, int) else tuple(argnums)
    for i in nums:
        if not -nargs <= i < nargs:
            raise ArgumentError(f"{fname}: argnums={argnums} but the function was called with "
                                f"{nargs} positional argument{'s' if nargs != 1 else ''}; "
                                f"argnums counts positional arguments from 0")
    return tuple(i % nargs for i in nums)


def _check_float_args(avals, nums, what):
    for i in nums:
        if avals[i].dtype.kind != "f":
            kind = (f"is an integer scalar (a Python int is traced as {avals[i].dtype})"
                    if avals[i].shape == () and avals[i].dtype.kind in "iu" else
                    f"has dtype {avals[i].dtype}")
            raise GradientError(
                f"{what}: argument {i} {kind}; gradients are defined only "
                f"for floating-point inputs (torch: 'only Tensors of floating point dtype can "
                f"require gradients'). Pass a float, e.g. 3.0 or x.astype(np.float64)")


def value_and_grad(f=None, argnums=0, *, has_aux=False, backend=None, fastmath=False):
    """`(value, gradient)` of a scalar function (`((value, aux), gradient)` with has_aux);
    see `grad`."""
    if f is None:
        return functools.partial(value_and_grad, argnums=argnums, has_aux=has_aux, backend=backend,
                                 fastmath=fastmath)
    return functools.wraps(f)(_gradient_fn(f, argnums, has_aux, backend, fastmath, True))


def _gradient_fn(f, argnums, has_aux, backend, fastmath, keep_value):
    """Returns wrapped(*args) -> `(value and aux, gradients)` with `keep_value`, else the
    gradients (`(gradients, aux)` with has_aux). Without `keep_value` the loss is not an
    output, so the compiled code does not compute it unless the gradient needs it."""
    n_grads = 1 if isinstance(argnums, int) else len(argnums)

    def build(avals, kwargs):
        fwd, nums = trace_forward(lambda *xs: f(*xs, **kwargs), avals, argnums,
                                  has_aux=has_aux, name=_fn_name(f))
        return (lambda: gradient_graph(fwd, nums, keep_value), fwd.captured, fwd.out_tree,
                (fwd.graph, ("grad", nums, keep_value)))

    staged = _StagedFunction(build, backend, fastmath)

    single = isinstance(argnums, int)

    def wrapped(*args, **kwargs):
        outs, out_tree = staged(args, kwargs)
        k = len(outs) - n_grads
        grads = outs[k] if single else tuple(outs[k:])
        if keep_value:
            return tree_unflatten(out_tree, outs[:k]), grads
        return (grads, tree_unflatten(out_tree[1][1], outs[:k])) if has_aux else grads

    return wrapped


def trace_gradient(f, avals, argnums=0, *, has_aux=False, keep_value=True, name=None):
    """The traced forward pass of a scalar `f` and its unoptimized value-and-gradient graph
    (inputs: f's, then captured values; outputs: the value and aux unless not `keep_value`,
    then one gradient per argument in `argnums`). Raises adc.grad's errors."""
    fwd, nums = trace_forward(f, avals, argnums, has_aux=has_aux, name=name)
    return fwd, gradient_graph(fwd, nums, keep_value)


def trace_forward(f, avals, argnums=0, *, has_aux=False, name=None):
    """The traced forward pass of a scalar `f` and the argument numbers to differentiate;
    raises adc.grad's errors."""
    name = name or _fn_name(f)
    nums = _normalize_argnums(argnums, len(avals), "adc.grad")
    _check_float_args(avals, nums, f"adc.grad of {name}")
    return trace(f, avals, out_check=functools.partial(_check_scalar_output, name,
                                                      has_aux)), nums


def gradient_graph(fwd, nums, keep_value=True):
    """The unoptimized value-and-gradient graph of the traced forward pass `fwd` (see
    trace_gradient)."""
    loss = fwd.graph.outvars[0].aval
    seeds = [np.ones(loss.shape, loss.dtype)] + [None] * (len(fwd.graph.outvars) - 1)

    def body(*xs):
        outs, grads = backward_pass(fwd.graph, xs, seeds, nums)
        return (outs if keep_value else outs[1:]) + grads

    return trace(body, fwd.graph.in_avals).graph


def _check_scalar_output(name, has_aux, leaves, tree):
    if has_aux:
        if not (tree is not None and tree[0] in (tuple, list) and len(tree[1]) == 2
                and tree[1][0] is None):
            raise GradientError(f"adc.grad(has_aux=True): {name} must return (scalar, aux)")
    elif tree is not None:
        what = "None (a missing `return`?)" if tree[0] is type(None) else f"a {tree[0].__name__}"
        raise GradientError(f"adc.grad: {name} returned {what}; it must return a single scalar "
                            "(use has_aux=True to return (scalar, aux))")
    out = as_aval(leaves[0])
    if out.size != 1:
        raise GradientError(
            f"adc.grad: {name} returned an array of shape {out.shape}; grad can be implicitly "
            "created only for scalar outputs (as in torch's backward()). Reduce it (e.g. "
            ".sum()) or use adc.vjp(f, x) and pass a seed shaped like the output")
    if out.dtype.kind != "f":
        raise GradientError(f"adc.grad: {name} returned dtype {out.dtype}; the output must be "
                            "floating point to be differentiated")


def grad(f=None, argnums=0, *, has_aux=False, backend=None, fastmath=False):
    """Gradient of a scalar-valued `f` w.r.t. the arguments in `argnums` (torch's backward()).

    Usable as `@adc.grad`, `@adc.grad(argnums=(0, 1))` or `adc.grad(f, ...)`. Returns numpy
    arrays shaped like the differentiated arguments (a tuple when `argnums` is a tuple); with
    `has_aux=True`, f returns `(scalar, aux)` and the result is `(grads, aux)`.
    `backend`: "cpu" (Numba), "numpy" (reference interpreter) or None (the best available);
    `fastmath=True` lets compiled code reassociate floating-point math (off by default).
    """
    if f is None:
        return functools.partial(grad, argnums=argnums, has_aux=has_aux, backend=backend,
                                 fastmath=fastmath)
    return functools.wraps(f)(_gradient_fn(f, argnums, has_aux, backend, fastmath, False))


def jit(f=None, *, backend=None, fastmath=False):
    """The function compiled once per signature (keyword arguments are static)."""
    if f is None:
        return functools.partial(jit, backend=backend, fastmath=fastmath)

    def build(avals, kwargs):
        traced = trace(lambda *xs: f(*xs, **kwargs), avals)
        return (lambda: traced.graph), traced.captured, traced.out_tree, (traced.graph, ("jit",))

    staged = _StagedFunction(build, backend, fastmath)

    @functools.wraps(f)
    def wrapped(*args, **kwargs):
        outs, out_tree = staged(args, kwargs)
        return tree_unflatten(out_tree, outs)

    return wrapped


def vmap(f=None, in_axes=0, out_axes=0, *, backend=None, fastmath=False):
    """`f` mapped over an axis of its arguments, compiled once per signature (JAX's jax.vmap):
    `in_axes` is an int, None (not mapped) or a pytree prefix of the arguments' structure
    (one entry per positional argument), `out_axes` likewise for the output; the mapped axes
    must share one size. Called on traced values it is emitted into the enclosing trace, so
    it nests and composes with adc.grad and the other transformations."""
    if f is None:
        return functools.partial(vmap, in_axes=in_axes, out_axes=out_axes, backend=backend,
                                 fastmath=fastmath)
    staged = {}  # the arguments' tree structure -> its staged function

    @functools.wraps(f)
    def wrapped(*args):
        leaves, tree = tree_flatten(args)
        run = staged.get(tree)
        if run is None:
            def build(avals, kwargs):
                traced = trace(lambda *xs: vmap_call(f, tree_unflatten(tree, xs), in_axes,
                                                     out_axes), avals)
                return (lambda: traced.graph), traced.captured, traced.out_tree, None

            run = staged[tree] = _StagedFunction(build, backend, fastmath)
        outs, out_tree = run(leaves, {})
        return tree_unflatten(out_tree, outs)

    return wrapped


def make_ir(f, **kwargs):
    """`make_ir(f)(*args)`: the optimized traced IR of f (printable, one equation a line)."""

    def build(*args):
        traced = trace(lambda *xs: f(*xs, **kwargs), [as_aval(_as_input(a)) for a in args])
        return optimize(traced.graph)

    return build


def show_source(f, *, backend="cpu", fastmath=False, **kwargs):
    """`show_source(f)(*args)`: the generated module for f's graph (`show_source(adc.grad(f))`
    for the gradient), as compiled by `backend`."""

    def build(*args):
        return backends.compile_graph(make_ir(f, **kwargs)(*args), backend,
                                      fastmath=fastmath).source

    return build


# ---- vjp ----

_VJP_CACHE: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()


def _split_by_dependence(graph: Graph, n_late: int, n_early_outs: int):
    """Split at the last `n_late` inputs (the seeds): an early graph computing the first
    `n_early_outs` outputs plus residuals, and a late graph (residuals + seeds → the rest)."""
    n_in = len(graph.invars) - n_late
    late = set(graph.invars[n_in:])
    early_eqns, late_eqns = [], []
    for eqn in graph.eqns:
        if any(v in late for v in eqn.ins):
            late_eqns.append(eqn)
            late.update(eqn.outs)
        else:
            early_eqns.append(eqn)
    late_outs = graph.outvars[n_early_outs:]
    needed = [v for e in late_eqns for v in e.ins] + list(late_outs)
    residuals = list(dict.fromkeys(v for v in needed if v not in late and v not in graph.consts))
    early = Graph(graph.invars[:n_in], graph.outvars[:n_early_outs] + residuals, early_eqns,
                  dict(graph.consts))
    rest = Graph(residuals + graph.invars[n_in:], list(late_outs), late_eqns, dict(graph.consts))
    return optimize(early), optimize(rest)


def _build_vjp(f, avals, name, nums):
    _check_float_args(avals, nums, f"adc.vjp of {name}")
    fwd = trace(f, avals)
    n_in = len(fwd.graph.invars)

    def body(*xs):
        outs, cts = backward_pass(fwd.graph, xs[:n_in], xs[n_in:], nums)
        return outs + cts

    full = trace(body, fwd.graph.in_avals + fwd.graph.out_avals).graph
    return fwd, full


def vjp(f, *primals, backend=None, fastmath=False):
    """`(out, vjp_fn)`: `vjp_fn(seed)` returns one cotangent per primal (torch's
    `y.backward(gradient=seed)`); the seed must have the output's structure and shapes."""
    return _vjp(f, primals, tuple(range(len(primals))), backend, fastmath)


def _vjp(f, primals, nums, backend, fastmath):
    """vjp of f(*primals) whose vjp_fn returns the cotangents of the primals at `nums` only
    (the others are ordinary inputs: compiled once per signature, not closed over)."""
    args = [_as_input(p) for p in primals]
    avals = [as_aval(a) for a in args]
    name = _fn_name(f)
    nested = any(isinstance(a, Tracer) for a in args) or tracing()
    if nested:
        fwd, full = _build_vjp(f, avals, name, nums)
        inputs = args + list(fwd.captured)
        outs = inline(fwd.graph, inputs)
        out_tree, out_avals = fwd.out_tree, fwd.graph.out_avals

        def run_backward(seeds):
            return inline(full, inputs + seeds)[len(out_avals):]
    else:
        per_fn = _VJP_CACHE.setdefault(f, StagingCache()) if _weakrefable(f) else StagingCache()

        def build():
            fwd, full = _build_vjp(f, avals, name, nums)
            n_out = len(fwd.graph.outvars)
            early, rest = _split_by_dependence(full, n_out, n_out)
            backward = Stage(rest, [], None, backend, fastmath)
            return early, [], (fwd.out_tree, fwd.graph.out_avals, backward)

        stage = per_fn.get((tuple(avals), nums, backends.resolve(backend), fastmath), build,
                           backend, fastmath)
        out_tree, out_avals, backward = stage.aux
        early_outs = stage.run(*args)
        outs = early_outs[:len(out_avals)]
        residuals = early_outs[len(out_avals):]

        def run_backward(seeds):
            return backward.run(*residuals, *seeds)

    def vjp_fn(seed):
        try:  # a nested list is one array where the output has one (torch accepts it too)
            leaves = tree_flatten_up_to(out_tree, seed)
        except ValueError:
            leaves = None
        if leaves is None or len(leaves) != len(out_avals):
            raise ShapeError(f"vjp_fn of {name}: the seed's structure does not match the "
                             f"output's ({len(out_avals)} array(s)); pass one array per output")
        seeds = []
        for leaf, aval in zip(leaves, out_avals):
            given = as_aval(_as_input(leaf))
            if given.dtype.kind not in "biuf":
                raise UnsupportedError(f"vjp_fn of {name}: a seed of dtype {given.dtype} for an "
                                       f"output of dtype {aval.dtype}; pass a real seed "
                                       "(complex values would lose their imaginary part)")
            shp = given.shape
            if shp != aval.shape:
                raise ShapeError(f"vjp_fn of {name}: seed of shape {shp} for an output of shape "
                                 f"{aval.shape}; the seed must have the output's shape (as "
                                 "torch's backward(gradient=...) requires)")
            seeds.append(leaf if isinstance(leaf, Tracer) else np.asarray(leaf, aval.dtype))
        return tuple(run_backward(seeds))

    return tree_unflatten(out_tree, outs), vjp_fn


def partial_in(f, args, nums):
    """f as a function of the arguments at positions `nums`, the others fixed to `args`."""

    def of_wrt(*xs):
        full = list(args)
        for i, x in zip(nums, xs):
            full[i] = x
        return f(*full)

    return of_wrt


def _weakrefable(f) -> bool:
    try:
        weakref.ref(f)
        return True
    except TypeError:
        return False
