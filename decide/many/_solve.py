"""The per-unit loop: :func:`decide.optimize` on each unit, failures recorded."""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from decide.many._rows import failed_row, solved_rows
from decide.many._units import Batch
from decide.measures import Objective
from decide.optimization import Space, optimize

__all__ = ["join_warnings", "solve_unit"]


def join_warnings(caught: Sequence[warnings.WarningMessage]) -> str | None:
    """The distinct warning messages of one unit, ``"Category: message"`` joined by ``" | "``."""
    seen: dict[str, None] = {}
    for w in caught:
        seen.setdefault(f"{w.category.__name__}: {w.message}", None)
    return " | ".join(seen) or None


def solve_unit(
    batch: Batch,
    i: int,
    objective: Objective,
    space: Space | None,
    method: str,
    seed: np.random.SeedSequence,
    options: dict[str, Any],
) -> dict[str, Any]:
    """Solve unit ``i`` with ``optimize``; never raises (a failure becomes the row's ``error``).

    Warnings raised while solving (e.g. :class:`~decide.errors.ConvergenceWarning`)
    are recorded in the row's ``warnings`` column instead of being emitted.
    """
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            outcome = batch.outcome(i)
            decision = optimize(
                outcome, objective, space, method=method,
                random_seed=np.random.default_rng(seed), **options,
            )
            draws = np.asarray(decision.draws, dtype=np.float64)
            (row,) = solved_rows(
                outcome.action_space.labels,
                decision.flat_action[None, :],
                np.array([decision.value]),
                draws[None],
                decision.method,
                options=None if decision.option is None else [decision.option],
                converged=[decision.converged],
                verification=[
                    "not verified" if decision.diagnostics.verification is None
                    else decision.diagnostics.verification.label
                ],
            )
        except Exception as exc:  # one failing unit never aborts the batch
            row = failed_row(exc)
    row["warnings"] = join_warnings(caught)
    return row
