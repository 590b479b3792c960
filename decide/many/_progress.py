"""A one-line progress report on stderr (no third-party progress bar)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

__all__ = ["Progress"]


class Progress:
    """Counts solved units and rewrites one stderr line, at most every ``interval`` seconds.

    Parameters
    ----------
    total : int
        Units in the batch.
    enabled : bool
        Print nothing when False.
    label : str
        Text before the counts.
    stream : file, optional
        Where to write (default ``sys.stderr``).
    """

    def __init__(
        self, total: int, enabled: bool = True, label: str = "optimize_many",
        stream: TextIO | None = None, interval: float = 0.25,
    ) -> None:
        self.total, self.enabled, self.label = int(total), bool(enabled), label
        self.stream = stream if stream is not None else sys.stderr
        self.interval = interval
        self.done = 0
        self.started = time.perf_counter()
        self._last = -1.0
        self._shown = -1

    def update(self, n: int) -> None:
        """Record ``n`` more solved units."""
        self.done += int(n)
        now = time.perf_counter()
        if self.enabled and (now - self._last >= self.interval or self.done >= self.total):
            self._last = now
            self._write(now)

    def _write(self, now: float) -> None:
        self._shown = self.done
        pct = 100.0 * self.done / self.total if self.total else 100.0
        width = 24
        filled = round(width * pct / 100.0)
        bar = "#" * filled + "-" * (width - filled)
        self.stream.write(
            f"\r{self.label}: [{bar}] {self.done}/{self.total} units ({pct:3.0f}%) "
            f"{now - self.started:.1f} s"
        )
        self.stream.flush()

    def close(self) -> None:
        """End the line."""
        if self.enabled:
            if self._shown != self.done:
                self._write(time.perf_counter())
            self.stream.write("\n")
            self.stream.flush()
