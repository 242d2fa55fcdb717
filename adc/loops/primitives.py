"""The control-flow primitives: `scan`, `while_loop` and `cond`, whose parameters hold the traced
Graphs of their bodies; and their rules (shapes, the numpy and torch interpreters, VJPs, pruning).

Stage: primitive definitions (with differentiation: a loop's VJP is a loop over its body's VJP,
which `adc.ad` builds, so this module sits in adc.ad's layer). Invariants: a body Graph is
closed, its inputs being (loop invariants, carries, per-iteration slices) in that order (values
closed over while tracing are explicit loop invariants), and its carries keep their shapes and
dtypes; a scan returns (final carries, stacked results, stacked carries for `residuals`), the
last being what its VJP reads (`stacks[i]` is the carry that iteration i started from); a loop's
body is evaluated by the one graph interpreter, with numpy or torch operations.
"""
from __future__ import annotations

import numpy as np

from ..ad import backward_pass
from ..errors import GradientError, UnsupportedError
from ..interpret import interpret, outputs
from ..ir import Aval, Eqn, Graph, eval_graph
from ..lower.registry import cuda_rule
from ..opt import dce, optimize
from ..prims import lax
from ..prims.base import Primitive
from ..prims.batching import LOOP
from ..tracer import bind, trace


class ControlPrimitive(Primitive):
    """A primitive with several outputs whose params hold Graphs; `prune(eqn, live)` narrows
    an equation to the outputs in `live` (and drops loop invariants its body no longer reads)."""

    multiple_results = True
    control = True

    def __init__(self, name, *, prune, **rules):
        self._prune = prune
        # a loop over a batch runs the loop once per element (vmap's compiled-loop fallback)
        super().__init__(name, domains=(), batch=LOOP, **rules)

    def prune(self, eqn: Eqn, live) -> Eqn:
        return self._prune(eqn, live)


def _run_numpy(graph, args):
    return eval_graph(graph, *args)


def _stack_numpy(values, aval):
    return np.stack(values) if values else np.empty((0, *aval.shape), aval.dtype)


def _torch_runner(t):
    def apply(eqn, ins):
        return outputs(eqn, eqn.prim.torch_impl(t, *ins, **eqn.params))

    def run(graph, args):
        return interpret(graph, args, apply,
                         const=lambda c: t.from_numpy(np.array(c, copy=True)))

    def stack(values, aval):
        return t.stack(values) if values else t.empty((0, *aval.shape),
                                                      dtype=getattr(t, aval.dtype.name))
    return run, stack


def _float(aval) -> bool:
    return aval.dtype.kind == "f"


def _closed(graph: Graph, invars, outvars) -> Graph:
    """`graph` with other inputs and outputs, its dead equations removed."""
    return dce(Graph(list(invars), list(outvars), graph.eqns, graph.consts))


def _read(graph: Graph) -> set:
    return {v for e in graph.eqns for v in e.ins} | set(graph.outvars)


def trace_closed(fn, avals):
    """(Graph of `fn` on `avals` taking the values it closed over first, those values, the
    output tree), optimized."""
    traced = trace(fn, avals)
    n = len(avals)
    g = traced.graph
    graph = Graph(g.invars[n:] + g.invars[:n], g.outvars, g.eqns, g.consts)
    return optimize(graph), traced.captured, traced.out_tree


# ---- scan ----

def _scan_parts(p):
    body, nk, nc = p["body"], p["num_consts"], p["num_carry"]
    return body, nk, nc, len(body.outvars) - nc, len(body.invars) - nk - nc


def _scan_shape(*avals, body, num_consts, num_carry, length, reverse, residuals):
    carries = [v.aval for v in body.outvars[:num_carry]]
    ys = [Aval((length, *v.aval.shape), v.aval.dtype) for v in body.outvars[num_carry:]]
    stacks = [Aval((length, *carries[j].shape), carries[j].dtype) for j in residuals]
    return carries + ys + stacks


