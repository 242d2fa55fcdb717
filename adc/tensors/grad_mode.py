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

    def _fresh(self):
        """A new context of this kind, entered by each call of a decorated function."""
        return type(self)()

    def __call__(self, fn):
        @functools.wraps(fn)
        def wrapped(*args, **kwargs):
            with self._fresh():
                return fn(*args, **kwargs)
        return wrapped


class no_grad(_GradMode):
    """Operations in the body are not recorded: results have requires_grad=False."""

    _enabled = False


class enable_grad(_GradMode):
    _enabled = True


class inference_mode(_GradMode):
    """torch.inference_mode(mode=True): like no_grad for its body (`mode=False` records as
    usual). torch also marks the results as inference tensors that autograd later refuses;
    adc's results are ordinary tensors that do not require grad."""

    def __init__(self, mode: bool = True):
        self._mode = bool(mode)
        self._enabled = is_grad_enabled() and not self._mode

    def __enter__(self):
        self._prev_inference = is_inference_mode_enabled()
        _state.inference = self._mode
        return super().__enter__()

    def __exit__(self, *exc):
        _state.inference = self._prev_inference
        return super().__exit__(*exc)

    def _fresh(self):
        return inference_mode(self._mode)


def is_inference_mode_enabled() -> bool:
    return getattr(_state, "inference", False)


class set_grad_enabled(_GradMode):
    """`set_grad_enabled(False)` as a context manager, decorator or plain call."""

    def __init__(self, mode: bool):
        self._enabled = bool(mode)
        self._prev = is_grad_enabled()
        _set(mode)

    def __enter__(self):
        return self

    def __call__(self, fn):
        _set(self._prev)  # as a decorator it changes nothing until the function runs
        return super().__call__(fn)

    def _fresh(self):
        return set_grad_enabled(self._enabled)
