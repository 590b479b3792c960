"""The scipy backend: SLSQP / trust-constr from several starts, and a global search.

SLSQP / trust-constr use the chained analytic gradient; differential evolution gives
the derivative-free global search.

The problem is solved in scaled units: the action is divided by a characteristic
magnitude of the space and the score by the size of its gradient at the first
start, so tiny (or huge) outcome units neither stop SLSQP at the start point nor
overflow it; the same problem with outcomes times 1e-9 or 1e9 gives the same action.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from decide._config import SCIPY_START_GRID, SOLUTION_RTOL
from decide.errors import DecideError, DecideValueError, SolverError, UnboundedError
from decide.optimization._decision import Decision, Diagnostics
from decide.optimization._polyhedron import LinearSystem, _fmt
from decide.optimization._presolve import Reduction, presolve
from decide.optimization._problem import (
    Problem,
    center_point,
    check_start,
    random_feasible,
    x_scale,
)
from decide.optimization._verify import Guard
from decide.optimization.backends._base import (
    Backend,
    constraint_reason,
    discrete_reason,
    register,
)

__all__ = ["ScipyBackend", "ScipyGlobalBackend", "solve_scipy"]

_LOCAL = ("SLSQP", "trust-constr")


class _Lifted:
    """The score on the reduced coordinates ``y`` of a presolved space (``x = T y + t``)."""

    def __init__(self, prob: Problem, red: Reduction):
        self.prob, self.red = prob, red

    def value(self, y: np.ndarray) -> float:
        return self.prob.value(self.red.lift(y))

    def value_grad(self, y: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = self.prob.value_grad(self.red.lift(y))
        return v, self.red.T.T @ g


class _Scaled:
    """f(z) = -score(xs * z) / fs and its gradient, in scaled units."""

    def __init__(self, prob: Problem | _Lifted, xs: float, fd: bool):
        self.prob, self.xs, self.fs, self.fd = prob, xs, 1.0, fd

    def fun(self, z: np.ndarray) -> float:
        return -self.prob.value(self.xs * z) / self.fs

    def fun_grad(self, z: np.ndarray) -> tuple[float, np.ndarray]:
        v, g = self.prob.value_grad(self.xs * z)
        return -v / self.fs, -g * (self.xs / self.fs)

    def calibrate(self, z0: np.ndarray) -> None:
        """Set ``fs`` to the change of the score over a unit scaled step at ``z0``."""
        if self.fd:
            from scipy.optimize import approx_fprime

            v = self.prob.value(self.xs * z0)
            g = approx_fprime(z0, lambda z: self.prob.value(self.xs * z), 1e-7)
            size = float(np.max(np.abs(g))) if g.size else 0.0
        else:
            v, g = self.prob.value_grad(self.xs * z0)
            size = float(np.max(np.abs(g))) * self.xs if g.size else 0.0
        if np.isfinite(size) and size > 0:
            self.fs = size
        elif np.isfinite(v) and v != 0:
            self.fs = abs(v)


def _scaled_system(system: LinearSystem, xs: float) -> LinearSystem:
    def norm_rows(A: np.ndarray, b: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        if A.shape[0] == 0:
            return A, b
        r = np.linalg.norm(A, axis=1)
        r[r == 0] = 1.0
        return A / r[:, None], b / (r * xs)

    A_ub, b_ub = norm_rows(system.A_ub, system.b_ub)
    A_eq, b_eq = norm_rows(system.A_eq, system.b_eq)
    return LinearSystem(
        system.lb / xs, system.ub / xs, A_ub, b_ub, A_eq, b_eq, system.rows_ub, system.rows_eq
    )


class _OutcomeRows:
    """Constraints on outcomes in scaled units: ``g_k(z) >= 0`` with gradients through the vjp.

    A chance constraint enters as its conservative CVaR approximation
    (``CVaR(prob) >= threshold`` implies ``VaR(prob) >= threshold``); the original
    constraints are checked on the draws after the solve.
    """

    def __init__(self, prob: Problem, xs: float, red: Reduction | None = None):
        self.prob, self.xs, self.red = prob, xs, red
        self.cons = [c.conservative() for c in prob.constraints]
        self.scale = np.ones(len(self.cons))
        self._key: bytes | None = None
        self._draws: np.ndarray | None = None

    def __len__(self) -> int:
        return len(self.cons)

    def _at(self, x: np.ndarray) -> np.ndarray:
        key = x.tobytes()
        if key != self._key:
            self._key, self._draws = key, np.asarray(self.prob.outcome.draws_flat(x))
        assert self._draws is not None
        return self._draws

    def raw(self, k: int, x: np.ndarray) -> float:
        c = self.cons[k]
        score = c.objective(self._at(x), self.prob.weights, action=x)
        return float(c.direction * (score - c.score_bound))

    def _full(self, z: np.ndarray) -> np.ndarray:
        """The full action at scaled (and, after presolve, reduced) coordinates ``z``."""
        y = self.xs * z
        return self.red.lift(y) if self.red is not None else y

    def calibrate(self, z0: np.ndarray) -> None:
        x = self._full(z0)
        for k, c in enumerate(self.cons):
            size = max(abs(c.score_bound), abs(self.raw(k, x) + c.direction * c.score_bound))
            self.scale[k] = size if np.isfinite(size) and size > 0 else 1.0

    def fun(self, k: int, z: np.ndarray) -> float:
        return self.raw(k, self._full(z)) / self.scale[k]

    def jac(self, k: int, z: np.ndarray) -> np.ndarray:
        x = self._full(z)
        c = self.cons[k]
        cot = c.objective.grad(self._at(x), self.prob.weights)
        g = np.asarray(self.prob.outcome.vjp_flat(x, cot), dtype=np.float64).reshape(-1)
        if c.objective.uses_action:
            g = g + c.objective.action_grad(x)
        if self.red is not None:
            g = self.red.T.T @ g
        return c.direction * g * self.xs / self.scale[k]

    def feasible(self, x: np.ndarray) -> bool:
        draws = self._at(x)
        return all(
            c.satisfied(draws, self.prob.weights, action=x, tol=SOLUTION_RTOL)
            for c in self.prob.constraints
        )


def _local(
    f: _Scaled, z0: np.ndarray, sysz: LinearSystem, method: str, maxiter: int, tol: float,
    rows: _OutcomeRows | None = None,
) -> Any:
    from scipy.optimize import Bounds, LinearConstraint, NonlinearConstraint, minimize

    bounds = Bounds(sysz.lb, sysz.ub)
    jac: Callable[..., Any] | str | bool
    fun: Callable[..., Any]
    if f.fd:
        fun, jac = f.fun, "2-point"
    else:
        fun, jac = f.fun_grad, True
    if method == "SLSQP":
        cons = []
        if sysz.A_ub.shape[0]:
            A, b = sysz.A_ub, sysz.b_ub
            cons.append({"type": "ineq", "fun": lambda z: b - A @ z, "jac": lambda z: -A})
        if sysz.A_eq.shape[0]:
            Ae, be = sysz.A_eq, sysz.b_eq
            cons.append({"type": "eq", "fun": lambda z: Ae @ z - be, "jac": lambda z: Ae})
        for k in range(len(rows or ())):
            assert rows is not None
            cons.append({"type": "ineq", "fun": lambda z, k=k: rows.fun(k, z),
                         "jac": lambda z, k=k: rows.jac(k, z)})
        return minimize(
            fun, z0, jac=jac, method="SLSQP", bounds=bounds, constraints=cons,
            options={"maxiter": maxiter, "ftol": tol},
        )
    lcons = []
    if sysz.A_ub.shape[0]:
        lcons.append(LinearConstraint(sysz.A_ub, -np.inf, sysz.b_ub))
    if sysz.A_eq.shape[0]:
        lcons.append(LinearConstraint(sysz.A_eq, sysz.b_eq, sysz.b_eq))
    for k in range(len(rows or ())):
        assert rows is not None
        lcons.append(NonlinearConstraint(lambda z, k=k: rows.fun(k, z), 0.0, np.inf,
                                         jac=lambda z, k=k: rows.jac(k, z).reshape(1, -1)))
    res = minimize(
        fun, z0, jac=jac, method="trust-constr", bounds=bounds, constraints=lcons,
        options={"maxiter": maxiter, "gtol": tol, "xtol": tol},
    )
    res["outcome_rows_first"] = len(lcons) - len(rows or ())  # where our rows sit in res.v
    return res


def _success(res: Any, method: str) -> bool:
    if method == "trust-constr":
        return bool(res.status in (1, 2))
    return bool(res.success)


def _global_start(
    f: _Scaled, sysz: LinearSystem, rng: np.random.Generator, options: dict[str, Any]
) -> tuple[np.ndarray, int]:
    """Best point of a differential evolution on the penalized scaled objective."""
    from scipy.optimize import differential_evolution

    lb, ub = sysz.implied_bounds()
    if not (np.all(np.isfinite(lb)) and np.all(np.isfinite(ub))):
        raise DecideValueError(
            "method='scipy-global' needs finite bounds on every action element; got lower="
            f"{_fmt(sysz.lb * f.xs)}, upper={_fmt(sysz.ub * f.xs)}. Add a Box or Budget upper bound."
        )
    penalty = float(options.pop("penalty", 1e3))

    def pen(z: np.ndarray) -> float:
        viol = 0.0
        if sysz.A_ub.shape[0]:
            viol += float(np.sum(np.maximum(sysz.A_ub @ z - sysz.b_ub, 0.0)))
        if sysz.A_eq.shape[0]:
            viol += float(np.sum(np.abs(sysz.A_eq @ z - sysz.b_eq)))
        return f.fun(z) + penalty * viol

    guard = Guard(pen)
    res = differential_evolution(
        guard,
        list(zip(lb, ub)),
        rng=rng,
        maxiter=int(options.pop("de_maxiter", 200)),
        popsize=int(options.pop("popsize", 15)),
        tol=float(options.pop("de_tol", 1e-8)),
        polish=False,
        init="sobol" if sysz.n > 1 else "latinhypercube",
    )
    guard.reraise()
    return np.asarray(res.x), int(res.nit)


def _grid_starts(
    target: Problem | _Lifted, system: LinearSystem, centre: np.ndarray, n_starts: int,
    grid: int = SCIPY_START_GRID,
) -> tuple[list[np.ndarray], str] | None:
    """Starts for one free dimension: the best local maxima of a grid over the feasible segment.

    The segment is ``centre + N z`` (``N`` spanning the null space of the equality rows)
    for ``z`` in its interval; the midpoints of ``grid`` equal cells are scored, and the local maxima of
    the grid (ties at plateaus included), best first, start the local solves, topped up
    with the best other grid points. None when the action has more free dimensions or
    the segment is unbounded.
    """
    from decide.optimization.backends._scipy_derivative_free import _Affine, free_dimensions

    if free_dimensions(system) != 1:
        return None
    aff = _Affine(system, centre)
    try:
        ((lo, hi),) = aff.z_bounds()
    except DecideValueError:  # unbounded: random starts
        return None
    if not (np.isfinite(lo) and np.isfinite(hi) and hi > lo):
        return None
    # cell midpoints: the ends of the segment are left to the local solves (an outcome
    # may be undefined there, e.g. a scale proportional to the action)
    zs = lo + (np.arange(grid) + 0.5) * ((hi - lo) / grid)
    ws = [np.clip(aff.x(np.array([z])), system.lb, system.ub) for z in zs]
    vals = np.array([target.value(w) for w in ws], dtype=np.float64)
    vals[~np.isfinite(vals)] = -np.inf
    padded = np.concatenate([[-np.inf], vals, [-np.inf]])
    peak = (vals >= padded[:-2]) & (vals >= padded[2:]) & np.isfinite(vals)
    order = sorted(range(grid), key=lambda k: (not peak[k], -vals[k]))
    chosen = order[:n_starts]
    note = (f"starts: the best local maxima of a {grid}-point grid over the feasible segment "
            f"(one free dimension; {int(peak.sum())} on the grid)")
    return [ws[k] for k in chosen], note


def solve_scipy(
    prob: Problem,
    *,
    rng: np.random.Generator,
    x0: Any = None,
    n_starts: int | None = None,
    local_method: str = "SLSQP",
    global_search: bool = False,
    maxiter: int = 1000,
    tol: float = 1e-10,
    options: dict[str, Any] | None = None,
    method_name: str = "scipy",
    finish: bool = True,
) -> Decision | tuple[np.ndarray, Diagnostics]:
    """Maximize the score with scipy; the best of several local solves.

    Parameters
    ----------
    prob : Problem
    rng : numpy.random.Generator
        Draws the extra start points and seeds differential evolution.
    x0 : action, optional
        First start point; must lie in the space. Default: the Chebyshev centre.
    n_starts : int, optional
        Number of local solves (feasible random starts after the first). Default 1
        when the outcome is affine and the objective concave, else 3. With one free
        dimension, no ``x0`` and no constraint on outcomes, the starts are the best
        local maxima of a ``SCIPY_START_GRID``-point grid over the feasible segment
        (:func:`_grid_starts`).
    local_method : {"SLSQP", "trust-constr"}
    global_search : bool
        Run ``differential_evolution`` first and polish its best point locally.
    """
    options = dict(options or {})
    system = prob.system
    assert system is not None
    if local_method not in _LOCAL:
        raise DecideValueError(f"local_method must be one of {list(_LOCAL)}; got {local_method!r}.")
    if n_starts is None:
        concave = "concave" in {str(p) for p in prob.objective.properties}
        n_starts = 1 if (concave and prob.outcome.affine_form() is not None) else 3
    if isinstance(n_starts, bool) or not isinstance(n_starts, int | np.integer) or n_starts < 1:
        raise DecideValueError(f"n_starts must be a positive integer; got {n_starts!r}.")
    n_starts = int(n_starts)
    if isinstance(maxiter, bool) or not isinstance(maxiter, int | np.integer) or maxiter < 1:
        raise DecideValueError(f"maxiter must be a positive integer; got {maxiter!r}.")
    if isinstance(tol, bool) or not isinstance(tol, int | float | np.number) or not (
        np.isfinite(tol) and tol > 0
    ):
        raise DecideValueError(f"tol must be a positive finite number; got {tol!r}.")
    diag = Diagnostics(solver=local_method)
    fd = not prob.has_grad
    if fd:
        missing = "the outcome has no vjp" if not prob.outcome.has_vjp else "the objective has no grad"
        diag.notes.append(f"gradient by finite differences ({missing})")

    if prob.constraints and any(c.kind == "chance" for c in prob.constraints):
        # a chance constraint is solved through its conservative CVaR form, which can bind
        # (or be infeasible) where the constraint itself does not: when the unconstrained
        # optimum meets every constraint on the draws, it is the constrained optimum
        found = _unconstrained_if_feasible(
            prob, rng=rng, x0=x0, n_starts=n_starts, local_method=local_method,
            global_search=global_search, maxiter=maxiter, tol=tol, options=options,
            method_name=method_name,
        )
        if found is not None:
            xu, du, draws_u = found
            if not finish:
                return xu, du
            return prob.finish(xu, method_name, du, draws=draws_u,
                               shadow_prices=np.zeros(len(prob.constraints)))
    user_first = check_start(x0, prob.spec, system) if x0 is not None else None
    # presolve: fixed elements and equality rows eliminated, the solver works on y (x = T y + t)
    red = presolve(system)
    if red is not None and red.system.n == 0:  # the space is one point
        diag.status, diag.converged = "the constraints fix every element of the action", True
        diag.notes.append(f"presolve: {red.n_fixed} fixed, {red.n_eliminated} eliminated")
        x = red.t.copy()
        return prob.finish(x, method_name, diag) if finish else (x, diag)
    if red is not None:
        system_w: LinearSystem = red.system
        target: Problem | _Lifted = _Lifted(prob, red)
        diag.notes.append(
            f"presolve: {prob.n} -> {red.system.n} free dimensions ({red.n_fixed} fixed by "
            f"their bounds, {red.n_eliminated} eliminated by equality rows)"
        )
        first = red.project(user_first) if user_first is not None else center_point(system_w)
    else:
        system_w, target = system, prob
        first = user_first if user_first is not None else center_point(system)

    def lift(w: np.ndarray) -> np.ndarray:
        return red.lift(w) if red is not None else w

    xs = x_scale(system_w, first)
    f = _Scaled(target, xs, fd)
    sysz = _scaled_system(system_w, xs)
    starts = [first / xs]
    if global_search:
        f.calibrate(starts[0])
        zg, nit = _global_start(f, sysz, rng, options)
        diag.notes.append(f"differential evolution ({nit} generations) then {local_method} polish")
        starts = [zg]
    rows = _OutcomeRows(prob, xs, red) if prob.constraints else None
    if n_starts > 1 and user_first is None and not global_search and rows is None:
        gridded = _grid_starts(target, system_w, first, n_starts)
        if gridded is not None:
            starts = [w / xs for w in gridded[0]]
            diag.notes.append(gridded[1])
    while len(starts) < n_starts:
        starts.append(random_feasible(system_w, first, rng) / xs)
    if not global_search:
        f.calibrate(starts[0])
    diag.notes.append(f"scaled: action by {xs:.3g}, score by {f.fs * 1.0:.3g}")
    if rows is not None:
        rows.calibrate(starts[0])
        if any(c.kind == "chance" for c in prob.constraints):
            diag.notes.append("chance constraints replaced by CVaR(prob) >= threshold "
                              "(conservative); the originals are checked on the draws")

    best_key: tuple[bool, bool, float] | None = None
    best_x, best_res, best_k = lift(starts[0] * xs), None, 0
    iters = 0
    for k, z0 in enumerate(starts):
        try:
            res = _local(f, z0, sysz, local_method, maxiter, tol, rows)
        except DecideError:
            raise
        except Exception as exc:  # the solver broke: record it, try the other starts
            diag.fallbacks.append(f"{local_method} start {k}: raised {type(exc).__name__}: {str(exc)[:200]}")
            diag.starts.append({"start": k, "x0": lift(z0 * xs), "x": None, "value": np.nan,
                                "converged": False, "status": f"raised {type(exc).__name__}",
                                "feasible": False})
            continue
        z = np.clip(np.asarray(res.x, float), sysz.lb, sysz.ub)
        if z.shape != z0.shape or not np.all(np.isfinite(z)):
            diag.fallbacks.append(f"{local_method} start {k}: returned a non-finite action ({res.message})")
            diag.starts.append({"start": k, "x0": lift(z0 * xs), "x": None, "value": np.nan,
                                "converged": False, "status": str(res.message), "feasible": False})
            continue
        x = lift(z * xs)
        ok = _success(res, local_method)
        feasible = system.violated(x, SOLUTION_RTOL) is None and (rows is None or rows.feasible(x))
        val = prob.value(x)
        iters += int(getattr(res, "nit", 0) or 0)
        diag.starts.append(
            {"start": k, "x0": lift(z0 * xs), "x": x, "value": val, "converged": ok,
             "status": str(res.message), "feasible": feasible}
        )
        if not system_w.bounded and float(np.max(np.abs(z))) > 1e6:
            raise UnboundedError(
                "the objective looks unbounded over the action space: the solver ran to action "
                f"{_fmt(x)} (score {val:.6g}) and kept improving. Bound the action with a Box or "
                "Budget (or use a risk-averse objective)."
            )
        key = (feasible, ok, val)
        if best_key is None or key > best_key:
            best_key, best_x, best_res, best_k = key, x, res, k
    if global_search and best_key is not None:
        # differential evolution's own point competes: a polish that made it worse is dropped
        x_de = lift(starts[0] * xs)
        feasible_de = system.violated(x_de, SOLUTION_RTOL) is None and (
            rows is None or rows.feasible(x_de)
        )
        v_de = prob.value(x_de)
        if feasible_de and (not best_key[0] or v_de > best_key[2]):
            diag.notes.append(
                f"the {local_method} polish ended at a worse point ({best_key[2]:.6g} against "
                f"{v_de:.6g}); kept differential evolution's point"
            )
            best_key, best_x, best_res = (True, True, v_de), x_de, None
    if best_key is None:
        raise SolverError(
            f"every {local_method} start failed ({'; '.join(diag.fallbacks)}). Try another "
            "local_method, x0, or method='scipy-global'."
        )
    diag.status = str(best_res.message) if best_res is not None else "differential evolution"
    diag.converged = bool(best_key[1])
    diag.iterations = iters
    diag.evaluations = prob.evaluations
    if n_starts > 1:
        diag.notes.append(f"{n_starts} starts; kept start {best_k}")
    x = best_x
    if rows is not None and not best_key[0]:
        _check_reachable(prob, rng, maxiter, tol)
    if not finish:
        return x, diag
    shadow = None
    if rows is not None and best_res is not None and best_key[0] and best_key[1]:
        shadow = _prices(best_res, local_method, rows, f.fs)
        diag.notes.append(f"shadow prices from {local_method}'s Lagrange multipliers (none for a "
                          "chance constraint: its multiplier prices the CVaR approximation)")
    return prob.finish(x, method_name, diag, shadow_prices=shadow)


def _unconstrained_if_feasible(
    prob: Problem, **kw: Any
) -> tuple[np.ndarray, Diagnostics, np.ndarray] | None:
    """The optimum without the constraints on outcomes (and its draws), if it converged and meets them all.

    A feasible point that is optimal for the larger problem is optimal for the
    constrained one, and no constraint binds there (every shadow price is zero).
    """
    free = Problem(prob.outcome, prob.objective, prob.space, prob.system, prob.weights)
    out = solve_scipy(free, finish=False, **kw)
    assert isinstance(out, tuple)
    x, diag = out
    prob.evaluations += free.evaluations
    if not diag.converged:
        return None
    draws = prob.outcome.draws_flat(x)
    if not all(c.satisfied(draws, prob.weights, action=x, tol=SOLUTION_RTOL)
               for c in prob.constraints):
        return None
    diag.notes.append("the unconstrained optimum meets every constraint on the draws: none binds")
    return x, diag, np.asarray(draws)


def _prices(res: Any, method: str, rows: _OutcomeRows, fs: float) -> np.ndarray | None:
    """Shadow prices of the constraints on outcomes from the solver's Lagrange multipliers.

    The solver minimizes ``f = -score / fs`` subject to ``g_k = d_k (value_k - bound_k) /
    scale_k >= 0`` (``d_k = +1`` for ``>=``, ``-1`` for ``<=``). Its multiplier ``mu_k =
    d f* / d r`` of ``g_k >= r``; relaxing the bound by one unit is ``r = -1 / scale_k``,
    so the optimal score gains ``mu_k fs / scale_k``. SLSQP returns ``multipliers``
    (equality rows first, then inequality rows in order: ours are the last ``K``);
    trust-constr returns ``v`` per constraint with ``L = f + v . c`` (``mu = -v``).
    """
    K = len(rows)
    if method == "SLSQP":
        mult = getattr(res, "multipliers", None)
        if mult is None or np.asarray(mult).shape[0] < K:
            return None
        mu = np.asarray(mult, dtype=np.float64)[-K:]
    else:
        v, first = res.get("v"), res.get("outcome_rows_first")
        if v is None or first is None or len(v) < first + K:
            return None
        mu = -np.array([float(np.asarray(v[first + k]).reshape(-1)[0]) for k in range(K)])
    mu = np.maximum(mu, 0.0)
    out = mu * fs / rows.scale
    chance = np.array([c.chance_form() is not None for c in rows.prob.constraints])
    return np.where(chance, np.nan, out) + 0.0


def _check_reachable(prob: Problem, rng: np.random.Generator, maxiter: int, tol: float) -> None:
    """No start met the constraints: raise InfeasibleError when some constraint cannot be met.

    Maximizes each constraint's measure over the space alone; a constraint whose best
    value misses its bound is reported. A chance constraint is skipped: its
    conservative CVaR form missing the bound proves nothing about the constraint.
    If every one can be met alone the constraints are reported as contradictory
    only when the solves themselves converged; otherwise the caller flags the
    decision as not converged.
    """
    from decide.measures import WeightedObjective
    from decide.optimization._outcome_constraints import raise_infeasible

    best: dict[int, float] = {}
    for k, c in enumerate(prob.constraints):
        use = c.conservative()
        sub = Problem(prob.outcome, WeightedObjective([(use.direction, use.objective)]), prob.space,
                      prob.system, prob.weights)
        out = solve_scipy(sub, rng=rng, maxiter=maxiter, tol=tol, finish=False)
        assert isinstance(out, tuple)
        x, _ = out
        draws = prob.outcome.draws_flat(x)
        if c.kind == "chance":
            # its CVaR form is conservative: missing it proves nothing about the constraint,
            # so the caller reports the decision as not converged instead
            continue
        best[k] = use.value(draws, prob.weights, action=x)
        if not use.satisfied(draws, prob.weights, action=x, tol=SOLUTION_RTOL):
            raise_infeasible(prob, lambda cc: best.get(prob.constraints.index(cc)),
                             "best values over the space alone, by local search from the "
                             "centre")


_DE_OPTIONS = frozenset({"popsize", "de_maxiter", "de_tol", "penalty"})


@register
class ScipyBackend(Backend):
    """``method="scipy"``: local solves from several starts.

    Integer spaces by relaxation, rounding and local search
    (:func:`~decide.optimization.backends._integer.solve_integer_search`).
    """

    name = "scipy"
    options = frozenset({"x0", "n_starts", "local_method", "maxiter", "tol", "max_steps"})

    def accepts(self, problem: Problem) -> str | None:
        reason = discrete_reason(problem, self.name)
        if reason is None and problem.constraints and problem.space.integer:
            reason = "the integer search does not take constraints on outcomes"
        if reason is None and problem.constraints and not problem.has_grad:
            reason = "constraints on outcomes need the outcome's vjp and the objective's gradient"
        return reason or constraint_reason(problem, self.name, ("linear", "chance", "grad"))

    def auto_rank(self, problem: Problem, *, repeated: bool = False) -> float | None:
        return 3.0

    def reason(self, problem: Problem) -> str:
        if problem.space.integer:
            return "integer space: the continuous relaxation by SLSQP, rounding, then a local search"
        grad = "analytic" if problem.has_grad else "finite-difference"
        return (
            f"{problem.smoothness_reason}: SLSQP with the {grad} gradient from several starts"
            if problem.smoothness == "smooth"
            else f"{problem.smoothness_reason}, but the space is unbounded (no global search "
            "possible): SLSQP with finite differences, checked by the verification"
        )

    def solve(self, problem: Problem, rng: np.random.Generator, options: dict[str, Any]) -> Decision:
        if problem.space.integer:
            from decide.optimization.backends._integer import solve_integer_search

            return solve_integer_search(problem, rng=rng, **options)
        local = {k: v for k, v in options.items() if k != "max_steps"}
        out = solve_scipy(problem, rng=rng, method_name=self.name, **local)
        assert isinstance(out, Decision)
        return out


@register
class ScipyGlobalBackend(Backend):
    """``method="scipy-global"``: differential evolution, then a local polish."""

    name = "scipy-global"
    options = ScipyBackend.options | _DE_OPTIONS

    def accepts(self, problem: Problem) -> str | None:
        reason = discrete_reason(problem, self.name)
        if reason is not None:
            return reason
        if problem.space.integer:
            return "differential evolution does not handle Integer spaces"
        if problem.constraints:
            return "differential evolution does not take constraints on outcomes (use 'scipy')"
        assert problem.system is not None
        lb, ub = problem.system.implied_bounds()
        if not (np.all(np.isfinite(lb)) and np.all(np.isfinite(ub))):
            return "differential evolution needs finite bounds on every action element"
        return None

    def solve(self, problem: Problem, rng: np.random.Generator, options: dict[str, Any]) -> Decision:
        local = {k: v for k, v in options.items() if k not in _DE_OPTIONS and k != "max_steps"}
        de = {k: v for k, v in options.items() if k in _DE_OPTIONS}
        out = solve_scipy(
            problem, rng=rng, global_search=True, options=de, method_name=self.name, **local
        )
        assert isinstance(out, Decision)
        return out
