"""``decide demo``: the two-channel marketing budget, end to end, on an embedded posterior.

Channel A ran for only 8 of 156 weeks and looks strong but uncertain; channel B
ran every week and its smaller effect is well known. A weekly budget of 10 is
split between them. The demo loads a small posterior shipped with the package
(or refits the model with PyMC), builds next week's incremental sales under
``do(spend)`` with :func:`decide.outcomes.from_pymc` (common random numbers),
chooses the split risk-neutrally and risk-aversely (CVaR, CARA), compares the
policies on held-out draws, splits the uncertainty into its epistemic and
aleatoric parts, and writes plots and a Markdown report.

Outcomes are rewards (higher is better); risk is in the lower tail and
``alpha`` is the tail probability.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import xarray as xr

from decide._progress import Progress

__all__ = ["BUDGET", "build_model", "fit_posterior", "load_posterior", "run_demo", "simulate_history"]

BUDGET = 10.0
N_WEEKS, N_WEEKS_A = 156, 8
TRUE = {"intercept": 20.0, "beta_A": 0.9, "beta_B": 0.5, "sigma": 2.0}
FREE = ("intercept", "beta_A", "beta_B", "sigma")
ALPHA = 0.1
CARA = 0.3
RISK_AVERSIONS = (0.0, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.2)
POSTERIOR_FILE = "demo_posterior.nc"


def simulate_history(seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """Weekly spend of shape (156, 2) (A only in the last 8 weeks) and sales of shape (156,)."""
    rng = np.random.default_rng(seed)
    spend = np.zeros((N_WEEKS, 2))
    spend[-N_WEEKS_A:, 0] = rng.uniform(0.5, 1.5, N_WEEKS_A)
    spend[:, 1] = rng.uniform(0.0, 4.0, N_WEEKS)
    mu = TRUE["intercept"] + TRUE["beta_A"] * spend[:, 0] + TRUE["beta_B"] * spend[:, 1]
    return spend, mu + rng.normal(0.0, TRUE["sigma"], N_WEEKS)


def build_model(spend: np.ndarray, sales: np.ndarray, *, decision: bool = False) -> Any:
    """The linear sales model; ``decision=True`` adds next week's ``lift`` under ``spend``."""
    import pymc as pm

    with pm.Model(coords={"channel": ["A", "B"]}) as model:
        history = pm.Data("history", spend)
        intercept = pm.Normal("intercept", 20.0, 10.0)
        beta_a = pm.HalfNormal("beta_A", 2.0)
        beta_b = pm.HalfNormal("beta_B", 2.0)
        sigma = pm.HalfNormal("sigma", 5.0)
        mu = intercept + beta_a * history[:, 0] + beta_b * history[:, 1]
        pm.Normal("sales", mu, sigma, observed=sales)
        if decision:
            action = pm.Data("spend", np.full(2, BUDGET / 2), dims="channel")
            pm.Normal("lift", beta_a * action[0] + beta_b * action[1], sigma)
    return model


def fit_posterior(
    random_seed: int = 7, n_draws: int = 500, n_chains: int = 2, progressbar: bool = True
) -> xr.Dataset:
    """Sample the demo model with NUTS; the posterior of its four free variables.

    Returns
    -------
    xarray.Dataset
        ``intercept``, ``beta_A``, ``beta_B``, ``sigma`` with dims ``("chain", "draw")``.
    """
    import pymc as pm

    with build_model(*simulate_history()):
        idata = pm.sample(
            draws=n_draws, tune=n_draws, chains=n_chains, cores=1, random_seed=random_seed,
            progressbar=progressbar, compute_convergence_checks=False,
        )
    post = idata.posterior
    data = {k: (("chain", "draw"), np.asarray(post[k], dtype=np.float64)) for k in FREE}
    return xr.Dataset(data, attrs={"source": "decide demo model", "random_seed": random_seed})


def write_posterior(path: str | Path, random_seed: int = 7) -> Path:
    """Fit the demo model and store the posterior as NetCDF3 (scipy engine, no extra package)."""
    path = Path(path)
    fit_posterior(random_seed, progressbar=False).to_netcdf(path, engine="scipy")
    return path


def load_posterior() -> xr.Dataset:
    """The posterior shipped in ``decide/data/demo_posterior.nc`` (500 draws x 2 chains)."""
    ref = resources.files("decide") / "data" / POSTERIOR_FILE
    with resources.as_file(ref) as path, xr.open_dataset(path, engine="scipy") as ds:
        return ds.load()


