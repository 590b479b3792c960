"""Tests of decide/plots/_evsi.py: what the EVSI, ENBS and VOI-curve figures draw."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from decide.errors import DecideTypeError, DecideValueError
from decide.plots import plot_enbs, plot_evsi, plot_voi_curve
from decide.uncertainty import EVSI, enbs


def _evsi():
    n = [1, 5, 20, 80]
    table = pd.DataFrame({"evsi": [0.05, 0.2, 0.4, 0.5], "standard_error": [0.01] * 4},
                         index=pd.Index(n, name="n"))
    return EVSI(table=table, method="regression", evpi=0.7, evppi=0.55, best_action="a",
                experiment="trial", params=("a",), n_samples=100)


def test_plot_evsi_draws_the_curve_the_bounds_and_the_optimum():
    res = _evsi()
    best = enbs(res, fixed_cost=1.0, cost_per_unit=0.1, decisions_per_period=20, random_seed=0)
    _fig, ax = plot_evsi(res, enbs=best)
    labels = ax.get_legend_handles_labels()[1]
    assert labels == ["EVSI (regression)", "EVPPI", "EVPI", f"optimal n = {best.optimal_n}"]
    np.testing.assert_allclose(ax.lines[0].get_ydata(), res.value)
    assert ax.lines[1].get_ydata()[0] == 0.55 and ax.lines[2].get_ydata()[0] == 0.7
    assert ax.lines[3].get_xdata()[0] == best.optimal_n


def test_plot_enbs_marks_the_optimum_and_says_when_no_n_pays():
    best = enbs(_evsi(), fixed_cost=1.0, cost_per_unit=0.1, decisions_per_period=20, random_seed=0)
    expected = 20 * np.array([0.05, 0.2, 0.4, 0.5]) - (1.0 + 0.1 * np.array([1, 5, 20, 80]))
    _fig, ax = plot_enbs(best)
    np.testing.assert_allclose(ax.lines[0].get_ydata(), expected)
    star = ax.lines[-1]
    assert star.get_xdata()[0] == [1, 5, 20, 80][int(np.argmax(expected))]
    assert star.get_ydata()[0] == pytest.approx(expected.max())
    none = enbs(_evsi(), fixed_cost=100.0, random_seed=0)
    _fig, ax = plot_enbs(none)
    assert ax.get_title().startswith("no sample size beats not testing")
    assert "optimal" not in " ".join(ax.get_legend_handles_labels()[1])


def test_plot_voi_curve_one_line_per_value_column():
    t = pd.DataFrame({"evpi": [0.1, 0.3], "evpi_se": [0.01, 0.01], "evppi[a]": [0.05, 0.2]},
                     index=pd.Index([1.0, 2.0], name="risk aversion"))
    _fig, ax = plot_voi_curve(t)
    assert ax.get_legend_handles_labels()[1] == ["evpi", "evppi[a]"]
    assert ax.get_xlabel() == "risk aversion"
    np.testing.assert_allclose(ax.lines[1].get_ydata(), [0.05, 0.2])


def test_plot_bad_input():
    with pytest.raises(DecideTypeError, match="result must be an EVSI"):
        plot_evsi(pd.DataFrame())
    with pytest.raises(DecideTypeError, match="result must be an ENBS"):
        plot_enbs(_evsi())
    with pytest.raises(DecideValueError, match="at least one value column"):
        plot_voi_curve(pd.DataFrame({"evpi_se": [0.1]}))
