"""Solving robust criteria: enumeration, exact epigraph programs (cvxpy), SLSQP epigraph.

``optimize(outcome, criterion, space)`` with a :class:`RobustCriterion` comes here.
:class:`WorstModel` is the epigraph problem ``max (1 - l) rho(Y(a)) + l t`` subject to
``rho(Y_m(a)) >= t`` for every model; :class:`WassersteinCVaR` is the conic program
of Esfahani and Kuhn (2018). Outcomes are rewards (higher is better).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd

from decide._validation import as_rng
from decide.errors import DecideValueError, SolverError
from decide.measures import Property
from decide.optimization._decision import Decision, Diagnostics
from decide.optimization._discrete import Discrete, _outcome_options
from decide.optimization._polyhedron import _fmt
from decide.optimization._problem import (
    Problem,
    center_point,
    check_start,
    random_feasible,
    x_scale,
)
from decide.optimization._robust import RobustCriterion, WassersteinCVaR, WorstModel
from decide.optimization._spaces import Space, as_space
from decide.optimization.backends._cvxpy import affine_expression, outcome_scale, solve_program
from decide.outcomes import MixtureOutcome, OutcomeModel

__all__ = ["solve_robust"]

_METHODS = ("auto", "cvxpy", "scipy", "enumerate")
_OPTIONS = {"cvxpy": {"solvers"}, "scipy": {"x0", "n_starts", "maxiter", "tol"}, "enumerate": set()}
_CONTINUOUS = ("CLARABEL", "HIGHS", "SCS")


def _exact_applies(outcome: OutcomeModel, criterion: RobustCriterion) -> str | None:
    """Why the exact convex program does not apply, or None when it does."""
    if isinstance(criterion, WassersteinCVaR):
        return None  # check() already required a scenario matrix
    assert isinstance(criterion, WorstModel) and isinstance(outcome, MixtureOutcome)
    if not criterion.objective.has_cvxpy:
        return f"the objective {criterion.objective!r} has no DCP form"
    flat = [n for n, m in outcome.models.items() if m.affine_form() is None]
    if flat:
        return f"the models {flat} are not affine in the action"
    return None


def solve_robust(
    outcome: OutcomeModel,
    criterion: RobustCriterion,
    space: Any,
    method: str,
    random_seed: Any,
    **options: Any,
) -> Decision:
    """``optimize`` for a robust criterion (see :func:`decide.optimize`)."""
    started = time.perf_counter()
    criterion.check(outcome)
    if options.get("weights") is not None:
        raise DecideValueError(
            f"{criterion!r} does not take sample weights; the weights of a mixture are set by "
            "decide.outcomes.mixture(weights=...)."
        )
    options.pop("weights", None)
    if method not in _METHODS:
        raise DecideValueError(
            f"method must be one of {list(_METHODS)} for {criterion!r}; got {method!r}."
        )
    if space is None:
        if _outcome_options(outcome) is None:
            raise DecideValueError(
                "space is required for this outcome: pass a Box, Budget, LinearConstraints, "
                "Integer or Discrete space."
            )
        space = Discrete()
    space = as_space(space)
    rng = as_rng(random_seed)
    if space.discrete:
        if method not in ("auto", "enumerate"):
            raise DecideValueError(
                f"a Discrete space is scored by enumeration; got method={method!r}. Use "
                "method='auto' or 'enumerate'."
            )
        _check_options(options, "enumerate", method)
        assert isinstance(space, Discrete)
        return _enumerate(outcome, criterion, space, started)
    system = space.linear_constraints(outcome.action_space)
    system.check_feasible()
    why = _exact_applies(outcome, criterion)
    if method == "auto":
        chosen = "cvxpy" if why is None else "scipy"
    elif method == "enumerate":
        raise DecideValueError("method='enumerate' needs a Discrete space.")
    else:
        chosen = method
    if chosen == "cvxpy" and why is not None:
        raise DecideValueError(
            f"method='cvxpy' cannot solve {criterion!r} here: {why}. Use method='scipy'."
        )
    if chosen == "scipy" and isinstance(criterion, WassersteinCVaR):
        raise DecideValueError(
            "WassersteinCVaR is solved exactly by its conic program; use method='auto' or 'cvxpy'."
        )
    if chosen == "scipy" and space.integer:
        raise DecideValueError(
            f"{criterion!r} on an Integer space needs the exact program (every model affine, an "
            f"objective with a DCP form that is a linear program) but {why}; use a Discrete "
            "space of candidate actions instead."
        )
    _check_options(options, chosen, method)
    prob = Problem(outcome, criterion, space, system, None, started=started)  # type: ignore[arg-type]
    if isinstance(criterion, WorstModel) and criterion.worst == 0.0:
        return _plain(outcome, criterion, space, method, rng, options)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        if chosen == "cvxpy":
            return _cvxpy(prob, criterion, options.get("solvers"))
        assert isinstance(criterion, WorstModel)
        return _scipy(prob, criterion, rng, **options)


def _check_options(options: dict[str, Any], chosen: str, requested: str) -> None:
    allowed = set().union(*_OPTIONS.values()) if requested == "auto" else _OPTIONS[chosen]
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise DecideValueError(
            f"unknown options {unknown} for a robust criterion with method={requested!r}; valid "
            f"options: {sorted(allowed)}."
        )


def _plain(
    outcome: OutcomeModel, criterion: WorstModel, space: Space, method: str,
    rng: np.random.Generator, options: dict[str, Any],
) -> Decision:
    """``worst=0`` is the objective on the mixture: the ordinary solve."""
    from decide.optimization._api import optimize

    d = optimize(outcome, criterion.objective, space, method=method, random_seed=rng, **options)
    d.objective = criterion
    d.diagnostics.notes.append("worst=0: the objective on the mixture, solved as usual")
    return d


def _model_table(criterion: RobustCriterion, outcome: OutcomeModel, x: np.ndarray,
                 duals: Sequence[float] | None = None) -> pd.DataFrame | None:
    if not isinstance(criterion, WorstModel):
        return None
    assert isinstance(outcome, MixtureOutcome)
    vals = criterion.model_values(outcome, x)
    table = pd.DataFrame({"weight": outcome.weights, "value": vals})
    tol = 1e-6 * (1.0 + float(np.max(np.abs(vals))))  # solver tolerance
    table["worst"] = vals <= float(vals.min()) + tol
    if duals is not None:
        table["adversary_weight"] = np.asarray(duals, dtype=np.float64)
    return table


def _enumerate(
    outcome: OutcomeModel, criterion: RobustCriterion, space: Discrete, started: float
) -> Decision:
    labels, X = space.resolve(outcome)
    X = np.asarray(X, dtype=np.float64)
    scores = np.array([criterion.evaluate_flat(outcome, x) for x in X])
    k = int(np.argmax(scores))
    diag = Diagnostics(
        status="optimal", converged=True, iterations=1, evaluations=len(X), solver="enumerate"
    )
    if int(np.sum(scores == scores[k])) > 1:
        diag.notes.append(f"{int(np.sum(scores == scores[k]))} options tie at the best score; kept the first listed")
    table = pd.DataFrame(
        {"value": scores, "best": np.arange(len(labels)) == k},
        index=pd.Index(list(labels), name="option"),
    )
    if isinstance(criterion, WorstModel):
        assert isinstance(outcome, MixtureOutcome)
        per = pd.DataFrame([criterion.model_values(outcome, x) for x in X], index=table.index)
        table = pd.concat([table, per.add_prefix("value:")], axis=1)
    prob = Problem(outcome, criterion, space, None, None, started=started)  # type: ignore[arg-type]
    return prob.finish(X[k], "enumerate", diag, option=labels[k], table=table, value=scores[k])


# -- the exact programs -------------------------------------------------------------
def _unit_scale(parts: Sequence[tuple[np.ndarray, np.ndarray]], homogeneous: bool) -> float:
    """Bring tiny or huge outcomes to unit scale when that cannot move the optimum."""
    if not homogeneous:
        return 1.0
    mag_a = max(float(np.max(np.abs(A), initial=0.0)) for A, _ in parts)
    mag_b = max(float(np.max(np.abs(b), initial=0.0)) for _, b in parts)
    return outcome_scale(np.array([[mag_a]]), np.array([mag_b]))


def _cvxpy(prob: Problem, criterion: RobustCriterion, solvers: Sequence[str] | None) -> Decision:
    import cvxpy as cp

    system = prob.system
    assert system is not None
    x = cp.Variable(prob.n, integer=prob.space.integer, name="action")
    cons = system.cvxpy_constraints(x)
    diag = Diagnostics()
    model_cons: list[Any] = []
    if isinstance(criterion, WorstModel):
        outcome = prob.outcome
        assert isinstance(outcome, MixtureOutcome)
        rho = criterion.objective
        parts = [tuple(np.asarray(v, float) for v in m.affine_form()) for m in outcome.models.values()]  # type: ignore[union-attr]
        pooled = outcome.affine_form() if criterion.worst < 1.0 else None
        homogeneous = Property.POSITIVELY_HOMOGENEOUS in rho.properties
        scale = _unit_scale(parts + ([pooled] if pooled is not None else []), homogeneous)  # type: ignore[arg-type]
        t = cp.Variable(name="worst_model_value")
        for A, b in parts:
            model_cons.append(rho.to_cvxpy(affine_expression(x, A * scale, b * scale)) >= t)
        total = criterion.worst * t
        if pooled is not None:
            A, b = (np.asarray(v, float) for v in pooled)
            total = total + (1.0 - criterion.worst) * rho.to_cvxpy(affine_expression(x, A * scale, b * scale))
        program = cp.Problem(cp.Maximize(total), cons + model_cons)
        diag.notes.append(
            "exact epigraph program: max (1 - worst) * objective(mixture) + worst * t subject to "
            "objective(model) >= t for every model"
        )
    else:
        assert isinstance(criterion, WassersteinCVaR)
        aff = prob.outcome.affine_form()
        assert aff is not None
        A, b = (np.asarray(v, float) for v in aff)
        scale = _unit_scale([(A, b)], True)
        n_s = A.shape[0]
        tau, lam, s = cp.Variable(), cp.Variable(nonneg=True), cp.Variable(n_s)
        a = criterion.alpha
        y = (A * scale) @ x + b * scale
        cons += [
            s >= tau,
            s >= (1.0 - 1.0 / a) * tau - y / a,
            lam >= cp.norm(x, criterion.dual_norm) * (scale / a),
        ]
        program = cp.Problem(cp.Maximize(-(lam * criterion.radius + cp.sum(s) / n_s)), cons)
        diag.notes.append(
            "exact Wasserstein DR-CVaR program (Esfahani and Kuhn 2018): min lambda * radius + "
            "mean(s) over the two loss pieces, lambda >= ||action||_* / alpha"
        )
    if scale != 1.0:
        diag.notes.append(f"outcomes scaled by {scale:.3g} inside the solver (the optimum does not move)")
    if prob.space.integer and not program.is_lp() and solvers is None:
        raise DecideValueError(
            f"{criterion!r} on an Integer space needs a mixed-integer linear program (HiGHS); this "
            "one is conic. Use a Discrete space of candidate actions, or norm=1 / numpy.inf."
        )
    order = tuple(s.upper() for s in (solvers or (("HIGHS",) if prob.space.integer else _CONTINUOUS)))
    xval = solve_program(program, x, order, diag, f"{criterion!r} over {prob.space!r}")
    if xval is None:
        raise SolverError(
            f"every solver failed on the program of {criterion!r}: {'; '.join(diag.fallbacks)}."
        )
    if prob.space.integer:
        xval = np.round(xval) + 0.0
    xval = np.clip(xval, system.lb, system.ub)
    value = criterion.evaluate_flat(prob.outcome, xval)
    solver_value = float(program.value) / scale if program.value is not None else np.nan
    if abs(solver_value - value) > 1e-5 * (1.0 + abs(value)) and not prob.space.integer:
        diag.notes.append(
            f"the program's optimal value {solver_value:.8g} differs from the criterion at the "
            f"action {value:.8g}"
        )
        diag.converged = False
    duals = None
    if model_cons and not prob.space.integer:
        duals = [float(np.asarray(c.dual_value).reshape(-1)[0]) if c.dual_value is not None else np.nan
                 for c in model_cons]
    diag.evaluations = 1
    return prob.finish(xval, "cvxpy", diag, value=value,
                       table=_model_table(criterion, prob.outcome, xval, duals))


# -- SLSQP on the epigraph ------------------------------------------------------------
class _Epigraph:
    """Values and gradients of every model's objective at x, cached per point."""

    def __init__(self, outcome: MixtureOutcome, criterion: WorstModel):
        self.outcome, self.rho = outcome, criterion.objective
        self.models = list(outcome.models.values())
        self.worst = criterion.worst
        self.grad = self.rho.has_grad and all(m.has_vjp for m in self.models) and (
            self.worst == 1.0 or outcome.has_vjp)
        self._key: bytes | None = None
        self._val: tuple[np.ndarray, np.ndarray | None, float, np.ndarray | None]
        self.evaluations = 0

    def at(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray | None, float, np.ndarray | None]:
        """(values per model, their gradients or None, pooled value, its gradient or None)."""
        key = x.tobytes()
        if key == self._key:
            return self._val
        self.evaluations += 1
        vals, grads = [], []
        for m in self.models:
            d = np.asarray(m.draws_flat(x), dtype=np.float64)
            if self.grad:
                v, cot = self.rho.value_and_grad(d)
                grads.append(np.asarray(m.vjp_flat(x, cot), dtype=np.float64).reshape(-1))
            else:
                v = float(self.rho(d))
            vals.append(v)
        pv, pg = 0.0, None
        if self.worst < 1.0:
            d = np.asarray(self.outcome.draws_flat(x), dtype=np.float64)
            if self.grad:
                pv, cot = self.rho.value_and_grad(d)
                pg = np.asarray(self.outcome.vjp_flat(x, cot), dtype=np.float64).reshape(-1)
            else:
                pv = float(self.rho(d))
        self._key = key
        self._val = (np.array(vals), np.array(grads) if self.grad else None, float(pv), pg)
        return self._val


