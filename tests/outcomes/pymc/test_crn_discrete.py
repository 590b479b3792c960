"""Common random numbers for discrete likelihoods (``from_pymc(..., mode="crn")``, issue 16).

The quantile functions are checked against scipy's ``ppf`` (exact, independent
code), against pymc's own sampler (``pm.draw``, a two-sample chi-square test),
for monotonicity in the rate, and end to end on a negative binomial pricing
model: nearby prices give correlated draws, the user's model is untouched, and
``optimize`` on a grid of prices gives the brute-force answer for every seed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
from scipy import stats

pm = pytest.importorskip("pymc")
import pytensor  # noqa: E402
import pytensor.tensor as pt  # noqa: E402

from decide.errors import DecideValueError  # noqa: E402
from decide.measures import CVaR, Mean  # noqa: E402
from decide.optimization import Discrete, optimize  # noqa: E402
from decide.outcomes import from_pymc  # noqa: E402
from decide.outcomes.pymc._quantile import discrete_quantile  # noqa: E402
from tests.outcomes.pymc.conftest import fingerprint, make_idata  # noqa: E402


def _quantiles(dist: Any, u: np.ndarray) -> np.ndarray:
    """Our ``F^{-1}(u)`` for the (vector) distribution ``dist``; ``u`` of shape (n, P)."""
    uu = pt.dmatrix("u")
    fn = pytensor.function([uu], discrete_quantile(dist, uu), mode="FAST_COMPILE")
    return np.asarray(fn(u))


# (pymc distribution, scipy frozen distribution with the same parameters), columns = cases
MU = np.array([0.3, 7.0, 1e4])
NB_MU, NB_ALPHA = np.array([2.0, 100.0, 1e4]), np.array([0.05, 0.05, 3.0])
EXACT: dict[str, tuple[Callable[[], Any], Any]] = {
    "poisson": (lambda: pm.Poisson.dist(mu=MU), stats.poisson(MU)),
    "negative_binomial": (
        lambda: pm.NegativeBinomial.dist(mu=NB_MU, alpha=NB_ALPHA),
        stats.nbinom(NB_ALPHA, NB_ALPHA / (NB_MU + NB_ALPHA)),
    ),
    "binomial": (
        lambda: pm.Binomial.dist(n=np.array([1, 20, 10000]), p=np.array([0.3, 0.01, 0.5])),
        stats.binom(np.array([1, 20, 10000]), np.array([0.3, 0.01, 0.5])),
    ),
    "beta_binomial": (
        lambda: pm.BetaBinomial.dist(
            alpha=np.array([0.2, 2.0, 50.0]),
            beta=np.array([0.3, 3.0, 5.0]),
            n=np.array([5, 30, 400]),
        ),
        stats.betabinom(
            np.array([5, 30, 400]), np.array([0.2, 2.0, 50.0]), np.array([0.3, 3.0, 5.0])
        ),
    ),
    "geometric": (
        lambda: pm.Geometric.dist(p=np.array([0.9, 0.3, 0.001])),
        stats.geom(np.array([0.9, 0.3, 0.001])),
    ),
    "bernoulli": (
        lambda: pm.Bernoulli.dist(p=np.array([0.01, 0.5, 0.97])),
        stats.bernoulli(np.array([0.01, 0.5, 0.97])),
    ),
    "discrete_uniform": (
        lambda: pm.DiscreteUniform.dist(lower=np.array([0, -3, 10]), upper=np.array([1, 3, 200])),
        stats.randint(np.array([0, -3, 10]), np.array([2, 4, 201])),
    ),
    "hypergeometric": (
        lambda: pm.HyperGeometric.dist(
            N=np.array([20, 100, 1000]), k=np.array([7, 50, 30]), n=np.array([5, 60, 500])
        ),
        stats.hypergeom(np.array([20, 100, 1000]), np.array([7, 50, 30]), np.array([5, 60, 500])),
    ),
}


@pytest.mark.parametrize("name", sorted(EXACT))
def test_quantile_equals_scipy_ppf(name: str) -> None:
    make, ref = EXACT[name]
    rng = np.random.default_rng(7)
    u = np.concatenate([rng.uniform(size=(300, 3)), [[1e-12] * 3, [0.5] * 3, [1 - 1e-9] * 3]])
    ours = _quantiles(make(), u)
    want = ref.ppf(u)
    # a mismatch is allowed only where u is within rounding of a step of F
    close = np.isclose(ref.cdf(np.minimum(ours, want)), u, rtol=1e-9, atol=1e-12)
    assert np.all((ours == want) | close), (ours[ours != want], want[ours != want])
    assert ours.dtype == np.int64


def _two_sample_p(a: np.ndarray, b: np.ndarray) -> float:
    """Chi-square homogeneity test on bins of the pooled sample (>= 20 per bin)."""
    pooled = np.sort(np.concatenate([a, b]))
    edges = np.unique(pooled[:: max(len(pooled) // 40, 20)])[1:]
    ca = np.bincount(np.searchsorted(edges, a, side="right"), minlength=len(edges) + 1)
    cb = np.bincount(np.searchsorted(edges, b, side="right"), minlength=len(edges) + 1)
    keep = (ca + cb) > 0
    if keep.sum() < 2:
        return 1.0
    return float(stats.chi2_contingency(np.array([ca[keep], cb[keep]]))[1])


MIXTURES: dict[str, Callable[[], Any]] = {
    "zero_inflated_poisson": lambda: pm.ZeroInflatedPoisson.dist(
        psi=np.array([0.3, 0.9, 0.5]), mu=np.array([3.0, 0.5, 1e4])
    ),
    "zero_inflated_negative_binomial": lambda: pm.ZeroInflatedNegativeBinomial.dist(
        psi=np.array([0.3, 0.9, 0.5]),
        mu=np.array([3.0, 50.0, 1e3]),
        alpha=np.array([0.05, 2.0, 10.0]),
    ),
    "zero_inflated_binomial": lambda: pm.ZeroInflatedBinomial.dist(
        psi=np.array([0.3, 0.9, 0.5]), n=np.array([10, 50, 1000]), p=np.array([0.3, 0.02, 0.6])
    ),
    "hurdle_poisson": lambda: pm.HurdlePoisson.dist(
        psi=np.array([0.3, 0.9, 0.5]), mu=np.array([3.0, 0.5, 1e4])
    ),
    "hurdle_negative_binomial": lambda: pm.HurdleNegativeBinomial.dist(
        psi=np.array([0.3, 0.9, 0.5]),
        mu=np.array([3.0, 50.0, 1e3]),
        alpha=np.array([0.05, 2.0, 10.0]),
    ),
    "categorical": lambda: pm.Categorical.dist(
        p=np.array([[0.1, 0.2, 0.7], [0.5, 0.5, 0.0], [0.3, 0.3, 0.4]])
    ),
    "discrete_weibull": lambda: pm.DiscreteWeibull.dist(
        q=np.array([0.5, 0.9, 0.99]), beta=np.array([1.5, 0.7, 2.0])
    ),
    "negative_binomial": EXACT["negative_binomial"][0],
}


@pytest.mark.parametrize("name", sorted(MIXTURES))
def test_marginal_equals_pymc_sampler(name: str) -> None:
    n = 4000
    u = np.random.default_rng(3).uniform(size=(n, 3))
    ours = _quantiles(MIXTURES[name](), u)
    ref = np.asarray(pm.draw(MIXTURES[name](), draws=n, random_seed=11))
    pvals = [_two_sample_p(ours[:, j], ref[:, j]) for j in range(3)]
    assert min(pvals) > 1e-3, pvals


@pytest.mark.parametrize(
    "make",
    [
        lambda r: pm.Poisson.dist(mu=r),
        lambda r: pm.NegativeBinomial.dist(mu=r, alpha=0.5),
        lambda r: pm.Binomial.dist(n=50, p=r / (1.0 + r)),
        lambda r: pm.ZeroInflatedPoisson.dist(psi=0.6, mu=r),
        lambda r: pm.HurdlePoisson.dist(psi=0.6, mu=r),
    ],
    ids=["poisson", "negative_binomial", "binomial", "zip", "hurdle_poisson"],
)
def test_quantile_is_monotone_in_the_rate(make: Callable[[Any], Any]) -> None:
    rates = np.geomspace(0.05, 300.0, 40)
    u = np.random.default_rng(5).uniform(size=(500, 1))
    q = _quantiles(make(rates), np.repeat(u, len(rates), axis=1))
    assert np.all(np.diff(q, axis=1) >= 0)
    assert q[:, -1].mean() > q[:, 0].mean()


# -- end to end: count-demand pricing --------------------------------------------
COST = 5.0
PRICES = np.arange(6.0, 25.0, 2.0)


def _pricing(n: int = 200) -> tuple[Any, Any, dict[str, np.ndarray]]:
    rng = np.random.default_rng(2)
    with pm.Model() as model:
        price = pm.Data("price", 10.0)
        a = pm.Normal("a", 4.0, 1.0)
        e = pm.Normal("e", -1.5, 0.5)
        alpha = pm.HalfNormal("alpha", 5.0)
        mu = pm.math.exp(a + e * pm.math.log(price / 10.0))
        pm.NegativeBinomial("demand", mu=mu, alpha=alpha, observed=np.array([50, 60, 45]))
    draws = {
        "a": rng.normal(4.0, 0.1, n),
        "e": rng.normal(-2.0, 0.15, n),
        "alpha": rng.uniform(2.0, 8.0, n),
    }
    return model, make_idata(draws, 2, {}, {}), draws


def _profit(v: dict[str, Any]) -> Any:
    return (v["price"] - COST) * v["demand"][0]


@pytest.fixture(scope="module")
def pricing() -> tuple[Any, Any, dict[str, np.ndarray]]:
    return _pricing()


def test_pricing_draws_are_common_across_prices(pricing: Any) -> None:
    model, idata, draws = pricing
    before = fingerprint(model, idata)
    om = from_pymc(
        model, idata, action="price", outcome=_profit, mode="crn", n_replicates=20, random_seed=0
    )
    assert fingerprint(model, idata) == before
    d12 = om.sample(12.0) / (12.0 - COST)
    d125 = om.sample(12.5) / (12.5 - COST)
    assert np.corrcoef(d12.ravel(), d125.ravel())[0, 1] >= 0.9
    assert np.all(d125 <= d12)  # every draw's rate falls with the price (e < 0)
    assert not om.has_vjp and "discrete" in om.vjp_unavailable_reason
    # marginal at one price against pymc's sampler at the same parameters
    mu = np.exp(draws["a"] + draws["e"] * np.log(1.2))
    ref = pm.draw(
        pm.NegativeBinomial.dist(mu=np.repeat(mu, 20), alpha=np.repeat(draws["alpha"], 20)),
        random_seed=3,
    )
    assert _two_sample_p(d12.ravel(), np.asarray(ref)) > 1e-3
    np.testing.assert_array_equal(om.sample(12.0), om.sample(12.0))


def test_pricing_grid_decision_is_the_same_for_every_seed(pricing: Any) -> None:
    model, idata, draws = pricing
    # brute force (closed form): E[profit | price] = (price - c) * mean_s exp(a_s + e_s log(p/10))
    mean_profit = [
        (p - COST) * np.exp(draws["a"] + draws["e"] * np.log(p / 10)).mean() for p in PRICES
    ]
    best_mean = PRICES[int(np.argmax(mean_profit))]
    answers = set()
    for seed in range(5):
        om = from_pymc(
            model,
            idata,
            action="price",
            outcome=_profit,
            mode="crn",
            n_replicates=20,
            random_seed=seed,
            backend="FAST_COMPILE",  # compiles in ~1 s; the default backend is tested above
        )
        space = Discrete(PRICES.reshape(-1, 1))
        assert float(np.ravel(optimize(om, Mean(), space).action)[0]) == best_mean
        answers.add(float(np.ravel(optimize(om, CVaR(0.1), space).action)[0]))
    assert len(answers) == 1, answers


def test_discrete_without_cdf_is_refused_at_construction() -> None:
    with pm.Model() as model:
        x = pm.Data("x", 1.0)
        b = pm.HalfNormal("b", 1.0)
        pm.CustomDist(  # a logp and a sampler, no CDF
            "y",
            b * x,
            logp=lambda value, mu: pm.logp(pm.Poisson.dist(mu), value),
            random=lambda mu, rng=None, size=None: rng.poisson(mu, size=size),
            dtype="int64",
            observed=np.array([1, 2]),
        )
    idata = make_idata({"b": np.full(10, 1.0)}, 1, {}, {})
    with pytest.raises(DecideValueError, match=r"'y'.*discrete.*mode=\"sample\""):
        from_pymc(model, idata, action="x", outcome="y", mode="crn", random_seed=0)
