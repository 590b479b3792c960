"""Exact mean-CVaR optimization over many linear scenarios (``method="cvar-lp"``).

Outcomes are rewards (higher is better); risk lives in the lower tail and
``alpha`` is the tail probability. Scenario outcomes are ``y = R @ x + b`` with
one row of ``R`` per posterior draw (sample axis first).

Quick start
-----------
>>> import numpy as np
>>> from decide.optimization.cvar_lp._solve import solve_cvar_lp
>>> rng = np.random.default_rng(0)
>>> R = 0.001 + 0.01 * rng.standard_t(5, size=(20_000, 5))
>>> res = solve_cvar_lp(R, alpha=0.05, lb=0.0, A_eq=np.ones((1, 5)), b_eq=[1.0])
>>> res.status, bool(res.gap <= 1e-9), round(float(res.x.sum()), 12)
('optimal', True, 1.0)
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

import numpy as np

from decide._validation import check_alpha, check_in_range
from decide.errors import (
    ConvergenceWarning,
    DecideTypeError,
    DecideValueError,
    InfeasibleError,
    UnboundedError,
)
from decide.optimization._polyhedron import LinearSystem
from decide.optimization.cvar_lp._core import CoreResult
from decide.optimization.cvar_lp._highs import max_linear
from decide.optimization.cvar_lp._search import CVaRLPWarm, floor_search, meets, solve_plain

__all__ = ["CVaRLPResult", "CVaRLPWarm", "solve_cvar_lp"]

@dataclass(frozen=True)
class CVaRLPResult:
    """Result of :func:`solve_cvar_lp`.

    Attributes
    ----------
    x : ndarray of shape (n,)
        Best feasible action found (the optimum when ``status == "optimal"``).
    value : float
        Exact objective ``weight_mean * mean(y) + weight_cvar * CVaR_alpha(y)``
        at ``x`` (``y = R @ x + b``), evaluated on every scenario.
    lower_bound, upper_bound : float
        Certified bounds on the optimal value: ``lower_bound`` is ``value``;
        ``upper_bound`` comes from Lagrange multipliers (weak duality).
    gap : float
        ``(upper_bound - lower_bound) / max(|lower_bound|, |upper_bound|, scale)``
        with ``scale = max(mean|y|, 1e-6 * (mean|y| + sum_j max_i |R_ij| |x_j|
        + |mean(b)|))``: relative to the objective, or to the typical outcome
        when the objective is near 0.
    status : str
        ``"optimal"`` (gap <= rtol) or ``"max_rounds"`` (gap still open; a
        ConvergenceWarning was issued). Infeasible and unbounded problems raise.
    rounds : int
        Band-and-fold rounds at full size (warm-start solves not counted).
    band_size : int
        Scenarios kept as LP variables in the last round.
    n_cuts : int
        Reduced LPs solved at full size.
    wall_time : float
        Seconds spent in the call.
    cvar, mean : float
        ``CVaR_alpha(y)`` and ``mean(y)`` at ``x``.
    warm : CVaRLPWarm
        Pass as ``warm_start=`` to the next solve of a sweep.
    floor_multiplier : float
        With ``cvar_floor``: the floor's Lagrange multiplier, the gain of the optimal
        value per unit the floor is lowered (0 when the floor does not bind; from the
        crossing weight ``s`` of the floor search, ``s - weight_cvar``). NaN without a
        floor or when the search did not certify its answer.
    """

    x: np.ndarray
    value: float
    lower_bound: float
    upper_bound: float
    gap: float
    status: str
    rounds: int
    band_size: int
    n_cuts: int
    wall_time: float
    cvar: float
    mean: float
    warm: CVaRLPWarm
    floor_multiplier: float = math.nan


def _as_matrix(R: Any) -> np.ndarray:
    try:
        arr = np.asarray(R, dtype=np.float64)
    except (TypeError, ValueError):
        raise DecideTypeError(
            f"R must be a numeric array of shape (n_scenarios, n_assets); got {type(R).__name__}."
        ) from None
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] == 0 or arr.shape[1] == 0:
        raise DecideValueError(
            f"R must have shape (n_scenarios, n_assets) with both > 0; got shape {arr.shape}."
        )
    if not np.all(np.isfinite(arr)):
        raise DecideValueError(
            f"R must be finite; got {int(np.sum(~np.isfinite(arr)))} NaN or infinite entries."
        )
    return np.ascontiguousarray(arr)


def _as_vector(v: Any, n: int, name: str, fill: float) -> np.ndarray:
    if v is None:
        return np.full(n, fill)
    arr = np.asarray(v, dtype=np.float64)
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,):
        raise DecideValueError(f"{name} must be a scalar or have shape ({n},); got shape {arr.shape}.")
    if np.any(np.isnan(arr)):
        raise DecideValueError(f"{name} must not contain NaN; got {arr}.")
    return arr


def _as_rows(A: Any, bvec: Any, n: int, name: str) -> tuple[np.ndarray, np.ndarray]:
    if A is None and bvec is None:
        return np.zeros((0, n)), np.zeros(0)
    if A is None or bvec is None:
        raise DecideValueError(f"A_{name} and b_{name} must be given together; got only one of them.")
    Am = np.atleast_2d(np.asarray(A, dtype=np.float64))
    bv = np.atleast_1d(np.asarray(bvec, dtype=np.float64))
    if Am.ndim != 2 or Am.shape[1] != n or bv.shape != (Am.shape[0],):
        raise DecideValueError(
            f"A_{name} must have shape (m, {n}) and b_{name} shape (m,); got {Am.shape} and {bv.shape}."
        )
    if not (np.all(np.isfinite(Am)) and np.all(np.isfinite(bv))):
        raise DecideValueError(f"A_{name} and b_{name} must be finite.")
    return np.ascontiguousarray(Am), bv


def _missing_bounds(d: np.ndarray, cons: LinearSystem) -> str:
    parts = []
    for j in np.flatnonzero(np.abs(d) > 1e-9):
        if d[j] > 0 and not np.isfinite(cons.ub[j]):
            parts.append(f"x[{j}] has no upper bound (ub)")
        elif d[j] < 0 and not np.isfinite(cons.lb[j]):
            parts.append(f"x[{j}] has no lower bound (lb)")
    return "; ".join(parts) if parts else "the linear constraints leave a direction free"


def _check_nonempty(cons: LinearSystem) -> None:
    bad = np.flatnonzero(cons.lb > cons.ub)
    if bad.size:
        j = int(bad[0])
        raise InfeasibleError(
            f"lb must not exceed ub; got lb[{j}] = {cons.lb[j]} > ub[{j}] = {cons.ub[j]} "
            f"({bad.size} coordinates in total). Fix the bounds."
        )
    st, _, _ = max_linear(np.zeros(cons.n), cons)
    if st == "infeasible":
        raise InfeasibleError(
            "the action set {lb <= x <= ub, A_ub x <= b_ub, A_eq x = b_eq} is empty: "
            f"{cons.A_ub.shape[0]} inequality rows and {cons.A_eq.shape[0]} equality rows have no "
            "common point within the bounds. Relax the constraints."
        )


def solve_cvar_lp(
    R: Any,
    b: Any = None,
    *,
    alpha: float,
    weight_mean: float = 0.0,
    weight_cvar: float = 1.0,
    cvar_floor: float | None = None,
    lb: Any = None,
    ub: Any = None,
    A_ub: Any = None,
    b_ub: Any = None,
    A_eq: Any = None,
    b_eq: Any = None,
    rtol: float = 1e-9,
    warm_start: CVaRLPWarm | None = None,
    max_rounds: int = 50,
) -> CVaRLPResult:
    """Maximize ``weight_mean * mean(y) + weight_cvar * CVaR_alpha(y)``, ``y = R @ x + b``, exactly.

    Outcomes are rewards (higher is better); risk is the lower tail and
    ``alpha`` is the tail probability, so ``CVaR_alpha`` is the mean of the worst
    ``alpha`` fraction of the scenario rewards (a reward: higher is better).

    Parameters
    ----------
    R : array_like of shape (n_scenarios, n)
        Scenario matrix: row ``i`` is the reward per unit of each action
        coordinate under posterior draw ``i`` (sample axis first).
    b : float or array_like of shape (n_scenarios,), optional
        Scenario intercepts (default 0).
    alpha : float
        Tail probability in (0, 1].
    weight_mean, weight_cvar : float
        Non-negative weights of the mean and of the CVaR, not both zero.
    cvar_floor : float, optional
        Require ``CVaR_alpha(y) >= cvar_floor`` (with ``weight_cvar=0``,
        ``weight_mean=1``: the largest mean with a CVaR at least the floor).
    lb, ub : float or array_like of shape (n,), optional
        Bounds on ``x``; ``None`` means unbounded on that side.
    A_ub : array_like of shape (m_ub, n), optional
    b_ub : array_like of shape (m_ub,), optional
        Inequalities ``A_ub @ x <= b_ub``.
    A_eq : array_like of shape (m_eq, n), optional
    b_eq : array_like of shape (m_eq,), optional
        Equalities ``A_eq @ x == b_eq`` (``A_eq = ones((1, n))``, ``b_eq = [B]`` is a budget).
    rtol : float
        Stop when the certified relative gap is at most ``rtol`` (default 1e-9).
    warm_start : CVaRLPWarm, optional
        ``result.warm`` of a previous solve on the same scenarios (a sweep over
        weights, floors or budgets); skips the subsample warm start.
    max_rounds : int
        Largest number of band-and-fold rounds at full size.

    Returns
    -------
    CVaRLPResult
        The action, its exact objective, certified bounds and gap, diagnostics
        and a ``warm`` state for the next solve.

    Raises
    ------
    InfeasibleError
        If the constraints have no common point, or no feasible action reaches
        ``cvar_floor`` (the message gives the largest attainable CVaR).
    DecideValueError
        If an argument is out of range, or the problem is unbounded (the
        message names the missing bounds).
    DecideTypeError
        If ``R`` is not numeric.

    Notes
    -----
    With ``c = 1/(alpha S)``, ``CVaR_alpha(y) = max_t t - c sum_i (t - y_i)_+
    = min_{q in Q} q @ y`` where ``Q = {0 <= q_i <= c, sum q = 1}``.
    A subsample solve ranks the scenarios; those deep in the tail are folded
    into one linear term (``q_i = c`` fixed), those far above it are dropped
    (``q_i = 0``) and a band around the VaR stays free. Fixing part of ``q``
    can only raise the inner minimum, so the reduced problem over-estimates the
    objective everywhere; its multipliers ``(q, nu)`` give the certified upper
    bound ``wm mean(b) - nu floor + (wc + nu) q @ b + max_x (wm mean(R) +
    (wc + nu) R.T q) @ x``. The exact objective at the reduced optimum is the
    lower bound. Scenarios that crossed the VaR join the band until the bounds
    agree to ``rtol`` (see docs/cvar_fast.md). A trust region around the warm
    point keeps the reduced problem where it is accurate. With ``cvar_floor``
    and ``weight_mean > 0`` the problem is solved through its Lagrangian in the
    CVaR weight, a short sequence of floor-free solves whose crossing points
    converge to the constrained optimum (the mix of two solutions whose CVaR is
    exactly the floor). Memory is O(S n): no S x S matrices. BLAS is pinned to
    one thread during the solve.

    References
    ----------
    Rockafellar, R. T. and Uryasev, S. (2000). Optimization of conditional
    value-at-risk. Journal of Risk 2, 21-41.
    Kuenzi-Bay, A. and Mayer, J. (2006). Computational aspects of minimizing
    conditional value-at-risk. Computational Management Science 3, 3-27.

    Examples
    --------
    >>> import numpy as np
    >>> rng = np.random.default_rng(1)
    >>> R = rng.normal([0.02, 0.01], [0.10, 0.02], size=(1000, 2))
    >>> res = solve_cvar_lp(R, alpha=0.1, weight_mean=1.0, weight_cvar=0.5,
    ...                     lb=0.0, A_eq=[[1.0, 1.0]], b_eq=[1.0])
    >>> res.status, bool(res.lower_bound <= res.value <= res.upper_bound)
    ('optimal', True)
    """
    from threadpoolctl import threadpool_limits

    t_start = time.perf_counter()
    Rm = _as_matrix(R)
    S, n = Rm.shape
    a = check_alpha(alpha, one_allowed=True)
    wm = check_in_range(weight_mean, "weight_mean", low=0.0)
    wc = check_in_range(weight_cvar, "weight_cvar", low=0.0)
    if wm == 0.0 and wc == 0.0:
        raise DecideValueError(
            "weight_mean and weight_cvar must not both be 0; got 0 and 0. Give one a positive weight."
        )
    floor = None if cvar_floor is None else check_in_range(cvar_floor, "cvar_floor")
    tol = check_in_range(rtol, "rtol", low=0.0, high=1.0, low_inclusive=False)
    if not isinstance(max_rounds, int | np.integer) or max_rounds < 1:
        raise DecideValueError(f"max_rounds must be an integer >= 1; got {max_rounds!r}.")
    if b is None:
        bv = np.zeros(S)
    else:
        bv = np.asarray(b, dtype=np.float64)
        bv = np.full(S, float(bv)) if bv.ndim == 0 else bv
        if bv.shape != (S,) or not np.all(np.isfinite(bv)):
            raise DecideValueError(f"b must be a finite scalar or have shape ({S},); got shape {bv.shape}.")
    lbv = _as_vector(lb, n, "lb", -np.inf)
    ubv = _as_vector(ub, n, "ub", np.inf)
    Aub, bub = _as_rows(A_ub, b_ub, n, "ub")
    Aeq, beq = _as_rows(A_eq, b_eq, n, "eq")
    cons = LinearSystem(lbv, ubv, Aub, bub, Aeq, beq)
    if warm_start is not None and not isinstance(warm_start, CVaRLPWarm):
        raise DecideTypeError(
            f"warm_start must be the .warm of a previous CVaRLPResult; got {type(warm_start).__name__}."
        )
    if warm_start is not None and warm_start.x.shape != (n,):
        raise DecideValueError(
            f"warm_start is for {warm_start.x.shape[0]} action coordinates; this problem has {n}."
        )

    _check_nonempty(cons)
    with threadpool_limits(limits=1, user_api="blas"):
        core, x0 = None, None
        if floor is not None and wm > 0:
            core, x0 = floor_search(Rm, bv, a, wm, wc, floor, cons, tol, warm_start, int(max_rounds))
        if core is None:  # no floor, a pure CVaR objective, or an unbounded Lagrangian
            # with a floor and wm = 0, maximizing the CVaR and checking the floor is the answer
            core, x0 = solve_plain(Rm, bv, a, wm, wc, floor if wm > 0 else None, cons, tol,
                                    warm_start, int(max_rounds))
        if core.status == "infeasible" or (core.x is None and floor is not None) or (
            floor is not None and wm == 0 and core.x is not None and not meets(core.cvar, floor, core)
        ):
            _raise_floor(Rm, bv, a, floor, lbv, ubv, Aub, bub, Aeq, beq)
    if core.status == "unbounded":
        where = _missing_bounds(core.ray, cons) if core.ray is not None else "some coordinates"
        raise UnboundedError(
            f"the objective is unbounded above over the constraints: {where}. "
            "Add finite bounds (lb / ub) or a budget constraint (A_eq / A_ub)."
        )
    if core.x is None:
        raise DecideValueError(
            f"solve_cvar_lp found no feasible action in {core.rounds} rounds "
            f"(status {core.status!r}); raise max_rounds."
        )
    if core.status != "optimal":
        import warnings

        warnings.warn(
            f"solve_cvar_lp stopped after {core.rounds} rounds with certified relative gap "
            f"{core.gap:.3g} > rtol = {tol:g}; the result is the best feasible action found. "
            "Raise max_rounds or rtol.",
            ConvergenceWarning,
            stacklevel=2,
        )
    return _result(core, S, t_start, x0)


def _result(core: CoreResult, S: int, t_start: float, x0: np.ndarray | None) -> CVaRLPResult:
    assert core.x is not None
    moved = math.inf if x0 is None else float(np.max(np.abs(core.x - x0)))
    return CVaRLPResult(
        x=core.x,
        value=core.value,
        lower_bound=core.lower,
        upper_bound=core.upper,
        gap=core.gap,
        status=core.status,
        rounds=core.rounds,
        band_size=core.band_size,
        n_cuts=core.n_cuts,
        wall_time=time.perf_counter() - t_start,
        cvar=core.cvar,
        mean=core.mean,
        warm=CVaRLPWarm(
            x=core.x.copy(), n_scenarios=S, band_target=int(core.band_target),
            radius=moved if moved > 0 else math.inf,
        ),
        floor_multiplier=core.floor_price,
    )


def _raise_floor(
    R: np.ndarray, b: np.ndarray, alpha: float, floor: float | None,
    lb: np.ndarray, ub: np.ndarray, Aub: np.ndarray, bub: np.ndarray, Aeq: np.ndarray, beq: np.ndarray,
) -> None:
    best = solve_cvar_lp(
        R, b, alpha=alpha, weight_mean=0.0, weight_cvar=1.0, lb=lb, ub=ub,
        A_ub=Aub if Aub.shape[0] else None, b_ub=bub if Aub.shape[0] else None,
        A_eq=Aeq if Aeq.shape[0] else None, b_eq=beq if Aeq.shape[0] else None,
    )
    raise InfeasibleError(
        f"cvar_floor = {floor!r} cannot be reached: the largest CVaR_{alpha:g} attainable over "
        f"the constraints is {best.value!r} (at x = {np.array2string(best.x, precision=4)}). "
        "Lower cvar_floor or relax the constraints."
    )
