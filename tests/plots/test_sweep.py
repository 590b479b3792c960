"""Tests of decide.plots.plot_sweep."""

from __future__ import annotations

import numpy as np
import pytest

from decide.errors import DecideValueError
from decide.measures import CVaR, Mean
from decide.optimization import Box, Budget
from decide.outcomes import linear
from decide.plots import plot_sweep
from decide.policies import sweep


@pytest.fixture(scope="module")
def R() -> np.ndarray:
    return np.random.default_rng(0).normal([0.08, 0.03, 0.05], [0.3, 0.05, 0.12], size=(400, 3))


def test_stacked_area_for_a_budget_split(R: np.ndarray) -> None:
    table = sweep(linear(R), lambda lam: Mean() + lam * CVaR(0.05), [2.0, 0.0, 0.5], Budget(1.0),
                  parameter="risk aversion")
    _, ax = plot_sweep(table)
    assert len(ax.collections) == 3  # one layer per action element
    # the top layer of the stack reaches the budget total at every point
    top = ax.collections[-1].get_paths()[0].vertices
    assert np.max(top[:, 1]) == pytest.approx(1.0, abs=1e-6)
    assert np.sort(np.unique(top[:, 0])).tolist() == [0.0, 0.5, 2.0]
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["action[0]", "action[1]", "action[2]"]
    assert ax.get_xlabel() == "risk aversion" and ax.get_ylabel() == "action"


def test_lines_for_signed_actions(R: np.ndarray) -> None:
    shorted = R - np.array([0.0, 0.1, 0.0])  # a negative mean: the risk-neutral action shorts it
    table = sweep(linear(shorted), lambda lam: Mean() + lam * CVaR(0.05), [0.0, 1.0], Box(-1, 1))
    assert (table[["action[0]", "action[1]", "action[2]"]].to_numpy() < 0).any()
    _, ax = plot_sweep(table)
    lines = ax.get_lines()
    assert len(lines) == 3 and len(ax.collections) == 0
    np.testing.assert_allclose(lines[0].get_ydata(), table["action[0]"])
    with pytest.raises(DecideValueError, match=r"kind='area' .* non-negative"):
        plot_sweep(table, kind="area")
    with pytest.raises(DecideValueError, match=r"kind must be 'auto', 'area' or 'line'; got 'bars'"):
        plot_sweep(table, kind="bars")
    with pytest.raises(DecideValueError, match=r"decide.policies"):
        plot_sweep(table.drop(columns="action[0]"))
