"""The newsvendor outcome and its per-store critical-fractile solution."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy import stats

from decide.errors import DecideValueError
from decide.many import newsvendor, optimize_many
from decide.measures import Mean
from decide.optimization import Box, optimize


def _demand(n_samples: int, seed: int = 0) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    shape = np.array([2.0, 4.0, 6.0, 3.0, 8.0])
    scale = np.array([30.0, 25.0, 10.0, 40.0, 12.0])
    return rng.gamma(shape, scale, size=(n_samples, 5)), shape, scale


PRICE = np.array([5.0, 6.0, 4.0, 10.0, 7.0])
COST = np.array([3.0, 2.0, 3.0, 4.0, 5.0])
SALVAGE = np.array([1.0, 0.0, 0.5, 2.0, 4.0])


def test_every_store_orders_its_critical_fractile():
    n = 20001
    demand, shape, scale = _demand(n)
    model = newsvendor(demand, PRICE, COST, SALVAGE, dim="store")
    table = optimize_many(model, Mean(), Box(0.0, 1e4), progress=False)
    assert table.attrs["paths"] == {"vectorized": 5, "loop": 0}
    fractile = (PRICE - COST) / (PRICE - SALVAGE)
    for j in range(5):
        # the exact sample optimum: the ceil(n * fractile)-th smallest draw
        k = int(np.ceil(n * fractile[j]))
        assert table.loc[j, "order"] == np.sort(demand[:, j])[k - 1]
        # the population critical fractile, within 5 standard errors of a sample quantile
        q = stats.gamma.ppf(fractile[j], shape[j], scale=scale[j])
        se = np.sqrt(fractile[j] * (1 - fractile[j]) / n) / stats.gamma.pdf(q, shape[j], scale=scale[j])
        assert abs(table.loc[j, "order"] - q) < 5 * se
        profit = PRICE[j] * np.minimum(table.loc[j, "order"], demand[:, j]) - COST[j] * table.loc[j, "order"]
        profit += SALVAGE[j] * np.maximum(table.loc[j, "order"] - demand[:, j], 0.0)
        assert table.loc[j, "score"] == pytest.approx(profit.mean(), rel=1e-12)


def test_loop_reaches_the_quantile_to_solver_tolerance():
    demand, _, _ = _demand(2001, seed=1)
    model = newsvendor(demand, PRICE, COST, SALVAGE, dim="store")
    fast = optimize_many(model, Mean(), Box(0.0, 1e4), progress=False)
    loop = optimize_many(
        model, Mean(), Box(0.0, 1e4), progress=False, vectorize=False, random_seed=0
    )
    assert loop.attrs["paths"] == {"vectorized": 0, "loop": 5}
    # SLSQP stops near the kink of a piecewise-linear objective: close, never better
    np.testing.assert_allclose(loop["order"], fast["order"], rtol=1e-3)
    np.testing.assert_allclose(loop["score"], fast["score"], rtol=1e-6)
    assert np.all(loop["score"] <= fast["score"] + 1e-9)  # the quantile is the exact optimum
    assert fast["method"].eq("quantile").all() and loop["method"].eq("scipy").all()


def test_box_clips_the_quantile():
    demand, _, _ = _demand(999, seed=2)
    model = newsvendor(demand, PRICE, COST, SALVAGE, dim="store")
    upper = np.quantile(demand, 0.1, axis=0)
    spaces = {j: Box(0.0, float(upper[j])) for j in range(5)}
    fast = optimize_many(model, Mean(), spaces, progress=False)
    np.testing.assert_array_equal(fast["order"].to_numpy(), upper)
    for j in (0, 3):
        d = optimize(model.unit(j), Mean(), spaces[j])
        assert d.flat_action[0] == pytest.approx(upper[j], rel=1e-6)


def test_profit_vjp_against_finite_differences():
    demand, _, _ = _demand(500, seed=3)
    model = newsvendor(demand, PRICE, COST, SALVAGE, dim="store")
    q = np.array([40.0, 90.0, 55.0, 100.0, 85.0])
    cot = np.full(500, 1.0 / 500)
    grad = model.vjp(q, cot)
    h = 1e-6
    for j in range(5):
        e = np.zeros(5)
        e[j] = h
        fd = (Mean()(model.draws(q + e)) - Mean()(model.draws(q - e))) / (2 * h)
        assert grad[j] == pytest.approx(fd, rel=1e-6)
    one = model.unit(1)
    assert one.vjp(q[1], cot)[0] == pytest.approx(grad[1], rel=1e-12)


def test_inputs_and_validation():
    demand, _, _ = _demand(50, seed=4)
    frame = pd.DataFrame(demand, columns=pd.Index(list("abcde"), name="store"))
    model = newsvendor(frame, 5.0, 3.0)
    assert model.unit_dim == "store" and model.action_space.labels[0] == "order[a]"
    da = xr.DataArray(demand.reshape(2, 25, 5), dims=("chain", "draw", "sku"))
    assert newsvendor(da, 5.0, 3.0).outcome_dims == ("sku",)
    single = newsvendor(demand[:, 0], 5.0, 3.0)
    assert single.action_space.shapes == ((),) and single.draws(10.0).shape == (50,)
    with pytest.raises(DecideValueError, match="salvage < cost < price"):
        newsvendor(demand, 5.0, 6.0)
    with pytest.raises(DecideValueError, match="one finite number per unit"):
        newsvendor(demand, [5.0, 6.0], 3.0)
