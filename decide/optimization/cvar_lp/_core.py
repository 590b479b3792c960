"""Band-and-fold rounds of the exact CVaR solver (private; the public function is in ``_solve``).

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
from decide.optimization.cvar_lp._band import (
    boundary_value,
    labels_from,
    nearest_to_boundary,
    rank_window,
    row_norms,
    violators,
)
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
    floor_price: float = math.nan


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


@dataclass
class _Data:
    """The fixed data of one solve and the statistics every round reuses.

    ``k = alpha * S`` (snapped) is the tail size in scenarios and ``c = 1 / k``
    the tail weight of one scenario; ``rbar`` and ``bbar`` are the means of the
    rows of ``R`` and of ``b``, ``rnorm`` the distances of the rows to ``rbar``
    (:func:`row_norms`) and ``colmax`` the largest ``|R_ij|`` of each column.
    """

    R: np.ndarray
    b: np.ndarray
    alpha: float
    wm: float
    wc: float
    floor: float | None
    cons: LinearSystem
    k: float
    c: float
    rbar: np.ndarray
    rnorm: np.ndarray
    bbar: float
    colmax: np.ndarray

    @classmethod
    def build(
        cls, R: np.ndarray, b: np.ndarray, alpha: float, wm: float, wc: float,
        floor: float | None, cons: LinearSystem,
    ) -> _Data:
        k = tail_count(alpha, R.shape[0])
        rbar = R.mean(axis=0)
        colmax = np.maximum(np.abs(R.max(axis=0)), np.abs(R.min(axis=0)))
        return cls(R, b, alpha, wm, wc, floor, cons, k, 1.0 / k, rbar, row_norms(R, rbar),
                   float(np.mean(b)), colmax)

    @property
    def S(self) -> int:
        return int(self.R.shape[0])

    def objective(self, y: np.ndarray) -> tuple[float, float, float, float]:
        """True objective ``wm * mean + wc * CVaR`` of the rewards ``y``, its CVaR, VaR and mean."""
        cv, var_pos = cvar_exact(y, self.alpha)
        mu = float(np.mean(y))
        return self.wm * mu + self.wc * cv, cv, var_pos, mu


@dataclass
class _Rounds:
    """What the rounds carry from one to the next.

    The labels of the scenarios (0 folded, 1 band, 2 dropped), the bounds and
    the best feasible point so far (``best`` holds its CVaR and mean), the trust
    region (``radius`` infinite when there is none) with its ``center`` and the
    true objective there, and the record of the rounds.
    """

    labels: np.ndarray
    band_target: int
    band_size: int
    lower: float = -math.inf
    upper: float = math.inf
    gap: float = math.inf
    best_x: np.ndarray | None = None
    best: tuple[float, float] = (math.nan, math.nan)
    iters: int = 0
    history: list[dict[str, float]] = field(default_factory=list)
    radius: float = math.inf
    radius_cap: float = math.inf
    center: np.ndarray | None = None
    f_center: float = -math.inf

    def result(
        self, status: str, rounds: int, x: np.ndarray | None, value: float, upper: float,
        gap: float, *, cvar: float = math.nan, mean: float = math.nan,
        ray: np.ndarray | None = None,
    ) -> CoreResult:
        """The outcome with this state's lower bound, band, counts and record."""
        return CoreResult(status, x, value, self.lower, upper, gap, rounds, self.band_size, rounds,
                          self.band_target, cvar=cvar, mean=mean, ray=ray,
                          lp_iterations=self.iters, history=self.history)


def _start(data: _Data, x0: np.ndarray | None, band_target: int, radius: float) -> _Rounds:
    """Label the scenarios around the VaR at ``x0`` (all in the band without it); open the region."""
    if x0 is None:
        labels = np.ones(data.S, dtype=np.int8)
    else:
        labels = labels_from(data.R @ x0 + data.b, data.k, data.rnorm, band_target)
    state = _Rounds(labels, max(band_target, 1), int(np.count_nonzero(labels == 1)))
    tr = math.inf
    if (
        x0 is not None and data.floor is None and radius > 0
        and data.cons.feasible(x0)  # a center outside X steers nowhere
    ):
        tr = max(radius, _TR_MIN * max(1.0, float(np.max(np.abs(x0)))))
    state.radius, state.radius_cap, state.center = tr, _TR_DROP * tr, x0
    if math.isfinite(tr):
        assert x0 is not None
        state.f_center = data.objective(data.R @ x0 + data.b)[0]
    return state


@dataclass
class _Reduced:
    """The reduced problem of one round: the folded scenarios summed, the band kept row by row.

    ``tau = (k - #folded) c`` is the tail weight left for the band; ``a`` and
    ``const`` are the linear term and the constant of the objective with the
    folded scenarios' tail weight included.
    """

    band: np.ndarray
    tau: float
    sL: np.ndarray
    bL: float
    R_B: np.ndarray
    b_B: np.ndarray
    a: np.ndarray
    const: float


