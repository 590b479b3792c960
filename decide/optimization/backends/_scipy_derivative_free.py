"""The derivative-free backend: for objectives without a usable gradient.

A sample average over draws that jump as the action moves (counts from an inverse
CDF of fixed uniforms, steps) is piecewise constant in the action: its gradient is
zero almost everywhere and finite differences see only the jumps, so a gradient
method stalls next to its start. The rule by the number of free action dimensions
``d`` (after equality constraints):

* ``d = 1``: a grid over the feasible interval, then a bounded Brent search
  (:func:`scipy.optimize.minimize_scalar`) on the bracket around the best grid
  point, then a pattern polish;
* ``2 <= d <= DERIVATIVE_FREE_MAX_GLOBAL``: differential evolution over the
  equality constraints' null space, inequality constraints kept as linear
  constraints, then a COBYQA polish (kept only when it improves) and a pattern
  polish;
* larger ``d``: a global search needs of the order of ``15 d`` evaluations per
  generation, so COBYQA runs from the centre and from random feasible starts,
  then a pattern polish: a local optimum, said so in the notes.

Every step scores the same draws (common random numbers), so the objective is a
deterministic function of the action. The pattern polish moves to the best
point of the verification probe until none improves, so the local probe of
:func:`~decide.optimization._verify.verify_continuous` checks what it promised.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from decide._config import DERIVATIVE_FREE_GRID, DERIVATIVE_FREE_MAX_GLOBAL, PROBE_RTOL
from decide.errors import DecideValueError
from decide.optimization._decision import Decision, Diagnostics
from decide.optimization._polyhedron import LinearSystem, _fmt
from decide.optimization._problem import Problem, center_point, random_feasible
from decide.optimization._verify import Guard, objective_scale, pattern_polish
from decide.optimization.backends._base import Backend, discrete_reason, register

__all__ = ["DerivativeFreeBackend", "free_dimensions", "solve_derivative_free"]


def free_dimensions(system: LinearSystem) -> int:
    """Dimensions of the action left free by the equality constraints."""
    if system.A_eq.shape[0] == 0:
        return system.n
    return system.n - int(np.linalg.matrix_rank(system.A_eq))


def rule(d: int) -> str:
    """The search used for ``d`` free dimensions, in words."""
    if d <= 1:
        return (
            "one free action dimension: a grid over the feasible interval, a bounded Brent "
            "search on the best bracket, then a pattern polish"
        )
    if d <= DERIVATIVE_FREE_MAX_GLOBAL:
        return (
            f"{d} free action dimensions (at most {DERIVATIVE_FREE_MAX_GLOBAL}): differential "
            "evolution, then a COBYQA polish kept only when it improves, then a pattern polish"
        )
    return (
        f"{d} free action dimensions (more than {DERIVATIVE_FREE_MAX_GLOBAL}): a global search "
        "would need thousands of evaluations per dimension, so COBYQA from the centre and "
        "random feasible starts, then a pattern polish (a local optimum)"
    )


class _Affine:
    """The feasible set in null-space coordinates: ``x = x0 + N z``."""

    def __init__(self, system: LinearSystem, x0: np.ndarray):
        from scipy.linalg import null_space

        self.x0 = x0
        if system.A_eq.shape[0]:
            self.N = null_space(system.A_eq)
        else:
            self.N = np.eye(system.n)
        self.system = system

    def x(self, z: np.ndarray) -> np.ndarray:
        return self.x0 + self.N @ np.asarray(z, dtype=np.float64)

    def constraints(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``lo <= C z <= hi`` for the bounds and inequality rows."""
        s = self.system
        rows = [self.N]
        lo = [s.lb - self.x0]
        hi = [s.ub - self.x0]
        if s.A_ub.shape[0]:
            rows.append(s.A_ub @ self.N)
            lo.append(np.full(s.A_ub.shape[0], -np.inf))
            hi.append(s.b_ub - s.A_ub @ self.x0)
        return np.vstack(rows), np.concatenate(lo), np.concatenate(hi)

    def z_bounds(self) -> list[tuple[float, float]]:
        from scipy.optimize import linprog

        C, lo, hi = self.constraints()
        A = np.vstack([C[np.isfinite(hi)], -C[np.isfinite(lo)]])
        b = np.concatenate([hi[np.isfinite(hi)], -lo[np.isfinite(lo)]])
        k = self.N.shape[1]
        out = []
        for j in range(k):
            c = np.zeros(k)
            pair = []
            for sign in (1.0, -1.0):
                c[j] = sign
                res = linprog(c, A_ub=A, b_ub=b, bounds=[(None, None)] * k, method="highs")
                if res.status != 0:
                    raise DecideValueError(
                        "method='derivative-free' needs a bounded action space; add a Box or "
                        "a Budget with upper bounds."
                    )
                pair.append(float(res.x[j]))
            out.append((pair[0], pair[1]))
        return out


