"""Two marketing channels: a large but barely measured effect against a small, well-known one.

Channel A ran for only 8 of the 156 weeks of history and looks strong; channel B
ran every week and its (smaller) effect is pinned down. A fixed weekly budget
must be split between them. This script fits the sales model with PyMC, builds
the outcome of next week's incremental sales under ``do(spend)`` with
``decide.outcomes.from_pymc`` (common random numbers, so every posterior draw
carries outcome replicates and the conditional mean is exact), and shows:

1. the risk-neutral allocation puts the budget on A;
2. a CVaR (or CARA expected-utility) allocation shifts it toward B;
3. ``decompose``: A's risk is mostly epistemic (ignorance about its effect),
   B's mostly aleatoric (weekly noise);
4. ``evppi``: learning A's effect is worth almost all of the EVPI, learning B's
   almost nothing; running A for longer is the informative experiment.

Outcomes are rewards (higher is better); risk is in the lower tail and
``alpha`` is the tail probability.

Run ``python examples/two_channels_uncertainty.py`` (writes
``two_channels_uncertainty.png`` to the current directory).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

BUDGET = 10.0
N_WEEKS, N_WEEKS_A = 156, 8
TRUE = {"intercept": 20.0, "beta_A": 0.9, "beta_B": 0.5, "sigma": 2.0}


def simulate_history(seed: int = 11) -> tuple[np.ndarray, np.ndarray]:
    """Weekly spend ``(156, 2)`` (A only in the last 8 weeks) and sales ``(156,)``."""
    rng = np.random.default_rng(seed)
    spend = np.zeros((N_WEEKS, 2))
    spend[-N_WEEKS_A:, 0] = rng.uniform(0.5, 1.5, N_WEEKS_A)
    spend[:, 1] = rng.uniform(0.0, 4.0, N_WEEKS)
    sales = (
        TRUE["intercept"]
        + TRUE["beta_A"] * spend[:, 0]
        + TRUE["beta_B"] * spend[:, 1]
        + rng.normal(0.0, TRUE["sigma"], N_WEEKS)
    )
    return spend, sales


def build_model(spend: np.ndarray, sales: np.ndarray, *, decision: bool = False) -> Any:
    """Linear sales model; with ``decision=True`` also next week's ``lift`` under ``spend``.

    The model is fitted without the ``lift`` node (nothing to learn about it);
    ``from_pymc`` then resimulates ``lift`` under ``do(spend)`` from the posterior.
    """
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


def fit(model: Any, n_draws: int, n_chains: int, random_seed: int) -> Any:
    import pymc as pm

    with model:
        return pm.sample(
            draws=n_draws,
            tune=n_draws,
            chains=n_chains,
            cores=1,
            random_seed=random_seed,
            progressbar=False,
            compute_convergence_checks=False,
        )


def allocations(n: int = 11) -> dict[str, list[float]]:
    """Candidate splits of the budget: the share of A from 0% to 100%."""
    return {f"A={s:.0%}": [BUDGET * s, BUDGET * (1 - s)] for s in np.linspace(0.0, 1.0, n)}


def main(
    n_draws: int = 500,
    n_chains: int = 2,
    n_replicates: int = 40,
    out_dir: str | Path = ".",
    random_seed: int = 7,
) -> dict[str, Any]:
    """Fit, decide, explain; write the figure; return the numbers shown.

    Parameters
    ----------
    n_draws : int
        Posterior draws per chain (and tuning steps).
    n_chains : int
        MCMC chains (run sequentially).
    n_replicates : int
        Outcome replicates per posterior draw.
    out_dir : str or Path
        Where the PNG is written.
    random_seed : int
        Seed of the sampler and of the outcome noise.

    Returns
    -------
    dict
        ``neutral``, ``cvar``, ``cara`` (share of the budget on A of each
        decision), ``decompose`` (Decomposition per allocation label),
        ``evpi``, ``evppi_A``, ``evppi_B`` (ValueOfInformation), ``prob_best``,
        ``expected_regret`` (pandas Series), ``figure`` (the PNG path),
        ``outcome`` (the PyMC outcome model) and ``grid`` (the allocations).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from decide.measures import CVaR, ExpectedUtility, Exponential, Mean
    from decide.optimization import Discrete, optimize
    from decide.outcomes import from_pymc
    from decide.uncertainty import decompose, evpi, evppi, expected_regret, prob_best

    spend, sales = simulate_history()
    idata = fit(build_model(spend, sales), n_draws, n_chains, random_seed)
    outcome = from_pymc(
        build_model(spend, sales, decision=True), idata, action="spend", outcome="lift", mode="crn",
        n_replicates=n_replicates, random_seed=random_seed,
    )
    grid = allocations()
    space = Discrete(grid)

    def share_a(decision: Any) -> float:
        return float(np.asarray(decision.flat_action)[0] / BUDGET)

    neutral = optimize(outcome, Mean(), space=space)
    tail = optimize(outcome, CVaR(alpha=0.1), space=space)
    cara = optimize(outcome, ExpectedUtility(Exponential(0.3)), space=space)

    splits = {
        label: decompose(outcome, grid[label], alpha=0.1)
        for label in ("A=100%", "A=50%", "A=0%")
    }
    voi = evpi(outcome, grid)
    # parameter draws in the outcome's sample order (chain-major, no thinning)
    part_a = evppi(outcome, grid, params=["beta_A"], posterior=idata, random_seed=random_seed)
    part_b = evppi(outcome, grid, params=["beta_B"], posterior=idata, random_seed=random_seed)
    pbest = prob_best(outcome, grid)
    regret = expected_regret(outcome, grid)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "two_channels_uncertainty.png"
    fig, axes = plt.subplots(1, 3, figsize=(13, 3.8))
    post = {k: np.asarray(idata.posterior[k]).reshape(-1) for k in ("beta_A", "beta_B")}
    axes[0].hist(post["beta_A"], bins=40, alpha=0.6, label="A (8 weeks)")
    axes[0].hist(post["beta_B"], bins=40, alpha=0.6, label="B (156 weeks)")
    axes[0].set(title="posterior effect per unit spend", xlabel="effect")
    axes[0].legend()
    labels = list(splits)
    epi = [splits[k].epistemic for k in labels]
    ale = [splits[k].aleatoric for k in labels]
    axes[1].bar(labels, epi, label="epistemic")
    axes[1].bar(labels, ale, bottom=epi, label="aleatoric")
    axes[1].set(title="variance of next week's lift", ylabel="variance")
    axes[1].legend()
    axes[2].bar(["EVPI", "EVPPI(beta_A)", "EVPPI(beta_B)"],
                [voi.value, part_a.value, part_b.value],
                yerr=[voi.standard_error, part_a.standard_error, part_b.standard_error])
    axes[2].set(title="value of information (sales units)")
    fig.suptitle(
        f"risk-neutral: {share_a(neutral):.0%} on A; CVaR(10%): {share_a(tail):.0%} on A; "
        f"CARA: {share_a(cara):.0%} on A"
    )
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)

    print(f"risk-neutral share on A: {share_a(neutral):.0%}")
    print(f"CVaR(alpha=0.1) share on A: {share_a(tail):.0%}")
    print(f"CARA (a=0.3) share on A: {share_a(cara):.0%}")
    for label, d in splits.items():
        print(f"{label}: epistemic share {d.epistemic_share:.0%}, "
              f"tail (epistemic / aleatoric) {d.tail_epistemic:.2f} / {d.tail_aleatoric:.2f}")
    print(f"EVPI {voi.value:.3f} +- {voi.standard_error:.3f}; EVPPI(beta_A) {part_a.value:.3f}; "
          f"EVPPI(beta_B) {part_b.value:.3f}")
    print(f"P(best): {pbest.round(3).to_dict()}")
    print(f"figure: {path}")
    return {
        "neutral": share_a(neutral),
        "cvar": share_a(tail),
        "cara": share_a(cara),
        "decompose": splits,
        "evpi": voi,
        "evppi_A": part_a,
        "evppi_B": part_b,
        "prob_best": pbest,
        "expected_regret": regret,
        "figure": path,
        "outcome": outcome,
        "grid": grid,
    }


if __name__ == "__main__":
    main()
