"""The internal description of one decision problem shared by every backend."""

from __future__ import annotations

import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from decide._config import FEASIBILITY_RTOL, SOLUTION_RTOL
from decide.errors import ConvergenceWarning, DecideValueError
from decide.measures import Objective, OutcomeConstraint
from decide.optimization._decision import Decision, Diagnostics, Verification
from decide.optimization._polyhedron import LinearSystem, _fmt
from decide.optimization._spaces import Space
from decide.outcomes import ActionSpec, OutcomeModel

__all__ = ["Problem"]


@dataclass
class Problem:
    """Outcome, objective and space, with counters; the score is maximized.

    ``resolver`` is set by a backend that can re-solve a sub-problem (a batch of the
    samples) from a start point; :meth:`finish` then estimates the statistical
    optimality gap of a non-smooth problem with it.
    """

    outcome: OutcomeModel
    objective: Objective
    space: Space
    system: LinearSystem | None
    weights: Any = None
    evaluations: int = 0
    started: float = field(default_factory=time.perf_counter)
    resolver: Callable[[Problem, np.ndarray], np.ndarray] | None = None
    score: Callable[[np.ndarray], float] | None = None
    #: Constraints on outcomes (``subject_to=``); see :mod:`decide.optimization._outcome_constraints`.
    constraints: tuple[OutcomeConstraint, ...] = ()
    #: How chance constraints are solved: ``"auto"``, ``"exact"`` or ``"cvar"``.
    chance: str = "auto"

    @property
    def spec(self) -> ActionSpec:
        return self.outcome.action_space

    @property
    def n(self) -> int:
        return self.spec.size

    @property
    def has_grad(self) -> bool:
        return bool(self.outcome.has_vjp and self.objective.has_grad)

    @property
    def smoothness(self) -> str:
        """``"noisy"``, ``"nonsmooth"`` (declared by the outcome, or no gradient) or ``"smooth"``."""
        declared = self.outcome.smoothness
        if declared != "smooth":
            return declared
        return "smooth" if self.has_grad else "nonsmooth"

    @property
    def smoothness_reason(self) -> str:
        """Why :attr:`smoothness` has its value, in words."""
        declared = self.outcome.smoothness
        if declared == "noisy":
            return "the outcome draws fresh noise at every call (it declares smoothness='noisy')"
        if declared == "nonsmooth":
            return (
                "the outcome declares smoothness='nonsmooth' (its draws jump as the action "
                "moves, e.g. counts from an inverse CDF), so gradients and finite differences "
                "are meaningless"
            )
        if not self.outcome.has_vjp:
            return "the outcome has no gradient in the action"
        if not self.objective.has_grad:
            return "the objective has no gradient"
        return "the outcome is smooth and the objective has a gradient"

    def value(self, x: np.ndarray) -> float:
        """Objective score at the flat action ``x`` (``score(x)`` when a criterion sets it)."""
        self.evaluations += 1
        if self.score is not None:
            return float(self.score(x))
        return float(self.objective(self.outcome.draws_flat(x), self.weights, action=x))

    def outcome_feasible(self, x: np.ndarray) -> bool:
        """Whether every constraint on outcomes (``subject_to=``) holds at ``x`` (True without any)."""
        if not self.constraints:
            return True
        from decide import _config

        draws = self.outcome.draws_flat(x)
        self.evaluations += 1
        # a solver that is probed solved a chance constraint through its conservative
        # CVaR approximation (exact MILPs are verified by their certificate): probe that
        return all(
            c.conservative().satisfied(
                draws, self.weights, action=x, tol=_config.OUTCOME_CONSTRAINT_RTOL
            )
            for c in self.constraints
        )

    def value_grad(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """Score and its gradient with respect to ``x`` (objective.grad chained with the vjp)."""
        self.evaluations += 1
        if self.outcome.has_jacobian:  # one evaluation: draws and their Jacobian together
            draws, jac = self.outcome.draws_and_jacobian_flat(x)
            v, cot = self.objective.value_and_grad(draws, self.weights)
            cot = np.asarray(cot, dtype=np.float64).reshape(-1)
            g = cot @ jac.reshape(cot.size, -1)
        else:
            v, cot = self.objective.value_and_grad(self.outcome.draws_flat(x), self.weights)
            g = np.asarray(self.outcome.vjp_flat(x, cot), dtype=np.float64).reshape(-1)
        if self.objective.uses_action:  # a score of the action itself (ActionCost)
            v += self.objective.action_score(x)
            g = g + self.objective.action_grad(x)
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
        exact: str | None = None,
        shadow_prices: Any = None,
    ) -> Decision:
        """Build the :class:`Decision`, re-scoring at ``x``; verify it; warn when not converged.

        ``exact`` names the check an exact solver passed (``"certificate"``,
        ``"enumeration"``): its answer is not probed again. Otherwise a continuous
        action is verified (:func:`~decide.optimization._verify.verify_continuous`)
        and ``converged`` becomes False when the verification fails.
        ``shadow_prices`` (one per constraint, NaN where the solver gives none) go
        into ``Decision.constraints``; every constraint is checked on the draws at ``x``.
        """
        x = np.asarray(x, dtype=np.float64).reshape(-1)
        if draws is None:
            draws = np.asarray(self.outcome.draws_flat(x))
        if value is None:
            value = float(self.objective(draws, self.weights, action=x))
        from decide.optimization._outcome_constraints import constraint_table

        ctable = constraint_table(self, x, draws, shadow_prices, diag)
        if self.system is not None and not self.space.discrete:
            bad = self.system.violated(x, SOLUTION_RTOL)
            if bad is not None:
                viol, where = bad
                diag.converged = False
                diag.notes.append(f"the action violates {where} by {viol:.3g}")
        if diag.verification is None:
            diag.verification = self._verify(x, value, draws, diag, exact)
        ver = diag.verification
        if not ver.passed:
            diag.converged = False
        diag.evaluations = max(diag.evaluations, self.evaluations)
        diag.wall_time = time.perf_counter() - self.started
        if not diag.converged:
            warnings.warn(
                f"optimize(method={method!r}) did not converge (solver {diag.solver}, status "
                f"{diag.status!r}); the action {_fmt(x)} may not be optimal. "
                f"Verification: {ver}. Notes: {'; '.join(diag.notes) or 'none'}. See "
                "Decision.diagnostics.",
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
            constraints=ctable,
        )

    def _verify(
        self, x: np.ndarray, value: float, draws: np.ndarray, diag: Diagnostics, exact: str | None
    ) -> Verification:
        if exact is None and self.space.discrete:
            exact = "enumeration"
        if exact is not None:
            ok = bool(diag.converged)
            return Verification(
                ok, {exact: ok}, {"solver": diag.solver, "status": diag.status},
                "" if ok else f"the exact solver stopped with status {diag.status!r}; try "
                "another solver or method",
            )
        if self.space.integer:
            ok = bool(diag.converged)
            return Verification(
                ok, {"integer_neighbours": ok}, {"status": diag.status},
                "" if ok else "the integer local search did not reach a local optimum; raise "
                "max_steps or use a Discrete grid",
            )
        from decide.optimization._verify import verify_continuous

        resolve = self.resolver if self.resolver is not None and self.smoothness != "smooth" else None
        return verify_continuous(self, x, value, draws, diag, resolve)


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
    from decide.optimization.cvar_lp._highs import max_linear

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
    lifted = LinearSystem(
        np.r_[np.full(n, -np.inf), 0.0], np.r_[np.full(n, np.inf), cap],
        np.array(rows) if rows else np.zeros((0, n + 1)), np.array(rhs, dtype=np.float64),
        A_eq, system.b_eq,
    )
    status, _, z = max_linear(np.r_[np.zeros(n), 1.0], lifted)
    if status != "optimal" or z is None:
        raise DecideValueError(f"could not find a feasible start point (HiGHS: {status}).")
    return np.asarray(z[:n], dtype=np.float64)


def random_feasible(system: LinearSystem, center: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random feasible point: a uniform draw in the (capped) box, projected in L1 distance."""
    s = x_scale(system, center)
    lo = np.where(np.isfinite(system.lb), system.lb, center - s)
    hi = np.where(np.isfinite(system.ub), system.ub, center + s)
    p = rng.uniform(lo, hi)
    if system.A_ub.shape[0] == 0 and system.A_eq.shape[0] == 0:
        return p
    x = system.project_l1(p)
    return center.copy() if x is None else x


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
