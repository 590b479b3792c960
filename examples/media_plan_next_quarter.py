"""Next quarter's media plan from a PyMC model with carry-over: a planning window.

Weekly sales respond to two channels through geometric adstock (spend keeps selling
for weeks) and saturation. ``tv`` has run for 78 weeks; ``social`` started 10 weeks
ago, so its effect is uncertain. The model is fitted on the 78 weeks; the decision is
the next 13 weeks' spend:

* the new period's data goes in with ``from_pymc(data=...)``: the last 4 weeks as they
  were spent (their effect carries into the quarter), the 13-week window, and 8 weeks
  after it with no spend (the quarter's effect carries out into them);
* :func:`decide.outcomes.plan` decides one weekly level per channel (a flight over
  the whole quarter), never the history or the weeks after;
* :func:`decide.optimization.plan_space` states the budget over the quarter and a
  weekly cap per channel;
* the plan is chosen risk-neutrally and with CVaR(0.05), then with ``tv`` in two
  flights around a dark period;
* the extrapolation guard: ``social`` never ran above about 2.9 a week and ``tv`` never
  went dark, so those plans leave the range of the data the model was fitted on
  (an ``ExtrapolationWarning``, ``Decision.extrapolation``); the last plan keeps every
  week within the observed range (``optimize(..., within_observed=True)``).

Outcomes are rewards (higher is better); risk is in the lower tail and ``alpha`` is
the tail probability.

Run ``python examples/media_plan_next_quarter.py``.
"""

from __future__ import annotations

from typing import Any

import numpy as np

CHANNELS = ("tv", "social")
N_WEEKS, N_SOCIAL = 78, 10
CARRY_IN, WINDOW, CARRY_OUT = 4, 13, 8
WEEKLY_BUDGET = 6.0
CAP = (6.0, 4.0)  # weekly capacity per channel
TRUE = {"beta": (3.0, 4.0), "lam": (0.6, 0.5), "decay": (0.5, 0.3), "sigma": 0.5, "base": 10.0}


def adstock_np(spend: np.ndarray, decay: np.ndarray) -> np.ndarray:
    """Geometric adstock over all past weeks: ``ad[t] = spend[t] + decay * ad[t - 1]``."""
    out = np.zeros_like(spend)
    for t in range(spend.shape[0]):
        out[t] = spend[t] + (decay * out[t - 1] if t else 0.0)
    return out


def simulate(seed: int = 3) -> tuple[np.ndarray, np.ndarray]:
    """Weekly spend ``(78, 2)`` (social only in the last 10 weeks) and sales ``(78,)``."""
    rng = np.random.default_rng(seed)
    spend = np.zeros((N_WEEKS, 2))
    spend[:, 0] = rng.uniform(1.0, 5.0, N_WEEKS)
    spend[-N_SOCIAL:, 1] = rng.uniform(0.5, 3.0, N_SOCIAL)
    ad = adstock_np(spend, np.array(TRUE["decay"]))
    lam, beta = np.array(TRUE["lam"]), np.array(TRUE["beta"])
    mu = TRUE["base"] + (beta * (1 - np.exp(-lam * ad))).sum(axis=1)
    return spend, mu + rng.normal(0.0, TRUE["sigma"], N_WEEKS)


def build_model(spend: np.ndarray, sales: np.ndarray) -> Any:
    """Adstock (all past weeks, any length of data) + saturation; likelihood without shape=."""
    import pymc as pm
    import pytensor.tensor as pt

    coords = {"channel": list(CHANNELS), "week": np.arange(spend.shape[0])}
    with pm.Model(coords=coords) as model:
        x = pm.Data("spend", spend, dims=("week", "channel"))
        base = pm.Normal("base", 10.0, 5.0)
        beta = pm.HalfNormal("beta", 5.0, dims="channel")
        lam = pm.HalfNormal("lam", 1.0, dims="channel")
        decay = pm.Beta("decay", 2.0, 2.0, dims="channel")
        sigma = pm.HalfNormal("sigma", 2.0)
        t = pt.arange(x.shape[0])
        lag = t[:, None] - t[None, :]
        w = pt.switch(pt.ge(lag, 0)[..., None], decay ** pt.maximum(lag, 0)[..., None], 0.0)
        ad = (w * x[None, :, :]).sum(axis=1)
        mu = base + (beta * (1 - pt.exp(-lam * ad))).sum(axis=1)
        pm.Normal("sales", mu, sigma, observed=sales)
    return model


