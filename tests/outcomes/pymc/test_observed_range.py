"""The observed range and the history cells of a PyMC outcome (decide/outcomes/pymc/_data.py).

A small MMM-like model (20 weeks x 2 channels, saturating response) with a posterior
from known draws. The expected ranges are numpy's min and max of the training spend
over the weeks; the planning window holds 3 carry-in weeks (training weeks), 4 new
weeks and 2 carry-out weeks, given either through ``from_pymc(data=...)`` or as a
window model built by hand the way pymc-marketing's ``create_optimization_model`` does
(a copy of the model with ``pm.set_data``, the training data only in the fit's
``constant_data``).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

pm = pytest.importorskip("pymc")

from decide.errors import DecideValueError, ExtrapolationWarning  # noqa: E402
from decide.measures import Mean  # noqa: E402
from decide.optimization import Box, Budget, optimize, plan_space  # noqa: E402
from decide.outcomes import from_pymc, plan  # noqa: E402

RNG = np.random.default_rng(11)
T, C = 20, 2
DATES = pd.date_range("2024-01-07", periods=T, freq="W-SUN")
X = RNG.uniform([2.0, 5.0], [6.0, 9.0], size=(T, C))
Y = RNG.normal(10.0, 1.0, size=T)
B = RNG.uniform(0.5, 1.5, size=(40, C))
WINDOW_DATES = DATES[-3:].append(pd.date_range(DATES[-1] + pd.Timedelta("7D"), periods=6, freq="W-SUN"))
XW = np.vstack([X[-3:], np.zeros((6, C))])  # 3 carry-in weeks, 4 decided, 2 carry-out


def mmm() -> pm.Model:
    with pm.Model(coords={"date": DATES, "channel": ["tv", "search"]}) as m:
        spend = pm.Data("spend", X, dims=("date", "channel"))
        target = pm.Data("target", Y, dims="date")
        b = pm.HalfNormal("b", 1.0, dims="channel")
        mu = pm.Deterministic("mu", (b * pm.math.log(1.0 + spend)).sum(axis=1), dims="date")
        pm.Normal("y", mu, 1.0, observed=target, dims="date")
    return m


def idata_with_training_data() -> object:
    """The fit's InferenceData / DataTree: posterior draws and the training data."""
    import arviz as az

    post = xr.Dataset(
        {"b": (("chain", "draw", "channel"), B.reshape(2, 20, C))}, coords={"channel": ["tv", "search"]}
    )
    const = xr.Dataset(
        {"spend": (("date", "channel"), X), "target": (("date",), Y)},
        coords={"date": DATES.values, "channel": ["tv", "search"]},
    )
    if int(az.__version__.split(".")[0]) < 1:
        return az.InferenceData(posterior=post, constant_data=const)
    return xr.DataTree.from_dict({"posterior": post, "constant_data": const})


def test_training_model_range_is_numpy_min_max_over_weeks_and_no_history() -> None:
    om = from_pymc(mmm(), {"b": B}, "spend", "mu", data={})
    rng = om.observed_range()
    assert rng is not None and rng.size == T * C
    np.testing.assert_allclose(rng.lower.reshape(T, C), np.broadcast_to(X.min(axis=0), (T, C)))
    np.testing.assert_allclose(rng.upper.reshape(T, C), np.broadcast_to(X.max(axis=0), (T, C)))
    assert om.history_flat() is None  # every period is a training period: no window


def test_window_through_data_uses_the_training_range_and_guards_history() -> None:
    om = from_pymc(mmm(), {"b": B}, "spend", "mu", data={"spend": XW, "target": np.zeros(9)},
                   coords={"date": WINDOW_DATES})
    rng = om.observed_range()
    # the range of the TRAINING weeks, not of the window's data (zeros after week 3)
    np.testing.assert_allclose(rng.lower.reshape(9, C), np.broadcast_to(X.min(axis=0), (9, C)))
    np.testing.assert_allclose(rng.upper.reshape(9, C), np.broadcast_to(X.max(axis=0), (9, C)))
    hist = om.history_flat().reshape(9, C)
    assert hist[:3].all() and not hist[3:].any()
    with pytest.raises(DecideValueError, match=r"6 history cells.*spend\[2024-05-05"):
        optimize(om, Mean(), Budget(40.0, upper=9.0))
    # the window only: history kept; a weekly budget beyond the data's maxima warns
    weekly = plan(om, window=slice(3, 7), flights="window")
    big = float(X.max(axis=0).sum()) + 2.0
    with pytest.warns(ExtrapolationWarning, match="OUTSIDE"):
        free = optimize(weekly, Mean(), plan_space(weekly, total=4 * big), random_seed=0)
    assert free.extrapolation.shape[0] == 4 * C  # the 4 window weeks x 2 channels
    # within the observed range: the same as the bounds written by hand on the weekly levels
    mid = float(((X.min(axis=0) + X.max(axis=0)) / 2).sum()) + 1.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept = optimize(weekly, Mean(), plan_space(weekly, total=4 * mid), random_seed=0,
                        within_observed=True)
        hand = optimize(weekly, Mean(), plan_space(weekly, total=4 * mid) & Box(X.min(axis=0), X.max(axis=0)),
                        random_seed=0)
    np.testing.assert_allclose(kept.flat_action, hand.flat_action, atol=1e-5)
    cells = weekly.full_action_flat(kept.flat_action).reshape(9, C)
    np.testing.assert_array_equal(cells[:3], X[-3:])  # history unchanged
    assert np.all(cells[3:7] >= X.min(axis=0) - 1e-7) and np.all(cells[3:7] <= X.max(axis=0) + 1e-7)


