"""``method="cvar-lp"``: the specialized exact CVaR solver for many linear scenarios.

Maps a decision problem (affine outcome, objective ``CVaR``, ``MeanCVaR`` or
``a * Mean() + c * CVaR(alpha)``, continuous linear space) onto
:func:`decide.optimization.cvar_lp._solve.solve_cvar_lp`.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from decide import _config
from decide.errors import (
    ConvergenceWarning,
    DecideError,
    DecideTypeError,
    DecideValueError,
    InfeasibleError,
    SolverError,
)
from decide.measures import Objective, WeightedObjective
from decide.optimization._decision import Decision, Diagnostics
from decide.optimization._problem import Problem
from decide.optimization.backends._base import Backend, discrete_reason, register

__all__ = ["CVaRLPBackend", "cvar_lp_form", "solve_cvar_lp_method"]


def cvar_lp_form(objective: Objective) -> tuple[float, float, float] | None:
    """``(alpha, weight_mean, weight_cvar)`` if the objective is a mean-CVaR mix, else None."""
    from decide.measures import CVaR, Mean, MeanCVaR

    terms = objective.terms if isinstance(objective, WeightedObjective) else ((1.0, objective),)
    alpha: float | None = None
    wm = wc = 0.0
    for wt, m in terms:
        if type(m) is Mean:
            wm += wt
            continue
        if type(m) is CVaR:
            a, dm, dc = m.alpha, 0.0, wt
        elif type(m) is MeanCVaR:
            a, dm, dc = m.alpha, wt, wt * m.risk_aversion
        else:
            return None
        if alpha is not None and a != alpha:
            return None
        alpha, wm, wc = a, wm + dm, wc + dc
    if alpha is None or wc < 0:
        return None
    return float(alpha), float(wm), float(wc)


def _warm_state(warm_start: Any, prob: Problem) -> Any:
    """The ``CVaRLPWarm`` behind ``warm_start`` (a Decision or a CVaRLPWarm), or None."""
    from decide.optimization.cvar_lp._solve import CVaRLPWarm

    if warm_start is None or isinstance(warm_start, CVaRLPWarm):
        return warm_start
    if not isinstance(warm_start, Decision):
        raise DecideTypeError(
            "warm_start must be a Decision from an earlier optimize call (or its "
            f".diagnostics.warm_state); got {type(warm_start).__name__}."
        )
    if isinstance(warm_start.diagnostics.warm_state, CVaRLPWarm):
        return warm_start.diagnostics.warm_state
    x = np.asarray(warm_start.flat_action, dtype=np.float64)
    if x.shape != (prob.n,):
        raise DecideValueError(
            f"warm_start is a decision over {x.size} action coordinates; this problem has {prob.n}."
        )
    return CVaRLPWarm(x=x, n_scenarios=int(prob.outcome.n_samples), band_target=0)


def floor_form(prob: Problem) -> tuple[tuple[float, float, float], float | None] | None:
    """The ``solve_cvar_lp`` form ``((alpha, weight_mean, weight_cvar), cvar_floor)``, or None.

    None unless the problem maps onto ``solve_cvar_lp``: at most one constraint, a
    CVaR floor at the objective's alpha.
    """
    from decide.measures import CVaR, Mean

    if not prob.constraints:
        form = cvar_lp_form(prob.objective)
        return None if form is None else (form, None)
    if len(prob.constraints) != 1:
        return None
    c = prob.constraints[0]
    if type(c.objective) is not CVaR or c.sense != ">=":
        return None
    alpha = c.objective.alpha
    if type(prob.objective) is Mean:
        return (alpha, 1.0, 0.0), c.bound
    form = cvar_lp_form(prob.objective)
    if form is None or form[0] != alpha:
        return None
    return form, c.bound


def solve_cvar_lp_method(
    prob: Problem, rtol: float = 1e-9, max_rounds: int = 50, warm_start: Any = None
) -> Decision:
    """Solve with ``solve_cvar_lp`` and wrap the result as a :class:`Decision`."""
    from decide.optimization.cvar_lp._solve import solve_cvar_lp

    warm = _warm_state(warm_start, prob)

    ff = floor_form(prob)
    aff = prob.outcome.affine_form()
    assert ff is not None and aff is not None and prob.system is not None
    (alpha, wm, wc), floor = ff
    from decide.optimization.backends._cvxpy import outcome_scale

    A, b = np.asarray(aff[0], dtype=np.float64), np.asarray(aff[1], dtype=np.float64)
    # a mean-CVaR mix is positively homogeneous: unit-scale outcomes for the LP tolerances
    scale = outcome_scale(A, b)
    with warnings.catch_warnings():  # re-issued below through Problem.finish
        warnings.simplefilter("ignore", ConvergenceWarning)
        try:
            res = solve_cvar_lp(
                A * scale, b * scale, alpha=alpha, weight_mean=wm,
                weight_cvar=wc, rtol=rtol, max_rounds=max_rounds, warm_start=warm,
                cvar_floor=None if floor is None else floor * scale,
                **prob.system.as_kwargs(),
            )
        except InfeasibleError:
            if floor is None:
                raise
            from decide.optimization._outcome_constraints import raise_infeasible

            best = solve_cvar_lp(A * scale, b * scale, alpha=alpha, weight_mean=0.0,
                                 weight_cvar=1.0, rtol=rtol, **prob.system.as_kwargs())
            raise_infeasible(prob, lambda c: best.value / scale,
                             "the largest CVaR over the space, by the exact CVaR LP")
            raise
        except DecideError:
            raise
        except Exception as exc:  # a failure inside HiGHS or numpy: never a bare traceback
            raise SolverError(
                f"the CVaR LP solver failed: {type(exc).__name__}: {str(exc)[:200]}. Try "
                "method='cvxpy'."
            ) from exc
    x = np.asarray(res.x, dtype=np.float64)
    if x.shape != (prob.n,) or not np.all(np.isfinite(x)):
        raise SolverError(
            f"the CVaR LP solver returned no usable action (status {res.status!r}, action "
            f"{x.tolist()!r}). Try method='cvxpy'."
        )
    diag = Diagnostics(
        status=res.status, converged=res.status == "optimal", iterations=int(res.rounds),
        evaluations=int(res.n_cuts), solver="cvar-lp", warm_state=res.warm,
    )
    diag.certificate = {
        "lower_bound": res.lower_bound / scale, "upper_bound": res.upper_bound / scale,
        "gap": res.gap, "band_size": res.band_size, "rounds": res.rounds,
    }
    if scale != 1.0:
        diag.notes.append(f"outcomes scaled by {scale:.3g} inside the LP (bounds below unscaled)")
    diag.notes.append(
        f"certified bounds [{res.lower_bound / scale:.10g}, {res.upper_bound / scale:.10g}], "
        "relative gap "
        f"{res.gap:.3g}; {res.band_size} scenarios kept in the last reduced LP"
    )
    shadow = None
    if floor is not None:
        price = float(res.floor_multiplier)
        if np.isfinite(price):
            # the floor's multiplier is a ratio of objective to CVaR units: the outcome scale cancels
            shadow = [price if c.kind != "linear" else np.nan for c in prob.constraints]
            diag.notes.append("CVaR floor solved by the Lagrangian floor search; its shadow price "
                              "is the Lagrange weight where the last two solutions cross")
        else:
            diag.notes.append("CVaR floor solved by the Lagrangian floor search; no shadow price "
                              "(the search did not end on a crossing; method='highs' gives LP duals)")
    return prob.finish(x, "cvar-lp", diag, exact="certificate", shadow_prices=shadow)


@register
class CVaRLPBackend(Backend):
    """``method="cvar-lp"``: the exact specialized mean-CVaR LP (:func:`solve_cvar_lp`).

    ``method="auto"`` picks it over cvxpy from ``CVAR_LP_MIN_SAMPLES`` samples
    on, or from ``CVAR_LP_MIN_SAMPLES_REPEATED`` for a warm-started sequence of
    solves (see :mod:`decide._config`); a failure falls back to cvxpy.
    """

    name = "cvar-lp"
    options = frozenset({"rtol", "max_rounds", "warm_start"})
    fallback = "cvxpy"

    def accepts(self, problem: Problem) -> str | None:
        reason = discrete_reason(problem, self.name)
        if reason is not None:
            return reason
        aff = problem.outcome.affine_form()
        if (
            problem.space.integer
            or problem.weights is not None
            or aff is None
            or np.ndim(aff[0]) != 2
            or floor_form(problem) is None
        ):
            return (
                "the specialized CVaR LP needs an affine outcome, an objective CVaR, MeanCVaR "
                "or a * Mean() + c * CVaR(alpha) (or Mean() with one CVaR floor at the same "
                "alpha), a continuous linear space and no sample weights"
            )
        return None

    def auto_rank(self, problem: Problem, *, repeated: bool = False) -> float | None:
        threshold = (
            _config.CVAR_LP_MIN_SAMPLES_REPEATED if repeated else _config.CVAR_LP_MIN_SAMPLES
        )
        return 0.0 if int(problem.outcome.n_samples) >= threshold else None

    def solve(self, problem: Problem, rng: np.random.Generator, options: dict[str, Any]) -> Decision:
        return solve_cvar_lp_method(problem, **options)
