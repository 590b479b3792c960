"""The exact convex backend: outcomes affine in the action, objectives with a DCP form.

The program is built once (:class:`ConvexProblem`); the weights of a combined
objective (``Mean() + lam * CVaR(0.05)``) and the budget total are cvxpy
Parameters, so a sweep over risk aversion or budget re-solves without rebuilding.
"""

from __future__ import annotations

import time
import warnings
from collections.abc import Sequence
from typing import Any

import numpy as np

from decide.errors import (
    DecideError,
    DecideValueError,
    InfeasibleError,
    SolverError,
    UnboundedError,
)
from decide.measures import Objective, OutcomeConstraint, WeightedObjective
from decide.optimization._decision import Decision, Diagnostics
from decide.optimization._problem import Problem
from decide.optimization._spaces import Budget, Constraints, Space, as_space
from decide.optimization.backends._base import (
    Backend,
    constraint_reason,
    discrete_reason,
    register,
)
from decide.outcomes import OutcomeModel

__all__ = ["ConvexProblem", "CvxpyBackend"]

_CONTINUOUS = ("CLARABEL", "HIGHS", "SCS")
_MIXED_INTEGER = ("HIGHS",)
_OK = "optimal"
_INACCURATE = "optimal_inaccurate"


def _call_solver(problem: Any, solver: str, **kwargs: Any) -> str:
    """Solve ``problem`` with ``solver`` and return the status (patched in tests)."""
    if solver.upper() == "HIGHS":  # the first HiGHS instance of a process prints a banner
        from decide.optimization.cvar_lp._highs import silence_banner

        silence_banner()
    with warnings.catch_warnings():
        # cvxpy's bound propagation multiplies infinite bounds by zero (harmless nan)
        warnings.filterwarnings("ignore", category=RuntimeWarning, module=r"cvxpy\..*")
        problem.solve(solver=solver, **kwargs)
    return str(problem.status)


def affine_expression(x: Any, A: np.ndarray, b: np.ndarray) -> Any:
    """The cvxpy expression of draws ``A @ x + b``, shape (n_samples,) or (n_samples, n_replicates).

    ``A`` has shape (n_samples, size) or (n_samples, n_replicates, size).
    """
    import cvxpy as cp

    if A.ndim == 3:  # (n_samples, n_replicates, size)
        s, r, n = A.shape
        return cp.reshape(A.reshape(s * r, n) @ x + b.reshape(-1), (s, r), order="C")
    return A @ x + b


def solve_program(
    program: Any, x: Any, solvers: Sequence[str], diag: Diagnostics, what: str,
    **solver_options: Any,
) -> np.ndarray | None:
    """Solve a cvxpy program with each solver in turn; the action, or None if all failed.

    Records the solver, status, iterations and every failure in ``diag``; an
    ``optimal_inaccurate`` solution is kept (``converged=False``) only when no
    solver reaches ``optimal``.

    Raises
    ------
    UnboundedError
        If a solver reports the program unbounded (``what`` names the objective and space).
    """
    fallback: tuple[np.ndarray, str, str] | None = None
    for solver in solvers:
        try:
            status = _call_solver(program, solver, **solver_options)
        except Exception as exc:
            diag.fallbacks.append(f"{solver}: raised {type(exc).__name__}: {str(exc)[:200]}")
            continue
        if status.startswith("unbounded"):
            raise UnboundedError(
                f"the problem is unbounded ({solver} status {status!r}): {what} grows without "
                "limit. Bound the action with a Box or Budget, or use a risk-averse objective."
            )
        stats = program.solver_stats
        diag.iterations += int(getattr(stats, "num_iters", 0) or 0)
        if status == _OK and x.value is not None:
            diag.solver, diag.status, diag.converged = solver, status, True
            return np.asarray(x.value, dtype=np.float64).reshape(-1)
        diag.fallbacks.append(f"{solver}: status {status!r}")
        if status == _INACCURATE and x.value is not None and fallback is None:
            fallback = (np.asarray(x.value, float).reshape(-1), solver, status)
    if fallback is None:
        return None
    xval, diag.solver, diag.status = fallback
    diag.converged = False
    diag.notes.append("no solver reached an accurate optimum; kept the inaccurate solution")
    return xval


