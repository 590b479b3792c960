"""``method="cvar-slp"``: sequential linear programming for the CVaR of a smooth outcome.

For an objective ``w_m * Mean + w_c * CVaR_alpha`` of a smooth but non-linear
outcome (e.g. a media-mix model's saturating response), each iteration linearizes
every draw around the current action, ``y_s(x + d) ~ y_s(x) + J_s d`` (the draws and
their per-draw Jacobian come from one call, :meth:`OutcomeModel.draws_and_jacobian`),
and maximizes the *exact* mean-CVaR of the linearized draws over the space
intersected with a trust region ``|d|_inf <= radius`` with the specialized CVaR LP
(:func:`~decide.optimization.solve_cvar_lp`). The step is accepted when the
actual gain is at least a tenth of the predicted one, and the radius adapts to the
ratio (the usual trust-region rules, Nocedal and Wright 2006, Algorithm 4.1;
Fletcher and de la Maza 1989 for linear programming steps on a piecewise-linear
merit). It stops when the linearized problem predicts no gain above ``rtol`` (a
first-order stationary point: no feasible direction improves the piecewise-linear
model). The CVaR kink is handled exactly by the LP, so far fewer outcome
evaluations are needed than with a smooth method on a non-smooth objective. On an
affine outcome the first LP is the exact problem: it converges in two iterations.

The space is presolved first (:mod:`decide.optimization._presolve`): the LP works
on the free coordinates only.

References
----------
.. [1] Nocedal, J. and Wright, S. J. (2006). *Numerical Optimization*, 2nd ed., ch. 4.
.. [2] Fletcher, R. and de la Maza, E. S. (1989). Nonlinear programming and nonsmooth
   optimization by successive linear programming. *Mathematical Programming* 43, 235-256.
.. [3] Rockafellar, R. T. and Uryasev, S. (2000). Optimization of conditional
   value-at-risk. *Journal of Risk* 2, 21-41.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from decide import _config
from decide.errors import ConvergenceWarning, DecideError, DecideValueError, SolverError
from decide.optimization._decision import Decision, Diagnostics
from decide.optimization._presolve import presolve
from decide.optimization._problem import Problem, center_point, check_start, x_scale
from decide.optimization.backends._base import (
    Backend,
    constraint_reason,
    discrete_reason,
    register,
)
from decide.optimization.backends._cvar_lp import cvar_lp_form

__all__ = ["CVaRSLPBackend", "solve_cvar_slp"]


def solve_cvar_slp(
    prob: Problem,
    *,
    x0: Any = None,
    rtol: float = 1e-9,
    maxiter: int = 100,
    radius: float | None = None,
) -> Decision:
    """Maximize a mean-CVaR objective of a smooth outcome by trust-region SLP.

    Parameters
    ----------
    prob : Problem
        Objective of the form ``a * Mean() + c * CVaR(alpha)`` (or ``MeanCVaR``), an
        outcome with :meth:`~decide.outcomes.OutcomeModel.draws_and_jacobian`, a
        continuous linear space.
    x0 : action, optional
        Start point (default: the Chebyshev centre of the presolved space).
    rtol : float
        Stop when the predicted gain of the linearized problem is at most
        ``rtol * max(1, |value|)``.
    maxiter : int
        Largest number of LP steps.
    radius : float, optional
        First trust-region radius (infinity norm, action units); default the
        widest range of the space (the whole space: one step on an affine outcome).
    """
    from decide.optimization.backends._cvxpy import outcome_scale

    form = cvar_lp_form(prob.objective)
    system = prob.system
    assert form is not None and system is not None
    alpha, wm, wc = form
    if isinstance(maxiter, bool) or not isinstance(maxiter, int | np.integer) or maxiter < 1:
        raise DecideValueError(f"maxiter must be a positive integer; got {maxiter!r}.")
    if not (isinstance(rtol, int | float) and np.isfinite(rtol) and rtol > 0):
        raise DecideValueError(f"rtol must be a positive finite number; got {rtol!r}.")
    diag = Diagnostics(solver="cvar-slp")
    red = presolve(system)
    if red is None:
        T, t, sysr = np.eye(prob.n), np.zeros(prob.n), system
    else:
        T, t, sysr = red.T, red.t, red.system
        diag.notes.append(
            f"presolve: {prob.n} -> {sysr.n} free dimensions ({red.n_fixed} fixed, "
            f"{red.n_eliminated} eliminated by equality rows)"
        )
    if sysr.n == 0:
        diag.status, diag.converged = "the constraints fix every element of the action", True
        return prob.finish(t.copy(), "cvar-slp", diag)
    if x0 is not None:
        x_start = check_start(x0, prob.spec, system)
        y = x_start[red.free] if red is not None else x_start
    else:
        y = center_point(sysr)
    lo, hi = sysr.lb, sysr.ub
    width = np.where(np.isfinite(lo) & np.isfinite(hi), hi - lo, np.inf)
    scale_y = x_scale(sysr, y)
    if radius is None:
        radius = float(np.max(width)) if np.all(np.isfinite(width)) else 10.0 * scale_y
    elif not (isinstance(radius, int | float) and np.isfinite(radius) and radius > 0):
        raise DecideValueError(f"radius must be a positive finite number; got {radius!r}.")
    radius = float(radius)

    def evaluate(y: np.ndarray) -> tuple[float, np.ndarray, np.ndarray]:
        prob.evaluations += 1
        d, J = prob.outcome.draws_and_jacobian_flat(T @ y + t)
        d = np.asarray(d, dtype=np.float64).reshape(-1)
        J = np.asarray(J, dtype=np.float64).reshape(d.size, -1) @ T
        return float(prob.objective(d)), d, J

    from decide.optimization.cvar_lp._highs import silent_highs


    f, d, J = evaluate(y)
    h = silent_highs()  # one HiGHS instance for every step
    converged, status, it = False, "maximum iterations reached", 0
    for it in range(1, int(maxiter) + 1):
        lb = np.maximum(sysr.lb, y - radius)
        ub = np.minimum(sysr.ub, y + radius)
        R, b = J, d - J @ y
        sc = outcome_scale(R, b)
        y_new, model_value = _step(R * sc, b * sc, alpha, wm, wc, lb, ub, sysr, rtol, it, h)
        pred = model_value / sc - f
        if pred <= rtol * max(1.0, abs(f)) or np.array_equal(y_new, y):
            converged, status = True, "the linearized problem predicts no gain (stationary)"
            break
        # the acceptance test needs the draws only; the Jacobian only at an accepted point
        prob.evaluations += 1
        f_new = float(prob.objective(prob.outcome.draws_flat(T @ y_new + t)))
        rho = (f_new - f) / pred
        step = float(np.max(np.abs(y_new - y)))
        if rho >= 0.1:
            y = y_new
            f, d, J = evaluate(y)
            prob.evaluations -= 1  # the point was counted by its acceptance test
            if rho >= 0.75 and step >= 0.99 * radius:
                radius *= 2.0
            elif rho < 0.25:
                radius = 0.5 * step
        else:
            radius = 0.25 * step
        if radius <= 1e-13 * max(1.0, scale_y):
            status = "the trust region collapsed before the predicted gain vanished"
            break
    diag.status, diag.converged, diag.iterations = status, converged, it
    diag.evaluations = prob.evaluations
    diag.notes.append(f"{it} LP steps, final trust radius {radius:.3g}")
    return prob.finish(T @ y + t, "cvar-slp", diag)


def _step(
    R: np.ndarray, b: np.ndarray, alpha: float, wm: float, wc: float, lb: np.ndarray,
    ub: np.ndarray, sysr: Any, rtol: float, it: int, h: Any = None,
) -> tuple[np.ndarray, float]:
    """The exact mean-CVaR LP of the linearized draws ``R @ y + b`` over the trust region.

    Below ``CVAR_LP_MIN_SAMPLES`` draws the Rockafellar-Uryasev LP goes to HiGHS
    directly, written as its LP dual (:func:`_ru_dual`: ``k + 1`` rows for ``k``
    free coordinates, cheaper than the band-and-fold rounds there); above, the
    specialized CVaR LP (:func:`solve_cvar_lp`).
    """
    try:
        if R.shape[0] < _config.CVAR_LP_MIN_SAMPLES:
            return _ru_dual(R, b, alpha, wm, wc, sysr.within_box(lb, ub), h)
        from decide.optimization.cvar_lp._solve import solve_cvar_lp

        kw = sysr.as_kwargs()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", ConvergenceWarning)
            res = solve_cvar_lp(
                R, b, alpha=alpha, weight_mean=wm, weight_cvar=wc, lb=lb, ub=ub,
                A_ub=kw["A_ub"], b_ub=kw["b_ub"], A_eq=kw["A_eq"], b_eq=kw["b_eq"],
                rtol=min(rtol, 1e-9) / 10,
            )
        return np.asarray(res.x, dtype=np.float64), float(res.value)
    except DecideError:
        raise
    except Exception as exc:
        raise SolverError(
            f"the CVaR LP of SLP step {it} failed: {type(exc).__name__}: {str(exc)[:200]}. "
            "Try method='scipy'."
        ) from exc


def _ru_dual(
    R: np.ndarray, b: np.ndarray, alpha: float, wm: float, wc: float, cons: Any, h: Any = None,
) -> tuple[np.ndarray, float]:
    """``max wm mean(R y + b) + wc (eta - sum(u) / (alpha S))``, ``u >= eta - R y - b, u >= 0``.

    The Rockafellar-Uryasev LP over ``cons`` (the presolved space within the trust
    region), solved through its dual: one column per draw, one row per coordinate
    of ``y`` and one for ``eta`` (:func:`~decide.optimization.cvar_lp._highs.solve_reduced_dual`
    with every draw in the band); ``y`` is read off the row duals. Returns ``y`` and
    the optimal value.
    """
    from decide.optimization.cvar_lp._highs import solve_reduced_dual

    S = R.shape[0]
    lp = solve_reduced_dual(
        R, b, wm * R.mean(axis=0), wm * float(b.mean()), wc, 1.0 / (alpha * S), 1.0, cons,
        _LP_TOL, h=h,
    )
    if lp.status != "optimal" or lp.x is None:
        raise SolverError(f"the trust-region LP failed: HiGHS status {lp.status!r}")
    y = np.clip(np.asarray(lp.x, dtype=np.float64), cons.lb, cons.ub)
    return y, float(lp.value)


#: HiGHS feasibility tolerances of the trust-region LP.
_LP_TOL = 1e-9


@register
class CVaRSLPBackend(Backend):
    """``method="cvar-slp"``: trust-region SLP on the per-draw linearization (CVaR LP steps).

    ``method="auto"`` picks it for a mean-CVaR objective of a smooth outcome that is
    not affine (an affine one goes to the exact LP) and has the per-draw Jacobian.
    Measured on ``benchmarks/bench_mmm.py`` (CVaR 5% of a fitted pymc-marketing MMM,
    600 draws, 3 free dimensions after presolve; pymc 6): about 34 outcome
    evaluations (18 LP steps, 11 Jacobians) against SLSQP's 48-67, and 0.7x
    SLSQP's solve time, with the exact CVaR of the two answers equal to 6e-10
    relative on the full posterior and three random subsets of 400 draws.
    """

    name = "cvar-slp"
    options = frozenset({"x0", "rtol", "maxiter", "radius"})
    fallback = "scipy"

    def accepts(self, problem: Problem) -> str | None:
        reason = discrete_reason(problem, self.name)
        if reason is not None:
            return reason
        if (
            problem.space.integer
            or problem.weights is not None
            or problem.outcome.n_replicates is not None
            or cvar_lp_form(problem.objective) is None
            or not problem.outcome.has_jacobian
            or problem.score is not None
        ):
            return (
                "cvar-slp needs an objective CVaR, MeanCVaR or a * Mean() + c * CVaR(alpha), an "
                "outcome with draws_and_jacobian and no replicates, a continuous linear space and no "
                "sample weights"
            )
        return constraint_reason(problem, self.name, ())

    def auto_rank(self, problem: Problem, *, repeated: bool = False) -> float | None:
        # before SLSQP (3.0); an affine outcome is the exact LP's (cvar-lp, cvxpy)
        if problem.outcome.smoothness != "smooth" or problem.outcome.affine_form() is not None:
            return None
        return 2.5

    def solve(self, problem: Problem, rng: np.random.Generator, options: dict[str, Any]) -> Decision:
        return solve_cvar_slp(problem, **options)
