"""The backward engine: runs the VJP of a recorded tape as compiled regions.

Stage: differentiate + lower for tensors. Invariants:
- The tape's nodes reachable from the roots are processed in reverse topological order and
  grouped into regions; each region's VJP is one IR graph (`ad.emit_vjp` per node on the
  values the nodes saved), optimized and compiled once per structure (node operations,
  wiring, shapes and dtypes), so a training loop that records the same step compiles once
  (the ADC_CACHE_ENTRIES most recently used structures stay cached).
- A region ends before the producer of an edge whose gradient must be complete in Python
  (a tensor hook, `retain_grad`, an `autograd.grad` input): the hook sees the full gradient
  and its replacement is what flows on. Without such edges a backward is a single call.
- A saved value that was freed (backward without retain_graph) or written in place since it
  was saved is an error when, and only when, the compiled region reads it.
"""
from __future__ import annotations

from ..ad import emit_vjp, replay
from ..ir import Graph
from ..opt import optimize
from ..staging import StagingCache
from ..tracer import trace
from .grad_mode import set_grad_enabled
from .node import AccumulateGrad, Node
from .tensor import step_trace

# Backward regions by structure (the most recently used, see adc.staging.LRU); a stage's aux
# is (the saved slots it reads, the indices of the boundary edges it writes).
_REGIONS = StagingCache()


def _topological(root_nodes) -> list:
    """Nodes reachable from `root_nodes`, producers before consumers."""
    order, seen = [], set()
    for root in root_nodes:
        if root in seen:
            continue
        seen.add(root)
        stack = [(root, iter(root.edges))]
        while stack:
            node, it = stack[-1]
            for edge in it:
                if edge is not None and type(edge[0]) is Node and edge[0] not in seen:
                    seen.add(edge[0])
                    stack.append((edge[0], iter(edge[0].edges)))
                    break
            else:
                stack.pop()
                order.append(node)
    return order


def _structure(batch, needed):
    """The cache key of a region and its boundary edges (first-appearance order)."""
    position = {node: p for p, node in enumerate(batch)}
    boundary: dict = {}
    nodes = []
    for node in batch:
        specs = []
        for edge in node.edges:
            if edge is None or not needed(edge):
                specs.append(None)
            elif edge[0] in position:
                specs.append(("r", position[edge[0]], edge[1]))
            else:
                specs.append(("b", boundary.setdefault(edge, len(boundary))))
        nodes.append((node.key, tuple(specs)))
    return tuple(nodes), list(boundary)


def _build_region(batch, structure, seed_slots):
    """(graph, captured, (kept slots, produced boundary indices)) of a region's VJP."""
    graphs = [node.graph for node in batch]
    slots, avals = [], []
    for p, g in enumerate(graphs):
        slots += [("in", p, j) for j in range(len(g.invars))]
        avals += g.in_avals
        slots += [("out", p, k) for k in range(len(g.outvars))]
        avals += g.out_avals
    for p, k in seed_slots:
        slots.append(("seed", p, k))
        avals.append(graphs[p].outvars[k].aval)
    n_boundary = 1 + max((s[1] for _, specs in structure for s in specs
                          if s is not None and s[0] == "b"), default=-1)

    def body(*args):
        values = dict(zip(slots, args))
        ct: dict = {}
        for p, k in seed_slots:
            ct[("r", p, k)] = values[("seed", p, k)]
        for p, (g, (_, specs)) in enumerate(zip(graphs, structure)):
            cts_out = [ct.pop(("r", p, k), None) for k in range(len(g.outvars))]
            wrt = [j for j, s in enumerate(specs) if s is not None]
            if not wrt or all(c is None for c in cts_out):
                continue
            env = replay(g, [values[("in", p, j)] for j in range(len(g.invars))])
            env.update((v, values[("out", p, k)]) for k, v in enumerate(g.outvars))
            for j, grad in zip(wrt, emit_vjp(g, env, cts_out, wrt)):
                ct[specs[j]] = grad if specs[j] not in ct else ct[specs[j]] + grad
        produced[:] = [b for b in range(n_boundary) if ("b", b) in ct]
        return [ct[("b", b)] for b in produced]

    produced: list = []  # the boundary indices the traced body returns, in order
    traced = trace(body, avals)
    graph = optimize(traced.graph)
    used = {v for e in graph.eqns for v in e.ins} | set(graph.outvars)
    kept = [i for i, v in enumerate(graph.invars) if v in used]
    graph = Graph([graph.invars[i] for i in kept], graph.outvars, graph.eqns, graph.consts)
    return graph, [], ([slots[i] for i in kept], produced)