def _scan_loop(run, stack, args, body, num_consts, num_carry, length, reverse, residuals):
    consts = list(args[:num_consts])
    carry = list(args[num_consts:num_consts + num_carry])
    xs = args[num_consts + num_carry:]
    ys, saved = [], []
    for i in (range(length - 1, -1, -1) if reverse else range(length)):
        saved.append([carry[j] for j in residuals])
        outs = run(body, consts + carry + [x[i] for x in xs])
        carry = list(outs[:num_carry])
        ys.append(outs[num_carry:])
    if reverse:
        ys.reverse()
        saved.reverse()
    y_avals = [v.aval for v in body.outvars[num_carry:]]
    s_avals = [body.invars[num_consts + j].aval for j in residuals]
    return (carry + [stack([y[k] for y in ys], a) for k, a in enumerate(y_avals)]
            + [stack([s[k] for s in saved], a) for k, a in enumerate(s_avals)])


def _scan_impl(*args, **p):
    return _scan_loop(_run_numpy, _stack_numpy, args, **p)


def _scan_torch(t, *args, **p):
    return _scan_loop(*_torch_runner(t), args, **p)


def _zeros_like(aval):
    return lax.zeros(aval.shape, aval.dtype)


def _scan_vjp(cts, ins, outs, needed, **p):
    body, nk, nc, ny, nx = _scan_parts(p)
    everything = tuple(range(nc))
    ct_stack = dict(zip(p["residuals"], cts[nc + ny:]))  # cotangents of the stacked carries
    if p["residuals"] != everything:  # pruned away (a graph differentiated again): recompute
        outs = bind(scan_p, *ins, **dict(p, residuals=everything))
    stacks = outs[nc + ny:]
    avals = [v.aval for v in body.invars]
    want_k = [i for i in range(nk) if needed[i] and _float(avals[i])]
    carries = [j for j in range(nc) if _float(avals[nk + j])]
    want_x = [j for j in range(nx) if needed[nk + nc + j] and _float(avals[nk + nc + j])]
    seeded_y = [k for k in range(ny) if cts[nc + k] is not None]
    seeded_s = [j for j in carries if ct_stack.get(j) is not None]

    def backward_body(*a):
        rest = iter(a)

        def take(n):
            return [next(rest) for _ in range(n)]

        consts, acc, ct_carry = take(nk), take(len(want_k)), take(len(carries))
        carry, xs = take(nc), take(nx)
        ct_y, ct_s = take(len(seeded_y)), take(len(seeded_s))
        seeds = [None] * (nc + ny)
        for j, c in zip(carries, ct_carry):
            seeds[j] = c
        for k, c in zip(seeded_y, ct_y):
            seeds[nc + k] = c
        wrt = want_k + [nk + j for j in carries] + [nk + nc + j for j in want_x]
        _, grads = backward_pass(body, consts + carry + xs, seeds, wrt)
        g_k, g_c, g_x = grads[:len(want_k)], grads[len(want_k):len(wrt) - len(want_x)], \
            grads[len(wrt) - len(want_x):]
        direct = dict(zip(seeded_s, ct_s))  # a cotangent on the stacked carry of this step
        g_c = [lax.add(g, direct[j]) if j in direct else g for j, g in zip(carries, g_c)]
        return [lax.add(s, g) for s, g in zip(acc, g_k)] + g_c + g_x

    in_avals = (avals[:nk] + [avals[i] for i in want_k] + [avals[nk + j] for j in carries]
                + avals[nk:nk + nc] + avals[nk + nc:]
                + [body.outvars[nc + k].aval for k in seeded_y]
                + [avals[nk + j] for j in seeded_s])
    k = len(want_k) + len(carries)
    # the backward body's loop invariants are the forward's, its carries the cotangents
    graph, captured, _ = trace_closed(backward_body, in_avals)
    assert not captured, "a loop body is closed"
    init = ([_zeros_like(avals[i]) for i in want_k]
            + [cts[j] if cts[j] is not None else _zeros_like(avals[nk + j]) for j in carries])
    res = bind(scan_p, *ins[:nk], *init, *stacks, *ins[nk + nc:],
               *[cts[nc + k] for k in seeded_y],
               *[ct_stack[j] for j in seeded_s],
               body=graph, num_consts=nk, num_carry=k, length=p["length"],
               reverse=not p["reverse"], residuals=tuple(range(k)))
    grads = [None] * len(ins)
    for i, g in zip(want_k, res[:len(want_k)]):
        grads[i] = g
    for j, g in zip(carries, res[len(want_k):k]):
        grads[nk + j] = g if needed[nk + j] else None
    for j, g in zip(want_x, res[k:k + len(want_x)]):
        grads[nk + nc + j] = g
    return grads


