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