def _scipy(
    prob: Problem, criterion: WorstModel, rng: np.random.Generator, *, x0: Any = None,
    n_starts: int | None = None, maxiter: int = 500, tol: float = 1e-10,
) -> Decision:
    from scipy.optimize import minimize

    outcome = prob.outcome
    assert isinstance(outcome, MixtureOutcome)
    system = prob.system
    assert system is not None
    ep = _Epigraph(outcome, criterion)
    diag = Diagnostics(solver="SLSQP")
    diag.notes.append(
        "epigraph solved with SLSQP: max (1 - worst) * objective(mixture) + worst * t subject to "
        "objective(model) >= t for every model"
    )
    if not ep.grad:
        diag.notes.append("gradient by finite differences (a model has no vjp or the objective no grad)")
    if n_starts is None:
        convex = "concave" in {str(p) for p in criterion.objective.properties} and all(
            m.affine_form() is not None for m in outcome.models.values())
        n_starts = 1 if convex else 3
    if isinstance(n_starts, bool) or not isinstance(n_starts, int | np.integer) or n_starts < 1:
        raise DecideValueError(f"n_starts must be a positive integer; got {n_starts!r}.")
    first = check_start(x0, prob.spec, system) if x0 is not None else center_point(system)
    xs = x_scale(system, first)
    vals0, grads0, _, _ = ep.at(first)
    size = float(np.max(np.abs(grads0))) * xs if grads0 is not None and grads0.size else 0.0
    fs = size if np.isfinite(size) and size > 0 else max(float(np.max(np.abs(vals0))), 1.0)
    lam = criterion.worst
    n = prob.n

    def split(z: np.ndarray) -> tuple[np.ndarray, float]:
        return z[:n] * xs, float(z[n])

    def fun(z: np.ndarray) -> tuple[float, np.ndarray]:
        x, tau = split(z)
        _, _, pv, pg = ep.at(x)
        g = np.zeros(n + 1)
        g[n] = -lam
        if pg is not None:
            g[:n] = -(1.0 - lam) * pg * xs / fs
        return -((1.0 - lam) * pv / fs + lam * tau), g

    def cons(z: np.ndarray) -> np.ndarray:
        x, tau = split(z)
        return ep.at(x)[0] / fs - tau

    def cons_jac(z: np.ndarray) -> np.ndarray:
        x, _ = split(z)
        grads = ep.at(x)[1]
        assert grads is not None
        return np.hstack([grads * xs / fs, -np.ones((grads.shape[0], 1))])

    constraints: list[dict[str, Any]] = [
        {"type": "ineq", "fun": cons, **({"jac": cons_jac} if ep.grad else {})}
    ]
    if system.A_ub.shape[0]:
        Au = np.hstack([system.A_ub * xs, np.zeros((system.A_ub.shape[0], 1))])
        constraints.append({"type": "ineq", "fun": lambda z: system.b_ub - Au @ z, "jac": lambda z: -Au})
    if system.A_eq.shape[0]:
        Ae = np.hstack([system.A_eq * xs, np.zeros((system.A_eq.shape[0], 1))])
        constraints.append({"type": "eq", "fun": lambda z: Ae @ z - system.b_eq, "jac": lambda z: Ae})
    bounds = [*zip(np.where(np.isfinite(system.lb), system.lb / xs, -np.inf),
                   np.where(np.isfinite(system.ub), system.ub / xs, np.inf)), (None, None)]
    starts = [first] + [random_feasible(system, first, rng) for _ in range(n_starts - 1)]
    best: tuple[tuple[bool, bool, float], np.ndarray, Any] | None = None
    for k, xk in enumerate(starts):
        z0 = np.append(xk / xs, float(np.min(ep.at(xk)[0])) / fs)
        res = minimize(
            fun, z0, jac=True, method="SLSQP", bounds=bounds, constraints=constraints,
            options={"maxiter": int(maxiter), "ftol": float(tol)},
        )
        x = np.clip(np.asarray(res.x[:n], float) * xs, system.lb, system.ub)
        if not system.bounded and float(np.max(np.abs(x))) > 1e6 * xs:
            raise DecideValueError(
                f"{criterion!r} looks unbounded over the action space: the solver ran to action "
                f"{_fmt(x)} and kept improving. Bound the action with a Box or Budget."
            )
        viol, _ = system.violation(x)
        feasible = bool(viol <= 1e-6 * (1.0 + float(np.max(np.abs(x)))))
        value = criterion.evaluate_flat(outcome, x)
        # the epigraph variable must sit on the worst model at a solution
        gap = abs(float(np.min(ep.at(x)[0])) - float(res.x[n]) * fs) if lam > 0 else 0.0
        ok = bool(res.success) and feasible and gap <= 1e-6 * (1.0 + abs(value))
        diag.starts.append({"start": k, "x0": xk, "x": x, "value": value, "converged": ok,
                            "status": str(res.message), "feasible": feasible})
        diag.iterations += int(getattr(res, "nit", 0) or 0)
        key = (feasible, ok, value)
        if best is None or key > best[0]:
            best = (key, x, res)
    assert best is not None
    (_, ok, _), x, res = best
    diag.status, diag.converged = str(res.message), bool(ok)
    if n_starts > 1:
        diag.notes.append(f"{n_starts} starts; kept the best")
    diag.evaluations = ep.evaluations
    return prob.finish(x, "scipy", diag, value=criterion.evaluate_flat(outcome, x),
                       table=_model_table(criterion, outcome, x))
