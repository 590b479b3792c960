"""Decide before the data: the two-channel budget on prior draws, then on the posterior.

"Simulate first": before fitting, run the whole decision on draws from the
prior. It shows what the decision would be with no data, how much of the risk
is ignorance (nearly all of it) and what information would be worth. Then the
same pipeline on the posterior (the one shipped with ``decide demo``) shows
what the data bought: a smaller EVPI and a smaller epistemic share.

Outcomes are rewards (higher is better); risk is in the lower tail and
``alpha`` is the tail probability.

Run ``python examples/simulate_first.py`` (writes ``simulate_first.png``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np


def main(n_prior: int = 1000, n_replicates: int = 20, out_dir: str | Path = ".",
         random_seed: int = 1) -> dict[str, Any]:
    """Decide on the prior and on the posterior; write the figure.

    Returns
    -------
    dict
        ``prior`` and ``posterior``: dicts with ``share_on_A`` (risk-neutral and
        CVaR(0.1)), ``evpi`` (ValueOfInformation), ``epistemic_share`` (at the
        equal split); ``figure``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    import pymc as pm

    from decide.cli._demo import BUDGET, build_model, load_posterior, simulate_history
    from decide.measures import CVaR, Mean
    from decide.optimization import Budget, optimize
    from decide.outcomes import from_pymc
    from decide.uncertainty import decompose, evpi

    spend, sales = simulate_history()
    model = build_model(spend, sales, decision=True)
    with build_model(spend, sales):
        prior = pm.sample_prior_predictive(draws=n_prior, random_seed=random_seed)
    sources = {"prior": (prior, "prior"), "posterior": (load_posterior(), "posterior")}
    grid = {f"A={s:.0%}": [BUDGET * s, BUDGET * (1 - s)] for s in np.linspace(0, 1, 11)}
    results = {}
    for name, (draws, group) in sources.items():
        om = from_pymc(model, draws, action="spend", outcome="lift", mode="crn",
                       n_replicates=n_replicates, group=group, random_seed=random_seed)
        share = {label: float(optimize(om, obj, space=Budget(BUDGET), random_seed=random_seed)
                              .flat_action[0] / BUDGET)
                 for label, obj in (("risk-neutral", Mean()), ("CVaR(0.1)", CVaR(0.1)))}
        results[name] = {"share_on_A": share, "evpi": evpi(om, grid),
                         "epistemic_share": decompose(om, np.array([5.0, 5.0])).epistemic_share}

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(9, 3.2))
    names = list(results)
    axes[0].bar(names, [results[k]["evpi"].value for k in names])
    axes[0].set(title="EVPI over 11 budget splits", ylabel="sales units")
    axes[1].bar(names, [results[k]["epistemic_share"] for k in names])
    axes[1].set(title="epistemic share of the variance (equal split)", ylim=(0, 1))
    fig.tight_layout()
    path = out / "simulate_first.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    for k, r in results.items():
        print(f"{k}: share on A {r['share_on_A']}, EVPI {r['evpi'].value:.3f}, "
              f"epistemic share {r['epistemic_share']:.0%}")
    return {**results, "figure": path}


if __name__ == "__main__":
    main()
