"""From a CausalPy experiment result to a go/no-go decision.

An interrupted time series in CausalPy estimates the causal impact of a pilot
(for example a price change in a few stores). decide turns the posterior draws
of the cumulative impact into a decision: roll out (``go``: the impact scaled
to the whole chain, minus the rollout cost) or not (``no-go``: zero), with the
probability that rolling out is best, the expected regret of each choice and
the EVPI.

CausalPy is optional: without it the script prints a message and skips.
Outcomes are rewards (higher is better); risk is in the lower tail.

Run ``python examples/causalpy_decision.py``.
"""

from __future__ import annotations

import importlib.util
from pathlib import Path
from typing import Any

import numpy as np

SKIP_MESSAGE = ("CausalPy is not installed: this example needs it (pip install causalpy); "
                "skipping.")
SCALE, COST = 20.0, 150.0  # stores in the rollout, cost of the rollout (sales units)


def main(n_draws: int = 500, out_dir: str | Path = ".", random_seed: int = 0) -> dict[str, Any]:
    """Fit the interrupted time series with CausalPy and decide go / no-go.

    Returns
    -------
    dict
        ``skipped`` (True without CausalPy, with ``message``), else ``decision``,
        ``prob_best``, ``expected_regret``, ``evpi``.
    """
    if importlib.util.find_spec("causalpy") is None:
        print(SKIP_MESSAGE)
        return {"skipped": True, "message": SKIP_MESSAGE}
    import causalpy as cp
    import pandas as pd

    from decide.measures import Mean
    from decide.optimization import optimize
    from decide.outcomes import from_draws
    from decide.uncertainty import evpi, expected_regret, prob_best

    rng = np.random.default_rng(random_seed)
    t = np.arange(100)
    y = 50 + 0.1 * t + rng.normal(0, 1.0, t.size) + np.where(t >= 70, 0.4, 0.0)
    df = pd.DataFrame({"t": t, "y": y})
    model = cp.pymc_models.LinearRegression(
        sample_kwargs={"draws": n_draws, "chains": 2, "random_seed": random_seed,
                       "progressbar": False})
    result = cp.InterruptedTimeSeries(df, treatment_time=70, formula="y ~ 1 + t", model=model)
    impact = result.post_impact.sum("obs_ind")  # cumulative impact per posterior draw
    draws = np.asarray(impact.stack(sample=("chain", "draw"))).reshape(-1)
    outcome = from_draws({"go": SCALE * draws - COST, "no-go": np.zeros_like(draws)})
    decision = optimize(outcome, Mean())
    out = {"skipped": False, "decision": decision, "prob_best": prob_best(outcome),
           "expected_regret": expected_regret(outcome), "evpi": evpi(outcome)}
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    print(f"decision: {decision.option}; P(best) {out['prob_best'].round(3).to_dict()}; "
          f"EVPI {out['evpi'].value:.2f}")
    return out


if __name__ == "__main__":
    main()
