"""Tests of decide/uncertainty/_evsi_continuous.py: regression and moment-matching EVSI on a space.

Expected values: closed forms of the normal-normal model, and a nested Monte
Carlo over conjugate posteriors written here in numpy.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.stats import norm

from decide.optimization import Box, Budget
from decide.outcomes import from_function, linear
from decide.uncertainty import Experiment, evsi

MU, TAU, SIGMA, S = 0.2, 1.0, 2.0, 2000


def stratified(seed: int, mu: float = MU, tau: float = TAU, size: int = S) -> np.ndarray:
    q = norm.ppf((np.arange(size) + 0.5) / size)
    return np.random.default_rng(seed).permutation(mu + tau * q)


def simulate(p, n, rng):
    return rng.normal(p["effect"][:, None], SIGMA, (p["effect"].shape[0], n))


def loglik(p, x):
    x = np.asarray(x)
    return norm.logpdf(x.mean(), p["effect"], SIGMA / np.sqrt(x.size))


def quadratic_outcome(effect):
    """U(x) = x * effect - x^2 / 2: after data the best x is E[effect | X]; EVSI = Var(m_n) / 2."""
    return from_function(lambda a, p: a * p["effect"] - a**2 / 2, {"effect": effect},
                         action_shape=(), conditional_mean=True)


def exact_quadratic(n: int) -> float:
    return TAU**2 * n * TAU**2 / (n * TAU**2 + SIGMA**2) / 2


@pytest.mark.parametrize(("method", "seed"), [("regression", 0), ("regression", 1), ("regression", 2),
                                              ("moment_matching", 0), ("moment_matching", 1)])
def test_quadratic_utility_on_a_box_matches_the_closed_form(method, seed):
    effect = stratified(seed)
    exp = Experiment(simulate, loglik=loglik, params=["effect"])
    sizes = [2, 16]
    res = evsi(quadratic_outcome(effect), experiment=exp, n=sizes, space=Box(-6.0, 6.0),
               method=method, n_candidates=10, n_refits=8, n_bootstrap=50, random_seed=seed)
    for n in sizes:
        se = res.standard_error[n]
        # a lower bound: the finite candidate set loses a little (<= 0.02 here), never gains
        # beyond the estimator's error
        assert exact_quadratic(n) - 0.02 - 3 * se <= res.value[n] <= exact_quadratic(n) + 3 * se + 0.01, (
            n, res.table)
        assert res.table.loc[n, "n_candidates"] >= 8
    assert np.isnan(res.evpi)


def conjugate_refit(x, n, rng):
    """Posterior of the effect given the prior N(MU, TAU^2) and the data x (1000 draws)."""
    prec = 1 / TAU**2 + n / SIGMA**2
    mean = (MU / TAU**2 + np.sum(x) / SIGMA**2) / prec
    return {"effect": rng.normal(mean, 1 / np.sqrt(prec), 1000)}


def test_moment_matching_with_refits_on_a_box():
    """The refitted posteriors re-evaluate the candidates through with_parameters."""
    effect = stratified(4)
    exp = Experiment(simulate, refit=conjugate_refit, params=["effect"])
    res = evsi(quadratic_outcome(effect), experiment=exp, n=[4], space=Box(-6.0, 6.0),
               method="moment_matching", n_candidates=8, n_refits=8, n_bootstrap=50, random_seed=4)
    se = res.standard_error[4]
    assert exact_quadratic(4) - 0.03 - 3 * se <= res.value[4] <= exact_quadratic(4) + 3 * se + 0.01, res.table


def test_more_candidates_do_not_move_the_estimate_beyond_its_error():
    effect = stratified(7)
    exp = Experiment(simulate, loglik=loglik, params=["effect"])
    out = quadratic_outcome(effect)
    few = evsi(out, experiment=exp, n=[8], space=Box(-6.0, 6.0), n_candidates=20,
               n_bootstrap=50, random_seed=7)
    many = evsi(out, experiment=exp, n=[8], space=Box(-6.0, 6.0), n_candidates=60,
                n_bootstrap=50, random_seed=7)
    assert abs(many.value[8] - few.value[8]) <= 2 * few.standard_error[8]
    assert abs(few.table.loc[8, "candidate_gap"]) <= 2 * few.standard_error[8] + 0.005


# -- a linear outcome on a Budget: three channels, the best vertex after the test ---------
MUS, TAUS, NOISE = np.array([1.0, 0.9, 0.8]), np.array([0.3, 0.3, 0.3]), 1.0
VERTICES = np.array(sorted(set(itertools.permutations([6.0, 4.0, 0.0]))))


def channel_draws(seed: int) -> np.ndarray:
    """Draws whose sample means and sds equal the prior's exactly (no Monte Carlo error there)."""
    z = np.random.default_rng(seed).standard_normal((S, 3))
    z = (z - z.mean(axis=0)) / z.std(axis=0)
    return MUS + TAUS * z


def simulate_channels(p, n, rng):
    th = p["theta"]
    return rng.normal(th[:, None, :], NOISE, (th.shape[0], n, 3))


def loglik_channels(p, x):
    m = np.asarray(x).mean(axis=0)
    n = np.asarray(x).shape[0]
    return norm.logpdf(m, p["theta"], NOISE / np.sqrt(n)).sum(axis=1)


def nested_budget(n: int, J: int = 400_000, seed: int = 99) -> float:
    """Nested Monte Carlo with the exact (conjugate) inner expectation, over the budget's vertices."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(MUS, TAUS, (J, 3))
    xbar = rng.normal(theta, NOISE / np.sqrt(n))
    prec = 1 / TAUS**2 + n / NOISE**2
    post_mean = (MUS / TAUS**2 + n * xbar / NOISE**2) / prec
    return float((post_mean @ VERTICES.T).max(axis=1).mean() - (MUS @ VERTICES.T).max())


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("method", ["regression", "moment_matching"])
def test_linear_outcome_on_a_budget_matches_nested_monte_carlo(method, seed):
    theta = channel_draws(seed)
    exp = Experiment(simulate_channels, loglik=loglik_channels, params=["theta"])
    sizes = [3, 12]
    res = evsi(linear(theta), experiment=exp, n=sizes, space=Budget(10.0, upper=6.0),
               posterior={"theta": theta}, method=method, n_candidates=10, n_refits=8,
               n_bootstrap=50, random_seed=seed)
    for n in sizes:
        ref = nested_budget(n)
        se = res.standard_error[n]
        slack = {"regression": 0.02, "moment_matching": 0.03}[method]
        assert abs(res.value[n] - ref) <= 3 * se + slack, (n, ref, res.table)
    # several of the six vertices are optimal after some test; the candidates find them
    assert res.table["n_candidates"].min() >= 4


def test_the_nested_estimator_agrees_on_the_budget():
    theta = channel_draws(5)
    exp = Experiment(simulate_channels, loglik=loglik_channels, params=["theta"])
    res = evsi(linear(theta), experiment=exp, n=[6], space=Budget(10.0, upper=6.0),
               posterior={"theta": theta}, method="nested", n_outer=150, random_seed=5)
    reg = evsi(linear(theta), experiment=exp, n=[6], space=Budget(10.0, upper=6.0),
               posterior={"theta": theta}, n_candidates=10, n_bootstrap=50, random_seed=5)
    ref = nested_budget(6)
    assert abs(res.value[6] - ref) <= 3 * res.standard_error[6] + 0.01
    assert abs(reg.value[6] - res.value[6]) <= 3 * (reg.standard_error[6] + res.standard_error[6]) + 0.02
