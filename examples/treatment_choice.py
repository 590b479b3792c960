"""Treatment choice from a confounded causal model: adjust for the confounder, then decide.

Sicker patients (higher ``severity``) are treated more often and recover less
often, so the raw recovery rates make the treatment look useless or harmful.
A logistic outcome model that adjusts for severity (the back-door set) recovers
the causal effect; the decision compares ``do(treat)`` with ``do(no treatment)``
by standardizing over the population's severity, with a cost per treatment.
It reports P(best), the expected regret and the EVPI.

Outcomes are rewards (recoveries per patient minus cost; higher is better).

Run ``python examples/treatment_choice.py`` (writes ``treatment_choice.png``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

TRUE = {"a": 0.5, "b_treat": 0.8, "b_severity": -1.5}
COST = 0.05  # in recoveries per patient


def simulate(n: int = 600, seed: int = 1) -> dict[str, np.ndarray]:
    """Observational data: severity, treatment (more likely when severe) and recovery."""
    rng = np.random.default_rng(seed)
    severity = rng.normal(0.0, 1.0, n)
    treated = rng.random(n) < 1 / (1 + np.exp(-2.0 * severity))
    logit = TRUE["a"] + TRUE["b_treat"] * treated + TRUE["b_severity"] * severity
    recovered = rng.random(n) < 1 / (1 + np.exp(-logit))
    return {"severity": severity, "treated": treated.astype(float), "recovered": recovered.astype(float)}


def fit(data: dict[str, np.ndarray], n_draws: int, random_seed: int) -> dict[str, np.ndarray]:
    """Logistic regression of recovery on treatment and severity (PyMC); the flat draws."""
    import pymc as pm

    with pm.Model():
        a = pm.Normal("a", 0.0, 2.0)
        b_t = pm.Normal("b_treat", 0.0, 2.0)
        b_s = pm.Normal("b_severity", 0.0, 2.0)
        logit = a + b_t * data["treated"] + b_s * data["severity"]
        pm.Bernoulli("recovered", logit_p=logit, observed=data["recovered"])
        idata = pm.sample(draws=n_draws, tune=n_draws, chains=1, random_seed=random_seed,
                          progressbar=False, compute_convergence_checks=False)
    return {k: np.asarray(idata.posterior[k]).reshape(-1) for k in ("a", "b_treat", "b_severity")}


def main(n_draws: int = 1000, out_dir: str | Path = ".", random_seed: int = 2) -> dict[str, Any]:
    """Fit the adjusted model, decide, value information; write the figure.

    Returns
    -------
    dict
        ``naive_difference`` (raw recovery rate treated minus untreated),
        ``effect`` (posterior draws of the standardized causal effect), ``decision``,
        ``prob_best``, ``expected_regret`` (pandas Series), ``evpi`` (ValueOfInformation),
        ``figure``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from decide.measures import Mean
    from decide.optimization import optimize
    from decide.outcomes import from_draws
    from decide.uncertainty import evpi, expected_regret, prob_best

    data = simulate()
    t = data["treated"] == 1
    naive = float(data["recovered"][t].mean() - data["recovered"][~t].mean())
    post = fit(data, n_draws, random_seed)

    def recovery(treat: float) -> np.ndarray:
        """Standardization: mean over the population's severity of P(recover | do(treat))."""
        logit = post["a"][:, None] + post["b_treat"][:, None] * treat \
            + post["b_severity"][:, None] * data["severity"][None, :]
        return (1 / (1 + np.exp(-logit))).mean(axis=1)

    options = {"treat": recovery(1.0) - COST, "no treatment": recovery(0.0)}
    outcome = from_draws(options, conditional_mean=True)
    decision = optimize(outcome, Mean())
    pbest, regret, voi = prob_best(outcome), expected_regret(outcome), evpi(outcome)

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    effect = recovery(1.0) - recovery(0.0)
    fig, ax = plt.subplots(figsize=(6, 3.4))
    ax.hist(effect, bins=40, alpha=0.7, label="adjusted effect (posterior)")
    ax.axvline(naive, color="k", ls="--", label=f"naive difference {naive:+.3f}")
    ax.axvline(COST, color="r", ls=":", label=f"cost {COST}")
    ax.set(xlabel="recoveries per patient", title=f"decision: {decision.option}; "
           f"P(best) {pbest[decision.option]:.2f}; EVPI {voi.value:.4f}")
    ax.legend(fontsize=8)
    fig.tight_layout()
    path = out / "treatment_choice.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    print(f"naive difference {naive:+.3f}; adjusted effect {effect.mean():+.3f}; "
          f"decision {decision.option!r}; P(best) {pbest.round(3).to_dict()}; EVPI {voi.value:.4f}")
    return {"naive_difference": naive, "effect": effect, "decision": decision, "prob_best": pbest,
            "expected_regret": regret, "evpi": voi, "figure": path}


if __name__ == "__main__":
    main()
