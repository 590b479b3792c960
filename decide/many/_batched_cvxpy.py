"""Many linear units with a convex objective: one cvxpy program, compiled once, re-solved per unit.

The scenario matrix and intercepts are cvxpy Parameters (DPP), so each unit costs a
solver call, not a new canonicalization. The program is the one
:class:`decide.optimization.ConvexProblem` builds (``objective.to_cvxpy(A @ x + b)``
over the space's linear constraints), solved with CLARABEL; a unit whose solve
is not ``optimal`` goes to the per-unit loop (which tries the other solvers).
Outcomes are rewards (higher is better).
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from decide._config import SOLUTION_RTOL
from decide.many._rows import solved_rows
from decide.many._units import Batch
from decide.measures import Objective
from decide.optimization import Space, choose_method
from decide.outcomes import LinearOutcome

__all__ = ["cvxpy_all"]

Rows = dict[int, dict[str, Any]]


def _linear_units(batch: Batch, idx: Sequence[int]) -> dict[int, LinearOutcome] | None:
    if batch.kind != "mapping":
        return None
    out = {}
    for i in idx:
        model = batch.mapping[batch.labels[i]]
        if not isinstance(model, LinearOutcome):
            return None
        out[i] = model
    first = next(iter(out.values()))
    shape, labels = first.scenarios.shape, first.action_space.labels
    if any(m.scenarios.shape != shape or m.action_space.labels != labels for m in out.values()):
        return None
    return out


def cvxpy_all(
    batch: Batch,
    idx: Sequence[int],
    objective: Objective,
    spaces: Sequence[Space | None],
    method: str,
    weights: Any,
) -> tuple[Rows, list[int]]:
    """Solve linear units sharing one continuous space with one parametrized program."""
    if not idx or method not in ("auto", "cvxpy") or not objective.has_cvxpy:
        return {}, list(idx)
    space = spaces[idx[0]]
    if space is None or space.discrete or any(spaces[i] is not space for i in idx):
        return {}, list(idx)
    models = _linear_units(batch, idx)
    if models is None:
        return {}, list(idx)
    first = models[idx[0]]
    if method == "auto" and choose_method(first, objective, space, weights) != "cvxpy":
        return {}, list(idx)
    try:
        system = space.linear_constraints(first.action_space)
        system.check_feasible()
        program = _Program(first, objective, system, space.integer, weights)
    except Exception:
        return {}, list(idx)  # the loop reports the error for every unit
    rows: Rows = {}
    for i in idx:
        x = program.solve(models[i])
        if x is None:
            continue
        draws = models[i].draws_flat(x)
        value = float(objective(draws, weights))
        (row,) = solved_rows(
            first.action_space.labels, x[None, :], np.array([value]), draws[None], "cvxpy"
        )
        rows[i] = row
    return rows, [i for i in idx if i not in rows]


class _Program:
    """``max objective(A @ x + b)`` over a linear system, with ``A`` and ``b`` as Parameters."""

    def __init__(
        self, model: LinearOutcome, objective: Objective, system: Any, integer: bool, weights: Any
    ) -> None:
        import cvxpy as cp

        if integer:
            raise ValueError("integer spaces go to the loop")
        s, n = model.scenarios.shape
        self.A = cp.Parameter((s, n))
        self.b = cp.Parameter(s)
        self.x = cp.Variable(n)
        score = objective.to_cvxpy(self.A @ self.x + self.b, weights)
        self.problem = cp.Problem(cp.Maximize(score), system.cvxpy_constraints(self.x))
        if not self.problem.is_dcp(dpp=True):
            raise ValueError("not DPP: the loop rebuilds the program per unit")
        self.system = system

    def solve(self, model: LinearOutcome) -> np.ndarray | None:
        """The optimal flat action for ``model``, or None if CLARABEL is not ``optimal``."""
        self.A.value = model.scenarios
        self.b.value = model.intercept
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # a failed solve goes to the loop, which reports
                self.problem.solve(solver="CLARABEL")
        except Exception:
            return None
        if self.problem.status != "optimal" or self.x.value is None:
            return None
        x = np.clip(np.asarray(self.x.value, dtype=np.float64).reshape(-1), self.system.lb, self.system.ub)
        if self.system.violated(x, SOLUTION_RTOL) is not None:
            return None
        return x
