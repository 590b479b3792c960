"""optimize_many over the store dim of a hierarchical PyMC model's outcome."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from decide.many import optimize_many
from decide.measures import Mean
from decide.optimization import Box, Discrete

pm = pytest.importorskip("pymc")

STORES = ["north", "south", "east"]


def _model_and_draws():
    coords = {"store": STORES}
    with pm.Model(coords=coords) as model:
        price = pm.Data("price", np.full(3, 2.0), dims="store")
        mu_a = pm.Normal("mu_a", 10.0, 1.0)
        a = pm.Normal("a", mu_a, 1.0, dims="store")
        b = pm.HalfNormal("b", 2.0, dims="store")
        demand = pm.Deterministic("demand", a - b * price, dims="store")
        pm.Deterministic("revenue", price * demand, dims="store")
    rng = np.random.default_rng(0)
    draws = {
        "mu_a": rng.normal(10.0, 0.1, size=400),
        "a": rng.normal([10.0, 12.0, 8.0], 0.5, size=(400, 3)),
        "b": np.abs(rng.normal([1.0, 2.0, 0.5], 0.1, size=(400, 3))),
    }
    return model, draws


def test_store_dim_of_a_pymc_outcome_is_decided_per_store():
    from decide.outcomes import from_pymc

    model, draws = _model_and_draws()
    outcome = from_pymc(model, draws, action="price", outcome="revenue")
    assert outcome.outcome_dims == ("store",)
    grid = Discrete(np.linspace(1.0, 10.0, 19)[:, None])
    fast = optimize_many(outcome, Mean(), grid, over="store", progress=False)
    loop = optimize_many(outcome, Mean(), grid, over="store", progress=False, vectorize=False)
    assert list(fast.index) == STORES and fast.attrs["paths"]["vectorized"] == 3
    pd.testing.assert_frame_equal(fast, loop)
    # independent: E[revenue] = p * (a - b p) averaged over the draws, per store
    prices = np.linspace(1.0, 10.0, 19)
    for j, store in enumerate(STORES):
        revenue = [np.mean(p * (draws["a"][:, j] - draws["b"][:, j] * p)) for p in prices]
        assert fast.loc[store, "price"] == prices[int(np.argmax(revenue))]
        assert fast.loc[store, "score"] == pytest.approx(max(revenue), rel=1e-9)
    # continuous: the gradient flows through the store's slice; optimum a / (2 b) on average
    cont = optimize_many(outcome, Mean(), Box(0.5, 20.0), over="store", progress=False, random_seed=0)
    best = draws["a"].mean(axis=0) / (2 * draws["b"].mean(axis=0))
    np.testing.assert_allclose(cont["price"].to_numpy(float), best, rtol=1e-4)
    assert cont["converged"].all()


def test_units_of_a_pymc_outcome_are_solved_jointly_as_the_newsvendor_quantile():
    """All stores in one problem (one graph call per step); orders = numpy critical fractile."""
    from decide.outcomes import from_pymc

    n_units, n = 6, 400
    stores = [f"s{i}" for i in range(n_units)]
    with pm.Model(coords={"store": stores}) as model:
        q = pm.Data("q", np.full(n_units, 10.0), dims="store")
        mu = pm.Normal("mu", 50.0, 10.0, dims="store")
        sd = pm.HalfNormal("sd", 10.0, dims="store")
        demand = pm.Normal("demand", mu, sd, dims="store")  # a forecast variable
        pm.Deterministic("profit", 5.0 * pm.math.minimum(q, demand) - 3.0 * q, dims="store")
    rng = np.random.default_rng(1)
    draws = {"mu": rng.normal(np.linspace(30, 80, n_units), 2.0, size=(n, n_units)),
             "sd": rng.gamma(50.0, 0.2, size=(n, n_units))}
    om = from_pymc(model, draws, action="q", outcome="profit", mode="crn", random_seed=2)
    cap = np.linspace(60.0, 100.0, n_units)  # a per-store upper bound in the shared Box
    table = optimize_many(om, Mean(), Box(0.0, cap), progress=False, random_seed=0)
    assert table.attrs["paths"] == {"vectorized": n_units, "loop": 0}
    assert table["method"].str.startswith("joint").all() and table["converged"].all()
    # independent: the demand draws the model uses, then the critical fractile (5-3)/5 in numpy
    dem = (om.sample(np.full(n_units, 1e6)) + 3.0e6) / 5.0
    best = np.minimum(np.quantile(dem, 0.4, axis=0, method="inverted_cdf"), cap)
    score = (5.0 * np.minimum(best, dem) - 3.0 * best).mean(0)
    np.testing.assert_allclose(table["score"].to_numpy(float), score, rtol=1e-6)
    got = table["q"].to_numpy(float)
    np.testing.assert_allclose(got, best, rtol=2e-2)
    assert np.all(got <= cap + 1e-9)
