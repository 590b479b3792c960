"""Tests of decide.plots.plot_frontier."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.text import Text

from decide.errors import DecideValueError
from decide.measures import CVaR, Mean, Variance
from decide.optimization import Budget
from decide.outcomes import linear
from decide.plots import plot_frontier
from decide.policies import compare, frontier


@pytest.fixture(scope="module")
def R() -> np.ndarray:
    return np.random.default_rng(0).normal([0.08, 0.03, 0.05], [0.3, 0.05, 0.12], size=(500, 3))


def _cvar(y: np.ndarray, alpha: float) -> float:
    k = round(alpha * y.size)
    return float(np.sort(y)[:k].mean())


def test_frontier_line_and_policies(R: np.ndarray) -> None:
    model = linear(R)
    table = frontier(model, CVaR(0.05), Budget(1.0), n_points=8)
    policies = compare(model, {"neutral": Mean(), "cautious": CVaR(0.05)}, Budget(1.0), random_seed=0)
    _, ax = plot_frontier(table, policies=policies, outcome=model)
    (line,) = ax.get_lines()
    # the x axis is the CVaR itself (a reward), computed here from each point's weights
    W = table[["action[0]", "action[1]", "action[2]"]].to_numpy()
    np.testing.assert_allclose(line.get_xdata(), [_cvar(R @ w, 0.05) for w in W], rtol=1e-9)
    np.testing.assert_allclose(line.get_ydata(), table["mean"])
    assert len(ax.collections) == 2  # one marker per policy
    for coll, name in zip(ax.collections, ["neutral", "cautious"]):
        w = policies.loc[name, ["action[0]", "action[1]", "action[2]"]].to_numpy(dtype=float)
        y = R @ w
        np.testing.assert_allclose(coll.get_offsets()[0], [_cvar(y, 0.05), y.mean()])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["efficient frontier", "neutral", "cautious"]
    assert ax.get_xlabel() == "CVaR 5% of outcome (higher is better)"
    assert ax.get_ylabel() == "expected outcome (mean)"
    assert "loss" not in ax.get_xlabel()


def test_revenue_scale_reads_as_a_reward_with_thousands_separators() -> None:
    rng = np.random.default_rng(3)
    R = rng.normal([300_000.0, 290_000.0], [20_000.0, 4_000.0], size=(400, 2))
    model = linear(R)
    table = frontier(model, CVaR(0.05), Budget(1.0), n_points=5)
    fig, ax = plot_frontier(table, outcome_label="revenue")
    fig.canvas.draw()
    x = ax.get_lines()[0].get_xdata()
    W = table[["action[0]", "action[1]"]].to_numpy()
    np.testing.assert_allclose(x, [_cvar(R @ w, 0.05) for w in W], rtol=1e-9)
    assert np.all(x > 250_000)  # +2.8e5-ish, not -2.8e5
    assert ax.get_xlabel() == "CVaR 5% of revenue (higher is better)"
    assert ax.get_ylabel() == "expected revenue (mean)"
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert ticks and all("," in t and not t.startswith(("-", "\u2212")) for t in ticks), ticks
    assert len(set(ticks)) == len(ticks)


def test_variance_axis_is_the_variance_lower_is_better(R: np.ndarray) -> None:
    table = frontier(linear(R), Variance(), Budget(1.0), n_points=5)
    _, ax = plot_frontier(table)
    W = table[["action[0]", "action[1]", "action[2]"]].to_numpy()
    np.testing.assert_allclose(ax.get_lines()[0].get_xdata(), [np.var(R @ w) for w in W], rtol=1e-9)
    assert ax.get_xlabel() == "Variance() of outcome (lower is better)"


def _overlap(a, b) -> bool:
    return a.x0 < b.x1 and b.x0 < a.x1 and a.y0 < b.y1 and b.y0 < a.y1


def test_crowded_policy_labels_do_not_overlap(R: np.ndarray) -> None:
    """Five plans at (almost) the same point, plus two apart: no two annotations overprint."""
    model = linear(R)
    table = frontier(model, CVaR(0.05), Budget(1.0), n_points=6)
    base = np.array([0.3, 0.4, 0.3])
    plans = {f"same plan, computed by tool {k}": base + 1e-4 * k * np.array([1, -1, 0]) for k in range(5)}
    plans |= {"equal split": np.full(3, 1 / 3), "all in the first": np.array([1.0, 0.0, 0.0])}
    fig, ax = plot_frontier(table, policies=plans, outcome=model)
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    anns = [t for t in ax.texts]
    assert len(anns) >= 5  # most points keep their annotation; the legend names all
    assert {a.get_text() for a in anns} <= set(plans)
    boxes = [a.get_window_extent(renderer) for a in anns]
    text_boxes = [Text.get_window_extent(a, renderer) for a in anns]  # text, no line
    for i in range(len(text_boxes)):
        for j in range(i + 1, len(text_boxes)):
            assert not _overlap(text_boxes[i], text_boxes[j]), (anns[i].get_text(), anns[j].get_text())
    frame = fig.bbox
    for b in boxes:
        assert b.x0 >= frame.x0 - 1 and b.x1 <= frame.x1 + 1 and b.y0 >= frame.y0 - 1 and b.y1 <= frame.y1 + 1
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[1:] == list(plans)


def test_frontier_alone_and_bad_input(R: np.ndarray) -> None:
    table = frontier(linear(R), CVaR(0.1), Budget(1.0), n_points=4)
    _, ax = plot_frontier(table)
    assert len(ax.get_lines()) == 1 and len(ax.collections) == 0
    with pytest.raises(DecideValueError, match=r"policies needs outcome="):
        plot_frontier(table, policies={"equal": [1 / 3] * 3})
    with pytest.raises(DecideValueError, match=r"columns 'risk' and 'mean'"):
        plot_frontier(table.drop(columns="risk"))


def test_close_values_keep_the_decimals_of_their_tick_step() -> None:
    """Means a few units apart on a 558,000 scale: ticks like 558,307.5 are not rounded to 558,308."""
    import matplotlib.pyplot as plt

    from decide.plots._common import thousands

    fig, ax = plt.subplots()
    ax.plot([558_300.0, 558_318.0], [0.0, 1.0])  # ticks every 2.5
    thousands(ax.xaxis, [558_300.0, 558_318.0])
    fig.canvas.draw()
    locs = ax.get_xticks()
    texts = [t.get_text() for t in ax.get_xticklabels()]
    parsed = [float(t.replace(",", "")) for t in texts]
    np.testing.assert_allclose(parsed, locs, rtol=0, atol=1e-9)
    assert all("," in t for t in texts) and any(t.endswith(".5") for t in texts)
