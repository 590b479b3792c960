"""The internal description of one decision problem shared by every backend."""

from __future__ import annotations

import time
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from decide._config import FEASIBILITY_RTOL, SOLUTION_RTOL
from decide.errors import ConvergenceWarning, DecideValueError
from decide.measures import Objective
from decide.optimization._decision import Decision, Diagnostics
from decide.optimization._polyhedron import LinearSystem, _fmt
from decide.optimization._spaces import Space
from decide.outcomes import ActionSpec, OutcomeModel

__all__ = ["Problem"]


@dataclass
class Problem:
    """Outcome, objective and space, with counters; the score is maximized."""

    outcome: OutcomeModel
    objective: Objective
    space: Space
    system: LinearSystem | None
    weights: Any = None
    evaluations: int = 0
    started: float = field(default_factory=time.perf_counter)

    @property
    def spec(self) -> ActionSpec:
        return self.outcome.action_space

    @property
    def n(self) -> int:
        return self.spec.size

    @property
    def has_grad(self) -> bool:
        return bool(self.outcome.has_vjp and self.objective.has_grad)

    def value(self, x: np.ndarray) -> float:
        """Objective score at the flat action ``x``."""
        self.evaluations += 1
        return float(self.objective(self.outcome.draws_flat(x), self.weights))

    def value_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """Score and its gradient with respect to ``x`` (objective.grad chained with the vjp)."""
        self.evaluations += 1
        if self.outcome.has_jacobian:  # one evaluation: draws and their Jacobian together
            draws, jac = self.outcome.draws_and_jacobian_flat(x)
            v, cot = self.objective.value_and_grad(draws, self.weights)
            cot = np.asarray(cot, dtype=np.float64).reshape(-1)
            return v, cot @ jac.reshape(cot.size, -1)
        v, cot = self.objective.value_and_grad(self.outcome.draws_flat(x), self.weights)
        g = np.asarray(self.outcome.vjp_flat(x, cot), dtype=np.float64).reshape(-1)
        return v, g

    def finish(
        self,
        x: np.ndarray,
        method: str,
        diag: Diagnostics,
        *,
        option: str | None = None,
        table: Any = None,
        value: float | None = None,
        draws: np.ndarray | None = None,
    ) -> Decision:
        """Build the :class:`Decision`, re-scoring at ``x``; warn when not converged."""
        x = np.asarray(x, dtype=np.float64).reshape(-1)
        if draws is None:
            draws = np.asarray(self.outcome.draws_flat(x))
        if value is None:
            value = float(self.objective(draws, self.weights))
        if self.system is not None and not self.space.discrete:
            bad = self.system.violated(x, SOLUTION_RTOL)
            if bad is not None:
                viol, where = bad
                diag.converged = False
                diag.notes.append(f"the action violates {where} by {viol:.3g}")
        diag.evaluations = max(diag.evaluations, self.evaluations)
        diag.wall_time = time.perf_counter() - self.started
        if not diag.converged:
            warnings.warn(
                f"optimize(method={method!r}) did not converge (solver {diag.solver}, status "
                f"{diag.status!r}); the action {_fmt(x)} may not be optimal. "
                f"Notes: {'; '.join(diag.notes) or 'none'}. See Decision.diagnostics.",
                ConvergenceWarning,
                stacklevel=3,
            )
        return Decision(
            action=self.spec.to_xarray(x),
            flat_action=x,
            value=value,
            draws=draws,
            objective=self.objective,
            space=self.space,
            method=method,
            diagnostics=diag,
            option=option,
            table=table,
            labels=self.spec.labels,
        )


def x_scale(system: LinearSystem, x0: np.ndarray | None = None) -> float:
    """A characteristic magnitude of the action (for internal scaling)."""
    cands = [np.abs(system.lb), np.abs(system.ub), np.abs(system.b_ub), np.abs(system.b_eq)]
    if x0 is not None:
        cands.append(np.abs(x0))
    vals = np.concatenate([c[np.isfinite(c)] for c in cands])
    s = float(np.max(vals)) if vals.size else 0.0
    return s if s > 0 else 1.0


