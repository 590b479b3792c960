"""Marketing budget from a PyMC model with adstock and saturation (risk-neutral vs CVaR vs CARA).

Weekly sales respond to two channels through geometric adstock (spend keeps
working for a few weeks) and exponential saturation (the next dollar buys less
than the last). Channel ``tv`` has a long history; channel ``social`` started
recently, so its effect is uncertain. The model is fitted with PyMC; the
decision is next quarter's weekly spend split under a fixed budget. The outcome
is the expected incremental sales over the horizon under ``do(spend)``, built
by :func:`decide.outcomes.from_pymc` (one compiled graph for every candidate
split), and the split is chosen risk-neutrally, with CVaR and with CARA utility.

Outcomes are rewards (higher is better); risk is in the lower tail and
``alpha`` is the tail probability.

Run ``python examples/marketing_adstock.py`` (writes ``marketing_adstock.png``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

CHANNELS = ("tv", "social")
N_WEEKS, N_WEEKS_SOCIAL, N_LAGS, HORIZON = 104, 12, 4, 13
BUDGET = 6.0  # per week
TRUE = {"beta": (3.0, 4.0), "lam": (0.6, 0.5), "decay": (0.5, 0.3), "sigma": 0.5, "base": 10.0}


def simulate(seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Weekly spend ``(104, 2)`` (social only in the last 12 weeks) and sales ``(104,)``."""
    rng = np.random.default_rng(seed)
    spend = np.zeros((N_WEEKS, 2))
    spend[:, 0] = rng.uniform(1.0, 5.0, N_WEEKS)
    spend[-N_WEEKS_SOCIAL:, 1] = rng.uniform(0.5, 3.0, N_WEEKS_SOCIAL)
    ad = adstock_np(spend, np.array(TRUE["decay"]))
    mu = TRUE["base"] + (np.array(TRUE["beta"]) * (1 - np.exp(-np.array(TRUE["lam"]) * ad))).sum(1)
    return spend, mu + rng.normal(0, TRUE["sigma"], N_WEEKS)


def lags(spend: np.ndarray) -> np.ndarray:
    """``(weeks, N_LAGS, channels)``: spend of this week and the previous ``N_LAGS - 1``."""
    out = np.zeros((spend.shape[0], N_LAGS, spend.shape[1]))
    for lag in range(N_LAGS):
        out[lag:, lag] = spend[: spend.shape[0] - lag]
    return out


def adstock_np(spend: np.ndarray, decay: np.ndarray) -> np.ndarray:
    """Geometric adstock with ``N_LAGS`` lags (numpy, for the simulation)."""
    return (lags(spend) * decay[None, None, :] ** np.arange(N_LAGS)[None, :, None]).sum(1)


def build_model(spend: np.ndarray, sales: np.ndarray) -> Any:
    """Adstock + saturation sales model with a ``plan`` node: lift over the horizon under ``spend``."""
    import pymc as pm
    import pytensor.tensor as pt

    powers = np.arange(N_LAGS)[None, :, None]
    with pm.Model(coords={"channel": list(CHANNELS)}) as model:
        lagged = pm.Data("lagged", lags(spend))
        base = pm.Normal("base", 10.0, 5.0)
        beta = pm.HalfNormal("beta", 5.0, dims="channel")
        lam = pm.HalfNormal("lam", 1.0, dims="channel")
        decay = pm.Beta("decay", 2.0, 2.0, dims="channel")
        sigma = pm.HalfNormal("sigma", 2.0)
        ad = (lagged * decay[None, None, :] ** powers).sum(axis=1)
        mu = base + (beta * (1 - pt.exp(-lam * ad))).sum(axis=1)
        pm.Normal("sales", mu, sigma, observed=sales)
        # the decision: a constant weekly spend over the horizon, starting from zero carry-over
        plan = pm.Data("spend", np.full(2, BUDGET / 2), dims="channel")
        weeks = np.arange(HORIZON)[:, None]
        carried = plan[None, :] * (1 - decay[None, :] ** np.minimum(weeks + 1, N_LAGS)) / (1 - decay[None, :])
        pm.Deterministic("lift", (beta[None, :] * (1 - pt.exp(-lam[None, :] * carried))).sum())
    return model


def known_draws(n: int = 400, seed: int = 0) -> dict[str, np.ndarray]:
    """Draws around the true parameters (social far less certain): a stand-in posterior for tests."""
    rng = np.random.default_rng(seed)
    sd = {"beta": (0.1, 1.5), "lam": (0.03, 0.2), "decay": (0.03, 0.1)}
    out = {k: np.abs(rng.normal(TRUE[k], sd[k], (n, 2))) for k in sd}
    out["decay"] = np.clip(out["decay"], 0.01, 0.95)
    out["base"] = rng.normal(TRUE["base"], 0.1, n)
    out["sigma"] = np.abs(rng.normal(TRUE["sigma"], 0.03, n))
    return out


def main(
    n_draws: int = 500, n_chains: int = 2, out_dir: str | Path = ".", random_seed: int = 5,
    posterior: Any = None,
) -> dict[str, Any]:
    """Fit, decide with three objectives, write the figure; return the splits and the table.

    ``posterior`` (draws of the free variables) skips the fit, e.g. :func:`known_draws`.

    Returns
    -------
    dict
        ``decisions`` (name -> Decision), ``table`` (``decide.policies.compare``),
        ``posterior`` (the fitted draws), ``figure`` (PNG path).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pymc as pm

    from decide.measures import CVaR, ExpectedUtility, Exponential, Mean
    from decide.optimization import Budget, optimize
    from decide.outcomes import from_pymc
    from decide.plots import plot_outcomes
    from decide.policies import compare

    spend, sales = simulate()
    model = build_model(spend, sales)
    if posterior is None:
        with model:
            posterior = pm.sample(draws=n_draws, tune=n_draws, chains=n_chains, cores=1,
                                  random_seed=random_seed, progressbar=False,
                                  compute_convergence_checks=False, target_accept=0.9).posterior
    outcome = from_pymc(model, posterior, action="spend", outcome="lift", mode="mean")
    space = Budget(BUDGET)
    objectives = {"risk-neutral": Mean(), "CVaR(0.05)": CVaR(0.05),
                  "CARA(0.05)": ExpectedUtility(Exponential(0.05))}
    decisions = {k: optimize(outcome, v, space=space, random_seed=random_seed)
                 for k, v in objectives.items()}
    table = compare(outcome, objectives, space=space, random_seed=random_seed)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    names = list(decisions)
    shares = [decisions[k].flat_action[1] / BUDGET for k in names]
    axes[0].bar(names, shares)
    axes[0].set(title="share of the weekly budget on social", ylim=(0, 1))
    plot_outcomes({k: d.draws for k, d in decisions.items()}, ax=axes[1])
    axes[1].set_title(f"incremental sales over {HORIZON} weeks")
    fig.tight_layout()
    path = out / "marketing_adstock.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    for k, d in decisions.items():
        print(f"{k:>13}: tv {d.flat_action[0]:.2f}, social {d.flat_action[1]:.2f}, value {d.value:.3f}")
    return {"decisions": decisions, "table": table, "posterior": posterior, "figure": path}


if __name__ == "__main__":
    main()
