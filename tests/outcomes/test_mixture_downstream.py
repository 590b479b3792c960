"""Everything downstream takes a mixture: optimize, evpi, evppi and compare, checked by hand.

The expected values come from the candidate models and their weights (weighted sums and
programs written here), not from the pooled representation the mixture uses.
"""

from __future__ import annotations

import cvxpy as cp
import numpy as np
import pytest
from scipy.optimize import minimize_scalar

from decide.measures import CVaR, Mean
from decide.optimization import Budget, optimize
from decide.outcomes import from_draws, from_function, linear, mixture
from decide.policies import compare
from decide.uncertainty import evpi, evppi

W = {"a": 0.25, "b": 0.75}


def _scen(seed, n=400):
    rng = np.random.default_rng(seed)
    return rng.normal([0.08, 0.03], [0.3, 0.05], (n, 2)), rng.normal([0.01, 0.04], [0.1, 0.2], (n, 2))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_optimize_cvar_on_a_mixture_is_the_weighted_scenario_program(seed):
    Ra, Rb = _scen(seed)
    mix = mixture({"a": linear(Ra), "b": linear(Rb)}, weights=W)
    d = optimize(mix, CVaR(0.1), Budget(1.0))
    assert d.method == "cvxpy" and d.converged
    # CVaR of the weighted scenarios (each row of a weighs 0.25 / n, of b 0.75 / n)
    R = np.vstack([Ra, Rb])
    p = np.concatenate([np.full(len(Ra), W["a"] / len(Ra)), np.full(len(Rb), W["b"] / len(Rb))])
    x, t = cp.Variable(2, nonneg=True), cp.Variable()
    prob = cp.Problem(cp.Maximize(t - p @ cp.pos(t - R @ x) / 0.1), [cp.sum(x) == 1])
    prob.solve(solver="CLARABEL")
    assert d.value == pytest.approx(prob.value, abs=1e-7)
    np.testing.assert_allclose(d.flat_action, x.value, atol=1e-5)


def test_optimize_nonlinear_mixture_by_scipy_against_a_scan():
    rng = np.random.default_rng(3)

    def make(beta):
        p = {"beta": np.abs(rng.normal(beta, 0.2, size=(200, 2)))}
        return from_function(lambda x, p: (p["beta"] * np.log1p(x)).sum(-1), p, action_shape=2)

    a, b = make([2.0, 0.5]), make([0.4, 1.5])
    mix = mixture({"a": a, "b": b}, weights=W)
    d = optimize(mix, Mean(), Budget(3.0, equality=True), random_seed=0)
    assert d.method == "scipy" and d.converged

    def value(s):
        x = np.array([s, 3.0 - s])
        return W["a"] * a.draws(x).mean() + W["b"] * b.draws(x).mean()

    ref = minimize_scalar(lambda s: -value(s), bounds=(0, 3), method="bounded", options={"xatol": 1e-10})
    assert d.value == pytest.approx(-ref.fun, rel=1e-8)
    assert d.flat_action[0] == pytest.approx(ref.x, abs=1e-4)


def _arms(seed, n=500):
    rng = np.random.default_rng(seed)
    a = {"A": rng.normal(1.0, 0.5, n), "B": rng.normal(0.8, 0.5, n), "C": rng.normal(0.0, 0.1, n)}
    b = {"A": rng.normal(-0.5, 0.5, n), "B": rng.normal(0.6, 0.5, n), "C": rng.normal(0.0, 0.1, n)}
    return a, b


def test_evpi_and_evppi_of_the_model_on_a_mixture():
    a, b = _arms(0)
    mix = mixture({"a": from_draws(a, conditional_mean=True), "b": from_draws(b, conditional_mean=True)},
                  weights=W)
    labels = ["A", "B", "C"]
    Ua, Ub = np.column_stack([a[k] for k in labels]), np.column_stack([b[k] for k in labels])
    mean = W["a"] * Ua.mean(0) + W["b"] * Ub.mean(0)
    perfect = W["a"] * Ua.max(1).mean() + W["b"] * Ub.max(1).mean()
    result = evpi(mix)
    assert result.best_action == labels[int(np.argmax(mean))]
    assert float(result) == pytest.approx(perfect - mean.max(), rel=1e-12)
    np.testing.assert_allclose(result.expected_utility.to_numpy(), mean, rtol=1e-12)
    # learning only which model is right: E_m[max_a E[U | m]] - max_a E[U]
    model_info = W["a"] * Ua.mean(0).max() + W["b"] * Ub.mean(0).max() - mean.max()
    part = evppi(mix, params=["model"], method="gbm", random_seed=0)
    assert float(part) == pytest.approx(model_info, abs=0.02 * model_info)


def test_compare_on_a_mixture():
    Ra, Rb = _scen(4)
    mix = mixture({"a": linear(Ra), "b": linear(Rb)}, weights=W)
    fixed = np.array([0.5, 0.5])
    table = compare(mix, {"neutral": Mean(), "cautious": CVaR(0.1), "split": fixed},
                    space=Budget(1.0), random_seed=0)
    # on all draws the fixed split's mean is the weighted mean of the models
    expected = W["a"] * (Ra @ fixed).mean() + W["b"] * (Rb @ fixed).mean()
    assert table.loc["split", "mean_all"] == pytest.approx(expected, rel=1e-12)
    held = table.attrs["held_out"]
    assert table.loc["split", "mean"] == pytest.approx(mix.draws(fixed)[held].mean(), rel=1e-12)
    assert table["converged"].all()
