"""Tests of decide.plots.plot_uncertainty."""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pytest

from decide.errors import DecideTypeError, DecideValueError
from decide.plots import plot_uncertainty
from decide.uncertainty import decompose


@pytest.fixture(scope="module")
def parts() -> dict:
    rng = np.random.default_rng(0)
    theta = rng.normal(0, 1, (400, 1))
    return {"A": decompose(theta + rng.normal(0, 2, (400, 50))),
            "B": decompose(3 * theta + rng.normal(0, 1, (400, 50))),
            "C": decompose(0.5 * theta + rng.normal(0, 0.5, (400, 50)))}


def test_one_bar_per_action(parts: dict) -> None:
    _, ax = plot_uncertainty(parts)
    assert len(ax.patches) == 6 and len(ax.containers) == 2
    epi, ale = ax.containers
    np.testing.assert_allclose([p.get_width() for p in epi], [d.epistemic for d in parts.values()])
    np.testing.assert_allclose([p.get_width() for p in ale], [d.aleatoric for d in parts.values()])
    np.testing.assert_allclose([p.get_x() for p in ale], [d.epistemic for d in parts.values()])
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B", "C"]
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0].startswith("epistemic") and legend[1].startswith("aleatoric")
    assert ax.get_xlabel() == "outcome variance"


def test_shares_add_to_one(parts: dict) -> None:
    _, ax = plot_uncertainty(parts, share=True)
    epi, ale = ax.containers
    total = np.array([p.get_width() for p in epi]) + np.array([p.get_width() for p in ale])
    np.testing.assert_allclose(total, 1.0)
    np.testing.assert_allclose([p.get_width() for p in epi], [d.epistemic_share for d in parts.values()])
    assert ax.get_xlabel() == "share of the outcome variance"


def test_single_decomposition_and_table(parts: dict) -> None:
    _, ax = plot_uncertainty(parts["B"])
    assert len(ax.patches) == 2
    table = parts["A"].to_dataframe()
    _, ax = plot_uncertainty(table)
    assert len(ax.patches) == 2 * len(table)


def test_bad_input(parts: dict) -> None:
    with pytest.raises(DecideTypeError, match=r"decompositions\['x'\] must be a Decomposition"):
        plot_uncertainty({"x": 1.0})
    with pytest.raises(DecideTypeError, match=r"decompositions must be a Decomposition"):
        plot_uncertainty([1, 2])
    with pytest.raises(DecideValueError, match=r"missing \['aleatoric_variance'\]"):
        plot_uncertainty(parts["A"].to_dataframe().drop(columns="aleatoric_variance"))


def test_long_labels_are_shown_whole_inside_the_figure() -> None:
    """Labels of a window model's cells: every tick label is the full name and fits in the figure."""
    rng = np.random.default_rng(2)
    days = [f"2024-11-{d:02d}T00:00:00.000000000" for d in (3, 10, 17, 24)]
    names = [f"channel_data[{d}, {c}]" for d in days for c in ("tv", "search", "podcast")]
    theta = rng.normal(0, 1, (200, 1))
    parts = {n: decompose((k + 1) * 0.1 * theta + rng.normal(0, 1, (200, 20))) for k, n in enumerate(names)}
    fig, ax = plot_uncertainty(parts)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    ticks = ax.get_yticklabels()
    assert [t.get_text() for t in ticks] == names  # no ellipsis, no wrapping
    frame = fig.bbox
    boxes = [t.get_window_extent(renderer) for t in ticks]
    for name, b in zip(names, boxes):
        assert b.x0 >= frame.x0 and b.x1 <= frame.x1 and b.y0 >= frame.y0 and b.y1 <= frame.y1, name
    for a, b in pairwise(boxes):  # one row per label, no two labels on top of each other
        assert a.y0 >= b.y1 or b.y0 >= a.y1
    legend = ax.get_legend().get_window_extent(renderer)
    assert legend.x0 >= frame.x0 and legend.y0 >= frame.y0 and legend.x1 <= frame.x1
    title = ax.title.get_window_extent(renderer)
    assert title.y1 <= frame.y1 and title.x0 >= frame.x0


def test_given_axes_keep_their_figure_size(parts: dict) -> None:
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(4.0, 3.0))
    plot_uncertainty(parts, ax=ax)
    np.testing.assert_allclose(fig.get_size_inches(), [4.0, 3.0])


def test_the_x_axis_leaves_room_after_the_longest_bar() -> None:
    """A purely epistemic row (aleatoric 0) is the longest: it must not touch the frame."""
    rng = np.random.default_rng(1)
    theta = rng.normal(0, 1, (300, 1))
    parts = {"deterministic": decompose(np.repeat(4 * theta, 5, axis=1)),  # no noise at all
             "noisy": decompose(theta + rng.normal(0, 1, (300, 5)))}
    for share in (False, True):
        _, ax = plot_uncertainty(parts, share=share)
        longest = max(p.get_x() + p.get_width() for p in ax.patches)
        lo, hi = ax.get_xlim()
        assert lo == 0.0 and hi >= longest * 1.05, (share, hi, longest)
