"""The Decision object: action naming, summary and repr."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from decide.measures import CVaR, Mean
from decide.optimization import Budget, optimize
from decide.outcomes import linear


def _decision():
    R = pd.DataFrame(
        np.random.default_rng(4).normal([0.06, 0.02], [0.25, 0.04], size=(2000, 2)),
        columns=pd.Index(["stocks", "bonds"], name="asset"),
    )
    return optimize(linear(R, names="weight"), CVaR(0.1), Budget(1.0)), R.to_numpy()


def test_action_is_named_like_the_action_space():
    d, _ = _decision()
    assert isinstance(d.action, xr.DataArray) and d.action.name == "weight"
    assert d.action.dims == ("asset",)
    assert list(d.action.asset.values) == ["stocks", "bonds"]
    np.testing.assert_array_equal(d.action.values, d.flat_action)


def test_summary_against_numpy():
    d, R = _decision()
    y = R @ d.flat_action
    np.testing.assert_allclose(d.draws, y)
    s = d.summary()
    assert s.shape[0] == 1 and s.index[0] == "decision"
    row = s.iloc[0]
    srt = np.sort(y)
    np.testing.assert_allclose(row["mean"], y.mean())
    np.testing.assert_allclose(row["sd"], y.std())
    np.testing.assert_allclose(row[["q5", "q25", "q50", "q75", "q95"]].to_numpy(float),
                               np.quantile(y, [0.05, 0.25, 0.5, 0.75, 0.95]))
    np.testing.assert_allclose(row["cvar_5"], srt[:100].mean())  # worst 5% of 2000 draws
    np.testing.assert_allclose(row["cvar_10"], srt[:200].mean())
    np.testing.assert_allclose(row["value"], srt[:200].mean(), rtol=1e-9)
    np.testing.assert_allclose(row["prob_loss"], np.mean(y < 0))
    assert bool(row["converged"]) is True


def test_repr_and_diagnostics():
    d, _ = _decision()
    text = repr(d)
    assert "weight[stocks]=" in text and "weight[bonds]=" in text and "CLARABEL" in text
    assert d.diagnostics.converged and d.diagnostics.wall_time > 0
    assert d.diagnostics.solver == "CLARABEL" and d.diagnostics.status == "optimal"
    assert d.objective == CVaR(0.1) and d.method == "cvxpy"
    assert Mean()(d.draws) == d.summary()["mean"].iloc[0]
