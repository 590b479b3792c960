"""Tests of decide/uncertainty/_sufficient.py: the likelihood's sufficient statistics as the
default summary of ``Experiment.from_pymc``.

Expected values: conjugate closed forms (normal-inverse-gamma, gamma-Poisson,
beta-binomial) evaluated here with scipy, and statistics computed here in numpy.
No sampling: the PyMC models only simulate the new units at given draws.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

from decide.uncertainty import Experiment, evsi

pm = pytest.importorskip("pymc")

S = 2000


def grid(dist) -> np.ndarray:
    """Draws at the quantiles of ``dist`` (no Monte Carlo error in the moments)."""
    return dist.ppf((np.arange(S) + 0.5) / S)


# -- which statistics, by distribution -----------------------------------------------------
def _model(kind: str, d: dict) -> pm.Model:
    with pm.Model() as m:
        mu = pm.Normal("mu", 0.0, 1.0)
        s = pm.HalfNormal("s", 1.0)
        y = d["y"]
        if kind == "normal_free":
            pm.Normal("y", mu, s, observed=y)
        elif kind == "normal_fixed":
            pm.Normal("y", mu, 2.0, observed=y)
        elif kind == "poisson":
            pm.Poisson("y", pm.math.exp(mu), observed=y)
        elif kind == "binomial":
            pm.Binomial("y", n=5, p=pm.math.sigmoid(mu), observed=y)
        elif kind == "gamma":
            pm.Gamma("y", alpha=s + 1, beta=1.0, observed=y)
        elif kind == "gamma_fixed_alpha":
            pm.Gamma("y", alpha=2.0, beta=pm.math.exp(mu), observed=y)
        elif kind == "lognormal":
            pm.LogNormal("y", mu, s, observed=y)
        elif kind == "beta":
            pm.Beta("y", alpha=s + 1, beta=2.0, observed=y)
        elif kind == "exponential":
            pm.Exponential("y", pm.math.exp(mu), observed=y)
        elif kind == "negbin_fixed":
            pm.NegativeBinomial("y", mu=pm.math.exp(mu), alpha=3.0, observed=y)
        elif kind == "negbin_free":
            pm.NegativeBinomial("y", mu=pm.math.exp(mu), alpha=s, observed=y)
        elif kind == "studentt":
            pm.StudentT("y", nu=3, mu=mu, sigma=s, observed=y)
        elif kind == "mixture":
            pm.NormalMixture("y", w=[0.5, 0.5], mu=pm.math.stack([mu, mu + 1]), sigma=[1.0, 1.0],
                             observed=y)
    return m


@pytest.mark.parametrize(("kind", "stats_", "sufficient"), [
    ("normal_free", ("y", "y^2"), True),
    ("normal_fixed", ("y",), True),
    ("poisson", ("y",), True),
    ("binomial", ("y",), True),
    ("gamma", ("log y", "y"), True),
    ("gamma_fixed_alpha", ("y",), True),
    ("lognormal", ("log y", "log^2 y"), True),
    ("beta", ("log y", "log(1-y)"), True),
    ("exponential", ("y",), True),
    ("negbin_fixed", ("y",), True),
    ("negbin_free", ("y", "y^2"), False),
    ("studentt", ("y", "y^2"), False),
    ("mixture", ("y", "y^2"), False),
])
def test_the_statistics_follow_the_observed_distribution(kind, stats_, sufficient):
    y = np.full(4, 0.5)
    exp = Experiment.from_pymc(lambda d: _model(kind, d), {"y": y}, {}, "y")
    summary = exp._summary
    assert summary.stats == stats_
    assert summary.sufficient is sufficient
    assert exp.summary_sufficient is sufficient
    assert ("NOT sufficient" in exp.summary_description) is (not sufficient)
    # the values: means over the units of t(y), computed here
    data = np.random.default_rng(0).uniform(0.1, 0.9, (3, 6))
    t = {"y": data, "y^2": data**2, "log y": np.log(data), "log^2 y": np.log(data) ** 2,
         "log(1-y)": np.log1p(-data)}
    np.testing.assert_allclose(summary(data), np.column_stack([t[s].mean(axis=1) for s in stats_]))


def _regression_model(d: dict) -> pm.Model:
    with pm.Model() as m:
        a = pm.Normal("a", 0.0, 1.0)
        b = pm.Normal("b", 0.0, 1.0)
        s = pm.HalfNormal("s", 1.0)
        pm.Normal("y", a + b * d["x"], s, observed=d["y"])
    return m


def test_units_are_grouped_by_design_row_then_glm_statistics():
    data = {"x": np.arange(4.0), "y": np.zeros(4)}
    two = Experiment.from_pymc(_regression_model, data, lambda n: {"x": np.arange(n) % 2 * 1.0}, "y")
    y = np.random.default_rng(1).normal(size=(5, 6))
    g0, g1 = y[:, 0::2], y[:, 1::2]
    expected = np.column_stack([g0.mean(1), g1.mean(1), (g0**2).mean(1), (g1**2).mean(1)])
    np.testing.assert_allclose(two._summary(y), expected)
    assert two._summary.kind(6) == "group"
    many = Experiment.from_pymc(_regression_model, data, lambda n: {"x": np.linspace(0, 1, n)}, "y")
    y = np.random.default_rng(2).normal(size=(5, 20))
    X = np.column_stack([np.ones(20), np.linspace(0, 1, 20)])
    np.testing.assert_allclose(many._summary(y), np.column_stack([y @ X / 20, y**2 @ X / 20]))
    assert many._summary.kind(20) == "linear"


# -- Normal with unknown scale: the mean alone loses what the decision needs ----------------
A0, B0, M0, K0 = 6.0, 5.0, 0.0, 1.0  # sigma^2 ~ InvGamma(A0, B0), mu | sigma^2 ~ N(M0, sigma^2 / K0)


def nig_draws(seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    s2 = rng.permutation(grid(stats.invgamma(A0, scale=B0)))
    mu = M0 + np.sqrt(s2 / K0) * rng.permutation(grid(stats.norm()))
    return mu, np.sqrt(s2)


def nig_exact(n: int, J: int = 400_000) -> float:
    """EVSI of 'insure' (payoff sigma^2 - 1) vs nothing: E[max(E[sigma^2 | X] - 1, 0)] - 0.

    E[sigma^2 | X] = b' / (a' - 1), a' = A0 + n/2,
    b' = B0 + SS/2 + K0 n (xbar - M0)^2 / (2 (K0 + n)) (the conjugate update).
    """
    rng = np.random.default_rng(123)
    s2 = stats.invgamma(A0, scale=B0).rvs(J, random_state=rng)
    mu = rng.normal(M0, np.sqrt(s2 / K0))
    xbar = rng.normal(mu, np.sqrt(s2 / n))
    ss = s2 * rng.chisquare(n - 1, J)
    post = (B0 + ss / 2 + K0 * n * (xbar - M0) ** 2 / (2 * (K0 + n))) / (A0 + n / 2 - 1)
    return float(np.maximum(post - 1.0, 0.0).mean())  # E[sigma^2] = B0 / (A0 - 1) = 1


def _normal_model(d: dict) -> pm.Model:
    with pm.Model() as m:
        mu = pm.Normal("mu", 0.0, 10.0)
        sigma = pm.HalfNormal("sigma", 5.0)
        pm.Normal("y", mu, sigma, observed=d["y"])
    return m


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_normal_with_unknown_scale_needs_the_mean_of_squares(seed):
    mu, sigma = nig_draws(seed)
    U = pd.DataFrame({"insure": sigma**2 - 1.0, "not": np.zeros(S)})
    post = {"mu": mu, "sigma": sigma}
    exp = Experiment.from_pymc(_normal_model, {"y": np.zeros(3)}, {}, "y")
    res = evsi(U, experiment=exp, n=[3, 10], posterior=post, n_bootstrap=100, random_seed=seed)
    assert "mean of y^2" in res.summary and res.notes == ()
    old = Experiment.from_pymc(_normal_model, {"y": np.zeros(3)}, {}, "y",  # the old default
                               summary=lambda data: np.asarray(data).mean(axis=1)[:, None])
    mean_only = evsi(U, experiment=old, n=[3, 10], posterior=post, n_bootstrap=100, random_seed=seed)
    for n in (3, 10):
        exact = nig_exact(n)
        se = res.standard_error[n]
        assert abs(res.value[n] - exact) <= 3 * se + 0.01, (n, exact, res.table)
        # the mean alone says less about sigma (only through its spread): its EVSI is well below
        assert mean_only.value[n] < 0.8 * exact - 3 * mean_only.standard_error[n], (n, exact)


# -- Poisson and Binomial: conjugate closed forms ---------------------------------------------
def _poisson_model(d: dict) -> pm.Model:
    with pm.Model() as m:
        lam = pm.Gamma("lam", 2.0, 1.0)
        pm.Poisson("y", lam, observed=d["y"])
    return m


def _binomial_model(d: dict) -> pm.Model:
    with pm.Model() as m:
        p = pm.Beta("p", 1.0, 1.0)
        pm.Binomial("y", n=5, p=p, observed=d["y"])
    return m


def gamma_poisson_exact(n: int, a: float = 4.0, b: float = 2.0, c: float = 2.0) -> float:
    """Sum y ~ NegBin(a, b / (b + n)); E[lam | y] = (a + sum y) / (b + n); baseline a/b - c = 0."""
    k = np.arange(4000)
    pmf = stats.nbinom.pmf(k, a, b / (b + n))
    return float(pmf @ np.maximum((a + k) / (b + n) - c, 0.0)) - max(a / b - c, 0.0)


def beta_binomial_exact(n: int, al: float = 3.0, be: float = 3.0, trials: int = 5) -> float:
    """Sum y ~ BetaBinom(trials n, al, be); E[p | y] = (al + sum y) / (al + be + trials n)."""
    k = np.arange(trials * n + 1)
    pmf = stats.betabinom.pmf(k, trials * n, al, be)
    return float(pmf @ np.maximum((al + k) / (al + be + trials * n) - 0.5, 0.0))


@pytest.mark.parametrize("seed", [0, 1])
def test_poisson_and_binomial_match_their_conjugate_closed_forms(seed):
    rng = np.random.default_rng(seed)
    lam = rng.permutation(grid(stats.gamma(4.0, scale=0.5)))
    U = pd.DataFrame({"act": lam - 2.0, "not": np.zeros(S)})
    exp = Experiment.from_pymc(_poisson_model, {"y": np.zeros(3, int)}, {}, "y")
    assert exp.summary_description.startswith("Poisson")
    res = evsi(U, experiment=exp, n=[2, 8], posterior={"lam": lam}, n_bootstrap=100, random_seed=seed)
    for n in (2, 8):
        exact = gamma_poisson_exact(n)
        assert abs(res.value[n] - exact) <= 3 * res.standard_error[n] + 0.01, (n, exact, res.table)
    p = rng.permutation(grid(stats.beta(3.0, 3.0)))
    U = pd.DataFrame({"act": p - 0.5, "not": np.zeros(S)})
    exp = Experiment.from_pymc(_binomial_model, {"y": np.zeros(3, int)}, {}, "y")
    assert exp.summary_description.startswith("Binomial")
    res = evsi(U, experiment=exp, n=[2, 8], posterior={"p": p}, n_bootstrap=100, random_seed=seed)
    for n in (2, 8):
        exact = beta_binomial_exact(n)
        assert abs(res.value[n] - exact) <= 3 * res.standard_error[n] + 0.005, (n, exact, res.table)


def test_a_summary_that_is_not_sufficient_is_noted_on_the_result():
    def build(d):
        with pm.Model() as m:
            mu = pm.Normal("mu", 0.0, 1.0)
            pm.StudentT("y", nu=3, mu=mu, sigma=1.0, observed=d["y"])
        return m

    mu = np.random.default_rng(0).permutation(grid(stats.norm(0.1, 1.0)))
    exp = Experiment.from_pymc(build, {"y": np.zeros(3)}, {}, "y")
    res = evsi(pd.DataFrame({"act": mu, "not": np.zeros(S)}), experiment=exp, n=[4],
               posterior={"mu": mu}, n_bootstrap=0, random_seed=0)
    assert "NOT sufficient" in res.summary
    assert any("not sufficient" in note for note in res.notes)
