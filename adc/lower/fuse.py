"""Fusion planning: partition a Graph's equations into loop nests and single statements.

Stage: lower (target-independent; CPU and CUDA code generators share it). Invariants:
- A Nest iterates one shape S. Every value computed in it has a shape T that embeds in S
  left-aligned (len(T) <= len(S), T[k] in {S[k], 1}, and T[k] == 1 only where S[k] > 0 on
  the axes enclosing T's computation); it varies along the axes where
  T[k] == S[k] > 1 and is computed at the depth of its deepest varying axis. So a reduction
  over trailing axes finishes inside the nest, and its consumers continue at a shallower depth
  without materializing anything (the N-body gradient needs O(N) memory, not O(N^2)).
- An equation joins a nest only when each input is computed in that nest at a compatible
  position (same rank, or a single element) or is an array ready before the nest starts, so
  emitting items in order is a valid schedule. A gather's source is always such an array (it
  is read at indexed positions); its indices, and a scatter-add's, may be computed in the
  nest when they run along its leading axes (params["axis"] == 0). A scatter-add's result,
  like a reduction's array result, is complete only after its nest.
- A nest holds at most NEST_MAX_EQNS equations (before rematerialization adds its short
  chains), and placing an equation looks back only to the nest computing its latest input, so
  planning is near-linear in the graph and no loop body grows without bound.
- A nest value is stored to memory only when another item or the graph's output reads it,
  and not even then when each reading nest can recompute it cheaply from arrays it can read
  (rematerialization: a later nest repeats a short elementwise chain of an earlier one).
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..ir import Eqn, Graph
from ..prims.shape import pad_p, reshape_p


def embeds(t: tuple, s: tuple) -> bool:
    """Whether a nest iterating s computes every element of a value shaped t: t embeds
    left-aligned, and no loop enclosing t's computation is empty where t has one element (a
    (1, 3) value in a (0, 3) nest would never be written)."""
    return (len(t) <= len(s) and all(a == b or a == 1 for a, b in zip(t, s))
            and not any(t[k] == 1 and s[k] == 0 for k in range(depth(t))))


def varying(t: tuple) -> tuple:
    """Nest axes along which a value of shape t (embedded left-aligned) varies."""
    return tuple(k for k, d in enumerate(t) if d != 1)


def depth(t: tuple) -> int:
    v = varying(t)
    return v[-1] + 1 if v else 0


def is_alias_reshape(eqn: Eqn) -> bool:
    """A reshape that only inserts or removes size-1 dimensions."""
    if eqn.prim is not reshape_p:
        return False
    strip = [d for d in eqn.ins[0].aval.shape if d != 1]
    return strip == [d for d in eqn.outs[0].aval.shape if d != 1]


def is_scalar_reduction(eqn: Eqn) -> bool:
    """Reduced axes all deeper than the kept varying ones: it completes inside the nest, as a
    scalar, and its result embeds left-aligned at the kept axes' positions. A reduced axis of
    length 1 counts too: before a kept axis it would shift that axis left in the result."""
    shape, axes = eqn.ins[0].aval.shape, eqn.params["axes"]
    kept = [k for k in varying(shape) if k not in axes]
    return not kept or all(k > max(kept) for k in axes)


def accumulates(eqn: Eqn) -> bool:
    """A reduction or a scatter: its result is updated once per element it iterates."""
    return bool(eqn.prim.reduction) or eqn.prim.indexed == "scatter"


def _accumulates_once(eqn: Eqn, nest_shape: tuple) -> bool:
    """A reduction or scatter may run in a nest only if no enclosing loop repeats it: every
    axis up to its depth must have its own size (a size-1 axis inside a longer loop would add
    it twice). A scatter outside every loop (one update) needs a nest without loops: on CUDA
    every thread runs a nest's statements outside its parallel loop."""
    if not accumulates(eqn):
        return True
    u = iteration_shape(eqn)
    if eqn.prim.indexed == "scatter" and not depth(u) and depth(nest_shape):
        return False
    return all(u[k] == nest_shape[k] for k in range(depth(u)))


def iteration_shape(eqn: Eqn) -> tuple:
    if eqn.prim.reduction:
        return eqn.ins[0].aval.shape
    return eqn.ins[1].aval.shape if eqn.prim.indexed == "scatter" else eqn.outs[0].aval.shape


