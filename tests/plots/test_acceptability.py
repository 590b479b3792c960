"""Tests of decide.plots.plot_acceptability."""

from __future__ import annotations

import numpy as np
import pytest

from decide.errors import DecideValueError
from decide.plots import plot_acceptability
from decide.policies import acceptability


@pytest.fixture(scope="module")
def draws() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    theta = rng.normal(0.0, 0.2, size=(300, 1))
    return {"safe": 1.0 + theta + rng.normal(0, 0.1, (300, 30)),
            "risky": 1.2 - theta + rng.normal(0, 1.0, (300, 30))}


def test_one_curve_per_action(draws: dict[str, np.ndarray]) -> None:
    levels = np.linspace(0, 3, 7)
    curve = acceptability(draws, risk_aversions=levels)
    _, ax = plot_acceptability(curve)
    lines = ax.get_lines()
    assert len(lines) == 2
    for line, col in zip(lines, curve.columns):
        np.testing.assert_allclose(line.get_xdata(), levels)
        np.testing.assert_allclose(line.get_ydata(), curve[col])
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["safe", "risky"]
    assert ax.get_ylabel() == "probability best" and "relative" in ax.get_xlabel()
    lo, hi = ax.get_ylim()
    assert lo <= 0 and hi >= 1


def test_computes_the_curve_when_given_draws(draws: dict[str, np.ndarray]) -> None:
    _, ax = plot_acceptability(draws, risk_aversions=[0.0, 1.0], relative=False)
    expected = acceptability(draws, risk_aversions=[0.0, 1.0], relative=False)
    np.testing.assert_allclose(ax.get_lines()[1].get_ydata(), expected["risky"])
    assert ax.get_xlabel() == "CARA risk aversion a"
    with pytest.raises(DecideValueError, match=r"replicates"):
        plot_acceptability({k: v[:, 0] for k, v in draws.items()})


def test_a_flat_curve_says_why_in_the_title() -> None:
    rng = np.random.default_rng(1)
    theta = rng.normal(0.0, 0.3, size=(200, 1))
    noise = rng.normal(0.0, 1.0, size=(200, 20))
    flat = acceptability({"a": theta + noise, "b": 0.1 - theta + noise}, risk_aversions=[0, 2, 4])
    _, ax = plot_acceptability(flat)
    title = ax.get_title().replace("\n", " ")
    assert title.startswith("Acceptability curves are flat:")
    assert "additive and common to all actions" in title


def test_no_flat_title_when_the_ranking_changes(draws: dict[str, np.ndarray]) -> None:
    curve = acceptability(draws, risk_aversions=np.linspace(0, 3, 7))
    assert not curve.attrs["flat"]
    _, ax = plot_acceptability(curve)
    assert ax.get_title() == "Acceptability curves"