def _budget_totals(space: Space) -> list[Budget]:
    inner = getattr(space, "space", space)
    parts = inner.parts if isinstance(inner, Constraints) else (inner,)
    return [p for p in parts if isinstance(p, Budget)]


def outcome_scale(A: np.ndarray, b: np.ndarray, low: float = 1e-3, high: float = 1e3) -> float:
    """``1 / magnitude`` of the affine outcome when the magnitude is outside ``[low, high]``, else 1."""
    mag = max(float(np.max(np.abs(A), initial=0.0)), float(np.max(np.abs(b), initial=0.0)))
    if not np.isfinite(mag) or mag == 0.0 or low <= mag <= high:
        return 1.0
    return 1.0 / mag


def _homogeneous(terms: Any) -> bool:
    from decide.measures import Property

    return all(Property.POSITIVELY_HOMOGENEOUS in m.properties for _, m in terms)


class ConvexProblem:
    """The exact convex program of a decision, built once and re-solved with new parameters.

    Maximizes ``objective(A @ x + b)`` over the space, where ``(A, b)`` is the
    outcome's :meth:`~decide.outcomes.OutcomeModel.affine_form` (draws affine in
    the action) and the objective gives its DCP form through ``to_cvxpy``. Solved
    with CLARABEL, falling back to HIGHS then SCS when a solver fails or reports
    an inaccurate status (each fallback is recorded in the diagnostics); integer
    spaces go to HIGHS (mixed-integer).

    Outcomes are rewards (higher is better); risk is in the lower tail.

    Parameters
    ----------
    outcome : OutcomeModel
        Must have ``affine_form()`` (e.g. :func:`decide.outcomes.linear`).
    objective : Objective
        Must have a DCP form (``objective.has_cvxpy``).
    space : Box, Budget, LinearConstraints, their intersection, or Integer of one
    weights : array_like of shape (n_samples,), optional
        Probability weights of the posterior samples.
    solvers : sequence of str, optional
        Solver order; default ``("CLARABEL", "HIGHS", "SCS")``, ``("HIGHS",)`` for integers.

    Attributes
    ----------
    parameters : dict
        The values that :meth:`solve` can change: ``objective_weights`` (one per term of a
        combined objective) and ``total`` (the budget total, when the space has
        exactly one :class:`Budget`).

    Raises
    ------
    DecideValueError
        If the outcome is not affine, the objective has no DCP form, the space
        is not linear, or the space is Integer and the program is not a linear
        program (the default mixed-integer solver HiGHS takes LPs only).
    InfeasibleError
        If the space is empty.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.measures import CVaR, Mean
    >>> from decide.optimization import Budget, ConvexProblem
    >>> from decide.outcomes import linear
    >>> R = np.random.default_rng(1).normal([0.06, 0.03], [0.2, 0.05], size=(500, 2))
    >>> problem = ConvexProblem(linear(R), Mean() + 1.0 * CVaR(0.1), Budget(1.0))
    >>> a = problem.solve(objective_weights=[1.0, 0.0])   # risk neutral: all in the first asset
    >>> np.round(a.flat_action, 4).tolist()
    [1.0, 0.0]
    >>> b = problem.solve(objective_weights=[1.0, 5.0])   # more risk averse: moves to the second
    >>> bool(b.flat_action[1] > 0.5)
    True
    """

    def __init__(
        self,
        outcome: OutcomeModel,
        objective: Objective,
        space: Any,
        *,
        weights: Any = None,
        solvers: Sequence[str] | None = None,
        constraints: Sequence[OutcomeConstraint] = (),
    ):
        import cvxpy as cp

        t0 = time.perf_counter()
        space = as_space(space)
        if space.discrete:
            raise DecideValueError(
                "method='cvxpy' needs a linear (or Integer) space; a Discrete space is scored "
                "with method='enumerate'."
            )
        aff = outcome.affine_form()
        if aff is None:
            raise DecideValueError(
                f"method='cvxpy' needs an outcome affine in the action (affine_form()); "
                f"{type(outcome).__name__} is not. Use method='scipy'."
            )
        if not objective.has_cvxpy:
            raise DecideValueError(
                f"method='cvxpy' needs an objective with a DCP form; {objective!r} has none "
                "(has_cvxpy is False). Use method='scipy'."
            )
        spec = outcome.action_space
        system = space.linear_constraints(spec)
        system.check_feasible()
        A, b = (np.asarray(v, dtype=np.float64) for v in aff)
        terms = objective.terms if isinstance(objective, WeightedObjective) else ((1.0, objective),)
        # solver tolerances are absolute: bring tiny or huge outcomes to unit scale when
        # that cannot move the optimum (every term positively homogeneous)
        plain = not constraints and not objective.uses_action
        self.outcome_scale = outcome_scale(A, b) if plain and _homogeneous(terms) else 1.0
        if self.outcome_scale != 1.0:
            A, b = A * self.outcome_scale, b * self.outcome_scale
        n = spec.size
        x = cp.Variable(n, integer=space.integer, name="action")
        expr = affine_expression(x, A, b)
        self._weight_params: list[Any] = []
        total_expr: Any = 0
        for wt, m in terms:
            e = m.to_cvxpy(expr, weights)
            if m.uses_action:
                e = e + m.action_cvxpy(x)
            if len(terms) > 1 and wt >= 0:
                p = cp.Parameter(nonneg=True, value=float(wt), name=f"weight_{len(self._weight_params)}")
                self._weight_params.append(p)
                total_expr = total_expr + p * e
            else:
                self._weight_params.append(None)
                total_expr = total_expr + wt * e
        self._b_ub = cp.Parameter(system.b_ub.shape[0], value=system.b_ub) if system.b_ub.size else None
        self._b_eq = cp.Parameter(system.b_eq.shape[0], value=system.b_eq) if system.b_eq.size else None
        cons = system.cvxpy_constraints(x, b_ub=self._b_ub, b_eq=self._b_eq)
        self.constraints = tuple(constraints)
        self._outcome_cons = [_cvxpy_constraint(c, expr, x, weights) for c in self.constraints]
        cons = [*cons, *self._outcome_cons]
        self.problem = cp.Problem(cp.Maximize(total_expr), cons)
        if not self.problem.is_dcp():
            cons_note = (f" (or a constraint of {list(self.constraints)!r}: a concave measure "
                         "kept below a cap?)") if self.constraints else ""
            raise DecideValueError(
                f"the objective {objective!r}{cons_note} is not concave in DCP form over this "
                "outcome (a negative weight on a concave measure?); use method='scipy'."
            )
        if space.integer and solvers is None and not self.problem.is_lp():
            # HiGHS, the installed mixed-integer solver, takes linear programs only
            raise DecideValueError(
                f"method='cvxpy' on an Integer space needs a mixed-integer linear program, but "
                f"the objective {objective!r} is not linear-programmable (a quadratic or conic "
                "form); HiGHS cannot solve it. Use method='scipy' (rounding and local search), "
                "a piecewise-linear objective (Mean, CVaR, WorstCase, MeanCVaR), or pass "
                "solvers=[...] naming an installed mixed-integer conic solver."
            )
        budgets = _budget_totals(space)
        self._budget_rows = (
            [i for i, nm in enumerate(system.rows_eq + system.rows_ub) if nm.startswith("Budget")]
            if len(budgets) == 1
            else []
        )
        self.outcome, self.objective, self.space, self.system = outcome, objective, space, system
        self.x = x
        self.weights = weights
        default = _MIXED_INTEGER if space.integer else _CONTINUOUS
        self.solvers = tuple(s.upper() for s in (solvers or default))
        self.build_time = time.perf_counter() - t0
        self._terms = terms

    @property
    def parameters(self) -> dict[str, Any]:
        """Current values of the parameters that :meth:`solve` accepts."""
        out: dict[str, Any] = {}
        if any(p is not None for p in self._weight_params):
            out["objective_weights"] = [
                float(p.value) if p is not None else float(wt)
                for p, (wt, _) in zip(self._weight_params, self._terms)
            ]
        if self._budget_rows:
            out["total"] = float(self._rhs()[self._budget_rows[0]])
        return out

    def _rhs(self) -> np.ndarray:
        parts = [p.value for p in (self._b_eq, self._b_ub) if p is not None]
        return np.concatenate(parts) if parts else np.zeros(0)

    def _set(self, weights: Any, total: Any) -> None:
        if weights is not None:
            w = np.asarray(weights, dtype=float).reshape(-1)
            if w.shape[0] != len(self._terms) or not np.all(np.isfinite(w)):
                raise DecideValueError(
                    f"objective_weights must give {len(self._terms)} finite numbers, one per objective term "
                    f"{[repr(m) for _, m in self._terms]}; got {weights!r}."
                )
            for i, (p, val) in enumerate(zip(self._weight_params, w)):
                if p is None:
                    if val != self._terms[i][0]:
                        raise DecideValueError(
                            f"weight {i} of this problem is fixed at {self._terms[i][0]:g}; got "
                            f"{val:g}. Rebuild the problem to change it."
                        )
                elif val < 0:
                    raise DecideValueError(
                        f"objective_weights must be non-negative (a concave objective); got {val:g} at "
                        f"position {i}."
                    )
                else:
                    p.value = float(val)
        if total is not None:
            if not self._budget_rows:
                raise DecideValueError(
                    "total can be changed only when the space has exactly one Budget; this "
                    f"space is {self.space!r}."
                )
            t = float(total)
            if not np.isfinite(t):
                raise DecideValueError(f"total must be finite; got {total!r}.")
            k_eq = 0 if self._b_eq is None else self._b_eq.shape[0]
            for i in self._budget_rows:
                target = self._b_eq if i < k_eq else self._b_ub
                assert target is not None
                vals = np.array(target.value, dtype=float)
                vals[i if i < k_eq else i - k_eq] = t
                target.value = vals
            import dataclasses

            self.system = dataclasses.replace(
                self.system,
                b_eq=self._b_eq.value.copy() if self._b_eq is not None else self.system.b_eq,
                b_ub=self._b_ub.value.copy() if self._b_ub is not None else self.system.b_ub,
            )
            self.system.check_feasible()

    def solve(
        self,
        *,
        objective_weights: Any = None,
        total: Any = None,
        method_name: str = "cvxpy",
        **solver_options: Any,
    ) -> Decision:
        """Solve (again) with new parameter values; the program is not rebuilt.

        Parameters
        ----------
        objective_weights : sequence of float, optional
            New weights of the terms of a combined objective (non-negative), e.g.
            ``[1.0, lam]`` for ``Mean() + lam * CVaR(alpha)``.
        total : float, optional
            New total of the space's :class:`Budget`.
        **solver_options
            Passed to ``cvxpy.Problem.solve`` (e.g. ``max_iter``).

        Returns
        -------
        Decision
            With ``extrapolation``, the action against the observed range, as
            :func:`~decide.optimization.optimize` reports it (reported, not warned).

        Raises
        ------
        SolverError
            If every solver failed.
        DecideValueError
            If the problem is unbounded.
        """
        self._set(objective_weights, total)
        objective = self.objective
        if objective_weights is not None:
            objective = WeightedObjective(
                [(float(p.value) if p is not None else wt, m)
                 for p, (wt, m) in zip(self._weight_params, self._terms)]
            )
        prob = Problem(self.outcome, objective, self.space, self.system, self.weights,
                       constraints=self.constraints, chance="cvar")
        diag = Diagnostics()
        diag.notes.append(f"exact convex program (built in {self.build_time:.3g} s)")
        if self.outcome_scale != 1.0:
            diag.notes.append(
                f"outcomes scaled by {self.outcome_scale:.3g} inside the solver (the objective is "
                "positively homogeneous, so the optimum does not move)"
            )
        x = solve_program(
            self.problem, self.x, self.solvers, diag,
            f"the objective {objective!r} over {self.space!r}", **solver_options,
        )
        if x is not None:
            from decide.optimization._guard import extrapolation_report, pinned

            decision = self._finish(prob, x, diag, method_name)
            # the action against the observed range, as optimize reports it (the warning
            # is the caller's: optimize without within_observed, frontier once per call)
            decision.extrapolation = extrapolation_report(
                self.outcome, decision.flat_action, pinned(self.outcome, self.space)
            )
            return decision
        if self.constraints and any("infeasible" in f for f in diag.fallbacks):
            from decide.optimization._outcome_constraints import raise_infeasible

            raise_infeasible(prob, lambda c: self._best(c, solvers=self.solvers),
                             "best values over the space alone, by the convex program; chance "
                             "constraints read as their CVaR surrogate")
        raise SolverError(
            f"every solver failed on the convex program: {'; '.join(diag.fallbacks)}. Try "
            "method='scipy'."
        )

    def _best(self, c: OutcomeConstraint, solvers: Sequence[str]) -> float | None:
        """The best value of one constraint's measure over the space alone (None if not DCP)."""
        use = c.conservative()
        try:
            sub = ConvexProblem(self.outcome, WeightedObjective([(use.direction, use.objective)]),
                                self.space, weights=self.weights, solvers=solvers)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                d = sub.solve()
        except DecideError:
            return None
        return use.value(d.draws, self.weights, action=d.flat_action)

    def _finish(self, prob: Problem, x: np.ndarray, diag: Diagnostics, method: str) -> Decision:
        if self.space.integer:
            x = np.round(x) + 0.0  # no negative zeros
        x = np.clip(x, self.system.lb, self.system.ub)
        diag.evaluations = 1
        shadow = None
        if self._outcome_cons:
            # the dual of "score >= floor" in a maximization is the gain per unit of relaxation
            # a chance constraint's row is its CVaR approximation: its dual prices the
            # approximation, not the constraint (NaN, as for scipy and highs)
            shadow = [
                float(np.abs(np.asarray(c.dual_value).reshape(-1)[0]))
                if c.dual_value is not None and oc.kind != "chance" else np.nan
                for c, oc in zip(self._outcome_cons, self.constraints, strict=True)
            ]
            if any(c.kind == "chance" for c in self.constraints):
                diag.notes.append("chance constraints replaced by CVaR(prob) >= threshold "
                                  "(conservative: implies VaR(prob) >= threshold); no shadow "
                                  "price for them (the dual prices the approximation)")
        return prob.finish(x, method, diag, exact="certificate", shadow_prices=shadow)


