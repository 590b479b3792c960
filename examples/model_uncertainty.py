"""Marketing budget under model uncertainty: three causal structures, one decision that survives them.

Weekly sales respond to spend on two channels, ``tv`` and ``search``. Search spend
follows demand (the team spends more when people search more), and demand also
drives sales: a confounder. Spend brings visits to the site and visits bring
sales: a mediator. Three candidate causal structures fit the same two years of data:

* ``direct``: sales on spend only (ignores the confounder, so search looks better than it is);
* ``confounder``: sales on spend and demand (the back-door adjustment);
* ``mediator``: spend -> visits -> sales, with demand on sales.

Each is fitted with PyMC (a few hundred draws) and turned into an outcome model
with :func:`decide.outcomes.from_pymc`: the incremental sales over the next
quarter under ``do(spend)``. :func:`decide.outcomes.mixture` mixes them; the
weekly budget split is chosen on the mixture, under each model alone and under
the worst model (:class:`decide.optimization.WorstModel`), and
:func:`decide.policies.robustness` shows how each choice fares under every
structure; :func:`decide.uncertainty.decompose` says how much of the spread of
the outcome comes from not knowing the structure.

The mixture gives the structures equal weights (the analyst's prior). Stacking
weights (``arviz.compare``) are computed too, and put nearly all the weight on
the mediator: it conditions on the observed visits, so it predicts sales best
without being more right about the effect of spend. Predictive weights are not
probabilities of causal structures; the robustness table and the worst-case
choice are the checks that do not depend on them.

Outcomes are rewards (incremental sales; higher is better).

Run ``python examples/model_uncertainty.py`` (writes ``model_uncertainty.png``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

CHANNELS = ("tv", "search")
N_WEEKS, HORIZON = 104, 13
BUDGET = 6.0  # per week
TRUE = {"visits_tv": 1.2, "visits_search": 0.8, "sales_visits": 1.5, "sales_demand": 2.0}


def simulate(seed: int = 7) -> dict[str, np.ndarray]:
    """Two years of weekly demand, spend ``(104, 2)``, visits and sales."""
    rng = np.random.default_rng(seed)
    weeks = np.arange(N_WEEKS)
    demand = np.sin(2 * np.pi * weeks / 52) + rng.normal(0, 0.3, N_WEEKS)
    spend = np.column_stack([
        rng.uniform(1.0, 5.0, N_WEEKS),
        np.clip(2.5 + 1.2 * demand + rng.normal(0, 0.5, N_WEEKS), 0.2, None),
    ])
    f = np.log1p(spend)
    visits = 2.0 + TRUE["visits_tv"] * f[:, 0] + TRUE["visits_search"] * f[:, 1] + rng.normal(0, 0.3, N_WEEKS)
    sales = 10.0 + TRUE["sales_visits"] * visits + TRUE["sales_demand"] * demand + rng.normal(0, 0.5, N_WEEKS)
    return {"demand": demand, "spend": spend, "visits": visits, "sales": sales}


def build_model(structure: str, data: dict[str, np.ndarray]) -> Any:
    """One candidate structure with a ``spend`` action and a ``lift`` outcome (sales over the horizon).

    The predictors are centered (the intercept absorbs their means), which keeps NUTS fast.
    """
    import pymc as pm
    import pytensor.tensor as pt

    f = np.log1p(data["spend"])
    f = f - f.mean(axis=0)
    visits = data["visits"] - data["visits"].mean()
    with pm.Model(coords={"channel": list(CHANNELS)}) as model:
        plan = pm.Data("spend", np.full(2, BUDGET / 2), dims="channel")
        base = pm.Normal("base", data["sales"].mean(), 5.0)
        sigma = pm.HalfNormal("sigma", 2.0)
        if structure == "mediator":
            to_visits = pm.HalfNormal("to_visits", 2.0, dims="channel")
            v_sigma = pm.HalfNormal("visits_sigma", 1.0)
            v0 = pm.Normal("visits_base", 0.0, 2.0)
            pm.Normal("visits", v0 + pm.math.dot(f, to_visits), v_sigma, observed=visits)
            per_visit = pm.HalfNormal("per_visit", 2.0)
            mu = base + per_visit * visits + pm.Normal("gamma", 0.0, 2.0) * data["demand"]
            effect = per_visit * to_visits
        else:
            effect = pm.HalfNormal("effect", 3.0, dims="channel")
            mu = base + pm.math.dot(f, effect)
            if structure == "confounder":
                mu = mu + pm.Normal("gamma", 0.0, 2.0) * data["demand"]
        pm.Normal("sales", mu, sigma, observed=data["sales"])
        # incremental sales over the next quarter at a constant weekly spend
        pm.Deterministic("lift", HORIZON * (effect * pt.log1p(plan)).sum())
    return model


def fit(model: Any, n_draws: int, random_seed: int) -> Any:
    """NUTS draws with the pointwise log-likelihood (for stacking)."""
    import pymc as pm

    with model:
        idata = pm.sample(draws=n_draws, tune=n_draws, chains=2, cores=1, random_seed=random_seed,
                          progressbar=False, compute_convergence_checks=False)
        pm.compute_log_likelihood(idata, var_names=["sales"], progressbar=False)
    return idata


def main(n_draws: int = 200, out_dir: str | Path = ".", random_seed: int = 3) -> dict[str, Any]:
    """Fit the three structures, mix them, decide, check robustness; write the figure.

    Returns
    -------
    dict
        ``mixture`` (equal weights, MixtureOutcome), ``stacking`` (the stacking
        weights, pandas Series), ``decisions`` (name -> Decision: ``"mixture"``,
        ``"stacking"``, ``"worst case"``, ``"half worst"``), ``robustness`` (the
        table), ``decomposition`` (of the mixture's choice), ``figure`` (PNG path).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from decide.measures import Mean
    from decide.optimization import Budget, WorstModel, optimize
    from decide.outcomes import from_pymc, mixture
    from decide.plots import plot_robustness
    from decide.policies import robustness
    from decide.uncertainty import decompose

    data = simulate()
    structures = ("direct", "confounder", "mediator")
    models, idata = {}, {}
    for k, name in enumerate(structures):
        model = build_model(name, data)
        idata[name] = fit(model, n_draws, random_seed + k)
        models[name] = from_pymc(model, idata[name], action="spend", outcome="lift", mode="mean")
    # the analyst's prior over the structures: equal; stacking for comparison (see the docstring)
    mix = mixture(models)
    stacked = mixture(models, weights="stacking", idata=idata, var_name="sales")
    space = Budget(BUDGET)
    decisions = {
        "mixture": optimize(mix, Mean(), space, random_seed=random_seed),
        "stacking": optimize(stacked, Mean(), space, random_seed=random_seed),
        "worst case": optimize(mix, WorstModel(Mean()), space, random_seed=random_seed),
        "half worst": optimize(mix, WorstModel(Mean(), worst=0.5), space, random_seed=random_seed),
    }
    table = robustness(decisions, mix, random_seed=random_seed)
    split = decompose(mix, decisions["mixture"].action)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(11, 3.8), gridspec_kw={"width_ratios": [1, 1.3]})
    summary = table.attrs["summary"]
    tv = table.attrs["action_columns"][0]
    shares = [table.loc[(p, structures[0]), tv] / BUDGET for p in summary.index]
    axes[0].barh(list(summary.index), shares)
    axes[0].set(xlim=(0, 1), xlabel="share of the weekly budget on tv", title="choices")
    axes[0].invert_yaxis()
    plot_robustness(table, ax=axes[1])
    fig.tight_layout()
    path = out / "model_uncertainty.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)

    print("stacking weights:", {k: round(v, 3) for k, v in stacked.weights.items()})
    for k, d in decisions.items():
        print(f"{k:>11}: tv {d.flat_action[0]:.2f}, search {d.flat_action[1]:.2f}, value {d.value:.2f}")
    print(summary[["expected_value", "worst_value", "max_regret"]].round(2))
    print(f"share of the variance from not knowing the structure: {split.structural_share:.1%}")
    return {"mixture": mix, "stacking": stacked.weights, "decisions": decisions,
            "robustness": table, "decomposition": split, "figure": path}


if __name__ == "__main__":
    main()
