"""optimize() on a from_pymc outcome: the newsvendor on a Poisson-Gamma demand model."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from decide.measures import Mean
from decide.optimization import Box, Integer, optimize

pm = pytest.importorskip("pymc")
pt = pytest.importorskip("pytensor.tensor")

PRICE, COST = 5.0, 3.0


@pytest.mark.slow
def test_newsvendor_critical_fractile_from_pymc():
    """Order = critical fractile of the negative-binomial predictive demand."""
    from scipy import stats

    from decide.outcomes import from_pymc

    hist = np.random.default_rng(0).poisson(40.0, size=12)
    a0, b0 = 2.0, 0.05
    a_post, b_post = a0 + hist.sum(), b0 + hist.size  # conjugate Gamma posterior of the rate
    rate = np.random.default_rng(1).gamma(a_post, 1.0 / b_post, size=2000)
    with pm.Model() as model:
        q = pm.Data("q", np.array([10.0]))
        lam = pm.Gamma("rate", a0, b0)
        demand = pm.Poisson("demand", lam, observed=np.zeros(1))
        pm.Deterministic("profit", PRICE * pt.minimum(q, demand) - COST * q)
    with warnings.catch_warnings():
        # the plug-in conditional mean is not exact here; we use the crn draws, not it
        warnings.filterwarnings("ignore", message="the outcome is not affine", category=UserWarning)
        outcome = from_pymc(model, {"rate": rate}, action="q", outcome="profit", mode="crn",
                            n_replicates=20, random_seed=3)
    d = optimize(outcome, Mean(), Integer(Box(0, 150)), random_seed=0)
    order = float(d.flat_action[0])
    fractile = (PRICE - COST) / PRICE
    predictive = stats.nbinom(a_post, b_post / (b_post + 1.0))  # Poisson-Gamma mixture
    assert abs(order - predictive.ppf(fractile)) <= 1.0
    # brute force over every integer order on the same draws
    scores = [Mean()(outcome.draws([float(k)])) for k in range(151)]
    assert order == float(np.argmax(scores))
    assert d.value == pytest.approx(max(scores))
