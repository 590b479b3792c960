"""Tests of decide.plots.plot_outcomes."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pytest

from decide.errors import DecideTypeError, DecideValueError
from decide.measures import CVaR, Mean
from decide.optimization import Budget, optimize
from decide.outcomes import from_draws, linear
from decide.plots import plot_outcomes
from decide.policies import compare


@pytest.fixture
def arms() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    return {"safe": rng.normal(1.0, 0.2, 1000), "risky": rng.normal(1.3, 2.0, 1000),
            "mid": rng.normal(1.1, 0.8, 1000)}


def test_histograms_and_cvar_marks(arms: dict[str, np.ndarray]) -> None:
    fig, ax = plot_outcomes(arms, alpha=0.1, bins=30)
    assert len(ax.patches) == 3  # one step histogram per policy
    lines = ax.get_lines()
    assert len(lines) == 3
    for line, x in zip(lines, arms.values()):
        assert line.get_xdata()[0] == pytest.approx(np.sort(x)[:100].mean())
        assert line.get_linestyle() == "--"
    texts = [t.get_text() for t in ax.get_legend().get_texts()]
    assert [t.split(" (")[0] for t in texts] == ["safe", "risky", "mid"]
    assert all("CVaR 10%" in t for t in texts)
    assert ax.get_xlabel().startswith("outcome") and ax.get_ylabel() == "density"
    assert fig is ax.figure


def test_from_compare_table_and_decisions(arms: dict[str, np.ndarray]) -> None:
    model = from_draws(arms)
    table = compare(model, {"neutral": Mean(), "cautious": CVaR(0.05)}, random_seed=0)
    _, ax = plot_outcomes(table, outcome=model)
    assert len(ax.patches) == 2
    assert ax.get_lines()[1].get_xdata()[0] == pytest.approx(np.sort(arms["safe"])[:50].mean())
    R = np.random.default_rng(1).normal([0.05, 0.02], [0.2, 0.05], size=(400, 2))
    d = optimize(linear(R), Mean(), Budget(1.0))
    _, ax = plot_outcomes({"decision": d, "raw": R[:, 1]})
    assert len(ax.get_lines()) == 2
    fig, given = plt.subplots()
    fig2, ax2 = plot_outcomes({"a": R[:, 0]}, ax=given)
    assert ax2 is given and fig2 is fig


def test_bad_input(arms: dict[str, np.ndarray]) -> None:
    with pytest.raises(DecideValueError, match=r"alpha must be in \(0, 1\); got 1.5"):
        plot_outcomes(arms, alpha=1.5)
    with pytest.raises(DecideTypeError, match=r"source must be a non-empty dict"):
        plot_outcomes({})
    with pytest.raises(DecideTypeError, match=r"ax must be a matplotlib Axes"):
        plot_outcomes(arms, ax="left")


def test_large_outcomes_read_with_thousands_separators() -> None:
    rng = np.random.default_rng(4)
    draws = {"plan": rng.normal(300_000.0, 10_000.0, 2000)}
    fig, ax = plot_outcomes(draws, alpha=0.05)
    fig.canvas.draw()
    y = np.sort(draws["plan"])
    expected = y[:100].mean()  # the worst 5% of 2000 draws
    (text,) = [t.get_text() for t in ax.get_legend().get_texts()]
    assert text == f"plan (CVaR 5% = {expected:,.0f})"
    ticks = [t.get_text() for t in ax.get_xticklabels() if t.get_text()]
    assert ticks and all("," in t for t in ticks)
