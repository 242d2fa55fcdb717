"""Graph → Graph optimization passes; `optimize` runs them in their standard order."""
from .cse import cse
from .dce import dce
from .fold import fold_constants


def optimize(graph):
    return dce(cse(fold_constants(graph)))


__all__ = ["cse", "dce", "fold_constants", "optimize"]
