"""Grad mode: whether tensor operations are recorded for backward (torch's no_grad family).

Stage: tensor front end. Invariant: the flag is per thread and restored on exit of every
context, also when the body raises.
"""
from __future__ import annotations

import functools
import threading

_state = threading.local()


def is_grad_enabled() -> bool:
    return getattr(_state, "enabled", True)


def _set(enabled: bool) -> None:
    _state.enabled = bool(enabled)


class _GradMode:
    """Context manager and decorator that sets grad mode for its body."""

    _enabled = True

    def __enter__(self):
        self._prev = is_grad_enabled()
        _set(self._enabled)
        return self

    def __exit__(self, *exc):
        _set(self._prev)
        return False

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with type(self)():
                return fn(*args, **kwargs)
        return wrapped


class no_grad(_GradMode):
    """Operations in the body are not recorded: results have requires_grad=False."""

    _enabled = False


class enable_grad(_GradMode):
    _enabled = True


class set_grad_enabled(_GradMode):
    """`set_grad_enabled(False)` as a context manager, decorator or plain call."""

    def __init__(self, mode: bool):
        self._enabled = bool(mode)
        self._prev = is_grad_enabled()
        _set(mode)

    def __enter__(self):
        return self

    def __call__(self, fn):
        _set(self._prev)
        mode = self._enabled

        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with set_grad_enabled(mode):
                return fn(*args, **kwargs)
        return wrapped