def known_draws(n: int = 400, seed: int = 0) -> dict[str, np.ndarray]:
    """Draws around the true parameters (social far less certain): a stand-in posterior."""
    rng = np.random.default_rng(seed)
    return {
        "base": rng.normal(10.0, 0.1, n),
        "beta": np.abs(rng.normal(TRUE["beta"], (0.2, 1.5), size=(n, 2))),
        "lam": np.abs(rng.normal(TRUE["lam"], (0.05, 0.2), size=(n, 2))),
        "decay": np.clip(rng.normal(TRUE["decay"], (0.03, 0.1), size=(n, 2)), 0.01, 0.95),
        "sigma": np.abs(rng.normal(0.5, 0.02, n)),
    }


def fit(model: Any, seed: int = 0) -> Any:
    import pymc as pm

    with model:
        return pm.sample(500, tune=500, chains=2, random_seed=seed, progressbar=False)


def main(posterior: Any = None, seed: int = 0) -> dict[str, Any]:
    """Fit (unless ``posterior`` is given), plan the quarter, print and return the plans."""
    from decide.measures import CVaR, Mean
    from decide.optimization import optimize, plan_space
    from decide.outcomes import from_pymc, plan

    spend, sales = simulate()
    model = build_model(spend, sales)
    posterior = fit(model, seed) if posterior is None else posterior
    # the new period's data: 4 weeks of history, the quarter, 8 weeks after it
    new = np.zeros((CARRY_IN + WINDOW + CARRY_OUT, 2))
    new[:CARRY_IN] = spend[-CARRY_IN:]
    om = from_pymc(
        model, posterior, action="spend", data={"spend": new},
        coords={"week": np.arange(N_WEEKS - CARRY_IN, N_WEEKS + WINDOW + CARRY_OUT)},
        outcome=lambda v: v["sales"][CARRY_IN:].sum(),   # sales of the quarter and after
    )
    window = slice(CARRY_IN, CARRY_IN + WINDOW)
    weekly = plan(om, window=window, flights="window")
    space = plan_space(weekly, total=WINDOW * WEEKLY_BUDGET, upper=CAP)
    decisions = {
        "risk-neutral": optimize(weekly, Mean(), space, random_seed=seed),
        "CVaR(0.05)": optimize(weekly, CVaR(0.05), space, random_seed=seed),
    }
    flights = plan(om, window=window, flights={"tv": [range(0, 5), range(8, 13)]})
    decisions["CVaR(0.05), tv in two flights"] = optimize(
        flights, CVaR(0.05), plan_space(flights, total=WINDOW * WEEKLY_BUDGET, upper=CAP),
        random_seed=seed,
    )
    decisions["CVaR(0.05), within observed"] = optimize(
        weekly, CVaR(0.05), space, random_seed=seed, within_observed=True
    )
    for name, d in decisions.items():
        labels = (flights if "flights" in name else weekly).action_space.labels
        levels = ", ".join(f"{lab} {v:.2f}" for lab, v in zip(labels, d.flat_action))
        outside = int(d.extrapolation["outside"].sum())
        print(f"{name:32s} weekly: {levels}; mean sales {d.draws.mean():.1f}, "
              f"CVaR 5% {CVaR(0.05)(d.draws):.1f}; {outside} week-channel cells outside "
              "the observed range")
    full = flights.full_action(decisions["CVaR(0.05), tv in two flights"].flat_action)
    print("tv by week (4 past weeks, the quarter, 8 after):", np.round(full.values[:, 0], 2).tolist())
    return {"decisions": decisions, "weekly": weekly, "flights": flights, "new_data": new}


if __name__ == "__main__":
    main()
