"""Tests of decide.plots.plot_frontier."""

from __future__ import annotations

import numpy as np
import pytest

from decide.errors import DecideValueError
from decide.measures import CVaR, Mean
from decide.optimization import Budget
from decide.outcomes import linear
from decide.plots import plot_frontier
from decide.policies import compare, frontier


@pytest.fixture(scope="module")
def R() -> np.ndarray:
    return np.random.default_rng(0).normal([0.08, 0.03, 0.05], [0.3, 0.05, 0.12], size=(500, 3))


def test_frontier_line_and_policies(R: np.ndarray) -> None:
    model = linear(R)
    table = frontier(model, CVaR(0.05), Budget(1.0), n_points=8)
    policies = compare(model, {"neutral": Mean(), "cautious": CVaR(0.05)}, Budget(1.0), random_seed=0)
    _, ax = plot_frontier(table, policies=policies, outcome=model)
    (line,) = ax.get_lines()
    np.testing.assert_allclose(line.get_xdata(), table["risk"])
    np.testing.assert_allclose(line.get_ydata(), table["mean"])
    assert len(ax.collections) == 2  # one marker per policy
    for coll, name in zip(ax.collections, ["neutral", "cautious"]):
        w = policies.loc[name, ["action[0]", "action[1]", "action[2]"]].to_numpy(dtype=float)
        y = np.sort(R @ w)
        np.testing.assert_allclose(coll.get_offsets()[0], [-y[:25].mean(), y.mean()])
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["efficient frontier", "neutral", "cautious"]
    assert "CVaR(alpha=0.05)" in ax.get_xlabel() and ax.get_ylabel() == "expected outcome (mean)"


def test_frontier_alone_and_bad_input(R: np.ndarray) -> None:
    table = frontier(linear(R), CVaR(0.1), Budget(1.0), n_points=4)
    _, ax = plot_frontier(table)
    assert len(ax.get_lines()) == 1 and len(ax.collections) == 0
    with pytest.raises(DecideValueError, match=r"policies needs outcome="):
        plot_frontier(table, policies={"equal": [1 / 3] * 3})
    with pytest.raises(DecideValueError, match=r"columns 'risk' and 'mean'"):
        plot_frontier(table.drop(columns="risk"))