def _live_carries(body, n_before, nc, keep, other_outs):
    """(sorted carries, body narrowed to them and `other_outs`): the carries in `keep` and those
    the body reads, step after step, to compute them (a fixed point); the body's carries are
    invars n_before.. and outvars ..nc."""
    while True:
        b = _closed(body, body.invars, [body.outvars[j] for j in sorted(keep)] + other_outs)
        read = _read(b)
        more = {j for j in range(nc) if body.invars[n_before + j] in read} - keep
        if not more:
            return sorted(keep), b
        keep = keep | more


def _scan_prune(eqn, live):
    """The scan narrowed to its live results: a carry stays while it is live, stacked, or read
    by the body for something that stays (a fixed point); a y or a stack while it is live."""
    p = eqn.params
    body, nk, nc, ny, nx = _scan_parts(p)
    outs = eqn.outs
    keep_y = [k for k in range(ny) if outs[nc + k] in live]
    keep_r = [r for r, v in zip(p["residuals"], outs[nc + ny:]) if v in live]
    keep_c, b = _live_carries(body, nk, nc, {j for j in range(nc) if outs[j] in live}
                              | set(keep_r), [body.outvars[nc + k] for k in keep_y])
    read = _read(b)
    keep_k = [i for i in range(nk) if body.invars[i] in read]
    keep_x = [j for j in range(nx) if body.invars[nk + nc + j] in read]
    b.invars = ([body.invars[i] for i in keep_k] + [body.invars[nk + j] for j in keep_c]
                + [body.invars[nk + nc + j] for j in keep_x])
    ins = ([eqn.ins[i] for i in keep_k] + [eqn.ins[nk + j] for j in keep_c]
           + [eqn.ins[nk + nc + j] for j in keep_x])
    new_outs = ([outs[j] for j in keep_c] + [outs[nc + k] for k in keep_y]
                + [v for r, v in zip(p["residuals"], outs[nc + ny:]) if r in keep_r])
    params = dict(p, body=b, num_consts=len(keep_k), num_carry=len(keep_c),
                  residuals=tuple(keep_c.index(r) for r in keep_r))
    return Eqn(eqn.prim, tuple(ins), tuple(new_outs), params, eqn.src)


scan_p = ControlPrimitive("scan", shape_rule=_scan_shape, impl=_scan_impl,
                          torch_impl=_scan_torch, vjp=_scan_vjp, prune=_scan_prune)


# ---- while_loop ----

def _while_shape(*avals, cond, body, cond_consts, name):
    return [v.aval for v in body.outvars]


def _while_loop(run, args, cond, body, cond_consts, name):
    nb = len(body.invars) - len(body.outvars)
    cc, bc = list(args[:cond_consts]), list(args[cond_consts:cond_consts + nb])
    carry = list(args[cond_consts + nb:])
    while bool(run(cond, cc + carry)[0]):
        carry = list(run(body, bc + carry))
    return carry


def _while_impl(*args, **p):
    return _while_loop(_run_numpy, args, **p)


def _while_torch(t, *args, **p):
    return _while_loop(_torch_runner(t)[0], args, **p)


def _while_vjp(cts, ins, outs, needed, *, cond, body, cond_consts, name):
    raise GradientError(
        f"adc.while_loop: cannot differentiate {name} in reverse mode: its number of "
        "iterations is known only when it runs, so the carries its gradient needs cannot be "
        "stored; use adc.fori_loop (bounds known when tracing) or adc.scan")


