"""Primitive families; importing this package registers every primitive."""
from . import elementwise, index, linalg, reduce, select, shape  # noqa: F401
from .base import REGISTRY, Primitive, check_registry  # noqa: F401