def _reduce(data: _Data, labels: np.ndarray) -> _Reduced:
    """The reduced problem for the current labels."""
    idxL = np.flatnonzero(labels == 0)
    idxB = np.flatnonzero(labels == 1)
    tau = (data.k - int(idxL.size)) * data.c
    if idxL.size:
        sL = data.R[idxL].sum(axis=0)
        bL = float(np.sum(data.b[idxL]))
    else:
        sL = np.zeros(data.R.shape[1])
        bL = 0.0
    a = data.wm * data.rbar + data.wc * data.c * sL
    const = data.wm * data.bbar + data.wc * data.c * bL
    return _Reduced(idxB, tau, sL, bL, data.R[idxB], data.b[idxB], a, const)


def _solve_reduced(data: _Data, red: _Reduced, state: _Rounds) -> tuple[LPOutcome, LinearSystem]:
    """Solve the reduced LP (in the trust region when there is one); also return the set used."""
    if data.floor is None:
        lp_cons = data.cons
        if math.isfinite(state.radius):
            assert state.center is not None
            lp_cons = data.cons.within(state.center, state.radius)
        lp = solve_reduced_dual(red.R_B, red.b_B, red.a, red.const, data.wc, data.c, red.tau,
                                lp_cons, _LP_TOL)
        return lp, lp_cons
    lp = solve_reduced_primal(red.R_B, red.b_B, red.a, red.const, data.wc, data.c, red.tau,
                              red.sL, red.bL, data.floor, data.cons, _LP_TOL)
    return lp, data.cons


def _unbounded(data: _Data, state: _Rounds, lp: LPOutcome, rnd: int) -> CoreResult | None:
    """A reduced problem without a bound: certify the direction, or free the scenarios it moves.

    Returns the result when the true problem is unbounded (a certified ray, or
    a band that already holds every scenario); else frees the scenarios the
    direction pushes into the tail (every scenario without a direction) and
    returns None.
    """
    if lp.ray is not None:
        d = certify_ray(data.R, lp.ray, data.alpha, data.wm, data.wc, data.floor, data.cons)
        if d is not None:
            return state.result("unbounded", rnd, None, math.inf, math.inf, math.inf, ray=d)
    if state.band_size == data.S:
        return state.result("unbounded", rnd, None, math.inf, math.inf, math.inf, ray=lp.ray)
    if lp.ray is not None:
        # free the scenarios that the direction pushes into the tail
        yd = data.R @ lp.ray
        state.labels[rank_window(yd, 0, math.ceil(data.k) + state.band_target)] = 1
    else:
        state.labels[:] = 1
    return None


@dataclass
class _Point:
    """The reduced optimum of a round, scored by the true objective."""

    x: np.ndarray
    y: np.ndarray
    f: float
    var_pos: float
    yscale: float


def _lower_bound(data: _Data, state: _Rounds, x_lp: np.ndarray) -> _Point:
    """Score the reduced optimum with the true objective; a feasible one raises the lower bound."""
    x = np.clip(x_lp, data.cons.lb, data.cons.ub)
    y = data.R @ x + data.b
    f, cv, var_pos, mu = data.objective(y)
    ymag = float(np.mean(np.abs(y))) + float(data.colmax @ np.abs(x)) + abs(data.bbar)
    # the gap is relative to the objective or the typical |y|, whichever is larger; the
    # rounding scale of y (largest |R_ij x_j| summed) enters only as a far floor
    yscale = max(float(np.mean(np.abs(y))), _ROUNDING_FLOOR * ymag)
    feasible = data.cons.feasible(x)
    if data.floor is not None:
        feasible = feasible and cv >= data.floor - FEASIBILITY_RTOL * max(abs(data.floor), ymag)
    if feasible and f > state.lower:
        state.lower = f
        state.best_x = x
        state.best = (cv, mu)
    return _Point(x, y, f, var_pos, yscale)


def _upper_bound(data: _Data, red: _Reduced, lp: LPOutcome) -> float:
    """Certified upper bound over the whole action set from the LP multipliers (weak duality)."""
    assert lp.lam is not None
    wm, rbar, bbar, c = data.wm, data.rbar, data.bbar, data.c
    kappa = data.wc + lp.nu
    if kappa > 0:
        qB = np.clip(lp.lam / kappa, 0.0, c)
        qB = _fix_sum(qB, red.tau, c)
        r = wm * rbar + kappa * (c * red.sL + red.R_B.T @ qB)
        K = (wm * bbar + kappa * (c * red.bL + float(qB @ red.b_B))
             - (lp.nu * data.floor if data.floor is not None else 0.0))
    else:
        r = wm * rbar
        K = wm * bbar
    # entries of r within rounding of 0 are 0: otherwise a zero direction with no bound
    # (the optimum x_j = 0 of lb = 0, ub = inf) would make the bound infinite
    r = np.where(np.abs(r) <= _R_ROUND * (wm * np.abs(rbar) + max(kappa, 0.0) * data.colmax),
                 0.0, r)
    st, val, _ = max_linear(r, data.cons)
    return K + val if st == "optimal" else math.inf