def _share_a(action: np.ndarray) -> float:
    return float(np.asarray(action)[0] / BUDGET)


def run_demo(
    out_dir: str | Path = "decide-demo",
    *,
    random_seed: int = 7,
    refit: bool = False,
    quiet: bool = False,
    n_replicates: int = 40,
    echo: Callable[[str], None] = print,
) -> dict[str, Any]:
    """Run the demo end to end and write its plots and report to ``out_dir``.

    Parameters
    ----------
    out_dir : str or Path
        Output folder (created).
    random_seed : int
        Seeds the outcome noise, the held-out split, the optimizers and (with
        ``refit``) the sampler; the same seed gives the same numbers.
    refit : bool
        Sample the model with PyMC instead of loading the shipped posterior.
    quiet : bool
        No progress bars and no printed tables.
    n_replicates : int
        Outcome replicates per posterior draw.
    echo : callable
        Receives each printed block (default ``print``).

    Returns
    -------
    dict
        ``table`` (the comparison DataFrame), ``decisions`` (policy -> Decision),
        ``decompositions`` (policy -> Decomposition), ``sweep`` (DataFrame),
        ``evpi`` (ValueOfInformation), ``prob_best`` (Series), ``files`` (name -> Path).
    """
    from decide.cli._demo_report import write_demo_outputs
    from decide.measures import CVaR, ExpectedUtility, Exponential, Mean
    from decide.optimization import Budget, optimize
    from decide.outcomes import from_pymc
    from decide.policies import compare, sweep
    from decide.uncertainty import decompose, evpi, prob_best

    say = (lambda s: None) if quiet else echo
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    if refit:
        say("fitting the sales model with PyMC (NUTS, 2 chains x 500 draws)...")
        posterior = fit_posterior(random_seed, progressbar=not quiet)
        source = f"refitted with PyMC (random_seed={random_seed})"
    else:
        posterior = load_posterior()
        source = f"shipped posterior decide/data/{POSTERIOR_FILE}"
    spend, sales = simulate_history()
    outcome = from_pymc(
        build_model(spend, sales, decision=True), posterior, action="spend", outcome="lift",
        mode="crn", n_replicates=n_replicates, random_seed=random_seed,
    )
    space = Budget(BUDGET)
    objectives = {
        "risk-neutral": Mean(),
        f"CVaR({ALPHA:g})": CVaR(ALPHA),
        f"CARA({CARA:g})": ExpectedUtility(Exponential(CARA)),
    }
    fixed = {"equal split": np.array([BUDGET / 2, BUDGET / 2]), "all on B": np.array([0.0, BUDGET])}
    decisions = {}
    with Progress(len(objectives), "optimizing", enabled=not quiet) as bar:
        for name, objective in objectives.items():
            decisions[name] = optimize(outcome, objective, space=space, random_seed=random_seed)
            bar.update()
    table = compare(outcome, {**objectives, **fixed}, space=space, random_seed=random_seed)
    actions = {name: d.flat_action for name, d in decisions.items()} | fixed
    splits = {name: decompose(outcome, a, alpha=ALPHA) for name, a in actions.items()}
    rows = []
    with Progress(len(RISK_AVERSIONS), "risk-aversion sweep", enabled=not quiet) as bar:
        for a in RISK_AVERSIONS:
            rows.append(sweep(outcome, lambda v: ExpectedUtility(Exponential(v)), [a], space,
                              parameter="risk_aversion", random_seed=random_seed))
            bar.update()
    import pandas as pd

    swept = pd.concat(rows, ignore_index=True)
    swept.attrs = rows[0].attrs
    grid = {f"A={s:.0%}": [BUDGET * s, BUDGET * (1 - s)] for s in np.linspace(0.0, 1.0, 11)}
    voi = evpi(outcome, grid)
    pbest = prob_best(outcome, grid)
    result = {
        "table": table, "decisions": decisions, "decompositions": splits, "sweep": swept,
        "evpi": voi, "prob_best": pbest, "outcome": outcome, "source": source,
        "shares": {name: _share_a(a) for name, a in actions.items()},
    }
    result["files"] = write_demo_outputs(result, out, random_seed=random_seed, echo=say)
    return result