def _cvxpy_constraint(c: OutcomeConstraint, expr: Any, x: Any, weights: Any) -> Any:
    """The cvxpy form of a constraint on the affine outcome ``expr``."""
    use = c.conservative()
    terms = use.objective.terms if isinstance(use.objective, WeightedObjective) else ((1.0, use.objective),)
    e: Any = 0.0
    for wt, m in terms:
        part = m.to_cvxpy(expr, weights)
        if m.uses_action:
            part = part + m.action_cvxpy(x)
        e = e + wt * part
    return e >= use.score_bound if use.direction > 0 else e <= use.score_bound


@register
class CvxpyBackend(Backend):
    """``method="cvxpy"``: the exact convex program (:class:`ConvexProblem`).

    Under ``method="auto"`` a failure falls back to scipy, except an unbounded
    problem, which no other method can fix.
    """

    name = "cvxpy"
    options = frozenset({"solvers"})
    fallback = "scipy"

    def accepts(self, problem: Problem) -> str | None:
        reason = discrete_reason(problem, self.name) or constraint_reason(
            problem, self.name, ("linear", "convex", "chance")
        )
        if reason is not None:
            return reason
        reasons = []
        if problem.outcome.affine_form() is None:
            reasons.append(f"the outcome {type(problem.outcome).__name__} is not affine in the action")
        if not problem.objective.has_cvxpy:
            reasons.append(f"the objective {problem.objective!r} has no DCP form (to_cvxpy)")
        return " and ".join(reasons) or None

    def auto_rank(self, problem: Problem, *, repeated: bool = False) -> float | None:
        return 2.0

    def recoverable(self, exc: DecideError) -> bool:
        # an unbounded or infeasible program stays so under any other method
        return isinstance(exc, SolverError | DecideValueError) and not isinstance(
            exc, UnboundedError | InfeasibleError
        )

    def solve(self, problem: Problem, rng: np.random.Generator, options: dict[str, Any]) -> Decision:
        program = ConvexProblem(
            problem.outcome, problem.objective, problem.space, weights=problem.weights,
            solvers=options.get("solvers"), constraints=problem.constraints,
        )
        decision = program.solve()
        decision.diagnostics.wall_time = time.perf_counter() - problem.started
        return decision
