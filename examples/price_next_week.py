"""Next week's price from a count-demand model: the new period through ``data=``.

Weekly demand of one product is NegativeBinomial with a price elasticity, fitted with
PyMC on 60 weeks of prices and sales. The decision is next week's price (one number):
``from_pymc(..., data={"price": [current]})`` sets the new week on a copy of the model
(the likelihood was written without ``shape=``; decide rebuilds it at one week). The
profit ``(price - unit cost) * demand`` is maximized risk-neutrally (the conditional
mean, a smooth objective) and with CVaR(0.1) over common random numbers on a grid of
prices (a sample average over count draws is a step function of the price: a grid is
the right tool). The uncertainty split says how much of the profit's spread is demand
noise and how much is not knowing the elasticity.

Outcomes are rewards (higher is better); risk is in the lower tail and ``alpha`` is
the tail probability.

Run ``python examples/price_next_week.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

N_WEEKS, UNIT_COST = 60, 4.0
TRUE = {"a": 4.0, "elasticity": -1.6, "alpha": 8.0}
PRICES = np.round(np.arange(6.0, 16.01, 0.25), 2)


def simulate(seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """60 weekly prices and the units sold."""
    rng = np.random.default_rng(seed)
    price = rng.uniform(7.0, 13.0, N_WEEKS)
    mu = np.exp(TRUE["a"] + TRUE["elasticity"] * np.log(price / 10.0))
    p = TRUE["alpha"] / (TRUE["alpha"] + mu)
    return price, rng.negative_binomial(TRUE["alpha"], p)


def build_model(price: np.ndarray, sales: np.ndarray) -> Any:
    import pymc as pm

    with pm.Model() as model:
        x = pm.Data("price", price)
        a = pm.Normal("a", 4.0, 1.0)
        elasticity = pm.Normal("elasticity", -1.0, 1.0)
        alpha = pm.Gamma("alpha", 2.0, 0.2)
        mu = pm.math.exp(a + elasticity * pm.math.log(x / 10.0))
        pm.NegativeBinomial("demand", mu=mu, alpha=alpha, observed=sales)  # no shape=
    return model


def known_draws(n: int = 400, seed: int = 0) -> dict[str, np.ndarray]:
    """A stand-in posterior around the true parameters."""
    rng = np.random.default_rng(seed)
    return {
        "a": rng.normal(TRUE["a"], 0.03, n),
        "elasticity": rng.normal(TRUE["elasticity"], 0.25, n),
        "alpha": np.abs(rng.normal(TRUE["alpha"], 1.0, n)),
    }


def fit(model: Any, seed: int = 0) -> Any:
    import pymc as pm

    with model:
        return pm.sample(500, tune=500, chains=2, random_seed=seed, progressbar=False)


def main(posterior: Any = None, n_replicates: int = 50, seed: int = 0) -> dict[str, Any]:
    """Fit (unless ``posterior`` is given), choose next week's price, print and return."""
    from decide.measures import CVaR, Mean
    from decide.optimization import Box, Discrete, optimize
    from decide.outcomes import from_pymc
    from decide.uncertainty import decompose

    price, sales = simulate()
    model = build_model(price, sales)
    posterior = fit(model, seed) if posterior is None else posterior

    def profit(v):
        return ((v["price"] - UNIT_COST) * v["demand"]).sum()

    next_week = {"price": [float(price[-1])]}
    mean_om = from_pymc(model, posterior, action="price", outcome=profit, data=next_week)
    neutral = optimize(mean_om, Mean(), Box(6.0, 16.0), random_seed=seed)
    crn_om = from_pymc(
        model, posterior, action="price", outcome=profit, data=next_week, mode="crn",
        n_replicates=n_replicates, random_seed=seed,
    )
    grid = Discrete({f"{p:.2f}": [p] for p in PRICES})
    careful = optimize(crn_om, CVaR(0.1), grid)
    split = decompose(crn_om, careful.flat_action)
    print(f"risk-neutral price {neutral.flat_action[0]:.2f} (expected profit {neutral.value:.1f})")
    print(f"CVaR(0.1) price    {careful.flat_action[0]:.2f} (CVaR of profit {careful.value:.1f})")
    print(split)
    return {"neutral": neutral, "careful": careful, "split": split, "crn": crn_om}


if __name__ == "__main__":
    main()
