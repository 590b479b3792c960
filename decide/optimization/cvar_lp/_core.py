"""Band-and-fold rounds of the exact CVaR solver (private; see ``_cvar_fast``).

Conventions: outcomes are rewards (higher is better), risk is the lower tail,
``alpha`` is the tail probability, scenarios are rows (sample axis first).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from decide._config import FEASIBILITY_RTOL

# the one exact CVaR kernel and its snapping of alpha * S: the public decide.measures.cvar
# and value_at_risk would partition the draws twice per round of the LP
from decide.measures._quantile import cvar_and_var
from decide.measures._reduce import snap
from decide.optimization._polyhedron import LinearSystem
from decide.optimization.cvar_lp._highs import (
    LPOutcome,
    max_linear,
    solve_reduced_dual,
    solve_reduced_primal,
)

__all__ = ["CoreResult", "certify_ray", "cvar_exact", "solve_core", "tail_count"]

#: HiGHS primal and dual feasibility tolerance for the reduced LPs.
_LP_TOL = 1e-9
#: Fraction of the rounding scale of ``y`` below which the gap is not resolved.
_ROUNDING_FLOOR = 1e-6
#: Relative size below which an entry of the bound's linear term is rounding noise.
_R_ROUND = 1e-12
#: Trust region: accept a step that gains this fraction of the model's promise.
_TR_ACCEPT = 0.5
#: Trust region: growth after an accepted step on the edge, shrink after a rejected one.
_TR_GROW, _TR_SHRINK = 4.0, 0.25
#: Trust region: smallest starting radius, relative to ``max(1, |x0|_inf)``.
_TR_MIN = 1e-3
#: Trust region: removed once the radius exceeds this multiple of its start.
_TR_DROP = 1e4


def cvar_exact(y: np.ndarray, alpha: float) -> tuple[float, float]:
    """Exact CVaR (lower tail, equal weights) and the VaR level of reward draws ``y``.

    The measures' kernel (:func:`decide.measures._quantile.cvar_and_var`): the
    Rockafellar-Uryasev value ``max_t t - c * sum((t - y)_+)`` with
    ``c = 1 / (alpha S)``, and the largest order statistic carrying tail weight.
    """
    value, var = cvar_and_var(y, alpha)
    return float(value), float(var)


def tail_count(alpha: float, S: int) -> float:
    """``alpha * S``, snapped to the nearest integer when within rounding of it (as the measures)."""
    return snap(alpha * S)


def _window(y: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Indices of the scenarios ranked in ``[lo, hi)`` by ``y`` (ascending)."""
    S = y.shape[0]
    lo = max(0, lo)
    hi = min(S, hi)
    if lo == 0 and hi == S:
        return np.arange(S)
    kth = [v for v in (lo, hi - 1) if 0 <= v < S]
    order = np.argpartition(y, kth)
    return order[lo:hi]


@dataclass
class CoreResult:
    """Internal outcome of :func:`solve_core` (the public wrapper turns it into CVaRLPResult)."""

    status: str
    x: np.ndarray | None
    value: float
    lower: float
    upper: float
    gap: float
    rounds: int
    band_size: int
    n_cuts: int
    band_target: int
    cvar: float = math.nan
    mean: float = math.nan
    ray: np.ndarray | None = None
    lp_iterations: int = 0
    history: list[dict[str, float]] = field(default_factory=list)


def boundary_value(y: np.ndarray, k: float) -> float:
    """The largest order statistic with positive tail weight, ``y_(ceil(k) - 1)`` (0-based)."""
    j = min(max(math.ceil(k) - 1, 0), y.shape[0] - 1)
    return float(np.partition(y, j)[j])


