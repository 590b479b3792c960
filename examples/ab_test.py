"""A/B/n test: expected loss, P(best), EVPI and a stop-or-continue rule.

Three variants of a page with Beta-binomial conversion posteriors (conjugate:
exact draws, no sampling). decide ranks the arms by expected conversion,
reports the probability each is best and each arm's expected loss (expected
regret against the best arm in hindsight), and the EVPI. The rule: stop and
ship the arm with the smallest expected loss once that loss is below a
threshold of caring; otherwise keep the test running.

Outcomes are rewards (conversion rates; higher is better).

Run ``python examples/ab_test.py`` (writes ``ab_test.png``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

RATES = {"A": 0.100, "B": 0.108, "C": 0.125}
THRESHOLD = 0.001  # expected loss we are willing to accept (conversion points)


def posterior_draws(visitors: int, n_samples: int, seed: int) -> dict[str, np.ndarray]:
    """Beta(1 + conversions, 1 + misses) draws per arm after ``visitors`` per arm."""
    rng = np.random.default_rng(seed)
    draws = {}
    for arm, p in RATES.items():
        conv = rng.binomial(visitors, p)
        draws[arm] = rng.beta(1 + conv, 1 + visitors - conv, n_samples)
    return draws


def decide_test(draws: dict[str, np.ndarray], threshold: float = THRESHOLD) -> dict[str, Any]:
    """Expected loss, P(best), EVPI and the stop-or-continue decision for one look at the data."""
    from decide.outcomes import from_draws
    from decide.uncertainty import evpi, expected_regret, prob_best

    outcome = from_draws(draws, conditional_mean=True)
    loss = expected_regret(outcome)
    best = str(loss.idxmin())
    return {"expected_loss": loss, "prob_best": prob_best(outcome), "evpi": evpi(outcome),
            "best": best, "stop": bool(loss[best] < threshold)}


def main(visitors: tuple[int, ...] = (500, 20000), n_samples: int = 20000,
         out_dir: str | Path = ".", random_seed: int = 4) -> dict[str, Any]:
    """Look at the test after each number of visitors per arm; write the figure.

    Returns
    -------
    dict
        ``looks``: visitors -> the result of :func:`decide_test`; ``figure``.
    """
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    looks = {n: decide_test(posterior_draws(n, n_samples, random_seed + i))
             for i, n in enumerate(visitors)}
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    fig, axes = plt.subplots(1, len(looks), figsize=(4.5 * len(looks), 3.2), squeeze=False)
    for ax, (n, r) in zip(axes[0], looks.items()):
        ax.bar(r["expected_loss"].index, r["expected_loss"].values)
        ax.axhline(THRESHOLD, color="r", ls=":", label="threshold")
        ax.set(title=f"{n} visitors/arm: {'stop, ship ' + r['best'] if r['stop'] else 'continue'}",
               ylabel="expected loss")
        ax.legend(fontsize=8)
    fig.tight_layout()
    path = out / "ab_test.png"
    fig.savefig(path, dpi=80)
    plt.close(fig)
    for n, r in looks.items():
        print(f"{n} visitors/arm: P(best) {r['prob_best'].round(3).to_dict()}, "
              f"EVPI {r['evpi'].value:.5f}, {'stop: ship ' + r['best'] if r['stop'] else 'continue'}")
    return {"looks": looks, "figure": path}


if __name__ == "__main__":
    main()