def test_hand_built_window_model_reads_the_fit_constant_data() -> None:
    """A window model as pymc-marketing builds it: a copy given the window with set_data."""
    from pymc.model.fgraph import clone_model

    window = clone_model(mmm())
    with window:
        pm.set_data({"spend": XW, "target": np.zeros(9)}, coords={"date": WINDOW_DATES})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # not taken for the fitted history
        om = from_pymc(window, idata_with_training_data(), "spend", "mu")
    rng = om.observed_range()
    np.testing.assert_allclose(rng.lower.reshape(9, C)[5], X.min(axis=0))
    np.testing.assert_allclose(rng.upper.reshape(9, C)[0], X.max(axis=0))
    hist = om.history_flat().reshape(9, C)
    assert hist[:3].all() and not hist[3:].any()
    with pytest.raises(DecideValueError, match="history cells"):
        optimize(om, Mean(), Budget(30.0, upper=9.0))
    # history and carry-out pinned by a Box: the guard applies to the 4 decided weeks only
    zeros = np.zeros((2, C))
    pinned = Box(np.vstack([X[-3:], np.zeros((4, C)), zeros]), np.vstack([X[-3:], np.full((4, C), 9.0), zeros]))
    lo, hi = X.min(axis=0), X.max(axis=0)
    budget = Budget(float(X[-3:].sum()) + 4 * float(((lo + hi) / 2).sum()) + 1.0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        d = optimize(om, Mean(), pinned & budget, within_observed=True)
        hand = optimize(om, Mean(), budget & Box(np.vstack([X[-3:], np.tile(lo, (4, 1)), zeros]),
                                                 np.vstack([X[-3:], np.tile(hi, (4, 1)), zeros])))
    np.testing.assert_allclose(d.flat_action, hand.flat_action, atol=1e-5)
    np.testing.assert_allclose(d.flat_action.reshape(9, C)[:3], X[-3:], atol=1e-7)
    assert d.extrapolation.shape[0] == 4 * C and not d.extrapolation["outside"].any()


def test_scalar_action_has_no_range() -> None:
    with pm.Model() as m:
        spend = pm.Data("spend", 1.0)
        beta = pm.Normal("beta", 1.0, 0.1)
        pm.Normal("sales", beta * pm.math.log(1 + spend), 1.0, observed=0.0)
    om = from_pymc(m, {"beta": np.array([0.9, 1.0, 1.1])}, action="spend", outcome="sales")
    assert om.observed_range() is None and om.history_flat() is None


def test_unnamed_data_recorded_by_pymc_is_reduced_over_the_observations() -> None:
    """pymc's own constant_data (prior predictive, no NUTS); price has no dims= of its own."""
    rng = np.random.default_rng(2)
    price = rng.uniform(5.0, 9.0, 30)
    with pm.Model() as m:
        p = pm.Data("price", price)
        a = pm.Normal("a", 3.0, 0.1)
        e = pm.Normal("e", -1.0, 0.1)
        mu = pm.Deterministic("mu", pm.math.exp(a + e * pm.math.log(p)))
        pm.Poisson("y", mu, observed=rng.poisson(3.0, 30))
        idata = pm.sample_prior_predictive(20, random_seed=1)
    om = from_pymc(m, idata, "price", "mu", group="prior", data={})
    rng_ = om.observed_range()
    np.testing.assert_allclose(rng_.lower, np.full(30, price.min()))
    np.testing.assert_allclose(rng_.upper, np.full(30, price.max()))