def _while_prune(eqn, live):
    """The loop narrowed to the carries the condition or a live result needs (a fixed point over
    the body, as scan's) and the loop invariants those read."""
    p = eqn.params
    cond, body, ncc = p["cond"], p["body"], p["cond_consts"]
    nc = len(body.outvars)
    nb = len(body.invars) - nc
    cond_reads = _read(dce(cond))
    keep, b = _live_carries(body, nb, nc, {j for j in range(nc) if eqn.outs[j] in live
                                           or cond.invars[ncc + j] in cond_reads}, [])
    read = _read(b)
    keep_cc = [i for i in range(ncc) if cond.invars[i] in cond_reads]
    keep_bc = [i for i in range(nb) if body.invars[i] in read]
    c = _closed(cond, [cond.invars[i] for i in keep_cc] + [cond.invars[ncc + j] for j in keep],
                cond.outvars)
    b.invars = [body.invars[i] for i in keep_bc] + [body.invars[nb + j] for j in keep]
    ins = ([eqn.ins[i] for i in keep_cc] + [eqn.ins[ncc + i] for i in keep_bc]
           + [eqn.ins[ncc + nb + j] for j in keep])
    return Eqn(eqn.prim, tuple(ins), tuple(eqn.outs[j] for j in keep),
               dict(p, cond=c, body=b, cond_consts=len(keep_cc)), eqn.src)


while_p = ControlPrimitive("while_loop", shape_rule=_while_shape, impl=_while_impl,
                           torch_impl=_while_torch, vjp=_while_vjp, prune=_while_prune)


# ---- cond ----

def _cond_shape(pred, *avals, true, false):
    return [v.aval for v in true.outvars]


def _cond_impl(pred, *args, true, false):
    return eval_graph(true if bool(np.asarray(pred).reshape(())) else false, *args)


def _cond_torch(t, pred, *args, true, false):
    return _torch_runner(t)[0](true if bool(pred.reshape(())) else false, args)


def _cond_vjp(cts, ins, outs, needed, *, true, false):
    avals = [v.aval for v in true.invars]
    wrt = [i for i in range(len(avals)) if needed[i + 1] and _float(avals[i])]
    seeded = [k for k, v in enumerate(true.outvars) if _float(v.aval)]
    n = len(avals)

    def backward(branch):
        def f(*a):
            seeds = [None] * len(branch.outvars)
            for k, c in zip(seeded, a[n:]):
                seeds[k] = c
            return backward_pass(branch, list(a[:n]), seeds, wrt)[1]
        graph, captured, _ = trace_closed(
            f, avals + [true.outvars[k].aval for k in seeded])
        assert not captured, "a branch is closed"
        return graph

    bt, bf = backward(true), backward(false)
    seeds = [cts[k] if cts[k] is not None else _zeros_like(true.outvars[k].aval) for k in seeded]
    res = bind(cond_p, ins[0], *ins[1:], *seeds, true=bt, false=bf)
    grads = [None] * len(ins)
    for i, g in zip(wrt, res):
        grads[i + 1] = g
    return grads


def _cond_prune(eqn, live):
    p = eqn.params
    keep = [k for k, v in enumerate(eqn.outs) if v in live]
    t = _closed(p["true"], p["true"].invars, [p["true"].outvars[k] for k in keep])
    f = _closed(p["false"], p["false"].invars, [p["false"].outvars[k] for k in keep])
    return Eqn(eqn.prim, eqn.ins, tuple(eqn.outs[k] for k in keep),
               dict(p, true=t, false=f), eqn.src)


cond_p = ControlPrimitive("cond", shape_rule=_cond_shape, impl=_cond_impl,
                          torch_impl=_cond_torch, vjp=_cond_vjp, prune=_cond_prune)


@cuda_rule(scan_p, while_p, cond_p)
def _cpu_only(gen, eqn):
    raise UnsupportedError(
        f"adc.{eqn.prim.name} (primitive {eqn.prim.name!r}) has no CUDA lowering in adc: a "
        "compiled loop (adc.scan, fori_loop, while_loop, cond; adc.checkpoint, a one-step "
        "scan; adc.vmap of a loop or of an operation it batches as a loop over the batch) runs "
        "on the cpu backend only; use backend='cpu' (or 'numpy')")