class Backward:
    """One call of backward()/autograd.grad over the tape reachable from `roots`."""

    def __init__(self, roots, seeds, targets, *, retain_graph, create_graph, backend):
        from .tensor import Tensor

        self.Tensor = Tensor
        self.create_graph = create_graph
        self.retain_graph = retain_graph
        self.backend = backend
        self.ct: dict = {}
        for root, seed in zip(roots, seeds):
            self._add(root._edge(), seed)
        self.targets = targets  # set of edges, or None for every leaf reached
        self.captured: dict = {}
        order = _topological([e[0] for e in list(self.ct) if type(e[0]) is Node])
        self.reaches: dict = {}
        if targets is not None:
            for node in order:
                self.reaches[node] = any(
                    e is not None and (e in targets or self.reaches.get(e[0], False))
                    for e in node.edges)
            order = [n for n in order if self.reaches[n] or self._is_target_producer(n)]
        self.order = order

    def _needed(self, edge) -> bool:
        if self.targets is None:
            return True
        return edge in self.targets or self.reaches.get(edge[0], False)

    def _add(self, edge, value) -> None:
        self.ct[edge] = value if edge not in self.ct else self.ct[edge] + value

    def run(self) -> dict:
        """Runs the regions; returns the complete gradient of every leaf/target edge."""
        batch = []
        with set_grad_enabled(self.create_graph):
            for node in reversed(self.order):
                if node.hooks or node.retained or self._is_target_producer(node):
                    self._flush(batch)
                    batch = []
                    self._finish_outputs(node)
                if any(e is not None and self._needed(e) for e in node.edges):
                    if node.refused:
                        raise RuntimeError(f"derivative for aten::{node.refused} is not "
                                           "implemented")
                    batch.append(node)
            self._flush(batch)
            if not self.retain_graph:
                for node in self.order:
                    node.saved = None
            done = {}
            for edge, grad in self.ct.items():
                if type(edge[0]) is AccumulateGrad:
                    done[edge] = _run_hooks(edge[0].hooks, 0, grad)
            return done | self.captured

    def _is_target_producer(self, node) -> bool:
        return self.targets is not None and any((node, k) in self.targets
                                                for k in range(len(node.graph.outvars)))

    def _finish_outputs(self, node) -> None:
        """The node's output gradients are complete: tensor hooks, retain_grad, capture."""
        for k in range(len(node.graph.outvars)):
            edge = (node, k)
            grad = self.ct.get(edge)
            if grad is None:
                continue
            grad = self.ct[edge] = _run_hooks(node.hooks, k, grad)
            ref = node.retained.get(k) if node.retained else None
            tensor = ref() if ref is not None else None
            if tensor is not None:
                tensor._accumulate_grad(grad, self.create_graph)
            if self.targets is not None and edge in self.targets:
                self.captured = {**self.captured, edge: grad}

    def _flush(self, batch) -> None:
        if not batch:
            return
        seed_slots = [(p, k) for p, node in enumerate(batch)
                      for k in range(len(node.graph.outvars)) if (node, k) in self.ct]
        seeds = [self.ct.pop((batch[p], k)) for p, k in seed_slots]
        structure, boundary = _structure(batch, self._needed)
        key = (self.backend, structure, tuple(seed_slots))
        region = _REGIONS.get(key, lambda: _build_region(batch, structure, seed_slots),
                              self.backend)
        kept, produced = region.aux
        operands = [self._slot(batch, slot, seeds, seed_slots) for slot in kept]
        if self.create_graph:
            from .tensor import apply_graph

            outs = apply_graph("BackwardRegion", region.graph, ("region",) + key, operands,
                               run=region.run)
        else:
            datas = [o._data if isinstance(o, self.Tensor) else o for o in operands]
            # under adc.compile's trace the region's graph is traced into the step's program
            trace = step_trace()
            outs = [self.Tensor._wrap(a) for a in (
                region.run(*datas) if trace is None else trace.run(region.graph, datas, True))]
        for b, grad in zip(produced, outs):
            self._add(boundary[b], grad)

    def _slot(self, batch, slot, seeds, seed_slots):
        kind, p, i = slot
        if kind == "seed":
            return seeds[seed_slots.index((p, i))]
        node = batch[p]
        if node.saved is None:
            raise RuntimeError(
                "Trying to backward through the graph a second time (or directly access saved "
                "tensors after they have already been freed). Saved intermediate values of the "
                "graph are freed when you call .backward() or autograd.grad(). Specify "
                "retain_graph=True if you need to backward through the graph a second time or "
                "if you need to access saved tensors after calling backward.")
        array, version, seen = node.saved[0 if kind == "in" else 1][i]
        if version is not None and version.n != seen:
            where = (f"output {i} of {node.name()}" if kind == "out" else
                     f"input {i} of {node.name()}")
            raise RuntimeError(
                "one of the variables needed for gradient computation has been modified by an "
                f"inplace operation: [{array.dtype} {list(array.shape)}], which is {where}, is "
                f"at version {version.n}; expected version {seen} instead. Hint: the "
                "operation that modified it in place came after it was recorded; use an "
                "out-of-place operation (or .clone()) instead.")
        if not self.create_graph:
            return array
        edge = node.edges[i] if kind == "in" else (node, i)
        return self.Tensor._wrap(array, edge=edge)


def _run_hooks(hooks, index, grad):
    table = hooks.get(index) if hooks else None
    for hook in list(table.values()) if table else ():
        result = hook(grad)
        if result is not None:
            if tuple(result.shape) != tuple(grad.shape):
                raise RuntimeError(f"hook '{getattr(hook, '__name__', hook)}' has changed the "
                                   f"size of value: expected {tuple(grad.shape)}, got "
                                   f"{tuple(result.shape)}")
            grad = result
    return grad


def region_count() -> int:
    """How many distinct backward regions are cached now (at most
    adc.staging.cache_entries(), the most recently used)."""
    return len(_REGIONS)