def aligned(var, eqn: Eqn) -> bool:
    """Whether `eqn` reads `var` at the position where the nest computed var's scalar."""
    u, t = var.aval.shape, iteration_shape(eqn)
    if eqn.prim is pad_p and var is eqn.ins[0]:
        return False  # read at shifted positions: it must be an array
    if eqn.prim.indexed == "gather" and var is eqn.ins[0]:
        return False  # read at indexed positions: it must be an array
    if var.aval.size == 1:
        return True
    if eqn.prim.indexed and var is _index(eqn):
        # the indices run along the iteration axes from params["axis"]: left-aligned at 0
        return eqn.params["axis"] == 0
    if eqn.prim is reshape_p:
        return _positions(u) == _positions(t)
    return len(u) == len(t)


def _index(eqn: Eqn):
    """The index operand of a gather (take(x, idx)) or scatter (scatter_add(idx, upd))."""
    return eqn.ins[1] if eqn.prim.indexed == "gather" else eqn.ins[0]


def _positions(shape):
    return [(k, d) for k, d in enumerate(shape) if d != 1]


def _reduces_axis0(eqn: Eqn) -> bool:
    return 0 in eqn.params["axes"] and eqn.ins[0].aval.shape[0] > 1


@dataclass
class Nest:
    shape: tuple
    position: int
    eqns: list = field(default_factory=list)  # scalar eqns, alias reshapes, reductions
    stores: dict = field(default_factory=dict)  # values other items or the output read
    recomputed: set = field(default_factory=set)  # values of earlier nests computed again here
    # (a dict, not a set: iteration order must be deterministic so generated source is)


@dataclass
class Single:
    eqn: Eqn
    position: int


def plan(graph: Graph, *, threads_share_axis0_results: bool = True) -> list:
    """The ordered items (Nest or Single) computing the graph.

    With `threads_share_axis0_results=False` (CUDA: threads of a kernel cannot wait for each
    other), a reduction over a nest's axis 0 completes only when the nest does: its consumers
    start a later nest instead of reading the result inside this one."""
    ready: dict = {v: -1 for v in list(graph.invars) + list(graph.consts)}
    home: dict = {}  # var -> Nest computing it as a per-element scalar
    prelude: list = []  # Singles reading only graph inputs
    items: list = []

    def usable(var, nest, eqn) -> bool:
        if home.get(var) is nest:
            return aligned(var, eqn)
        return ready[var] < nest.position

    def place(eqn):
        t = iteration_shape(eqn)
        # no nest before the one computing the latest input can read it
        lowest = max([ready[v] for v in eqn.ins], default=-1) - 0.5
        for item in reversed(items):
            if item.position < lowest:
                break
            if not isinstance(item, Nest) or len(item.eqns) >= NEST_MAX_EQNS:
                continue
            grows = not embeds(t, item.shape)
            if (not grows or embeds(item.shape, t)) \
                    and all(usable(v, item, eqn) for v in eqn.ins) \
                    and _accumulates_once(eqn, t if grows else item.shape) \
                    and (not grows or all(_accumulates_once(e, t) for e in item.eqns)):
                if grows:
                    item.shape = t
                return item
        nest = Nest(t, len(items))
        items.append(nest)
        return nest

    for eqn in graph.eqns:
        out = eqn.outs[0]
        alias = is_alias_reshape(eqn) and eqn.ins[0] in home and aligned(eqn.ins[0], eqn)
        if alias:
            nest = home[eqn.ins[0]]
            t = out.aval.shape
            if embeds(t, nest.shape) or embeds(nest.shape, t):
                nest.shape = nest.shape if embeds(t, nest.shape) else t
                nest.eqns.append(eqn)
                home[out] = nest
                ready[out] = nest.position + 0.5
                continue
        if eqn.prim.fusable:
            nest = place(eqn)
            nest.eqns.append(eqn)
            home[out] = nest
            ready[out] = nest.position + 0.5
        elif accumulates(eqn):
            nest = place(eqn)
            nest.eqns.append(eqn)
            if eqn.prim.reduction and is_scalar_reduction(eqn) and (threads_share_axis0_results
                                             or not _reduces_axis0(eqn)):
                home[out] = nest
            else:
                nest.stores[out] = None  # an array result, written by the nest (a scatter's:
                # updated at indexed positions)
            ready[out] = nest.position + 0.5  # as an array, complete only after the nest
        elif all(ready[v] < 0 for v in eqn.ins):
            # reads only graph inputs: it runs before every nest, so any nest may read it
            prelude.append(Single(eqn, -0.5))
            ready.update((v, -0.5) for v in eqn.outs)
        else:
            items.append(Single(eqn, len(items)))
            ready.update((v, len(items) - 1) for v in eqn.outs)

    _rematerialize(items, home, ready, set(graph.outvars))
    for item in prelude + items:
        eqns, local = (item.eqns, item.recomputed) if isinstance(item, Nest) else ([item.eqn], ())
        for eqn in eqns:
            for v in eqn.ins:
                nest = home.get(v)
                if nest is not None and nest is not item and v not in local:
                    nest.stores[v] = None
    for v in graph.outvars:
        if v in home:
            home[v].stores[v] = None
    for item in items:
        if isinstance(item, Nest):
            _drop_unused(item)
    return prelude + [item for item in items if not isinstance(item, Nest) or item.eqns]