def center_point(system: LinearSystem) -> np.ndarray:
    """A well-inside feasible point: the Chebyshev centre, capped where the space is unbounded."""
    from scipy.optimize import linprog

    n = system.n
    if system.A_ub.shape[0] == 0 and system.A_eq.shape[0] == 0:
        lo, hi = system.lb, system.ub
        fin_lo, fin_hi = np.isfinite(lo), np.isfinite(hi)
        mid = (np.where(fin_lo, lo, 0.0) + np.where(fin_hi, hi, 0.0)) / 2
        return np.where(fin_lo & fin_hi, mid, np.where(fin_lo, lo, np.where(fin_hi, hi, 0.0)))
    cap = x_scale(system)
    # variables (x, t): maximize t with x - lb >= t, ub - x >= t, A_ub x + t |a| <= b_ub
    rows, rhs = [], []
    for i in range(n):
        if np.isfinite(system.lb[i]):
            r = np.zeros(n + 1)
            r[i], r[n] = -1.0, 1.0
            rows.append(r)
            rhs.append(-system.lb[i])
        if np.isfinite(system.ub[i]):
            r = np.zeros(n + 1)
            r[i], r[n] = 1.0, 1.0
            rows.append(r)
            rhs.append(system.ub[i])
    for a, b in zip(system.A_ub, system.b_ub):
        rows.append(np.append(a, np.linalg.norm(a)))
        rhs.append(b)
    A_eq = np.hstack([system.A_eq, np.zeros((system.A_eq.shape[0], 1))])
    c = np.zeros(n + 1)
    c[n] = -1.0
    res = linprog(
        c,
        A_ub=np.array(rows) if rows else None,
        b_ub=np.array(rhs) if rows else None,
        A_eq=A_eq if A_eq.shape[0] else None,
        b_eq=system.b_eq if A_eq.shape[0] else None,
        bounds=[*([(None, None)] * n), (0.0, cap)],
        method="highs",
    )
    if res.status != 0:
        raise DecideValueError(f"could not find a feasible start point (linprog: {res.message}).")
    return np.asarray(res.x[:n], dtype=np.float64)


def random_feasible(system: LinearSystem, center: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random feasible point: a uniform draw in the (capped) box, projected in L1 distance."""
    from scipy.optimize import linprog

    n = system.n
    s = x_scale(system, center)
    lo = np.where(np.isfinite(system.lb), system.lb, center - s)
    hi = np.where(np.isfinite(system.ub), system.ub, center + s)
    p = rng.uniform(lo, hi)
    if system.A_ub.shape[0] == 0 and system.A_eq.shape[0] == 0:
        return p
    # min sum t  s.t.  t >= x - p, t >= p - x, and the constraints on x
    eye = np.eye(n)
    A_ub = [np.hstack([eye, -eye]), np.hstack([-eye, -eye])]
    b_ub = [p, -p]
    if system.A_ub.shape[0]:
        A_ub.append(np.hstack([system.A_ub, np.zeros_like(system.A_ub)]))
        b_ub.append(system.b_ub)
    A_eq = np.hstack([system.A_eq, np.zeros_like(system.A_eq)])
    res = linprog(
        np.concatenate([np.zeros(n), np.ones(n)]),
        A_ub=np.vstack(A_ub),
        b_ub=np.concatenate(b_ub),
        A_eq=A_eq if A_eq.shape[0] else None,
        b_eq=system.b_eq if A_eq.shape[0] else None,
        bounds=[*system.bounds, *([(0.0, None)] * n)],
        method="highs",
    )
    if res.status != 0:
        return center.copy()
    return np.asarray(res.x[:n], dtype=np.float64)


def check_start(x0: Any, spec: ActionSpec, system: LinearSystem) -> np.ndarray:
    """Validate a user start point: the right shape and inside the space."""
    x = spec.flatten(x0, name="x0")
    bad = system.violated(x, FEASIBILITY_RTOL)
    if bad is not None:
        viol, where = bad
        raise DecideValueError(
            f"x0 must lie in the action space; x0={_fmt(x)} violates {where} by {viol:.6g} "
            f"(bounds lower={_fmt(system.lb)}, upper={_fmt(system.ub)}). Pass a feasible x0 or "
            "none."
        )
    return x
