"""Tests of decide/uncertainty/_evsi.py and _evsi_methods.py against the normal-normal closed form.

A normal prior on an effect, normal data with known noise and two actions with a
linear payoff (treat: effect, wait: 0): the preposterior mean is normal with a known
variance, so EVSI(n) = E[max(m_n, 0)] - max(mu, 0) in closed form.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from decide.errors import DecideTypeError, DecideValueError
from decide.measures import CVaR
from decide.optimization import Box
from decide.outcomes import from_draws, from_function
from decide.uncertainty import Experiment, evpi, evppi, evsi

MU, TAU, SIGMA, S = 0.2, 1.0, 2.0, 4000


def expected_positive_part(m: float, s: float) -> float:
    """E[max(Z, 0)] for Z ~ N(m, s^2)."""
    return m * norm.cdf(m / s) + s * norm.pdf(m / s)


def exact_evsi(n: int, mu: float = MU, tau: float = TAU, sigma: float = SIGMA) -> float:
    v = tau**2 * n * tau**2 / (n * tau**2 + sigma**2)  # variance of the preposterior mean
    return expected_positive_part(mu, np.sqrt(v)) - max(mu, 0.0)


def stratified_effect(seed: int, mu: float = MU, tau: float = TAU) -> np.ndarray:
    """Posterior draws at the normal quantiles (no Monte Carlo error in the moments), shuffled."""
    q = norm.ppf((np.arange(S) + 0.5) / S)
    return np.random.default_rng(seed).permutation(mu + tau * q)


def simulate(p, n, rng):
    return rng.normal(p["effect"][:, None], SIGMA, (p["effect"].shape[0], n))


def loglik(p, x):
    """Log-likelihood of the unit data x up to a constant: through their mean (sufficient)."""
    x = np.asarray(x)
    return norm.logpdf(x.mean(), p["effect"], SIGMA / np.sqrt(x.size))


def conjugate_refit(x, n, rng):
    """Posterior of the effect given the prior N(MU, TAU^2) and the data x (2000 draws)."""
    prec = 1 / TAU**2 + n / SIGMA**2
    mean = (MU / TAU**2 + np.sum(x) / SIGMA**2) / prec
    return {"effect": rng.normal(mean, 1 / np.sqrt(prec), 2000)}


def treat_outcome(effect):
    return from_function(
        lambda a, p: a * p["effect"], {"effect": effect}, action_shape=(), conditional_mean=True
    )


ACTIONS = {"treat": 1.0, "wait": 0.0}


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("method", ["regression", "moment_matching", "nested"])
def test_each_method_matches_the_closed_form(method, seed):
    effect = stratified_effect(seed)
    draws = pd.DataFrame({"treat": effect, "wait": np.zeros(S)})
    exp = Experiment(simulate, loglik=loglik, params=["effect"])
    sizes = [1, 4, 16, 64]
    res = evsi(draws, experiment=exp, n=sizes, posterior={"effect": effect}, method=method,
               n_outer=400, random_seed=seed)
    for n in sizes:
        se = res.standard_error[n]
        # regression and moment matching carry a small smoothing bias beyond their SE
        slack = {"regression": 0.01, "moment_matching": 0.01, "nested": 0.0}[method]
        assert abs(res.value[n] - exact_evsi(n)) <= 3 * se + slack, (n, res.table)
    assert res.evpi == pytest.approx(expected_positive_part(MU, TAU) - MU, abs=2e-3)


def test_nested_with_a_conjugate_refit_matches_the_closed_form():
    effect = stratified_effect(3)
    exp = Experiment(simulate, refit=conjugate_refit, params=["effect"])
    res = evsi(treat_outcome(effect), ACTIONS, exp, n=[2, 20], method="nested", n_outer=150,
               random_seed=3)
    for n in (2, 20):
        assert abs(res.value[n] - exact_evsi(n)) <= 3 * res.standard_error[n] + 0.005
    mm = evsi(treat_outcome(effect), ACTIONS, exp, n=[2, 20], method="moment_matching",
              n_refits=10, random_seed=3)
    for n in (2, 20):
        assert abs(mm.value[n] - exact_evsi(n)) <= 3 * mm.standard_error[n] + 0.01


def test_risk_objective_shifts_the_payoff_by_the_cvar_of_the_noise():
    """With replicates effect + e (e on a fixed quantile grid), CVaR per draw = effect + c."""
    effect = stratified_effect(4)
    R = 200
    e = norm.ppf((np.arange(R) + 0.5) / R)
    c = np.sort(e)[: R // 10].mean()  # CVaR(0.1) of the grid: mean of its worst 10%
    draws = {"treat": effect[:, None] + e[None, :], "wait": np.zeros((S, R))}
    exp = Experiment(simulate, loglik=loglik, params=["effect"])
    res = evsi(draws, experiment=exp, n=[4, 32], objective=CVaR(0.1), posterior={"effect": effect},
               method="nested", n_outer=400, random_seed=4)
    for n in (4, 32):
        assert abs(res.value[n] - exact_evsi(n, mu=MU + c)) <= 3 * res.standard_error[n]
    neutral = exact_evsi(32)
    assert exact_evsi(32, mu=MU + c) != pytest.approx(neutral, abs=0.01)  # the risk matters


def test_continuous_space_reoptimizes_per_dataset():
    """U(x) = x * effect - x^2 / 2: the best x after data is E[effect | X], so EVSI = Var(m_n) / 2."""
    effect = stratified_effect(5)
    out = from_function(lambda a, p: a * p["effect"] - a**2 / 2, {"effect": effect},
                        action_shape=(), conditional_mean=True)
    exp = Experiment(simulate, loglik=loglik, params=["effect"])
    res = evsi(out, experiment=exp, n=[8], space=Box(-6.0, 6.0), method="nested", n_outer=60,
               random_seed=5)
    v = TAU**2 * 8 * TAU**2 / (8 * TAU**2 + SIGMA**2)
    assert abs(res.value[8] - v / 2) <= 3 * res.standard_error[8] + 0.005
    assert np.isnan(res.evpi)


def mean_of_n(p, n, rng, noise=20.0):
    """The sufficient statistic of n unit observations of noise sd 20: their mean (and n)."""
    m = p["effect"].size
    return {"mean": rng.normal(p["effect"], noise / np.sqrt(n)), "n": np.full(m, n)}


def mean_loglik(p, x, noise=20.0):
    return norm.logpdf(x["mean"], p["effect"], noise / np.sqrt(x["n"]))


@pytest.mark.parametrize("seed", [0, 1])
def test_laws_bounds_monotone_and_limits(seed):
    """0 <= EVSI(n) <= EVPPI(a) <= EVPI, increasing in n, ~0 for tiny n, -> EVPPI for large n."""
    rng = np.random.default_rng(seed)
    a, b = stratified_effect(seed), rng.normal(0.0, 0.7, S)
    draws = pd.DataFrame({"treat": a + b, "wait": np.zeros(S)})
    post = {"effect": a, "b": b}
    noisy = Experiment(mean_of_n, loglik=mean_loglik, summary=lambda d: d["mean"], params=["effect"])
    res = evsi(draws, experiment=noisy, n=[1, 40, 400, 4000, 40000], posterior=post,
               method="nested", n_outer=300, random_seed=seed)
    full = evpi(draws).value
    part = evppi(draws, params=["effect"], posterior=post, random_seed=seed)
    assert part.value < full - 0.05
    assert res.evpi == pytest.approx(full)
    assert res.evppi == pytest.approx(part.value, abs=3 * part.standard_error + 1e-3)
    v, se = res.value.to_numpy(), res.standard_error.to_numpy()
    assert np.all(v >= 0)
    assert np.all(v <= res.evppi + 3 * se + 0.01)
    assert np.all(np.diff(v) >= -3 * np.hypot(se[1:], se[:-1]))
    assert v[0] < 0.01  # n = 1 at noise 20 barely moves the posterior (exact value ~0.003)
    assert abs(v[-1] - part.value) <= 3 * (se[-1] + part.standard_error) + 0.01


def test_regression_reuses_an_outcome_models_own_parameters():
    effect = stratified_effect(6)
    exp = Experiment(simulate, params="effect")
    res = evsi(treat_outcome(effect), ACTIONS, exp, n=10, random_seed=6)
    assert abs(res.value[10] - exact_evsi(10)) <= 3 * res.standard_error[10] + 0.01
    assert res.best_action == "treat" and list(res.n) == [10]
    assert "EVSI(method='regression'" in repr(res)


# -- bad input ------------------------------------------------------------------
def _setup():
    effect = stratified_effect(0)
    return pd.DataFrame({"treat": effect, "wait": np.zeros(S)}), {"effect": effect}


def test_an_experiment_that_informs_no_parameter_is_refused():
    draws, post = _setup()
    blind = Experiment(lambda p, n, r: r.normal(0.0, 1.0, (p["effect"].size, n)))
    with pytest.raises(DecideValueError, match="informs no parameter"):
        evsi(draws, experiment=blind, n=[5], posterior=post, random_seed=0)


@pytest.mark.parametrize("n", [0, -3, [5, 0], [], 2.5, "ten", True])
def test_sample_sizes_below_one_are_refused(n):
    draws, post = _setup()
    with pytest.raises(DecideValueError, match="n must be one or more integer sample sizes >= 1"):
        evsi(draws, experiment=Experiment(simulate), n=n, posterior=post)


def test_other_bad_input():
    draws, post = _setup()
    exp = Experiment(simulate)
    with pytest.raises(DecideTypeError, match="experiment must be an Experiment"):
        evsi(draws, experiment=simulate, n=[5], posterior=post)
    with pytest.raises(DecideTypeError, match="method must be one of"):
        evsi(draws, experiment=exp, n=[5], posterior=post, method="magic")
    with pytest.raises(DecideValueError, match="refit= .* or a loglik="):
        evsi(draws, experiment=exp, n=[5], posterior=post, method="nested")
    with pytest.raises(DecideValueError, match=r"params \['nope'\] are not in the posterior"):
        evsi(draws, experiment=Experiment(simulate, params=["nope"]), n=[5], posterior=post)
    with pytest.raises(DecideValueError, match="no parameter draws"):
        evsi(draws, experiment=exp, n=[5])
    with pytest.raises(DecideValueError, match="one dataset per draw"):
        evsi(draws, experiment=Experiment(lambda p, n, r: np.zeros((3, n))), n=[5], posterior=post)
    with pytest.raises(DecideValueError, match="either actions= .* or space="):
        evsi(treat_outcome(post["effect"]), ACTIONS, experiment=exp, n=[5], space=Box(-1.0, 1.0))
    with pytest.raises(DecideValueError, match="n_candidates must be an integer >= 1"):
        evsi(treat_outcome(post["effect"]), experiment=exp, n=[5], space=Box(-1.0, 1.0),
             n_candidates=0)
    with pytest.raises(DecideTypeError, match="summary must be callable"):
        Experiment(simulate, summary=3)
    with pytest.raises(DecideValueError, match="cannot be re-evaluated at new parameter draws"):
        evsi(from_draws(draws), experiment=Experiment(simulate, refit=conjugate_refit), n=[5], posterior=post,
             method="nested", n_outer=5)


@pytest.mark.parametrize("method", ["moment_matching", "nested"])
def test_refits_on_a_dask_client_give_the_in_process_result(method):
    distributed = pytest.importorskip("distributed")
    effect = stratified_effect(7)
    exp = Experiment(simulate, refit=conjugate_refit, params=["effect"])
    kw = {"n_refits": 6} if method == "moment_matching" else {"n_outer": 6}
    local = evsi(treat_outcome(effect), ACTIONS, exp, n=[3, 30], method=method, random_seed=7, **kw)
    with distributed.Client(
        processes=False, n_workers=1, threads_per_worker=1, dashboard_address=None
    ) as client:
        remote = evsi(treat_outcome(effect), ACTIONS, exp, n=[3, 30], method=method, client=client,
                      random_seed=7, **kw)
    np.testing.assert_array_equal(remote.value.to_numpy(), local.value.to_numpy())
    np.testing.assert_array_equal(remote.standard_error.to_numpy(), local.standard_error.to_numpy())