def _solve_1d(prob: Problem, grid: int) -> tuple[np.ndarray, float, list[str]]:
    from scipy.optimize import minimize_scalar

    system = prob.system
    assert system is not None
    center = center_point(system)
    aff = _Affine(system, center)
    (lo, hi), = aff.z_bounds()
    zs = np.linspace(lo, hi, grid)
    vals = np.array([prob.value(aff.x(np.array([z]))) for z in zs])
    k = int(np.argmax(vals))
    best_z, best_v = float(zs[k]), float(vals[k])
    a, b = float(zs[max(k - 1, 0)]), float(zs[min(k + 1, grid - 1)])
    notes = [f"grid of {grid} points over [{_fmt(aff.x(np.array([lo])))}, {_fmt(aff.x(np.array([hi])))}]"]
    if b > a:
        res = minimize_scalar(
            lambda z: -prob.value(aff.x(np.array([z]))), bounds=(a, b), method="bounded",
            options={"xatol": 1e-6 * (hi - lo)},
        )
        if -float(res.fun) > best_v:
            best_z, best_v = float(res.x), -float(res.fun)
        notes.append(f"bounded Brent search on [{a:.6g}, {b:.6g}] (in the free coordinate)")
    return aff.x(np.array([best_z])), best_v, notes


def _cobyqa(prob: Problem, aff: _Affine, z0: np.ndarray, maxiter: int) -> tuple[np.ndarray, float]:
    from scipy.optimize import LinearConstraint, minimize

    C, lo, hi = aff.constraints()
    res = minimize(
        lambda z: -prob.value(aff.x(z)), z0, method="COBYQA",
        constraints=[LinearConstraint(C, lo, hi)], options={"maxfev": maxiter},
    )
    return np.asarray(res.x, dtype=np.float64), -float(res.fun)


def _feasible(system: LinearSystem, x: np.ndarray) -> bool:
    return system.feasible(x, 1e-9)


def _solve_global(
    prob: Problem, rng: np.random.Generator, options: dict[str, Any]
) -> tuple[np.ndarray, float, list[str]]:
    from scipy.optimize import LinearConstraint, differential_evolution

    system = prob.system
    assert system is not None
    aff = _Affine(system, center_point(system))
    bounds = aff.z_bounds()
    C, lo, hi = aff.constraints()
    guard = Guard(lambda z: -prob.value(aff.x(z)))
    res = differential_evolution(
        guard, bounds, rng=rng,
        maxiter=int(options.get("de_maxiter", 100)), popsize=int(options.get("popsize", 15)),
        tol=float(options.get("de_tol", 1e-6)), polish=False,
        constraints=[LinearConstraint(C, lo, hi)], init="sobol",
    )
    guard.reraise()
    z, v = np.asarray(res.x, dtype=np.float64), -float(res.fun)
    notes = [f"differential evolution: {int(res.nit)} generations ({res.message})"]
    zp, vp = _cobyqa(prob, aff, z, int(options.get("maxiter", 1000)))
    if vp > v and _feasible(system, aff.x(zp)):
        z, v = zp, vp
        notes.append("COBYQA polish improved the point")
    else:
        notes.append("COBYQA polish did not improve; kept differential evolution's point")
    return aff.x(z), v, notes


