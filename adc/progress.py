"""A tiny progress display on stderr: a live, self-erasing line on a terminal; plain lines
(one per finished step) when stderr is piped; nothing with --quiet. The CLI shows its steps
with it, and compiled code its compilation when that takes long.

Stage: shared by every stage (imports nothing of adc). Invariant: it never writes to stdout,
so tables and JSON stay clean.
"""
from __future__ import annotations

import sys
import threading
import time
from contextlib import contextmanager

_SPIN = "|/-\\"
SLOW_S = 2.0  # a compilation that takes longer shows its progress (on a terminal)


def fmt_time(seconds) -> str:
    if seconds is None:
        return "-"
    for unit, scale in (("s", 1.0), ("ms", 1e-3), ("us", 1e-6)):
        if seconds >= scale:
            return f"{seconds / scale:.3g} {unit}"
    return f"{seconds / 1e-9:.3g} ns"


class Progress:
    def __init__(self, stream=None, quiet: bool = False, prefix: str = "adc"):
        self.stream = stream if stream is not None else sys.stderr
        self.quiet = quiet
        self.prefix = prefix
        isatty = getattr(self.stream, "isatty", None)
        self.live = bool(isatty and isatty()) and not quiet
        self._lock = threading.Lock()
        self._text = ""
        self._width = 0

    def _draw(self, text: str):
        with self._lock:
            pad = max(0, self._width - len(text))
            self.stream.write("\r" + text + " " * pad + ("\b" * pad))
            self.stream.flush()
            self._width = len(text)

    def _clear(self):
        if self._width:
            with self._lock:
                self.stream.write("\r" + " " * self._width + "\r")
                self.stream.flush()
                self._width = 0

    def _line(self, text: str):
        if not self.quiet:
            self.stream.write(f"{self.prefix}: {text}\n")
            self.stream.flush()

    @contextmanager
    def step(self, label: str):
        """A step of unknown length: spinner and elapsed time while it runs."""
        start = time.perf_counter()
        stop = threading.Event()
        if self.live:
            def spin():
                k = 0
                while not stop.wait(0.1 if k else 0.0):
                    self._draw(f"{_SPIN[k % 4]} {label} {time.perf_counter() - start:.1f} s")
                    k += 1
            thread = threading.Thread(target=spin, daemon=True)
            thread.start()
        try:
            yield
        finally:
            stop.set()
            if self.live:
                thread.join()
                self._clear()
        self._line(f"{label}: {fmt_time(time.perf_counter() - start)}")

    def repeat(self, label: str, fn, n: int) -> list:
        """Run fn n times, returning each call's seconds; a bar on a terminal."""
        times, drawn = [], 0.0
        for k in range(n):
            if self.live and time.perf_counter() - drawn > 0.1:  # redraw at most 10 times/s
                filled = int(20 * k / max(n, 1))
                self._draw(f"{label} [{'#' * filled}{'.' * (20 - filled)}] {k}/{n}")
                drawn = time.perf_counter()
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        if self.live:
            self._clear()
        times_sorted = sorted(times)
        self._line(f"{label}: {n} runs, median {fmt_time(times_sorted[n // 2]) if n else '-'}")
        return times

    def note(self, text: str):
        """A message that stays visible (e.g. a skipped peer)."""
        self._clear()
        self._line(text)

    @contextmanager
    def counting(self, label: str, total: int, delay: float | None = None):
        """A count of `total` items (e.g. kernels compiled), drawn live on a terminal once
        `delay` seconds (default SLOW_S) have passed, erased at the end; yields `done(cached)`, to call per
        finished item (cached: it came from the disk cache instead of being built)."""
        start = time.perf_counter()
        counts = [0, 0]
        stop = threading.Event()

        def done(cached: bool = False):
            counts[0] += 1
            counts[1] += bool(cached)

        def draw():
            if stop.wait(SLOW_S if delay is None else delay):
                return
            while True:
                self._draw(f"{self.prefix}: {label}: {counts[0]}/{total} "
                           f"({counts[1]} from the cache) {time.perf_counter() - start:.0f} s")
                if stop.wait(0.5):
                    return

        thread = threading.Thread(target=draw, daemon=True) if self.live else None
        if thread is not None:
            thread.start()
        try:
            yield done
        finally:
            stop.set()
            if thread is not None:
                thread.join()
                self._clear()