def nearest_to_boundary(y: np.ndarray, v: float, rnorm: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` scenarios with the smallest ``|y_i - v| / rnorm_i``.

    ``rnorm_i = ||R_i - mean(R)||`` measures how fast scenario ``i`` moves
    relative to the others when ``x`` changes, so this normalized distance ranks
    the scenarios by how likely they are to cross the VaR level.
    """
    S = y.shape[0]
    if count >= S:
        return np.arange(S)
    with np.errstate(over="ignore"):  # inf: a scenario that moves with all others never crosses
        z = np.abs(y - v) / rnorm
    return np.argpartition(z, count)[:count]


def labels_from(y: np.ndarray, k: float, rnorm: np.ndarray, count: int) -> np.ndarray:
    """Label each scenario 0 (folded into the tail), 1 (band) or 2 (dropped).

    The band is the ``count`` scenarios nearest the VaR level ``v`` in
    normalized distance plus every tie with ``v``; the rest is folded when
    strictly below ``v`` and dropped when strictly above. Then
    ``#folded <= ceil(k) - 1 <= k <= #folded + #band``, so the restricted tail
    weights are a non-empty subset of the CVaR dual set.
    """
    S = y.shape[0]
    labels = np.ones(S, dtype=np.int8)
    if count >= S:
        return labels
    v = boundary_value(y, k)
    labels[y < v] = 0
    labels[y > v] = 2
    labels[nearest_to_boundary(y, v, rnorm, count)] = 1
    return labels


def row_norms(R: np.ndarray, rbar: np.ndarray) -> np.ndarray:
    """``||R_i - rbar||_2`` for every row, without an (S, n) temporary."""
    sq = np.einsum("ij,ij->i", R, R) - 2.0 * (R @ rbar) + float(rbar @ rbar)
    out = np.sqrt(np.maximum(sq, 0.0))
    tiny = 1e-12 * max(float(np.max(out, initial=0.0)), 1e-300)
    return np.maximum(out, tiny)


def _rec_value(R: np.ndarray, d: np.ndarray, alpha: float, wm: float, wc: float) -> tuple[float, float]:
    yd = R @ d
    cv, _ = cvar_exact(yd, alpha)
    return wm * float(np.mean(yd)) + wc * cv, cv


def _in_recession(d: np.ndarray, cons: LinearSystem, tol: float) -> bool:
    if np.any((d < -tol) & np.isfinite(cons.lb)) or np.any((d > tol) & np.isfinite(cons.ub)):
        return False
    if cons.A_ub.shape[0] and np.any(cons.A_ub @ d > tol):
        return False
    return not (cons.A_eq.shape[0] and np.any(np.abs(cons.A_eq @ d) > tol))


def certify_ray(
    R: np.ndarray, ray: np.ndarray, alpha: float, wm: float, wc: float, floor: float | None, cons: LinearSystem
) -> np.ndarray | None:
    """Return a direction along which the true objective grows without bound, or None."""
    norm = float(np.max(np.abs(ray)))
    if not np.isfinite(norm) or norm == 0.0:
        return None
    for d in (ray / norm, -ray / norm):
        if not _in_recession(d, cons, 1e-9):
            continue
        rho, cv = _rec_value(R, d, alpha, wm, wc)
        yscale = float(np.mean(np.abs(R @ d)))
        if rho > 1e-9 * max(yscale, 1e-300) and (floor is None or cv >= -1e-12 * yscale):
            return d
    return None


def solve_core(
    R: np.ndarray,
    b: np.ndarray,
    alpha: float,
    wm: float,
    wc: float,
    floor: float | None,
    cons: LinearSystem,
    rtol: float,
    x0: np.ndarray | None,
    band_target: int,
    max_rounds: int,
    radius: float = math.inf,
) -> CoreResult:
    """Run band-and-fold rounds until the certified relative gap is at most ``rtol``.

    Each round solves the reduced problem in which the scenarios labelled 0 are
    held in the tail with weight ``c = 1/(alpha S)``, those labelled 2 carry
    weight 0, and the band (label 1) is free. Restricting the tail weights makes
    the reduced objective an over-estimate of the true one at every ``x``, so its
    dual multipliers give a valid upper bound; the true objective at the reduced
    optimum is a lower bound. Violators and a wider window join the band until
    the bounds meet (at the latest when the band holds every scenario, where the
    reduced problem is the full LP).

    A finite ``radius`` starts a trust region ``|x - center|_inf <= radius``
    around ``x0`` (problems without a CVaR floor only). The reduced problem is
    exact near the center and may over-estimate badly far from it; the trust
    region keeps each step where the model is right, so the band grows by the
    few scenarios that cross the VaR along the way instead of by every
    scenario that a far-off step reshuffles. A step is accepted when it gains
    at least ``_TR_ACCEPT`` of what the model promised; the region grows after
    an accepted step that reached its edge and shrinks after a rejected one.
    It only changes where the next reduced problem is solved: the upper bound is
    always taken over the whole action set, and once the radius passes
    ``_TR_DROP`` times its start the region is removed.
    """
    S, n = R.shape
    k = tail_count(alpha, S)
    c = 1.0 / k
    rbar = R.mean(axis=0)
    rnorm = row_norms(R, rbar)
    bbar = float(np.mean(b))
    colmax = np.maximum(np.abs(R.max(axis=0)), np.abs(R.min(axis=0)))

    if x0 is None:
        labels = np.ones(S, dtype=np.int8)
    else:
        labels = labels_from(R @ x0 + b, k, rnorm, band_target)

    lower, upper = -math.inf, math.inf
    best_x: np.ndarray | None = None
    best = (math.nan, math.nan)
    band_size = int(np.count_nonzero(labels == 1))
    iters = 0
    history: list[dict[str, float]] = []
    w = max(band_target, 1)
    gap = math.inf
    tr = math.inf
    if (
        x0 is not None and floor is None and radius > 0
        and cons.feasible(x0)  # a center outside X steers nowhere
    ):
        tr = max(radius, _TR_MIN * max(1.0, float(np.max(np.abs(x0)))))
    tr_cap = _TR_DROP * tr
    center = x0
    f_center = -math.inf
    if math.isfinite(tr):
        assert x0 is not None
        y0 = R @ x0 + b
        f_center = wm * float(np.mean(y0)) + wc * cvar_exact(y0, alpha)[0]
    for rnd in range(1, max_rounds + 1):
        idxL = np.flatnonzero(labels == 0)
        idxB = np.flatnonzero(labels == 1)
        band_size = int(idxB.size)
        if band_size == S:
            tr = math.inf  # the model is the full problem: nothing left to steer
        nL = int(idxL.size)
        tau = (k - nL) * c
        if idxL.size:
            sL = R[idxL].sum(axis=0)
            bL = float(np.sum(b[idxL]))
        else:
            sL = np.zeros(n)
            bL = 0.0
        R_B = R[idxB]
        b_B = b[idxB]
        a = wm * rbar + wc * c * sL
        const = wm * bbar + wc * c * bL
        lp: LPOutcome
        if floor is None:
            lp_cons = cons if not math.isfinite(tr) else cons.within(center, tr)
            lp = solve_reduced_dual(R_B, b_B, a, const, wc, c, tau, lp_cons, _LP_TOL)
        else:
            lp = solve_reduced_primal(R_B, b_B, a, const, wc, c, tau, sL, bL, floor, cons, _LP_TOL)
        iters += lp.iterations
        if math.isfinite(tr) and lp.status != "optimal":
            tr = math.inf  # the trust region only steers; never let it decide a status
            continue
        if lp.status == "infeasible":
            # the reduced problem relaxes the floor (its CVaR over-estimates), so none exists
            return CoreResult("infeasible", None, math.nan, lower, upper, math.inf, rnd,
                              band_size, rnd, w, lp_iterations=iters, history=history)
        if lp.status == "unbounded":
            if lp.ray is not None:
                d = certify_ray(R, lp.ray, alpha, wm, wc, floor, cons)
                if d is not None:
                    return CoreResult("unbounded", None, math.inf, lower, math.inf, math.inf, rnd,
                                      band_size, rnd, w, ray=d, lp_iterations=iters, history=history)
            if band_size == S:
                ray = lp.ray
                return CoreResult("unbounded", None, math.inf, lower, math.inf, math.inf, rnd,
                                  band_size, rnd, w, ray=ray, lp_iterations=iters, history=history)
            if lp.ray is not None:
                # free the scenarios that the direction pushes into the tail
                yd = R @ lp.ray
                labels[_window(yd, 0, math.ceil(k) + w)] = 1
            else:
                labels[:] = 1
            continue
        if lp.status != "optimal" or lp.x is None or lp.lam is None:
            break

        x = np.clip(lp.x, cons.lb, cons.ub)
        y = R @ x + b
        cv, var_pos = cvar_exact(y, alpha)
        mu = float(np.mean(y))
        f = wm * mu + wc * cv
        ymag = float(np.mean(np.abs(y))) + float(colmax @ np.abs(x)) + abs(float(np.mean(b)))
        # the gap is relative to the objective or the typical |y|, whichever is larger; the
        # rounding scale of y (largest |R_ij x_j| summed) enters only as a far floor
        yscale = max(float(np.mean(np.abs(y))), _ROUNDING_FLOOR * ymag)
        feasible = cons.feasible(x)
        if floor is not None:
            feasible = feasible and cv >= floor - FEASIBILITY_RTOL * max(abs(floor), ymag)
        if feasible and f > lower:
            lower = f
            best_x = x
            best = (cv, mu)

        # certified upper bound from the multipliers (weak duality)
        kappa = wc + lp.nu
        if kappa > 0:
            qB = np.clip(lp.lam / kappa, 0.0, c)
            qB = _fix_sum(qB, tau, c)
            r = wm * rbar + kappa * (c * sL + R_B.T @ qB)
            K = wm * bbar + kappa * (c * bL + float(qB @ b_B)) - (lp.nu * floor if floor is not None else 0.0)
        else:
            r = wm * rbar
            K = wm * bbar
        # entries of r within rounding of 0 are 0: otherwise a zero direction with no bound
        # (the optimum x_j = 0 of lb = 0, ub = inf) would make the bound infinite
        r = np.where(np.abs(r) <= _R_ROUND * (wm * np.abs(rbar) + max(kappa, 0.0) * colmax), 0.0, r)
        st, val, _ = max_linear(r, cons)
        ub_k = K + val if st == "optimal" else math.inf
        upper = min(upper, ub_k)
        denom = max(abs(lower), abs(upper), yscale, 1e-300)
        gap = (upper - lower) / denom if math.isfinite(lower) and math.isfinite(upper) else math.inf
        history.append({"round": rnd, "band": band_size, "lower": lower, "upper": upper, "gap": gap,
                        "radius": tr})
        if gap <= rtol:
            return CoreResult("optimal", best_x, lower, lower, max(upper, lower), max(gap, 0.0), rnd,
                              band_size, rnd, w, cvar=best[0], mean=best[1], lp_iterations=iters,
                              history=history)
        if band_size == S:
            break  # the reduced problem is already the full LP: only rounding is left
        if not math.isfinite(tr):
            # violators of the fold and a wider window around the new VaR join the band
            labels[_violators(labels, y, var_pos)] = 1
            labels[nearest_to_boundary(y, var_pos, rnorm, max(w // 4, 1))] = 1
            continue
        on_edge = lp_cons.tighter_bound_active(x, cons)  # the region this round was solved in
        promised = lp.value - f_center
        if f - f_center >= _TR_ACCEPT * promised or promised <= rtol * denom:
            # accepted: the model becomes exact at the new center
            labels[_violators(labels, y, var_pos)] = 1
            center, f_center = x, f
            tr = tr * _TR_GROW if on_edge else tr
        else:
            # rejected: the far point's violators would bloat the band; take those of the
            # shorter step that the shrunk region allows
            assert center is not None
            if f > f_center:
                labels[_violators(labels, y, var_pos)] = 1
                center, f_center = x, f
            else:
                ys = R @ (center + _TR_SHRINK * (x - center)) + b
                labels[_violators(labels, ys, boundary_value(ys, k))] = 1
            tr = tr * _TR_SHRINK
        if tr > tr_cap:
            tr = math.inf
    status = "max_rounds"
    return CoreResult(status, best_x, lower, lower, upper, gap, len(history), band_size, len(history),
                      w, cvar=best[0], mean=best[1], lp_iterations=iters, history=history)


def _violators(labels: np.ndarray, y: np.ndarray, var_pos: float) -> np.ndarray:
    """Folded scenarios at or above the VaR and dropped ones at or below it.

    A scenario tied with the VaR counts: it may carry a fractional tail weight,
    which neither label allows. With no violators the reduced model is exact at ``y``.
    """
    return ((labels == 0) & (y >= var_pos)) | ((labels == 2) & (y <= var_pos))


def _fix_sum(q: np.ndarray, total: float, cap: float) -> np.ndarray:
    """Shift ``q`` (each in [0, cap]) so that it sums to ``total`` after clipping."""
    diff = total - float(np.sum(q))
    if diff == 0.0 or q.size == 0:
        return q
    q = q.copy()
    room = (cap - q) if diff > 0 else q
    tot_room = float(np.sum(room))
    if tot_room <= 0:
        return q
    q += diff * room / tot_room
    return np.clip(q, 0.0, cap)
