"""Portfolio weights from scenario returns: CVaR and mean-variance frontiers on the cvxpy path.

Posterior predictive returns of four assets (scenarios, one row per draw) make
the outcome affine in the weights, ``linear(R)``; decide then solves CVaR as a
linear program and mean-variance as a quadratic program, exactly. The two
frontiers are traced by re-solving one convex program as the risk aversion
grows; the minimum-variance end is checked against the closed form
``w = S^-1 1 / (1' S^-1 1)``.

Outcomes are rewards (portfolio returns; higher is better); risk is in the lower
tail and ``alpha`` is the tail probability.

Run ``python examples/portfolio.py`` (writes ``portfolio.png``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

ASSETS = ("bonds", "credit", "equity", "emerging")
MU = np.array([0.02, 0.035, 0.06, 0.08])
VOL = np.array([0.05, 0.07, 0.12, 0.16])
CORR = np.array([[1.0, 0.2, 0.0, 0.0], [0.2, 1.0, 0.3, 0.3], [0.0, 0.3, 1.0, 0.5],
                 [0.0, 0.3, 0.5, 1.0]])


def scenarios(n: int, seed: int) -> np.ndarray:
    """Student-t (5 dof) return scenarios ``(n, 4)``: a posterior predictive stand-in."""
    rng = np.random.default_rng(seed)
    cov = CORR * np.outer(VOL, VOL)
    z = rng.multivariate_normal(np.zeros(4), cov * 3 / 5, size=n)
    return MU + z / np.sqrt(rng.chisquare(5, size=(n, 1)) / 5)


def main(n_samples: int = 5000, n_points: int = 12, out_dir: str | Path = ".",
         random_seed: int = 0) -> dict[str, Any]:
    """Optimize CVaR(0.05), trace both frontiers, write the figure.

    Returns
    -------
    dict
        ``cvar`` (Decision), ``cvar_frontier`` and ``mv_frontier`` (DataFrames),
        ``min_variance`` (closed-form weights), ``scenarios``, ``figure``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from decide.measures import CVaR, Variance
    from decide.optimization import Budget, optimize
    from decide.outcomes import linear

    R = scenarios(n_samples, random_seed)
    outcome = linear(R, coords=list(ASSETS))
    space = Budget(1.0)
    tail = optimize(outcome, CVaR(0.05), space=space)
    cvar_front = frontier_table(outcome, CVaR(0.05), space, n_points)
    mv_front = frontier_table(outcome, Variance(), space, n_points)
    inv = np.linalg.inv(np.cov(R, rowvar=False, bias=True))
    w_min = inv.sum(1) / inv.sum()

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, 2, figsize=(10, 3.6))
    for ax, table, name in ((axes[0], cvar_front, "minus CVaR 5% (LP)"),
                            (axes[1], mv_front, "variance (QP)")):
        ax.plot(table["risk"], table["mean"], "o-")
        ax.set(xlabel=f"risk: {name}", ylabel="expected return", title="efficient frontier")
    fig.tight_layout()
    path = out / "portfolio.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    print("CVaR(0.05) weights:", {a: round(float(w), 3) for a, w in zip(ASSETS, tail.flat_action)}, f"({tail.method})")
    return {"cvar": tail, "cvar_frontier": cvar_front, "mv_frontier": mv_front,
            "min_variance": w_min, "scenarios": R, "figure": path}


def frontier_table(outcome: Any, risk: Any, space: Any, n_points: int) -> Any:
    """Mean against risk as the risk aversion ``lam`` of ``Mean() + lam * risk`` grows.

    Each point is one exact convex program (``optimize(..., method="cvxpy")``,
    through :func:`decide.policies.sweep`); ``risk`` is reported on the loss
    scale (lower is better): minus the score of ``risk`` at the chosen weights.
    """
    from decide.measures import Mean
    from decide.policies import sweep

    lams = np.concatenate([[0.0], np.geomspace(0.05, 200.0, n_points - 1)])
    table = sweep(outcome, lambda lam: Mean() + lam * risk, lams, space,
                  parameter="risk_aversion", method="cvxpy")
    draws = outcome.draws
    cols = table.attrs["action_columns"]
    table["risk"] = [-risk(draws(row)) for row in table[cols].to_numpy()]
    return table


if __name__ == "__main__":
    main()
