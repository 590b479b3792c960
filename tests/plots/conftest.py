"""Plots render with the Agg backend; every figure is closed after its test."""

from __future__ import annotations

from collections.abc import Iterator

import matplotlib
import pytest

matplotlib.use("Agg")


@pytest.fixture(autouse=True)
def _close_figures() -> Iterator[None]:
    import matplotlib.pyplot as plt

    yield
    plt.close("all")


@pytest.fixture(autouse=True)
def _no_show(monkeypatch: pytest.MonkeyPatch) -> None:
    """A plot must never call plt.show() unless asked."""
    import matplotlib.pyplot as plt

    def fail() -> None:
        raise AssertionError("plt.show() called without show=True")

    monkeypatch.setattr(plt, "show", fail)
