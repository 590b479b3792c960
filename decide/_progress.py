"""A tiny progress bar on stderr for the command line (no tqdm dependency)."""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, TextIO, TypeVar

__all__ = ["Progress", "progress"]

T = TypeVar("T")


class Progress:
    """Count steps of a known total and redraw one line on ``stream``.

    Parameters
    ----------
    total : int
        Number of steps (at least 1).
    desc : str
        Label printed before the bar.
    enabled : bool, default True
        ``False`` prints nothing (``--quiet``).
    stream : file-like, optional
        Where to draw; default ``sys.stderr`` (looked up at construction).
    width : int, default 24
        Characters of the bar.

    Examples
    --------
    >>> import io
    >>> buf = io.StringIO()
    >>> with Progress(2, "sweep", stream=buf) as bar:
    ...     bar.update()
    ...     bar.update()
    >>> buf.getvalue().rstrip().endswith("2/2")
    True
    """

    def __init__(
        self, total: int, desc: str, *, enabled: bool = True, stream: TextIO | None = None,
        width: int = 24,
    ):
        self.total = max(int(total), 1)
        self.desc = desc
        self.enabled = enabled
        self.stream = sys.stderr if stream is None else stream
        self.width = width
        self.done = 0
        self._start = time.perf_counter()

    def _draw(self, end: str = "") -> None:
        if not self.enabled:
            return
        filled = round(self.width * self.done / self.total)
        bar = "#" * filled + "." * (self.width - filled)
        secs = time.perf_counter() - self._start
        self.stream.write(f"\r{self.desc} [{bar}] {secs:5.1f}s {self.done}/{self.total}{end}")
        self.stream.flush()

    def update(self, n: int = 1) -> None:
        """Advance by ``n`` steps and redraw."""
        self.done = min(self.done + n, self.total)
        self._draw()

    def close(self) -> None:
        """Finish the line."""
        self._draw("\n")
        self.enabled = False

    def __enter__(self) -> Progress:
        self._draw()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def progress(items: Iterable[T], desc: str, *, total: int, enabled: bool = True) -> Iterator[T]:
    """Iterate over ``items`` while a :class:`Progress` bar counts them on stderr.

    Examples
    --------
    >>> [x for x in progress([1, 2], "demo", total=2, enabled=False)]
    [1, 2]
    """
    with Progress(total, desc, enabled=enabled) as bar:
        for item in items:
            yield item
            bar.update()