def _grow_band(data: _Data, state: _Rounds, pt: _Point) -> None:
    """Violators of the fold and a wider window around the new VaR join the band."""
    state.labels[violators(state.labels, pt.y, pt.var_pos)] = 1
    state.labels[nearest_to_boundary(pt.y, pt.var_pos, data.rnorm,
                                     max(state.band_target // 4, 1))] = 1


def _trust_region_step(
    data: _Data, state: _Rounds, pt: _Point, lp: LPOutcome, lp_cons: LinearSystem,
    rtol: float, denom: float,
) -> None:
    """Accept or reject the step to the reduced optimum; move the center and resize the region."""
    on_edge = lp_cons.tighter_bound_active(pt.x, data.cons)  # the region this round was solved in
    promised = lp.value - state.f_center
    if pt.f - state.f_center >= _TR_ACCEPT * promised or promised <= rtol * denom:
        # accepted: the model becomes exact at the new center
        state.labels[violators(state.labels, pt.y, pt.var_pos)] = 1
        state.center, state.f_center = pt.x, pt.f
        state.radius = state.radius * _TR_GROW if on_edge else state.radius
    else:
        # rejected: the far point's violators would bloat the band; take those of the
        # shorter step that the shrunk region allows
        assert state.center is not None
        if pt.f > state.f_center:
            state.labels[violators(state.labels, pt.y, pt.var_pos)] = 1
            state.center, state.f_center = pt.x, pt.f
        else:
            ys = data.R @ (state.center + _TR_SHRINK * (pt.x - state.center)) + data.b
            state.labels[violators(state.labels, ys, boundary_value(ys, data.k))] = 1
        state.radius = state.radius * _TR_SHRINK
    if state.radius > state.radius_cap:
        state.radius = math.inf


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

    One round, step by step: :func:`_reduce` builds the reduced problem from
    the labels and :func:`_solve_reduced` solves it (:func:`_unbounded` handles
    a reduced problem without a bound); :func:`_lower_bound` scores its optimum
    with the true objective, :func:`_upper_bound` certifies a bound from its
    multipliers; then :func:`_grow_band` (no trust region) or
    :func:`_trust_region_step` relabels the scenarios for the next round. The
    state carried between rounds is a :class:`_Rounds`.
    """
    data = _Data.build(R, b, alpha, wm, wc, floor, cons)
    state = _start(data, x0, band_target, radius)
    for rnd in range(1, max_rounds + 1):
        red = _reduce(data, state.labels)
        state.band_size = int(red.band.size)
        if state.band_size == data.S:
            state.radius = math.inf  # the model is the full problem: nothing left to steer
        lp, lp_cons = _solve_reduced(data, red, state)
        state.iters += lp.iterations
        if math.isfinite(state.radius) and lp.status != "optimal":
            state.radius = math.inf  # the trust region only steers; never let it decide a status
            continue
        if lp.status == "infeasible":
            # the reduced problem relaxes the floor (its CVaR over-estimates), so none exists
            return state.result("infeasible", rnd, None, math.nan, state.upper, math.inf)
        if lp.status == "unbounded":
            done = _unbounded(data, state, lp, rnd)
            if done is not None:
                return done
            continue
        if lp.status != "optimal" or lp.x is None or lp.lam is None:
            break

        pt = _lower_bound(data, state, lp.x)
        state.upper = min(state.upper, _upper_bound(data, red, lp))
        lower, upper = state.lower, state.upper
        denom = max(abs(lower), abs(upper), pt.yscale, 1e-300)
        finite = math.isfinite(lower) and math.isfinite(upper)
        state.gap = (upper - lower) / denom if finite else math.inf
        state.history.append({"round": rnd, "band": state.band_size, "lower": lower, "upper": upper,
                              "gap": state.gap, "radius": state.radius})
        if state.gap <= rtol:
            return state.result("optimal", rnd, state.best_x, lower, max(upper, lower),
                                max(state.gap, 0.0), cvar=state.best[0], mean=state.best[1])
        if state.band_size == data.S:
            break  # the reduced problem is already the full LP: only rounding is left
        if math.isfinite(state.radius):
            _trust_region_step(data, state, pt, lp, lp_cons, rtol, denom)
        else:
            _grow_band(data, state, pt)
    n_rounds = len(state.history)
    return state.result("max_rounds", n_rounds, state.best_x, state.lower, state.upper, state.gap,
                        cvar=state.best[0], mean=state.best[1])


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
