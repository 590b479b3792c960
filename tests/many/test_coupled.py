"""One budget shared by all stores is one problem: optimize over the stacked action."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from decide.many import optimize_many
from decide.measures import CVaR, Mean
from decide.optimization import Budget, optimize
from decide.outcomes import linear

STORES, CHANNELS = ("north", "south", "east"), ("tv", "search")


def _returns(n_samples: int = 200) -> np.ndarray:
    """Return per unit of spend, one column per (store, channel), store-major."""
    rng = np.random.default_rng(0)
    mu = np.array([0.30, 0.12, 0.05, 0.20, 0.25, 0.08])
    sd = np.array([0.40, 0.05, 0.05, 0.20, 0.30, 0.05])
    return rng.normal(mu, sd, size=(n_samples, 6))


def _stacked(R: np.ndarray):
    labels = [f"{s}/{c}" for s in STORES for c in CHANNELS]
    return linear(R, dim="slot", coords=labels)


def test_shared_budget_mean_matches_linprog():
    R = _returns()
    decision = optimize(_stacked(R), Mean(), Budget(10.0, upper=4.0))
    res = linprog(-R.mean(axis=0), A_eq=np.ones((1, 6)), b_eq=[10.0], bounds=[(0.0, 4.0)] * 6, method="highs")
    np.testing.assert_allclose(decision.flat_action, res.x, atol=1e-6)
    per_store = decision.flat_action.reshape(len(STORES), len(CHANNELS)).sum(axis=1)
    assert per_store.sum() == pytest.approx(10.0)
    assert decision.action.sel(slot="north/tv") == pytest.approx(4.0, abs=1e-6)


def test_shared_budget_cvar_matches_the_rockafellar_uryasev_lp():
    R = _returns()
    n, alpha = R.shape[0], 0.1
    decision = optimize(_stacked(R), CVaR(alpha), Budget(10.0, upper=4.0))
    # variables (x[6], t, u[n]): maximize t - sum(u) / (alpha n), u >= t - R x, u >= 0
    c = np.concatenate([np.zeros(6), [-1.0], np.full(n, 1.0 / (alpha * n))])
    A_ub = np.hstack([-R, np.ones((n, 1)), -np.eye(n)])
    A_eq = np.concatenate([np.ones(6), [0.0], np.zeros(n)])[None, :]
    bounds = [(0.0, 4.0)] * 6 + [(None, None)] + [(0.0, None)] * n
    res = linprog(c, A_ub=A_ub, b_ub=np.zeros(n), A_eq=A_eq, b_eq=[10.0], bounds=bounds, method="highs")
    assert decision.value == pytest.approx(-res.fun, rel=1e-6)
    assert decision.flat_action.sum() == pytest.approx(10.0)


def test_coupling_beats_fixed_per_store_budgets():
    R = _returns()
    coupled = optimize(_stacked(R), Mean(), Budget(10.0, upper=4.0))
    models = {s: linear(R[:, 2 * i : 2 * i + 2]) for i, s in enumerate(STORES)}
    split = optimize_many(models, Mean(), Budget(10.0 / 3, upper=4.0), over="store", progress=False)
    assert split["score"].sum() < coupled.value - 1e-6
