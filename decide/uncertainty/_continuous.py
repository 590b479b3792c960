"""EVPI over a continuous action space: optimize the action for every posterior draw.

Outcomes are rewards (higher is better). Draw arrays put the sample axis first.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from decide._validation import as_rng
from decide.errors import DecideTypeError, DecideValueError, SolverError
from decide.measures import Objective
from decide.outcomes import OutcomeModel
from decide.uncertainty._utility import _model_utility
from decide.uncertainty._voi import ValueOfInformation

if TYPE_CHECKING:
    from decide.optimization import LinearSystem

__all__ = ["evpi_continuous"]


class _PerSampleAverage(Objective):
    """``mean_s objective(replicates of sample s)``: the expected per-draw utility."""

    def __init__(self, objective: Objective, n_replicates: int):
        self.objective = objective
        self.n_replicates = int(n_replicates)

    @property
    def has_grad(self) -> bool:
        return self.objective.has_grad

    def _rows(self, x: np.ndarray, w: np.ndarray | None) -> tuple[np.ndarray, np.ndarray]:
        rows = x.reshape(-1, self.n_replicates)
        pw = (
            np.full(rows.shape[0], 1.0 / rows.shape[0])
            if w is None
            else w.reshape(-1, self.n_replicates).sum(axis=1)
        )
        return rows, pw

    def _value(self, x: np.ndarray, w: np.ndarray | None) -> float:
        rows, pw = self._rows(x, w)
        return float(sum(p * self.objective(r) for r, p in zip(rows, pw)))

    def _grad(self, x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        rows, pw = self._rows(x, w)
        return np.concatenate(
            [p * self.objective.grad(r) for r, p in zip(rows, pw)]
        )

    def _params(self) -> dict[str, Any]:
        return {"objective": self.objective, "n_replicates": self.n_replicates}


def _linear_max(c: np.ndarray, system: LinearSystem) -> np.ndarray:
    """Argmax of ``c @ x`` over the polyhedron, one row of ``c`` (n_draws, n) at a time."""
    no_rows = system.A_ub.shape[0] == 0 and system.A_eq.shape[0] == 0
    if no_rows:
        pick_ub = c > 0
        bound = np.where(pick_ub, system.ub, system.lb)
        if not np.all(np.isfinite(bound[c != 0])):
            raise DecideValueError(
                "the per-draw linear problem is unbounded: the space has an infinite bound in a "
                "direction some posterior draw rewards. Give finite bounds (Box(lower, upper))."
            )
        return np.where(c == 0, np.clip(0.0, system.lb, system.ub), bound)
    from scipy.optimize import linprog

    kw = system.linprog_kwargs()
    out = np.empty_like(c)
    for s in range(c.shape[0]):
        res = linprog(-c[s], **kw, method="highs")
        if res.status != 0:
            raise SolverError(
                f"the per-draw linear program failed for draw {s} (HiGHS status {res.status}: "
                f"{res.message}). Check that the space is bounded."
            )
        out[s] = res.x
    return out


def _choose(n: int, max_draws: int | None, rng: np.random.Generator) -> np.ndarray:
    if max_draws is None or max_draws >= n:
        return np.arange(n)
    if isinstance(max_draws, bool) or int(max_draws) < 2:
        raise DecideValueError(f"max_draws must be an integer >= 2 or None; got {max_draws!r}.")
    return np.sort(rng.choice(n, size=int(max_draws), replace=False))


def evpi_continuous(
    outcome: Any,
    actions: Any,
    space: Any,
    *,
    objective: Objective | None,
    max_draws: int | None,
    random_seed: int | np.random.Generator | None,
) -> ValueOfInformation:
    """EVPI with the action optimized per draw over ``space`` (see :func:`evpi`)."""
    from decide.optimization import Space

    if actions is not None:
        raise DecideValueError(
            "pass either actions= (a finite set) or space= (a continuous space), not both; got "
            f"actions={actions!r} and space={space!r}."
        )
    if not isinstance(outcome, OutcomeModel):
        raise DecideTypeError(
            "space= needs an OutcomeModel (the action must be optimized per draw); got "
            f"{type(outcome).__name__}."
        )
    if not isinstance(space, Space) or getattr(space, "discrete", False):
        raise DecideTypeError(
            "space must be a continuous space (Box, Budget, LinearConstraints); got "
            f"{space!r}. For a finite set of actions pass actions=."
        )
    rng = as_rng(random_seed)
    idx = _choose(outcome.n_samples, max_draws, rng)
    model = outcome if idx.size == outcome.n_samples else outcome.subset(idx)
    affine = model.affine_form() if objective is None else None
    notes: list[str] = []
    if affine is not None and not getattr(space, "integer", False):
        A, b = (np.asarray(m, dtype=np.float64) for m in affine)
        system = space.linear_constraints(model.action_space)
        system.check_feasible()
        x_star = _linear_max(A.mean(axis=0, keepdims=True), system)[0]
        per_draw = _linear_max(A, system)
        u_best = np.einsum("sn,sn->s", A, per_draw) + b
        u_star = A @ x_star + b
        method = "continuous-linear"
    else:
        from decide.measures import Mean
        from decide.optimization import optimize

        n_rep = model.n_replicates or 1
        total_obj = Mean() if objective is None else _PerSampleAverage(objective, n_rep)
        seed = int(rng.integers(2**31 - 1))
        x_star = np.asarray(optimize(model, total_obj, space=space, random_seed=seed).flat_action)
        u_star = _model_utility(model, x_star, objective)
        u_best = np.empty(model.n_samples)
        per_obj = Mean() if objective is None else objective
        for s in range(model.n_samples):
            sub = model.subset([s])
            dec = optimize(sub, per_obj, space=space, random_seed=seed)
            u_best[s] = _model_utility(sub, np.asarray(dec.flat_action), objective)[0]
        method = "continuous"
    shortfall = u_star - u_best
    if np.any(shortfall > 1e-9 * (1.0 + np.abs(u_star))):
        notes.append(
            f"the per-draw optimum was below the expected-utility action's value for "
            f"{int(np.sum(shortfall > 0))} draws (optimizer error); the larger value was used."
        )
    gain = np.maximum(u_best, u_star) - u_star
    n = gain.size
    value = float(gain.mean())
    label = ", ".join(f"{lab}={v:g}" for lab, v in zip(model.action_space.labels, x_star))
    return ValueOfInformation(
        value=value,
        standard_error=float(gain.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan,
        expected_utility=pd.Series(
            [float(u_star.mean())], index=pd.Index([label], name="action"), name="expected_utility"
        ),
        best_action=label,
        kind="evpi",
        method=method,
        n_samples=n,
        value_raw=value,
        evpi=value,
        notes=tuple(notes),
    )
