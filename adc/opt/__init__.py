"""Graph → Graph optimization passes: `optimize` runs them in their standard order; `prepare`
turns an optimized graph into the one a target's code generator takes (run once, before
lowering)."""
from ..lower.registry import compositions
from .cse import cse
from .dce import dce
from .decompose import decompose
from .fold import fold_constants


def optimize(graph):
    return dce(cse(fold_constants(graph)))


def prepare(graph, target: str):
    """The optimized `graph` with the primitives `target` lowers by composition expanded."""
    return decompose(graph, compositions(target))


__all__ = ["cse", "dce", "decompose", "fold_constants", "optimize", "prepare"]
