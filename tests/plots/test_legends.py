"""Legends do not cover the data of plots that fill their axes."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt
import numpy as np

from decide.measures import CVaR, Mean
from decide.optimization import Budget
from decide.outcomes import linear
from decide.plots import plot_sweep, plot_uncertainty
from decide.policies import sweep
from decide.uncertainty import decompose


def _overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def _legend_outside(fig, ax) -> bool:
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    legend = ax.get_legend()
    assert legend is not None and legend.get_texts()
    return not _overlap(legend.get_window_extent(renderer), ax.get_window_extent(renderer))


def test_sweep_area_legend_is_outside_the_axes():
    R = np.random.default_rng(0).normal([0.08, 0.03, 0.05], [0.3, 0.05, 0.1], size=(400, 3))
    table = sweep(linear(R), lambda lam: Mean() + lam * CVaR(0.05), [0, 0.5, 2, 8], Budget(1.0))
    fig, ax = plot_sweep(table)  # a stacked area fills the axes: no place inside is free
    assert _legend_outside(fig, ax)
    plt.close(fig)


def test_uncertainty_share_legend_is_outside_the_axes():
    rng = np.random.default_rng(1)
    theta = rng.normal(0, 1, (300, 1))
    parts = {"A": decompose(theta + rng.normal(0, 2, (300, 20))),
             "B": decompose(3 * theta + rng.normal(0, 1, (300, 20)))}
    fig, ax = plot_uncertainty(parts, share=True)  # bars fill [0, 1] on every row
    assert _legend_outside(fig, ax)
    plt.close(fig)


def test_sweep_legend_with_long_labels_is_inside_a_plain_saved_figure(tmp_path):
    # channel labels as long as a window plan's; the figure as savefig writes it
    R = np.random.default_rng(0).normal([0.08, 0.03, 0.05], [0.3, 0.05, 0.1], size=(400, 3))
    om = linear(R, names="channel_data", dim="channel",
                coords={"channel": ["television national", "paid search brand", "social video"]})
    table = sweep(om, lambda lam: Mean() + lam * CVaR(0.05), [0, 0.5, 2, 8], Budget(1.0))
    fig, ax = plot_sweep(table)
    fig.savefig(tmp_path / "sweep.png")  # plain: no bbox_inches="tight"
    renderer = fig.canvas.get_renderer()
    frame = fig.bbox
    legend = ax.get_legend().get_window_extent(renderer)
    assert frame.x0 <= legend.x0 and legend.x1 <= frame.x1 and frame.y0 <= legend.y0 and legend.y1 <= frame.y1
    for text in ax.get_legend().get_texts():
        box = text.get_window_extent(renderer)
        assert box.x1 <= frame.x1 and "[" in text.get_text()
    assert not _overlap(legend, ax.get_window_extent(renderer))
    tight = ax.get_tightbbox(renderer)  # tick and axis labels too
    assert frame.x0 <= tight.x0 and tight.x1 <= frame.x1
    plt.close(fig)
