"""Progress display for long work, on ``rich`` (installed with pymc).

One class serves the command line and library calls such as ``optimize_many``.

Library work stays quiet unless it is long: the bar appears only once ``delay``
seconds have passed (as tqdm's ``delay`` does), so sub-second calls print nothing.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Iterable, Iterator
from typing import Any, TextIO, TypeVar

__all__ = ["Progress", "progress"]

T = TypeVar("T")


class Progress:
    """Count steps of a known total and show a bar on ``stream`` once the work is long.

    Parameters
    ----------
    total : int
        Number of steps (at least 1).
    desc : str
        Label printed before the bar.
    enabled : bool, default True
        ``False`` prints nothing (``--quiet``, ``progress=False``).
    stream : file-like, optional
        Where to draw; default ``sys.stderr`` (looked up at construction).
    delay : float, default 0.0
        Seconds to wait before showing anything; work that ends sooner prints nothing.

    Examples
    --------
    >>> import io
    >>> buf = io.StringIO()
    >>> with Progress(2, "sweep", stream=buf) as bar:
    ...     bar.update()
    ...     bar.update()
    >>> buf.getvalue().rstrip().split()[-2]
    '2/2'
    """

    def __init__(
        self, total: int, desc: str, *, enabled: bool = True, stream: TextIO | None = None,
        delay: float = 0.0,
    ):
        self.total = max(int(total), 1)
        self.desc = desc
        self.enabled = enabled
        self.stream = sys.stderr if stream is None else stream
        self.delay = float(delay)
        self.done = 0
        self._start = time.perf_counter()
        self._bar: Any = None
        self._task: Any = None

    def _show(self) -> None:
        """Start the rich display (once enabled and past the delay)."""
        if self._bar is not None or not self.enabled:
            return
        if time.perf_counter() - self._start < self.delay:
            return
        from rich.console import Console
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeElapsedColumn,
        )
        from rich.progress import Progress as RichProgress

        self._bar = RichProgress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=Console(file=self.stream), transient=False,
        )
        self._bar.start()
        self._task = self._bar.add_task(self.desc, total=self.total, completed=self.done)

    def update(self, n: int = 1) -> None:
        """Advance by ``n`` steps (never past the total)."""
        self.done = min(self.done + int(n), self.total)
        self._show()
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done)

    def close(self) -> None:
        """Finish the display (nothing was shown if the work ended before the delay)."""
        if self._bar is not None:
            self._bar.update(self._task, completed=self.done)
            self._bar.stop()
            self._bar = None
        self.enabled = False

    def __enter__(self) -> Progress:
        self._show()
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


def progress(
    items: Iterable[T], desc: str, *, total: int, enabled: bool = True, delay: float = 0.0
) -> Iterator[T]:
    """Iterate over ``items`` while a :class:`Progress` bar counts them on stderr.

    Examples
    --------
    >>> [x for x in progress([1, 2], "demo", total=2, enabled=False)]
    [1, 2]
    """
    with Progress(total, desc, enabled=enabled, delay=delay) as bar:
        for item in items:
            yield item
            bar.update()
