"""Newsvendor: the order quantity from a demand posterior, against the critical-fractile rule.

Daily demand is Poisson with an unknown rate; a Gamma prior and 14 days of
sales give a Gamma posterior (conjugate, no sampling needed), so the predictive
demand is negative binomial. Each unit costs ``COST`` and sells at ``PRICE``;
unsold units are lost. The risk-neutral order maximizes expected profit, and the
classical answer is the critical fractile: the smallest ``q`` with
``P(D <= q) >= (PRICE - COST) / PRICE``. A CVaR order is smaller: it protects
the bad days.

Outcomes are rewards (profit; higher is better); risk is in the lower tail and
``alpha`` is the tail probability.

Run ``python examples/newsvendor.py`` (writes ``newsvendor.png``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

PRICE, COST = 5.0, 3.0
PRIOR_SHAPE, PRIOR_RATE = 2.0, 0.1
SALES = np.array([18, 25, 21, 30, 17, 22, 26, 19, 24, 28, 20, 23, 27, 21])


def posterior() -> tuple[float, float]:
    """Gamma posterior (shape, rate) of the Poisson demand rate."""
    return PRIOR_SHAPE + SALES.sum(), PRIOR_RATE + SALES.size


def critical_fractile() -> int:
    """The closed form: the smallest q with NB-CDF(q) >= (price - cost) / price."""
    from scipy import stats

    shape, rate = posterior()
    return int(stats.nbinom(shape, rate / (rate + 1.0)).ppf((PRICE - COST) / PRICE))


def main(n_samples: int = 20000, out_dir: str | Path = ".", random_seed: int = 0) -> dict[str, Any]:
    """Decide the order risk-neutrally and with CVaR(0.1); write the figure.

    Returns
    -------
    dict
        ``neutral`` and ``cvar`` (the chosen quantities), ``closed_form`` (critical
        fractile), ``profit`` (expected profit per quantity, pandas Series), ``figure``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pandas as pd

    from decide.measures import CVaR, Mean
    from decide.optimization import optimize
    from decide.outcomes import from_draws

    rng = np.random.default_rng(random_seed)
    shape, rate = posterior()
    lam = rng.gamma(shape, 1.0 / rate, n_samples)         # posterior draws of the rate
    demand = rng.poisson(lam)                              # one predictive demand per draw
    quantities = np.arange(int(demand.min()), int(demand.max()) + 1)
    profit = {int(q): PRICE * np.minimum(q, demand) - COST * q for q in quantities}
    outcome = from_draws(profit)
    neutral = optimize(outcome, Mean())
    cvar = optimize(outcome, CVaR(0.1))
    exact = critical_fractile()

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    mean_profit = pd.Series({q: v.mean() for q, v in profit.items()})
    fig, ax = plt.subplots(figsize=(6, 3.4))
    ax.plot(mean_profit.index, mean_profit.values, label="expected profit")
    ax.plot(mean_profit.index, [CVaR(0.1)(v) for v in profit.values()], label="CVaR 10% of profit")
    ax.axvline(exact, color="k", ls="--", label=f"critical fractile q={exact}")
    ax.set(xlabel="order quantity", ylabel="profit", xlim=(exact - 15, exact + 12),
           title=f"decide: mean -> {neutral.option}, CVaR(0.1) -> {cvar.option}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = out / "newsvendor.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    print(f"risk-neutral order {neutral.option}, critical fractile {exact}, CVaR(0.1) order {cvar.option}")
    return {"neutral": int(neutral.option), "cvar": int(cvar.option), "closed_form": exact,
            "profit": mean_profit, "figure": path}


if __name__ == "__main__":
    main()
