"""Five decision problems, each with a brute-force answer computed here in numpy.

Shared by ``tests/reliability/test_crosscheck.py`` and ``benchmarks/bench_verify.py``.
Every family gives the outcome model decide optimizes and, independently, the
outcome draws on a fine grid of actions computed directly from the same
posterior draws and fixed uniforms (no decide code), plus the measures written
here: the mean, the lower-tail CVaR (mean of the ``alpha * n`` worst draws, with
``alpha * n`` an integer) and the CARA certainty equivalent
``-log(mean(exp(-a y))) / a``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special, stats

from decide.measures import CVaR, ExpectedUtility, Exponential, Mean, Objective
from decide.optimization import Box, Budget, Discrete
from decide.outcomes import from_draws, from_function, linear

N_SAMPLES = 400
ALPHA = 0.1  # ALPHA * n = 40 (20 for pricing, 200 draws) worst draws, an integer


def own_mean(y: np.ndarray) -> np.ndarray:
    return y.mean(axis=-1)


def own_cvar(y: np.ndarray, alpha: float = ALPHA) -> np.ndarray:
    k = round(alpha * y.shape[-1])
    return np.sort(y, axis=-1)[..., :k].mean(axis=-1)


def own_ce(y: np.ndarray, a: float) -> np.ndarray:
    n = y.shape[-1]
    return -(special.logsumexp(-a * y, axis=-1) - np.log(n)) / a


@dataclass
class Case:
    """One problem: the outcome for decide, the space, and the brute force on a grid."""

    family: str
    outcome: Any
    space: Any
    grid: np.ndarray  # (G, size) candidate actions
    grid_draws: np.ndarray  # (G, n_samples) outcome draws at each grid action, in numpy
    cara: float  # absolute risk aversion of the CARA objective (about 1 / sd)
    draws_at: Callable[[np.ndarray], np.ndarray]  # numpy draws at any action

    def objectives(self) -> dict[str, tuple[Objective, Callable[[np.ndarray], np.ndarray]]]:
        """decide's objective and the test's own measure, by name."""
        a = self.cara
        return {
            "mean": (Mean(), own_mean),
            "cvar": (CVaR(ALPHA), own_cvar),
            "cara": (ExpectedUtility(Exponential(a)), lambda y: own_ce(y, a)),
        }


def pricing(seed: int, n: int = N_SAMPLES // 2) -> Case:
    """Set a price; weekly demand is Poisson with an uncertain elasticity (counts by ppf)."""
    rng = np.random.default_rng(seed)
    a = rng.normal(np.log(100.0), 0.1, n)
    b = rng.normal(-2.0, 0.2, n)
    u = rng.uniform(size=n)
    cost = 5.0

    def profit(p: Any, prm: dict[str, np.ndarray]) -> np.ndarray:
        p = np.asarray(p, dtype=float)[..., None]
        mu = np.exp(prm["a"] + prm["b"] * np.log(p / 12.0))
        return (p - cost) * stats.poisson.ppf(prm["u"], mu)

    prm = {"a": a, "b": b, "u": u}
    om = from_function(profit, prm, action_shape=(), smoothness="nonsmooth")
    grid = np.linspace(6.0, 25.0, 951)
    return Case("pricing", om, Box(6.0, 25.0), grid[:, None], profit(grid, prm), 1 / 150.0,
                lambda x: profit(float(x[0]), prm))


def newsvendor(seed: int) -> Case:
    """Order stock; demand is negative binomial with uncertain mean and dispersion."""
    rng = np.random.default_rng(seed)
    mu = rng.gamma(50.0, 1.0, N_SAMPLES)
    k = rng.gamma(20.0, 0.25, N_SAMPLES)  # dispersion about 5
    u = rng.uniform(size=N_SAMPLES)
    demand = stats.nbinom.ppf(u, k, k / (k + mu))

    def profit(q: Any) -> np.ndarray:
        q = np.asarray(q, dtype=float)[..., None]
        return 4.0 * np.minimum(q, demand) - 1.5 * q

    om = from_function(lambda q, p: 4.0 * np.minimum(q, p["d"]) - 1.5 * q, {"d": demand},
                       action_shape=())
    grid = np.linspace(0.0, 150.0, 3001)
    return Case("newsvendor", om, Box(0.0, 150.0), grid[:, None], profit(grid), 1 / 40.0,
                lambda x: profit(float(x[0])))


def treatment(seed: int) -> Case:
    """Treat or not; successes are Binomial(200, p) with an uncertain lift, treating costs."""
    rng = np.random.default_rng(seed)
    p_c = rng.beta(30.0, 70.0, N_SAMPLES)
    p_t = np.clip(p_c + rng.normal(0.03, 0.03, N_SAMPLES), 0.0, 1.0)
    y_c = 10.0 * rng.binomial(200, p_c)
    y_t = 10.0 * rng.binomial(200, p_t) - 40.0
    om = from_draws({"control": y_c, "treat": y_t})
    return Case("treatment", om, Discrete(), np.eye(2), np.stack([y_c, y_t]), 1 / 60.0,
                lambda x: x[0] * y_c + x[1] * y_t)


def marketing(seed: int) -> Case:
    """Split a budget of 10 over two channels with saturating, uncertain response."""
    rng = np.random.default_rng(seed)
    b = np.column_stack([rng.normal(8.0, 2.0, N_SAMPLES), rng.normal(6.0, 1.0, N_SAMPLES)])
    lam = np.exp(np.column_stack([rng.normal(np.log(4.0), 0.2, N_SAMPLES),
                                  rng.normal(np.log(2.0), 0.2, N_SAMPLES)]))

    def sales(x: np.ndarray) -> np.ndarray:  # x of shape (..., 2) -> (..., n_samples)
        x = np.asarray(x, dtype=float)[..., None, :]
        return np.sum(b * -np.expm1(-x / lam), axis=-1)

    om = from_function(lambda x, p: np.sum(p["b"] * -np.expm1(-x / p["lam"]), axis=1),
                       {"b": b, "lam": lam}, action_shape=(2,))
    x1 = np.linspace(0.0, 10.0, 2001)
    grid = np.column_stack([x1, 10.0 - x1])
    return Case("marketing", om, Budget(10.0), grid, sales(grid), 1 / 2.0, sales)


def portfolio(seed: int) -> Case:
    """Weights of three assets summing to one; returns drawn from a correlated normal."""
    rng = np.random.default_rng(seed)
    cov = np.array([[0.04, 0.006, 0.0], [0.006, 0.0225, 0.0], [0.0, 0.0, 0.0025]])
    R = rng.multivariate_normal([0.08, 0.06, 0.02], cov, size=N_SAMPLES)
    om = linear(R)
    step = np.arange(0, 101) / 100.0
    w1, w2 = np.meshgrid(step, step, indexing="ij")
    keep = (w1 + w2) <= 1.0 + 1e-12
    grid = np.column_stack([w1[keep], w2[keep], np.clip(1.0 - w1[keep] - w2[keep], 0.0, None)])
    return Case("portfolio", om, Budget(1.0), grid, grid @ R.T, 1 / 0.1,
                lambda x: R @ np.asarray(x, dtype=float))


FAMILIES: dict[str, Callable[[int], Case]] = {
    name: functools.lru_cache(maxsize=8)(build)
    for name, build in {
        "pricing": pricing,
        "newsvendor": newsvendor,
        "treatment": treatment,
        "marketing": marketing,
        "portfolio": portfolio,
    }.items()
}


def brute(case: Case, measure: Callable[[np.ndarray], np.ndarray]) -> tuple[np.ndarray, float]:
    """The best grid action under the test's own measure, and its value."""
    vals = measure(case.grid_draws)
    k = int(np.argmax(vals))
    return case.grid[k], float(vals[k])


def loss(case: Case, measure: Callable[[np.ndarray], np.ndarray], action: np.ndarray) -> tuple[float, float]:
    """(best grid value - value of ``action``, the objective's scale), both in the own measure."""
    _, best = brute(case, measure)
    y = case.draws_at(np.asarray(action, dtype=float).reshape(-1))
    mine = float(measure(y[None, :])[0])
    scale = abs(best) + float(np.std(case.grid_draws[np.argmax(measure(case.grid_draws))]))
    return best - mine, scale