REMAT_MAX_EQNS = 8
# A nest takes at most this many equations: Numba's compile time grows faster than a loop
# body's length (an unrolled LSTM's one nest of 940 equations took over a minute), and a
# capped nest is a kernel short enough that its copies in a repeated structure share code.
NEST_MAX_EQNS = 128


def _rematerialize(items, home, ready, outputs) -> None:
    """A nest reading an earlier nest's elementwise value recomputes it from the arrays it is
    made of (at most REMAT_MAX_EQNS equations reading at most one array of its size) instead
    of reading it from memory, when no other reader needs it stored: the backward pass reads
    the forward's input again instead of storing e.g. a relu mask."""
    readers: dict = {}  # var -> items reading it from another nest
    for item in items:
        for eqn in (item.eqns if isinstance(item, Nest) else [item.eqn]):
            for v in eqn.ins:
                if v in home and home[v] is not item:
                    readers.setdefault(v, []).append((item, eqn))
    plans = {}
    for v, reads in readers.items():
        chains = [(item, _chain(v, home[v], item, eqn, home, ready) if isinstance(item, Nest)
                   else None) for item, eqn in reads]
        if v not in outputs and all(chain is not None for _, chain in chains):
            for item, chain in chains:
                plans.setdefault(id(item), {})[v] = chain
    for item in items:
        if id(item) not in plans:
            continue
        chains = {v: chain for v, chain in plans[id(item)].items()
                  if not _read_misaligned(item, chain)}
        cloned, eqns = set(), []
        for eqn in item.eqns:
            for v in eqn.ins:
                for e in chains.get(v, ()):
                    if e.outs[0] not in cloned:
                        cloned.add(e.outs[0])
                        eqns.append(e)
            eqns.append(eqn)
        item.eqns = eqns
        item.recomputed = cloned


def _read_misaligned(item: Nest, chain) -> bool:
    """Whether an equation of `item` reads a value the chain would recompute at another
    position than the recomputed scalar's (a broadcast read: minimum(d, reshape(d)) reads d
    along the other axis): that read needs the stored array, and the scalar would stand in
    for it, so the chain stays in its home nest."""
    values = {e.outs[0] for e in chain}
    return any(v in values and not aligned(v, eqn) for eqn in item.eqns for v in eqn.ins)


def _drop_unused(nest: Nest) -> None:
    """Remove equations whose value no one reads any more (their readers recompute it)."""
    used = set(nest.stores)
    kept = []
    for eqn in reversed(nest.eqns):
        if eqn.outs[0] in used:
            used.update(eqn.ins)
            kept.append(eqn)
    nest.eqns = kept[::-1]


def _chain(v, source: Nest, nest: Nest, consumer: Eqn, home, ready):
    """The equations of `source` computing v, in order, if `nest` can recompute them."""
    if not aligned(v, consumer):
        return None
    defining = {e.outs[0]: e for e in source.eqns}
    chain, seen, big_leaves = [], set(), set()

    def visit(var) -> bool:
        if var in seen:
            return True
        seen.add(var)
        eqn = defining.get(var) if home.get(var) is source else None
        if eqn is None:  # a leaf: an array complete before the nest starts
            if var in home or ready[var] >= nest.position:
                return False
            if var.aval.size == v.aval.size and var.aval.size > 1:
                big_leaves.add(var)
            return True
        if not eqn.prim.fusable or eqn.prim is pad_p \
                or not embeds(eqn.outs[0].aval.shape, nest.shape):
            return False
        if not all(visit(u) for u in eqn.ins):
            return False
        chain.append(eqn)
        return len(chain) <= REMAT_MAX_EQNS
    return chain if visit(v) and len(big_leaves) <= 1 else None
