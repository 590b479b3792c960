"""UnitOutcome: one unit's slice of an outcome model with a unit dim."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from decide.errors import DecideValueError
from decide.many import UnitOutcome, optimize_many, unit_outcomes
from decide.measures import Mean
from decide.optimization import Box, Discrete
from decide.outcomes import from_function

RNG = np.random.default_rng(0)
ELASTICITY = RNG.uniform(1.0, 2.0, size=(300, 3))  # posterior draws per store
NOISE = RNG.normal(0.0, 0.1, size=(300, 3, 4))  # per store and day


def _revenue(price, p):
    # price: (store,), outcome (sample, store, day): revenue per store and day
    demand = 100.0 * price[None, :] ** (-p["e"])
    return (price[None, :] * demand)[:, :, None] * (1.0 + p["z"])


def _jac(price, p):
    # d revenue[s, j, d] / d price[k] is nonzero only for k == j
    g = 100.0 * (1.0 - p["e"]) * price[None, :] ** (-p["e"])
    out = np.zeros((300, 3, 4, 3))
    for j in range(3):
        out[:, j, :, j] = g[:, j, None] * (1.0 + p["z"][:, j, :])
    return out


@pytest.mark.parametrize("reduce", ["sum", "mean"])
def test_unit_slice_and_gradient_match_the_per_store_model(reduce):
    parent = from_function(
        _revenue, {"e": ELASTICITY, "z": NOISE}, action_shape=3, dims="store",
        coords={"store": ["a", "b", "c"]}, outcome_dims=("store", "day"), jac=_jac, reduce=reduce,
    )
    fn = np.sum if reduce == "sum" else np.mean
    for j in range(3):
        unit = UnitOutcome(parent, "store", j, 3)
        assert unit.action_space.shapes == ((),) and unit.has_vjp
        price = 1.7
        direct = 100.0 * price ** (1.0 - ELASTICITY[:, j])
        expect = fn(direct[:, None] * (1.0 + NOISE[:, j, :]), axis=1)
        np.testing.assert_allclose(unit.draws(price), expect, rtol=1e-12)
        cot = RNG.normal(size=300)
        h = 1e-6
        fd = cot @ (unit.draws(price + h) - unit.draws(price - h)) / (2 * h)
        assert unit.vjp(price, cot)[0] == pytest.approx(fd, rel=1e-6)


def test_parent_with_sliced_action_matches_loop_and_labels():
    parent = from_function(
        _revenue, {"e": ELASTICITY, "z": NOISE}, action_shape=3, dims="store",
        coords={"store": ["a", "b", "c"]}, outcome_dims=("store", "day"), jac=_jac,
    )
    grid = Discrete(np.array([[1.0], [1.5], [2.0], [3.0]]))
    fast = optimize_many(parent, Mean(), grid, over="store", progress=False)
    loop = optimize_many(parent, Mean(), grid, over="store", progress=False, vectorize=False)
    assert list(fast.index) == ["a", "b", "c"] and fast.attrs["paths"]["vectorized"] == 3
    pd.testing.assert_frame_equal(fast, loop)
    cont = optimize_many(parent, Mean(), Box(1.0, 3.0), over="store", progress=False, random_seed=0)
    models = unit_outcomes(parent, "store")
    for store, model in models.items():
        scores = [Mean()(model.draws(p)) for p in (1.0, 1.5, 2.0, 3.0)]
        assert fast.loc[store, "score"] == max(scores)
        assert cont.loc[store, "score"] >= max(scores) - 1e-9


def test_unit_without_the_dim_is_rejected():
    parent = from_function(lambda q, p: p["d"] * q, {"d": np.ones((5, 2))}, action_shape=(), outcome_dims=("store",))
    with pytest.raises(DecideValueError, match="'region' must be a dim of the outcome"):
        UnitOutcome(parent, "region", 0, 2)
    with pytest.raises(DecideValueError, match=r"index must be in \[0, 2\)"):
        UnitOutcome(parent, "store", 2, 2)
    bad = from_function(
        lambda q, p: p["d"] * q, {"d": np.ones((5, 2))}, action_shape=3, dims="store", outcome_dims=("store",)
    )
    with pytest.raises(DecideValueError, match="length 3 along 'store'"):
        UnitOutcome(bad, "store", 0, 2)
