"""A plan for the next weeks on a PyMC model with carry-over (geometric adstock).

The model is fitted on 30 weeks (posterior from known draws); the new period's data
(3 weeks of history, a 4-week window, 5 weeks of carry-out) goes in through
``from_pymc(data=...)``; the likelihood has no ``shape=``. The expected plan comes
from the same model written in numpy, on a grid.
"""

from __future__ import annotations

import numpy as np
import pytest

pm = pytest.importorskip("pymc")
pt = pytest.importorskip("pytensor.tensor")

from decide.measures import Mean  # noqa: E402
from decide.optimization import optimize, plan_space  # noqa: E402
from decide.outcomes import from_pymc, plan  # noqa: E402

from .conftest import fingerprint  # noqa: E402

RNG = np.random.default_rng(7)
HIST = RNG.uniform(0.0, 3.0, size=(30, 2))
BETA = np.abs(RNG.normal([1.0, 1.4], 0.2, size=(40, 2)))
DECAY = np.clip(RNG.normal([0.7, 0.1], 0.05, size=(40, 2)), 0.0, 0.95)


def adstock_model() -> pm.Model:
    with pm.Model() as m:
        spend = pm.Data("spend", HIST)
        beta = pm.HalfNormal("beta", 1.0, shape=2)
        decay = pm.Beta("decay", 2.0, 2.0, shape=2)
        t = pt.arange(spend.shape[0])
        lag = t[:, None] - t[None, :]
        w = pt.switch(
            pt.ge(lag, 0)[..., None], decay[None, None, :] ** pt.maximum(lag, 0)[..., None], 0.0
        )
        ad = (w * spend[None, :, :]).sum(axis=1)
        mu = 1.0 + (beta * pt.log1p(ad)).sum(axis=1)
        pm.Normal("sales", mu, 0.5, observed=np.ones(30))  # no shape= tied to the data
    return m


def numpy_sales(x: np.ndarray) -> np.ndarray:
    """Expected total sales per draw for spend x (weeks, 2)."""
    T = x.shape[0]
    lag = np.arange(T)[:, None] - np.arange(T)[None, :]
    total = np.zeros(BETA.shape[0])
    for s in range(BETA.shape[0]):
        w = np.where(lag[..., None] >= 0, DECAY[s] ** np.maximum(lag, 0)[..., None], 0.0)
        ad = (w * x[None]).sum(axis=1)
        total[s] = (1.0 + (BETA[s] * np.log1p(ad)).sum(axis=1)).sum()
    return total


def test_weekly_plan_with_carry_in_and_out_equals_numpy_grid() -> None:
    m = adstock_model()
    before = fingerprint(m)
    new = np.zeros((12, 2))
    new[:3] = HIST[-3:]  # carry-in: the last three weeks actually spent
    om = from_pymc(m, {"beta": BETA, "decay": DECAY}, action="spend",
                   outcome=lambda v: v["sales"].sum(), data={"spend": new})
    np.testing.assert_allclose(om.draws(new), numpy_sales(new), rtol=1e-10)
    weekly = plan(om, window=slice(3, 7), flights="window")   # base: the data given
    d = optimize(weekly, Mean(), plan_space(weekly, total=8.0))
    best, arg = -np.inf, None
    for a in np.linspace(0.0, 2.0, 801):
        x = new.copy()
        x[3:7] = [a, 2.0 - a]
        v = numpy_sales(x).mean()
        if v > best:
            best, arg = v, a
    assert d.flat_action[0] == pytest.approx(arg, abs=5e-3)
    assert d.value == pytest.approx(best, rel=1e-6)
    full = weekly.full_action_flat(d.flat_action).reshape(12, 2)
    np.testing.assert_array_equal(full[:3], HIST[-3:])
    np.testing.assert_array_equal(full[7:], 0.0)
    assert fingerprint(m) == before
