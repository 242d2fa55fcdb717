"""Primitive families; importing this package registers every primitive and checks that each
states all of its facts (`base.check_registry`), so an incomplete primitive fails at import.

`lax` is imported first: it imports every family module, whose rules call `lax` only when
they run, so the families may import it back at their top."""
from . import lax  # noqa: I001
from . import elementwise, index, linalg, reduce, select, shape, sort, window  # noqa: F401
from .base import REGISTRY, Primitive, check_registry

check_registry()

__all__ = ["REGISTRY", "Primitive", "check_registry", "lax"]
