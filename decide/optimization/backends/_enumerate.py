"""The enumeration backend: score every option of a :class:`Discrete` space."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from decide.optimization._decision import Decision, Diagnostics
from decide.optimization._discrete import Discrete
from decide.optimization._problem import Problem
from decide.optimization.backends._base import Backend, register

__all__ = ["EnumerateBackend", "solve_enumerate"]


def option_draws(prob: Problem, X: np.ndarray) -> list[np.ndarray]:
    """Outcome draws of every candidate action (one matrix product for affine outcomes)."""
    aff = prob.outcome.affine_form()
    if aff is not None and np.ndim(aff[0]) == 2:
        A, b = (np.asarray(v, dtype=np.float64) for v in aff)
        D = A @ X.T + b[:, None]
        return [np.ascontiguousarray(D[:, k]) for k in range(X.shape[0])]
    return [np.asarray(prob.outcome.draws_flat(x)) for x in X]


def solve_enumerate(prob: Problem, space: Discrete) -> Decision:
    """Score each option; the best one wins, ties going to the first option listed.

    Returns
    -------
    Decision
        With ``option`` set to the winning label and ``table`` holding every
        option's score (column ``value``) in the order given.
    """
    labels, X = space.resolve(prob.outcome)
    draws = option_draws(prob, X)
    scores = np.array([float(prob.objective(d, prob.weights, action=a)) for d, a in zip(draws, X)])
    prob.evaluations += len(draws)
    feasible = np.ones(len(draws), dtype=bool)
    if prob.constraints:
        # constraints on outcomes: an option is kept only if it meets every one, exactly
        vals = np.array([[c.value(d, prob.weights, action=a) for c in prob.constraints]
                         for d, a in zip(draws, X)]).reshape(len(draws), len(prob.constraints))
        for j, c in enumerate(prob.constraints):
            feasible &= vals[:, j] >= c.bound if c.sense == ">=" else vals[:, j] <= c.bound
        if not feasible.any():
            from decide.optimization._outcome_constraints import raise_infeasible

            raise_infeasible(
                prob,
                lambda c: float(vals[:, prob.constraints.index(c)].max() if c.sense == ">="
                                else vals[:, prob.constraints.index(c)].min()),
                f"over the {len(draws)} options",
            )
    k = int(np.argmax(np.where(feasible, scores, -np.inf)))  # first maximum: deterministic tie-break
    ties = int(np.sum((scores == scores[k]) & feasible))
    diag = Diagnostics(
        status="optimal", converged=True, iterations=1, evaluations=len(draws), solver="enumerate"
    )
    if ties > 1:
        diag.notes.append(f"{ties} options tie at the best score; kept the first listed")
    cols: dict[str, Any] = {"value": scores, "best": np.arange(len(labels)) == k}
    if prob.constraints:
        cols["feasible"] = feasible
        diag.notes.append(f"{int(feasible.sum())} of {len(labels)} options meet the constraints")
    table = pd.DataFrame(cols, index=pd.Index(list(labels), name="option"))
    return prob.finish(
        X[k], "enumerate", diag, option=labels[k], table=table, value=scores[k], draws=draws[k]
    )


@register
class EnumerateBackend(Backend):
    """``method="enumerate"``: every option of a :class:`Discrete` space, scored exactly."""

    name = "enumerate"

    def accepts(self, problem: Problem) -> str | None:
        return None if problem.space.discrete else "enumeration needs a Discrete space"

    def auto_rank(self, problem: Problem, *, repeated: bool = False) -> float | None:
        return 1.0

    def solve(self, problem: Problem, rng: np.random.Generator, options: dict[str, Any]) -> Decision:
        assert isinstance(problem.space, Discrete)
        return solve_enumerate(problem, problem.space)