def _solve_local(
    prob: Problem, rng: np.random.Generator, options: dict[str, Any]
) -> tuple[np.ndarray, float, list[str]]:
    system = prob.system
    assert system is not None
    center = center_point(system)
    aff = _Affine(system, center)
    n_starts = int(options.get("n_starts", 3))
    best: tuple[float, np.ndarray] | None = None
    for k in range(n_starts):
        x0 = center if k == 0 else random_feasible(system, center, rng)
        z0 = np.linalg.lstsq(aff.N, x0 - center, rcond=None)[0]
        z, v = _cobyqa(prob, aff, z0, int(options.get("maxiter", 1000)))
        x = aff.x(z)
        if _feasible(system, x) and (best is None or v > best[0]):
            best = (v, x)
    if best is None:
        return center, prob.value(center), ["every COBYQA start ended outside the space"]
    return best[1], best[0], [f"COBYQA from {n_starts} starts"]


def solve_derivative_free(
    prob: Problem, rng: np.random.Generator, options: dict[str, Any], *, polish: bool = True
) -> tuple[np.ndarray, float, list[str]]:
    """Maximize the score without gradients by the rule of the module docstring.

    Returns
    -------
    x : ndarray of shape (size,)
    value : float
    notes : list of str
    """
    system = prob.system
    assert system is not None
    d = free_dimensions(system)
    if d == 0:
        x = center_point(system)
        return x, prob.value(x), ["the space is a single point"]
    grid = int(options.get("grid", DERIVATIVE_FREE_GRID))
    if d == 1:
        x, v, notes = _solve_1d(prob, grid)
    elif d <= DERIVATIVE_FREE_MAX_GLOBAL:
        x, v, notes = _solve_global(prob, rng, options)
    else:
        x, v, notes = _solve_local(prob, rng, options)
    if polish:
        scale = objective_scale(v, prob.outcome.draws_flat(x))
        x, v, rounds = pattern_polish(prob, x, v, PROBE_RTOL * scale)
        notes.append(f"pattern polish: {rounds} moves")
    return x, v, notes


_OPTIONS = frozenset({"grid", "n_starts", "maxiter", "popsize", "de_maxiter", "de_tol"})


@register
class DerivativeFreeBackend(Backend):
    """``method="derivative-free"``: a search by the number of free action dimensions, no gradients.

    ``method="auto"`` picks it when the objective is not smooth (the outcome declares
    ``smoothness="nonsmooth"``, or has no gradient, or the objective has none) and the
    space is continuous and bounded.
    """

    name = "derivative-free"
    options = _OPTIONS

    def accepts(self, problem: Problem) -> str | None:
        reason = discrete_reason(problem, self.name)
        if reason is not None:
            return reason
        if problem.space.integer:
            return "an Integer space is searched by unit moves (method 'scipy')"
        if problem.constraints:
            return (
                "the derivative-free search does not take constraints on outcomes "
                "(subject_to=); use a Discrete grid of actions, which enumeration checks"
            )
        assert problem.system is not None
        lb, ub = problem.system.implied_bounds()
        if not (np.all(np.isfinite(lb)) and np.all(np.isfinite(ub))):
            return "a derivative-free global search needs finite bounds on every action element"
        return None

    def auto_rank(self, problem: Problem, *, repeated: bool = False) -> float | None:
        return 2.0 if problem.smoothness == "nonsmooth" else None

    def reason(self, problem: Problem) -> str:
        assert problem.system is not None
        return (
            f"{problem.smoothness_reason}, so a derivative-free search: "
            f"{rule(free_dimensions(problem.system))}"
        )

    def solve(self, problem: Problem, rng: np.random.Generator, options: dict[str, Any]) -> Decision:
        def resolve(sub: Problem, x0: np.ndarray) -> np.ndarray:
            assert sub.system is not None
            if free_dimensions(sub.system) > 1:  # a local re-solve from the decision
                aff = _Affine(sub.system, x0)
                z, _ = _cobyqa(sub, aff, np.zeros(aff.N.shape[1]), int(options.get("maxiter", 1000)))
                x = aff.x(z)
                return x if _feasible(sub.system, x) else x0
            coarse = {**options, "grid": max(int(options.get("grid", DERIVATIVE_FREE_GRID)) // 2, 9)}
            return solve_derivative_free(sub, np.random.default_rng(0), coarse, polish=False)[0]

        x, v, notes = solve_derivative_free(problem, rng, options)
        diag = Diagnostics(solver="derivative-free", status="search finished", converged=True)
        diag.notes.extend(notes)
        problem.resolver = resolve
        return problem.finish(x, self.name, diag, value=v)
