"""Decide, learn, decide again: how many weeks of testing channel A are worth paying for?

The seed's two channels (see ``two_channels_uncertainty.py``): channel A ran for
only 8 of 156 weeks and its effect is uncertain; channel B is well measured. The
budget split is chosen from the posterior. Before committing, we could run A
alone for ``n`` weeks at a fixed test spend. This script

1. describes that test as an ``Experiment`` on the PyMC model: new weeks simulated
   from the model's own likelihood at ``do(spend = test spend)``;
2. estimates its expected value of sample information (``evsi``, regression
   on the simulated weekly sales) for ``n`` = 1 ... 32 weeks;
3. nets out the cost of testing (``enbs``: a fixed cost and a cost per test
   week, the information used for weekly decisions over two years, discounted)
   and finds the best ``n``;
4. refits the model after a disappointing and after an encouraging simulated
   test of that length, and shows how the budget split would change.

Outcomes are rewards (sales units, higher is better); risk is in the lower tail
and ``alpha`` is the tail probability.

Run ``python examples/two_channels_experiment.py`` (writes
``two_channels_experiment.png`` to the current directory).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

TEST_SPEND = [2.0, 0.0]  # one test week: spend 2 on A, nothing on B
FIXED_COST, COST_PER_WEEK = 5.0, 1.0  # sales units
WEEKS_PER_YEAR, YEARS, DISCOUNT = 52, 2, 0.05


def _seed_example() -> Any:
    """The data, model and fit of ``two_channels_uncertainty.py`` (loaded from the same folder)."""
    path = Path(__file__).with_name("two_channels_uncertainty.py")
    spec = importlib.util.spec_from_file_location("two_channels_uncertainty", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def main(
    n_draws: int = 500,
    n_chains: int = 2,
    sizes: tuple[int, ...] = (1, 2, 4, 8, 16, 32),
    refit_draws: int = 300,
    out_dir: str | Path = ".",
    random_seed: int = 7,
) -> dict[str, Any]:
    """Fit, value the test at each length, choose the length, decide again after it.

    Parameters
    ----------
    n_draws, n_chains : int
        Posterior draws per chain (and tuning steps) and chains of the fit.
    sizes : tuple of int
        Test lengths in weeks.
    refit_draws : int
        Draws (and tuning steps) of each refit after a simulated test.
    out_dir : str or Path
        Where the PNG is written.
    random_seed : int
        Seed of the sampler, the simulations and the bootstrap.

    Returns
    -------
    dict
        ``evsi`` (EVSI result), ``enbs`` (ENBS), ``share_before``
        (share of the budget on A now), ``share_after`` (dict: "disappointing" and
        "encouraging" test -> share on A after refitting), ``beta_a_after`` (the same
        keys -> posterior mean of A's effect after refitting), ``figure`` (PNG path).
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from decide.measures import Mean
    from decide.optimization import Discrete, optimize
    from decide.outcomes import from_pymc
    from decide.plots import plot_enbs, plot_evsi
    from decide.uncertainty import Experiment, enbs, evsi

    seed = _seed_example()
    spend, sales = seed.simulate_history()
    idata = seed.fit(seed.build_model(spend, sales), n_draws, n_chains, random_seed)
    outcome = from_pymc(
        seed.build_model(spend, sales, decision=True), idata, action="spend", outcome="lift",
        mode="crn", n_replicates=20, random_seed=random_seed,
    )
    grid = seed.allocations()
    test = Experiment.from_pymc(
        lambda d: seed.build_model(d["spend"], d["sales"]),
        {"spend": spend, "sales": sales},
        {"spend": TEST_SPEND},
        observed="sales",
        draws=refit_draws,
        tune=refit_draws,
        chains=1,
        params=["beta_A", "intercept"],
        name=f"test A at spend {TEST_SPEND[0]:g}",
    )
    value = evsi(outcome, grid, test, n=list(sizes), posterior=idata, random_seed=random_seed)
    net = enbs(value, fixed_cost=FIXED_COST, cost_per_unit=COST_PER_WEEK,
               decisions_per_period=WEEKS_PER_YEAR, horizon=YEARS, discount_rate=DISCOUNT,
               random_seed=random_seed)

    space = Discrete(grid)

    def share_a(model: Any) -> float:
        return float(np.asarray(optimize(model, Mean(), space=space).flat_action)[0] / seed.BUDGET)

    before = share_a(outcome)
    # decide again after a test of the chosen length, simulated at a low and a high draw of beta_A
    n_test = net.optimal_n or max(sizes)
    post = {k: np.asarray(idata.posterior[k]).reshape(-1) for k in ("intercept", "beta_A", "beta_B", "sigma")}
    beta_a = post["beta_A"]
    rng = np.random.default_rng(random_seed)
    after, beta_after = {}, {}
    for label, q in (("disappointing", 0.1), ("encouraging", 0.9)):
        s = int(np.argmin(np.abs(beta_a - np.quantile(beta_a, q))))
        draw = {k: v[[s]] for k, v in post.items()}
        weeks = test.simulate(draw, n_test, rng)[0]
        refit = test.updated(weeks, n_test, draw, rng)[0]
        assert refit is not None
        beta_after[label] = float(np.mean(refit["beta_A"]))
        after[label] = share_a(outcome.with_parameters(refit))

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    path = out / "two_channels_experiment.png"
    fig, axes = plt.subplots(1, 2, figsize=(11, 4))
    plot_evsi(value, enbs=net, ax=axes[0])
    plot_enbs(net, ax=axes[1])
    fig.tight_layout()
    fig.savefig(path, dpi=100)
    plt.close(fig)

    print(value.table[["evsi", "standard_error"]].round(4).to_string())
    print(f"EVPPI(beta_A, intercept) {value.evppi:.4f}; EVPI {value.evpi:.4f} (per weekly decision)")
    print(net.table[["population_evsi", "cost", "enbs", "prob_optimal"]].round(3).to_string())
    print(net.message)
    print(f"share of the budget on A now: {before:.0%}; after a {n_test}-week test: "
          + ", ".join(f"{k} {v:.0%} (A's effect {beta_after[k]:.2f})" for k, v in after.items()))
    print(f"figure: {path}")
    return {
        "evsi": value,
        "enbs": net,
        "share_before": before,
        "share_after": after,
        "beta_a_after": beta_after,
        "n_test": n_test,
        "figure": path,
    }


if __name__ == "__main__":
    main()
