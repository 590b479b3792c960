"""``method="cvar-slp"`` and ``"cvar-sqp"``: trust-region SLP / SQP for the CVaR of a smooth outcome.

For an objective ``w_m * Mean + w_c * CVaR_alpha`` of a smooth but non-linear
outcome (e.g. a media-mix model's saturating response), written in the
Rockafellar-Uryasev form ::

    F(x) = wm mean_s y_s(x) + wc max_t ( t - sum_s (t - y_s(x))_+ / (alpha S) ),

each iteration linearizes every draw around the current action,
``y_s(x + d) ~ y_s(x) + J_s d`` (the draws and their per-draw Jacobian come from one
call, :meth:`OutcomeModel.draws_and_jacobian`), and maximizes the *exact*
mean-CVaR of the linearized draws over the space intersected with a trust region
``|d|_inf <= radius``: an LP (cvar-slp), or that LP's objective minus
``1/2 d' B d`` (cvar-sqp, a QP), ``B`` a damped BFGS model of the negated Hessian of
the Lagrangian ``sum_s w_s y_s(x)`` (``w_s = wm / S + lambda_s``, ``lambda`` the
step's tail weights). The step is accepted when the actual gain is at least a
tenth of the predicted one, and the radius adapts to the ratio (the usual
trust-region rules, Nocedal and Wright 2006, Algorithm 4.1; Fletcher and de la Maza
1989 for linear programming steps on a piecewise-linear merit; Fletcher 1987,
ch. 14 and Yuan 1985 for the trust-region SQP of such composite problems, whose
global convergence holds for any bounded ``B``). It stops when the model predicts
no gain above ``rtol`` (a stationary point: no feasible direction improves the
piecewise-linear model). The CVaR kink is handled exactly by the LP/QP, so far
fewer outcome evaluations are needed than with a smooth method on a non-smooth
objective; the curvature model makes cvar-sqp converge superlinearly where SLP is
linear. On an affine outcome the first LP is the exact problem: both converge in
two iterations (no curvature is ever measured there: cvar-sqp's steps stay LPs).

The space is presolved first (:mod:`decide.optimization._presolve`): the programs
work on the free coordinates only; each holds only the draws that can cross the
tail's edge within the step's region (the others are folded into its linear term).

References
----------
.. [1] Nocedal, J. and Wright, S. J. (2006). *Numerical Optimization*, 2nd ed.,
   ch. 4 (trust regions), 6 (BFGS) and 18 (SQP, Procedure 18.2: damped BFGS).
.. [2] Fletcher, R. and de la Maza, E. S. (1989). Nonlinear programming and nonsmooth
   optimization by successive linear programming. *Mathematical Programming* 43, 235-256.
.. [3] Rockafellar, R. T. and Uryasev, S. (2000). Optimization of conditional
   value-at-risk. *Journal of Risk* 2, 21-41.
.. [4] Fletcher, R. (1987). *Practical Methods of Optimization*, 2nd ed., Wiley, ch. 14.
.. [5] Yuan, Y. (1985). On the superlinear convergence of a trust region algorithm
   for nonsmooth optimization. *Mathematical Programming* 31, 269-285.
.. [6] Powell, M. J. D. (1978). A fast algorithm for nonlinearly constrained
   optimization calculations. *Numerical Analysis*, Lecture Notes in Mathematics 630,
   144-157.
"""

from __future__ import annotations

import dataclasses
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

