"""Drivers of the exact CVaR solver (private; see ``_solve``): warm starts and the floor search.

* :func:`warm_point` - a subsample solve (recursively smaller) whose optimum ranks
  the scenarios and whose step between levels sizes the first trust region.
* :func:`solve_plain` - band-and-fold rounds (``_core.solve_core``) from a
  warm state or from :func:`warm_point`.
* :func:`floor_search` - ``max wm mean + wc CVaR  s.t.  CVaR >= floor`` as a short
  sequence of floor-free solves (the Lagrangian in the CVaR weight).

Conventions: outcomes are rewards (higher is better), risk is the lower tail,
``alpha`` is the tail probability, scenarios are rows (sample axis first).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

import numpy as np

from decide.optimization._polyhedron import LinearSystem
from decide.optimization.cvar_lp._core import CoreResult, cvar_exact, solve_core

__all__ = ["CVaRLPWarm", "band_target", "floor_search", "meets", "solve_plain", "warm_point"]

#: Smallest number of scenarios solved as one full LP (no subsample warm start).
_BASE_MIN = 2000
#: Tail draws a subsample must keep for its solution to rank the full set well.
_BASE_TAIL = 20
#: Subsample shrink factor between warm-start levels.
_SHRINK = 10
#: Band size after a warm start: ``_BAND_SCALE * sqrt(S) * (1 + 4 alpha)`` scenarios.
_BAND_SCALE = 6.0
#: Relative gap of the subsample solves (they only rank scenarios).
_WARM_RTOL = 1e-6
#: Relative tolerance of ``CVaR >= cvar_floor`` for a candidate action.
_FLOOR_TOL = 1e-9


@dataclass(frozen=True)
class CVaRLPWarm:
    """State reusable as ``warm_start=`` by the next :func:`~decide.optimization.solve_cvar_lp` call.

    Attributes
    ----------
    x : ndarray of shape (n,)
        Last action; the next solve ranks the scenarios at this point.
    n_scenarios : int
        Number of scenarios of the solve that produced it.
    band_target : int
        Band half-width (in scenarios) that the solve ended with.
    radius : float
        Largest coordinate change from the start of that solve to its optimum;
        the next solve starts a trust region of this radius around ``x``
        (``inf``: none).
    """

    x: np.ndarray
    n_scenarios: int
    band_target: int
    radius: float = math.inf


def band_target(S: int, n: int, alpha: float) -> int:
    """Scenarios kept free around the VaR after a warm start: ``6 sqrt(S) (1 + 4 alpha) + 2n + 50``."""
    return math.ceil(_BAND_SCALE * math.sqrt(S) * (1.0 + 4.0 * alpha)) + 2 * n + 50


def warm_point(
    R: np.ndarray, b: np.ndarray, alpha: float, wm: float, wc: float, floor: float | None,
    cons: LinearSystem, rng: np.random.Generator,
) -> tuple[np.ndarray | None, float]:
    """Solve on a random subsample (recursively) to rank the scenarios.

    Returns the subsample optimum (None when ``S`` is too small for a subsample
    to pay) and a trust-region radius for the next level: the largest coordinate
    change between the last two levels (``inf`` with a single level).
    """
    S = R.shape[0]
    base = max(_BASE_MIN, math.ceil(_BASE_TAIL / alpha))
    m = max(base, S // _SHRINK)
    if 3 * m > S:
        return None, math.inf
    idx = np.sort(rng.choice(S, size=m, replace=False))
    Rs, bs = R[idx], b[idx]
    x_prev, radius = warm_point(Rs, bs, alpha, wm, wc, floor, cons, rng)
    core = solve_core(Rs, bs, alpha, wm, wc, floor, cons, _WARM_RTOL, x_prev,
                      band_target(m, cons.n, alpha), 50, radius)
    if core.x is None:
        return None, math.inf
    step = math.inf if x_prev is None else float(np.max(np.abs(core.x - x_prev)))
    return core.x, step if step > 0 else math.inf


def solve_plain(
    R: np.ndarray, b: np.ndarray, alpha: float, wm: float, wc: float, floor: float | None,
    cons: LinearSystem, tol: float, warm: CVaRLPWarm | None, max_rounds: int,
) -> tuple[CoreResult, np.ndarray | None]:
    """Band-and-fold from a warm state or from a subsample solve; returns the start too."""
    S, n = R.shape
    if warm is not None:
        x0: np.ndarray | None = warm.x
        radius = warm.radius
        w = max(warm.band_target, band_target(S, n, alpha))
    else:
        rng = np.random.default_rng(20261130)
        x0, radius = warm_point(R, b, alpha, wm, wc, floor, cons, rng)
        w = band_target(S, n, alpha)
    return solve_core(R, b, alpha, wm, wc, floor, cons, tol, x0, w, max_rounds, radius), x0


def meets(cvar: float, floor: float, core: CoreResult) -> bool:
    """``cvar >= floor`` up to the feasibility tolerance of the solver."""
    return cvar >= floor - _FLOOR_TOL * max(abs(floor), abs(core.value), abs(core.mean), 1e-300)


def floor_search(
    R: np.ndarray, b: np.ndarray, alpha: float, wm: float, wc: float, floor: float,
    cons: LinearSystem, tol: float, warm: CVaRLPWarm | None, max_rounds: int,
) -> tuple[CoreResult | None, np.ndarray | None]:
    """``max wm mean + wc CVaR  s.t.  CVaR >= floor`` through its Lagrangian in the CVaR weight.

    For ``s >= wc``, ``phi(s) = max_x wm mean(y) + s CVaR(y) - (s - wc) floor`` bounds
    the optimum from above (weak duality), and each ``phi(s)`` is a floor-free
    solve. Keep two solutions, ``lo`` (CVaR below the floor, higher mean) and
    ``hi`` (CVaR at or above it); the next weight is where their Lagrangian lines
    cross, ``s = wm (mean_lo - mean_hi) / (cvar_hi - cvar_lo)``. The mix of ``lo``
    and ``hi`` whose interpolated CVaR is exactly the floor is feasible (CVaR is
    concave) and gives the lower bound; at the crossing weight of two optimal
    solutions the mix is optimal and the bounds meet. Returns ``(None, None)``
    when a Lagrangian solve is unbounded (the caller then solves the floor LP
    directly), and status ``"infeasible"`` when even the largest CVaR misses the
    floor (the caller raises InfeasibleError with that CVaR).
    """
    lo, x0 = solve_plain(R, b, alpha, wm, wc, None, cons, tol, warm, max_rounds)
    if lo.status == "unbounded" or lo.x is None:
        return None, None
    rounds, cuts = lo.rounds, lo.n_cuts
    if meets(lo.cvar, floor, lo):  # the floor does not bind: the free optimum is the answer
        return dataclasses.replace(lo, floor_price=0.0), x0
    hi, _ = solve_plain(R, b, alpha, 0.0, 1.0, None, cons, tol, None, max_rounds)
    if hi.status == "unbounded" or hi.x is None:
        return None, None
    rounds, cuts = rounds + hi.rounds, cuts + hi.n_cuts
    if not meets(hi.cvar, floor, hi):
        return CoreResult("infeasible", None, math.nan, -math.inf, math.inf, math.inf, rounds,
                          hi.band_size, cuts, hi.band_target), x0
    upper = lo.upper  # phi(wc): the floor-free optimum bounds the constrained one
    assert lo.x is not None and hi.x is not None
    pts = {"lo": _Point.at(R, b, alpha, lo.x), "hi": _Point.at(R, b, alpha, hi.x)}
    best = pts["hi"]
    gap, state = math.inf, lo
    steps: list[np.ndarray] = []
    for _ in range(max_rounds):
        p_lo, p_hi = pts["lo"], pts["hi"]
        # the mix whose interpolated CVaR is the floor: feasible (CVaR is concave)
        theta = min(max((p_hi.cvar - floor) / (p_hi.cvar - p_lo.cvar), 0.0), 1.0)
        mix = _Point.at(R, b, alpha, theta * p_lo.x + (1.0 - theta) * p_hi.x)
        for cand in (mix, p_hi):
            feasible = cand.cvar >= floor - _FLOOR_TOL * max(abs(floor), cand.ymag)
            if feasible and cand.value(wm, wc) > best.value(wm, wc):
                best = cand
        lower = best.value(wm, wc)
        gap = (upper - lower) / max(abs(lower), abs(upper), best.ymag, 1e-300)
        if gap <= tol:
            break
        # the weight where the Lagrangian lines of lo and hi cross (>= wc since lo is optimal at wc)
        weight = max(wm * (p_lo.mean - p_hi.mean) / (p_hi.cvar - p_lo.cvar), wc)
        # the first two crossings lie far from the extremes: start them from a subsample
        # solve; later ones start at the last crossing, in a region as wide as its last step
        start = None
        if len(steps) >= 2:
            start = CVaRLPWarm(x=steps[-1].copy(), n_scenarios=R.shape[0], band_target=state.band_target,
                               radius=float(np.max(np.abs(steps[-1] - steps[-2]))) or math.inf)
        new, _ = solve_plain(R, b, alpha, wm, weight, None, cons, tol, start, max_rounds)
        if new.status == "unbounded" or new.x is None:
            return None, None
        rounds, cuts, state = rounds + new.rounds, cuts + new.n_cuts, new
        steps.append(new.x)
        upper = min(upper, new.upper - (weight - wc) * floor)
        point = _Point.at(R, b, alpha, new.x)
        pts["hi" if point.cvar >= floor else "lo"] = point
    status = "optimal" if gap <= tol else "max_rounds"
    value = best.value(wm, wc)
    # the optimum mixes lo and hi along the floor: there the optimal value moves with the floor
    # at the slope of the segment, -(s - wc) for the crossing weight s of lo and hi
    p_lo, p_hi = pts["lo"], pts["hi"]
    price = math.nan
    if status == "optimal" and p_hi.cvar > p_lo.cvar:
        price = max(wm * (p_lo.mean - p_hi.mean) / (p_hi.cvar - p_lo.cvar) - wc, 0.0)
    core = CoreResult(status, best.x, value, value, max(upper, value), max(gap, 0.0), rounds,
                      state.band_size, cuts, state.band_target, cvar=best.cvar, mean=best.mean,
                      floor_price=price)
    return core, x0


@dataclass(frozen=True)
class _Point:
    """An action with its exact mean and CVaR (and the magnitude of its outcomes)."""

    x: np.ndarray
    mean: float
    cvar: float
    ymag: float

    @classmethod
    def at(cls, R: np.ndarray, b: np.ndarray, alpha: float, x: np.ndarray) -> _Point:
        y = R @ x + b
        return cls(x, float(np.mean(y)), cvar_exact(y, alpha)[0], float(np.mean(np.abs(y))))

    def value(self, wm: float, wc: float) -> float:
        return wm * self.mean + wc * self.cvar