__all__ = ["CVaRSLPBackend", "CVaRSQPBackend", "solve_cvar_slp", "solve_cvar_sqp"]


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

    Returns
    -------
    Decision
        ``converged`` only when the linearized problem predicted no gain and the
        answer passed verification; ``diagnostics.iterations`` the LP steps.
    """
    return _solve(prob, "cvar-slp", False, x0=x0, rtol=rtol, maxiter=maxiter, radius=radius)


def solve_cvar_sqp(
    prob: Problem,
    *,
    x0: Any = None,
    rtol: float = 1e-9,
    maxiter: int = 100,
    radius: float | None = None,
) -> Decision:
    """Maximize a mean-CVaR objective of a smooth outcome by trust-region SQP.

    The SLP step of :func:`solve_cvar_slp` plus a curvature term: step ``k`` solves
    the QP ::

        max_d  wm mean(y + J d) + wc CVaR_alpha(y + J d) - 1/2 d' B_k d
        s.t.   x + d in the space,  |d|_inf <= radius_k

    exactly (HiGHS's QP solver on the ``k + 1`` row dual, see
    :func:`~decide.optimization.cvar_lp._highs.solve_reduced_dual`). ``B_k``
    approximates the negated Hessian of the Lagrangian ``L(x) = sum_s w_s y_s(x)`` of
    the Rockafellar-Uryasev form, ``w_s = wm / S + lambda_s`` with ``lambda`` the
    QP's tail weights (multipliers), by the damped BFGS update (Powell 1978;
    Nocedal and Wright 2006, Procedure 18.2) on ``s = x_+ - x`` and
    ``r = -(J(x_+) - J(x)).T @ w`` (both gradients with the same ``w``); the first
    step (no curvature pair yet) is the SLP step, and so is every step on an affine
    outcome (``r = 0``: no update). Acceptance and radius as in SLP, on the
    predicted gain of the QP model; stop when it is at most ``rtol * max(1, |f|)``.
    A QP that HiGHS fails to solve is replaced by the SLP step (within twice the
    last step's length), and so is a QP with more than ``_QP_MAX_BAND`` draws in
    play (far from the answer, where the curvature model matters least).

    Parameters
    ----------
    prob : Problem
        As :func:`solve_cvar_slp`.
    x0 : action, optional
        Start point (default: the Chebyshev centre of the presolved space).
    rtol : float
        Stop when the QP model predicts a gain of at most ``rtol * max(1, |value|)``.
    maxiter : int
        Largest number of steps.
    radius : float, optional
        First trust-region radius (infinity norm, action units); default the widest
        range of the space.

    Returns
    -------
    Decision
        ``converged`` only when the model predicted no gain and the answer passed
        verification; ``diagnostics.iterations`` the steps, ``diagnostics.notes``
        how many were QP and LP steps.
    """
    return _solve(prob, "cvar-sqp", True, x0=x0, rtol=rtol, maxiter=maxiter, radius=radius)


def _solve(
    prob: Problem,
    method: str,
    second_order: bool,
    *,
    x0: Any,
    rtol: float,
    maxiter: int,
    radius: float | None,
) -> Decision:
    from decide.optimization.backends._cvxpy import outcome_scale

    form = cvar_lp_form(prob.objective)
    system = prob.system
    assert form is not None and system is not None
    alpha, wm, wc = form
    if isinstance(maxiter, bool) or not isinstance(maxiter, int | np.integer) or maxiter < 1:
        raise DecideValueError(f"maxiter must be a positive integer; got {maxiter!r}.")
    if isinstance(rtol, bool) or not (
        isinstance(rtol, int | float) and np.isfinite(rtol) and rtol > 0
    ):
        raise DecideValueError(f"rtol must be a positive finite number; got {rtol!r}.")
    diag = Diagnostics(solver=method)
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
        return prob.finish(t.copy(), method, diag)
    sysr = _clean_rows(sysr)  # the same polyhedron, fewer rows (also for the centre's LP)
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
    elif isinstance(radius, bool) or not (
        isinstance(radius, int | float) and np.isfinite(radius) and radius > 0
    ):
        raise DecideValueError(f"radius must be a positive finite number; got {radius!r}.")
    radius = float(radius)

    def evaluate(y: np.ndarray) -> tuple[float, np.ndarray, np.ndarray, np.ndarray]:
        prob.evaluations += 1
        raw, J = prob.outcome.draws_and_jacobian_flat(T @ y + t)
        d = np.asarray(raw, dtype=np.float64).reshape(-1)
        J = np.asarray(J, dtype=np.float64).reshape(d.size, -1) @ T
        return float(prob.objective(d)), d, J, raw

    from decide.optimization.cvar_lp._highs import configure_dual, silent_highs

    f, d, J, raw = evaluate(y)  # raw: the outcome's draws at y, handed to finish
    h = silent_highs()  # one HiGHS instance for every step
    configure_dual(h, _LP_TOL)
    B: np.ndarray | None = None  # curvature model (SQP), in objective units per action unit^2
    n_qp = n_lp = 0
    last = radius  # length of the last accepted step (infinity norm)
    converged, status, it = False, "maximum iterations reached", 0
    for it in range(1, int(maxiter) + 1):
        lb = np.maximum(sysr.lb, y - radius)
        ub = np.minimum(sysr.ub, y + radius)
        R, b = J, d - J @ y
        sc = outcome_scale(R, b)
        cons = sysr.within_box(lb, ub)
        step = None
        if B is not None:
            hint = min(radius, 2.0 * last)
            step = _qp_step(R * sc, b * sc, alpha, wm, wc, cons, B * sc, y, scale_y, h, hint)
            if step is not None:
                n_qp += 1
            else:  # the QP failed or holds too many draws: the SLP step, within 2x the last step
                radius = hint
                lb, ub = np.maximum(sysr.lb, y - radius), np.minimum(sysr.ub, y + radius)
        if step is None:
            step = _step(R * sc, b * sc, alpha, wm, wc, lb, ub, sysr, rtol, it, h)
            n_lp += 1
        y_new, model_value, w = step
        pred = model_value / sc - f
        if pred <= rtol * max(1.0, abs(f)) or np.array_equal(y_new, y):
            converged, status = True, "the model predicts no gain (stationary)"
            break
        if second_order:  # QP steps are mostly accepted: draws and Jacobian in one call
            f_new, d_new, J_new, raw_new = evaluate(y_new)
        else:  # the acceptance test needs the draws only; the Jacobian only at an accepted point
            prob.evaluations += 1
            f_new = float(prob.objective(prob.outcome.draws_flat(T @ y_new + t)))
        rho = (f_new - f) / pred
        dist = float(np.max(np.abs(y_new - y)))
        if rho >= 0.1:
            J_old = J
            y_old, y = y, y_new
            last = dist
            if second_order:
                f, d, J, raw = f_new, d_new, J_new, raw_new
            else:
                f, d, J, raw = evaluate(y)
                prob.evaluations -= 1  # the point was counted by its acceptance test
            if second_order and w is not None:
                B = _damped_bfgs(B, y - y_old, -((J - J_old).T @ w))
            if rho >= 0.75 and dist >= 0.99 * radius:
                radius *= 2.0
            elif rho < 0.25:
                radius = 0.5 * dist
        else:
            radius = 0.25 * dist
        if radius <= 1e-13 * max(1.0, scale_y):
            status = "the trust region collapsed before the predicted gain vanished"
            break
    diag.status, diag.converged, diag.iterations = status, converged, it
    diag.evaluations = prob.evaluations
    if second_order:
        diag.notes.append(f"{it} steps ({n_qp} QP, {n_lp} LP), final trust radius {radius:.3g}")
    else:
        diag.notes.append(f"{it} LP steps, final trust radius {radius:.3g}")
    return prob.finish(T @ y + t, method, diag, draws=raw)


def _clean_rows(system: Any) -> Any:
    """The same polyhedron with fewer, better scaled inequality rows (for the step programs).

    Each row ``a @ y <= b`` is divided by ``max |a|``, entries below ``1e-12`` of it
    (rounding left by the presolve's elimination) are zeroed, a row with one entry
    left becomes a bound, and of identical rows the tightest is kept. The
    presolve turns the bounds of eliminated elements into rows, often many copies
    of a few (on a budget spread equally over weeks, one pair per week).
    """
    A, bub = system.A_ub, system.b_ub
    if A.shape[0] == 0:
        return system
    scale = np.max(np.abs(A), axis=1)
    keep = scale > 0
    A, bub, scale = A[keep], bub[keep], scale[keep]
    A = A / scale[:, None]
    bub = bub / scale
    A = np.where(np.abs(A) <= 1e-12, 0.0, A)
    lb, ub = system.lb.copy(), system.ub.copy()
    nnz = np.count_nonzero(A, axis=1)
    for i in np.flatnonzero(nnz == 1):
        j = int(np.flatnonzero(A[i])[0])
        if A[i, j] > 0:
            ub[j] = min(ub[j], bub[i] / A[i, j])
        else:
            lb[j] = max(lb[j], bub[i] / A[i, j])
    multi = nnz > 1
    A, bub = A[multi], bub[multi]
    names = tuple(np.asarray(system.rows_ub, dtype=object)[keep][multi]) if system.rows_ub else ()
    if A.shape[0]:
        _, first, inverse = np.unique(
            np.round(A, 12), axis=0, return_index=True, return_inverse=True
        )
        inverse = inverse.reshape(-1)
        tight = np.full(first.size, np.inf)
        np.minimum.at(tight, inverse, bub)
        A, bub = A[first], tight
        names = tuple(names[i] for i in first) if names else ()
    if np.any(lb > ub):  # cannot happen for a presolved non-empty space; keep the original then
        return system
    return dataclasses.replace(system, lb=lb, ub=ub, A_ub=A, b_ub=bub, rows_ub=names)


def _damped_bfgs(B: np.ndarray | None, s: np.ndarray, r: np.ndarray) -> np.ndarray | None:
    """Powell's damped BFGS update of ``B`` (positive definite) on the pair ``(s, r)``.

    ``r = theta r + (1 - theta) B s`` with ``theta`` the largest in ``[0, 1]`` keeping
    ``s'r >= 0.2 s'Bs``; the first pair starts from ``(r'r / s'r) I`` (Nocedal and
    Wright 2006, eq. 6.20 and Procedure 18.2). No update without curvature
    (``s'r <= 0`` before any model, or a negligible step).
    """
    ss = float(s @ s)
    if ss == 0.0 or not np.all(np.isfinite(r)):
        return B
    sr = float(s @ r)
    if B is None:
        if sr <= 1e-12 * np.sqrt(ss * float(r @ r)) or sr <= 0.0:
            return None
        B = (float(r @ r) / sr) * np.eye(s.size)
    Bs = B @ s
    sBs = float(s @ Bs)
    if sBs <= 0.0:
        return B
    theta = 1.0 if sr >= 0.2 * sBs else 0.8 * sBs / (sBs - sr)
    r = theta * r + (1.0 - theta) * Bs
    sr = float(s @ r)
    B = B - np.outer(Bs, Bs) / sBs + np.outer(r, r) / sr
    return 0.5 * (B + B.T)


def _tail_split(
    R: np.ndarray, b: np.ndarray, alpha: float, lb: np.ndarray, ub: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """Draws surely in the CVaR tail, and the band, for every ``x`` in ``[lb, ub]``.

    ``z_s = R_s x + b_s`` lies in ``[lo_s, hi_s]`` over the box. A draw whose ``hi_s``
    is below the ``floor(alpha S)``-th smallest ``lo`` is among the ``floor(alpha S) - 1``
    lowest at every ``x`` (tail weight at its cap); one whose ``lo_s`` is above the
    ``(ceil(alpha S) + 1)``-th smallest ``hi`` is never in the tail (weight 0). The
    others form the band. Returns boolean masks ``(surely_in, band)``.
    """
    S = R.shape[0]
    if not (np.all(np.isfinite(lb)) and np.all(np.isfinite(ub))):
        return np.zeros(S, dtype=bool), np.ones(S, dtype=bool)
    mid, half = (lb + ub) / 2, (ub - lb) / 2
    centre = R @ mid + b
    spread = np.abs(R) @ half
    lo, hi = centre - spread, centre + spread
    k = alpha * S
    j_in, j_out = int(np.floor(k)), min(int(np.ceil(k)) + 1, S)
    surely_in = np.zeros(S, dtype=bool)
    if j_in >= 2:
        surely_in = hi < np.partition(lo, j_in - 1)[j_in - 1]
    out = lo > np.partition(hi, j_out - 1)[j_out - 1] if j_out < S else np.zeros(S, dtype=bool)
    return surely_in, ~(surely_in | out)


def _qp_step(
    R: np.ndarray, b: np.ndarray, alpha: float, wm: float, wc: float, cons: Any,
    B: np.ndarray, y0: np.ndarray, sigma: float, h: Any, hint: float,
) -> tuple[np.ndarray, float, np.ndarray] | None:
    """The SQP step: max mean-CVaR of ``R y + b`` minus ``1/2 (y-y0)' B (y-y0)`` over ``cons``.

    Solved on HiGHS as the dual QP of :func:`solve_reduced_dual` in the coordinates
    ``y / sigma``, by rounds: over ``cons`` within ``|y - y0|_inf <= r`` (``r`` from
    ``hint``, the expected step length) the draws surely in or out of the tail are
    folded (:func:`_tail_split`), so the QP has few columns; a solution that does not
    touch the round's own box solves the QP over ``cons`` (a concave program: a local
    maximum is global), else ``r`` grows fourfold. More than ``_QP_MAX_BAND`` draws
    in the band: ``None`` (the SLP step is cheaper there). Returns ``(y, model value at y,
    weights w)`` (the model value computed here from ``y``), or ``None`` when the QP
    fails (the caller takes the SLP step).
    """
    from decide.optimization.cvar_lp._highs import solve_reduced_dual, solve_reduced_qp_primal

    S = R.shape[0]
    c = 1.0 / (alpha * S)
    Bs = B * sigma**2
    try:
        H = np.linalg.inv(Bs)
    except np.linalg.LinAlgError:
        return None
    H = 0.5 * (H + H.T)
    # a box that surely holds the QP's solution d* = y* - y0: with g = R' w0 a
    # supergradient of the linearized objective at y0, m(d*) >= m(0) gives
    # 1/2 d*' B d* <= g' d*, the ellipsoid |d - B^-1 g|_B <= |g|_{B^-1}
    g = R.T @ _tail_weights(R @ y0 + b, alpha, wm, wc)
    Binv = np.linalg.inv(B)
    centre = Binv @ g
    half = 1.01 * np.sqrt(max(float(g @ centre), 0.0) * np.clip(np.diag(Binv), 0.0, None))
    half += 1e-9 * (1.0 + np.abs(y0))
    if not (np.all(np.isfinite(centre)) and np.all(np.isfinite(half))):
        return None
    outer = cons.within_box(
        np.maximum(cons.lb, y0 + centre - half), np.minimum(cons.ub, y0 + centre + half)
    )
    def split(r: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, bool]:
        lb, ub = np.maximum(outer.lb, y0 - r), np.minimum(outer.ub, y0 + r)
        whole = bool(np.all(lb == outer.lb) and np.all(ub == outer.ub))
        return lb, ub, *_tail_split(R, b, alpha, lb, ub), whole

    r = hint
    lb, ub, surely_in, band, whole = split(r)
    if int(band.sum()) > _QP_MAX_BAND:
        return None  # too many draws in play for an active-set QP: the SLP step
    while True:
        sub = cons.within_box(lb, ub)
        a = wm * R.mean(axis=0) + wc * c * R[surely_in].sum(axis=0)
        const = wm * float(b.mean()) + wc * c * float(b[surely_in].sum())
        scaled = dataclasses.replace(
            sub, lb=lb / sigma, ub=ub / sigma, b_ub=sub.b_ub / sigma, b_eq=sub.b_eq / sigma,
        )
        nb = int(band.sum())
        args = (R[band] * sigma, b[band], a * sigma, const, wc, c,
                1.0 - c * int(surely_in.sum()), scaled, _LP_TOL)
        h.setOptionValue("qp_iteration_limit", 20 * nb + 200)  # it can cycle
        lp = None
        # the primal (one row per band draw) when the band is small, else the dual; each
        # is the other's fallback (HiGHS's QP solver fails now and then on either)
        for primal in (True, False) if nb <= _PRIMAL_QP_MAX_BAND else (False, True):
            try:
                if primal:
                    lp = solve_reduced_qp_primal(*args, B=Bs, center=y0 / sigma, h=h)
                else:
                    lp = solve_reduced_dual(
                        *args, h=h, hessian_inv=H, center=y0 / sigma, configure=False
                    )
            except (ValueError, RuntimeError):
                lp = None
            if lp is not None and lp.status == "optimal":
                break
        if lp is None or lp.status != "optimal" or lp.x is None or not np.all(np.isfinite(lp.x)):
            return None
        y = np.clip(np.asarray(lp.x, dtype=np.float64) * sigma, lb, ub)
        if whole or not sub.tighter_bound_active(y, outer):
            break
        nxt = split(4.0 * r)
        if int(nxt[3].sum()) > _QP_MAX_BAND:
            return None  # too many draws in play for an active-set QP: the SLP step
        r *= 4.0
        lb, ub, surely_in, band, whole = nxt
    w = np.full(S, wm / S)
    w[surely_in] += wc * c
    assert lp.lam is not None
    w[band] += lp.lam
    z = R @ y + b
    dy = y - y0
    value = wm * float(z.mean()) + wc * _cvar(z, alpha) - 0.5 * float(dy @ B @ dy)
    return y, value, w


def _cvar(z: np.ndarray, alpha: float) -> float:
    """Lower-tail CVaR of equally weighted draws (the measure's own formula)."""
    from decide.measures._quantile import cvar_and_var

    return float(cvar_and_var(z, alpha)[0])


def _step(
    R: np.ndarray, b: np.ndarray, alpha: float, wm: float, wc: float, lb: np.ndarray,
    ub: np.ndarray, sysr: Any, rtol: float, it: int, h: Any = None,
) -> tuple[np.ndarray, float, np.ndarray]:
    """The exact mean-CVaR LP of the linearized draws ``R @ y + b`` over the trust region.

    Below ``CVAR_LP_MIN_SAMPLES`` draws the Rockafellar-Uryasev LP goes to HiGHS
    directly, written as its LP dual (:func:`_ru_dual`: ``k + 1`` rows for ``k``
    free coordinates, cheaper than the band-and-fold rounds there); above, the
    specialized CVaR LP (:func:`solve_cvar_lp`). Returns ``(y, value, w)``, ``w`` the
    weight of each draw in the objective at ``y`` (``wm / S`` plus its tail weight).
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
        y = np.asarray(res.x, dtype=np.float64)
        return y, float(res.value), _tail_weights(R @ y + b, alpha, wm, wc)
    except DecideError:
        raise
    except Exception as exc:
        raise SolverError(
            f"the CVaR LP of step {it} failed: {type(exc).__name__}: {str(exc)[:200]}. "
            "Try method='scipy'."
        ) from exc


def _tail_weights(z: np.ndarray, alpha: float, wm: float, wc: float) -> np.ndarray:
    """``w`` with ``wm mean(z) + wc CVaR_alpha(z) = w @ z``: the mean's and the tail's weights."""
    from decide.measures._quantile import grad_cvar

    return wm / z.size + wc * grad_cvar(np.asarray(z, dtype=np.float64), None, alpha)


def _ru_dual(
    R: np.ndarray, b: np.ndarray, alpha: float, wm: float, wc: float, cons: Any, h: Any = None,
) -> tuple[np.ndarray, float, np.ndarray]:
    """``max wm mean(R y + b) + wc (eta - sum(u) / (alpha S))``, ``u >= eta - R y - b, u >= 0``.

    The Rockafellar-Uryasev LP over ``cons`` (the presolved space within the trust
    region), solved through its dual: one column per draw of the band (draws surely
    in the tail over the box are folded into the linear term, draws surely out
    left out: :func:`_tail_split`), one row per coordinate of ``y`` and one for
    ``eta`` (:func:`~decide.optimization.cvar_lp._highs.solve_reduced_dual`); ``y`` is
    read off the row duals. Returns ``y``, the optimal value and the draws' weights
    ``w = wm / S + lambda`` (``lambda`` the tail multipliers).
    """
    from decide.optimization.cvar_lp._highs import solve_reduced_dual

    S = R.shape[0]
    c = 1.0 / (alpha * S)
    surely_in, band = _tail_split(R, b, alpha, cons.lb, cons.ub)
    a = wm * R.mean(axis=0) + wc * c * R[surely_in].sum(axis=0)
    const = wm * float(b.mean()) + wc * c * float(b[surely_in].sum())
    lp = solve_reduced_dual(
        R[band], b[band], a, const, wc, c, 1.0 - c * int(surely_in.sum()), cons, _LP_TOL, h=h,
        configure=h is None,
    )
    if lp.status != "optimal" or lp.x is None or lp.lam is None:
        raise SolverError(f"the trust-region LP failed: HiGHS status {lp.status!r}")
    y = np.clip(np.asarray(lp.x, dtype=np.float64), cons.lb, cons.ub)
    w = np.full(S, wm / S)
    w[surely_in] += wc * c
    w[band] += lp.lam
    return y, float(lp.value), w


#: Largest band for which the SQP step's QP is solved in primal form first.
_PRIMAL_QP_MAX_BAND = 100

#: Largest band of an SQP step's QP (HiGHS's active-set QP time grows faster than the
#: band: about 90 ms at 900 draws, 10 ms at 300): beyond, the step is the SLP step.
_QP_MAX_BAND = 300

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
                f"{self.name} needs an objective CVaR, MeanCVaR or a * Mean() + c * CVaR(alpha), an "
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


@register
class CVaRSQPBackend(CVaRSLPBackend):
    """``method="cvar-sqp"``: cvar-slp's trust-region steps plus a BFGS curvature model (QP steps).

    Same problems and options as ``"cvar-slp"``; ``method="auto"`` prefers it
    there. Measured on the model of ``benchmarks/bench_mmm.py`` (CVaR 5% of a
    fitted pymc-marketing MMM, 600 draws, 3 free dimensions after presolve; pymc 6;
    15 interleaved solves, median): 57 ms against cvar-slp's 72 ms and SLSQP's
    108 ms; 8 steps (6 QP, 2 LP) against 18 LP steps, 24 evaluations against 34
    and 67; the same CVaR to 1e-10 relative. Over 40 random concave problems (2-6
    dimensions, 30-3000 draws) 2-17 steps against 2-89 (336 against 969), never a worse optimum; on
    such cheap numpy outcomes the QPs cost more than the evaluations saved (about
    1.2x cvar-slp's time); on a PyMC model fewer evaluations win.
    """

    name = "cvar-sqp"

    def auto_rank(self, problem: Problem, *, repeated: bool = False) -> float | None:
        rank = super().auto_rank(problem, repeated=repeated)
        return None if rank is None else rank - 0.1

    def solve(self, problem: Problem, rng: np.random.Generator, options: dict[str, Any]) -> Decision:
        return solve_cvar_sqp(problem, **options)
