"""Checking a continuous decision after the solve.

The checks: a local probe, agreement of starts, a statistical optimality gap
(see :class:`~decide.optimization.Verification`).

The probe and the derivative-free polish share :func:`probe_points`: the polish
walks to the best probe point until none is better, so the probe checks exactly
what the polish promised; any other solver is checked on the same moves.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import numpy as np

from decide._config import (
    FEASIBILITY_RTOL,
    GAP_BATCHES,
    GAP_RTOL,
    PROBE_RTOL,
    PROBE_STEPS,
    STARTS_RTOL,
)
from decide.errors import DecideError, DecideValueError
from decide.measures import Objective
from decide.optimization._decision import Diagnostics, Verification
from decide.optimization._polyhedron import LinearSystem, _fmt

if TYPE_CHECKING:
    from decide.optimization._problem import Problem

__all__ = ["Guard", "objective_scale", "pattern_polish", "probe_points", "verify_continuous"]

#: Resolve a (sub-)problem from a start point: ``(problem, x0) -> x``.
Resolver = Callable[["Problem", np.ndarray], np.ndarray]


class Guard:
    """Wrap a function minimized by scipy's differential evolution.

    Differential evolution turns any exception into a bare ``RuntimeError``: here
    the first :class:`~decide.errors.DecideError` (or a non-finite score) is kept,
    the search sees ``inf``, and :meth:`reraise` raises it after.
    """

    def __init__(self, fun: Callable[[np.ndarray], float]):
        self.fun = fun
        self.error: DecideError | None = None

    def __call__(self, z: np.ndarray) -> float:
        if self.error is not None:
            return np.inf
        try:
            v = float(self.fun(z))
        except DecideError as exc:
            self.error = exc
            return np.inf
        if not np.isfinite(v):
            self.error = DecideValueError(
                f"the objective is not finite (score {-v!r}) at an action of the space: e.g. a "
                "ratio such as Sharpe of draws with zero spread. Use an objective defined on "
                "every action of the space (Mean, CVaR, MeanVariance), or bound the space away "
                "from those actions."
            )
            return np.inf
        return v

    def reraise(self) -> None:
        if self.error is not None:
            raise self.error


def objective_scale(value: float, draws: np.ndarray) -> float:
    """``|value| + sd(draws)``: the magnitude tolerances of the checks are relative to."""
    d = np.asarray(draws, dtype=np.float64).reshape(-1)
    sd = float(np.std(d)) if d.size > 1 else 0.0
    s = abs(float(value)) + (sd if np.isfinite(sd) else 0.0)
    return s if s > 0 else 1.0


def _directions(system: LinearSystem) -> np.ndarray:
    """Probe directions: the coordinates, projected onto the equality constraints' null space.

    A direction that moves only elements fixed by their bounds (``lb == ub``) is
    left out: every step along it leaves the space and its clip is the point itself.
    """
    n = system.n
    eye = np.eye(n)
    fixed = system.lb == system.ub
    if system.A_eq.shape[0] == 0:
        return eye[~fixed]
    A = system.A_eq
    proj = eye - A.T @ np.linalg.pinv(A @ A.T) @ A
    dirs = proj.T
    norms = np.linalg.norm(dirs, axis=1)
    keep = (norms > 1e-9) & np.any((dirs != 0.0) & ~fixed, axis=1)
    unit = dirs[keep] / norms[keep, None]
    # both signs are probed: drop a direction parallel to an earlier one
    near = np.abs(unit @ unit.T) >= 1 - 1e-9
    out: list[int] = []
    for i in range(unit.shape[0]):
        if not near[i, out].any():
            out.append(i)
    return unit[out].reshape(-1, n)


def _widths(system: LinearSystem) -> np.ndarray:
    lb, ub = system.lb, system.ub
    w = np.where(np.isfinite(lb) & np.isfinite(ub), ub - lb, np.nan)
    fin = w[np.isfinite(w) & (w > 0)]
    fill = float(np.median(fin)) if fin.size else max(1.0, float(np.max(np.abs(
        np.concatenate([lb[np.isfinite(lb)], ub[np.isfinite(ub)], [1.0]])))))
    return np.where(np.isfinite(w) & (w > 0), w, fill)


def _project(system: LinearSystem, y: np.ndarray) -> np.ndarray | None:
    """A feasible point near ``y``: ``y`` itself, its clip to the box, or its L1 projection."""
    if system.feasible(y, FEASIBILITY_RTOL):
        return y
    z = np.clip(y, system.lb, system.ub)
    if system.feasible(z, FEASIBILITY_RTOL):
        return z
    if system.A_ub.shape[0] == 0 and system.A_eq.shape[0] == 0:
        return None
    return system.project_l1(y)


def probe_points(system: LinearSystem, x: np.ndarray, steps: tuple[float, ...] = PROBE_STEPS) -> list[np.ndarray]:
    """Feasible points a small step from ``x`` along each probe direction, both signs.

    The step along direction ``d`` is ``r * (|d| . width)`` for each ``r`` in
    ``steps``, where ``width`` is the space's width per coordinate; a point outside
    the space is brought back by clipping or an L1 projection. Points equal to
    ``x`` are dropped.
    """
    width = _widths(system)
    out: list[np.ndarray] = []
    tiny = 1e-12 * (1.0 + float(np.max(np.abs(x))))
    for d in _directions(system):
        span = float(np.abs(d) @ width)
        for r in steps:
            for sign in (1.0, -1.0):
                y = _project(system, x + sign * r * span * d)
                if y is not None and float(np.max(np.abs(y - x))) > tiny:
                    out.append(y)
    return out


def pattern_polish(
    prob: Problem, x: np.ndarray, value: float, tol: float, max_rounds: int = 200
) -> tuple[np.ndarray, float, int]:
    """Move to the best probe point while it beats the current score by more than ``tol``.

    Returns
    -------
    x, value, rounds
    """
    assert prob.system is not None
    rounds = 0
    while rounds < max_rounds:
        best_v, best_y = value, None
        for y in probe_points(prob.system, x):
            v = prob.value(y)
            if v > best_v + tol and prob.outcome_feasible(y):
                best_v, best_y = v, y
        if best_y is None:
            break
        x, value = best_y, best_v
        rounds += 1
    return x, value, rounds


def _probe(prob: Problem, x: np.ndarray, value: float, tol: float) -> tuple[bool, dict[str, Any]]:
    assert prob.system is not None
    best_gain, best_y, n = 0.0, None, 0
    for y in probe_points(prob.system, x):
        n += 1
        gain = prob.value(y) - value
        if gain > best_gain and prob.outcome_feasible(y):  # better only if it keeps subject_to
            best_gain, best_y = gain, y
    ok = best_gain <= tol
    det: dict[str, Any] = {"probe_points": n, "probe_best_gain": best_gain, "probe_tolerance": tol}
    if best_y is not None:
        det["probe_best_point"] = best_y
    return ok, det


def _starts(diag: Diagnostics, value: float, tol: float) -> tuple[bool, dict[str, Any]] | None:
    vals = [
        float(s["value"]) for s in diag.starts
        if s.get("x") is not None and s.get("feasible", True) and np.isfinite(s.get("value", np.nan))
    ]
    if len(vals) < 2:
        return None
    best = max(max(vals), value)
    agree = sum(v >= best - tol for v in vals)
    return agree >= 2, {"start_values": vals, "starts_at_best": agree, "starts_tolerance": tol}


def _gap(
    prob: Problem, x: np.ndarray, value: float, scale: float, resolve: Resolver,
    rng: np.random.Generator,
) -> tuple[bool, dict[str, Any]] | None:
    """Mak-Morton-Wood gap of ``x`` on ``GAP_BATCHES`` disjoint batches of the samples."""
    from scipy import stats

    from decide.optimization._problem import Problem

    n = prob.outcome.n_samples
    k = GAP_BATCHES
    if n < 8 * k:
        return None
    perm = rng.permutation(n)
    gaps, at_x, sols = [], [], []
    for b in range(k):
        idx = np.sort(perm[b::k])
        try:
            sub_outcome = prob.outcome.subset(idx)
        except NotImplementedError:
            return None
        w = None if prob.weights is None else np.asarray(prob.weights)[idx]
        sub = Problem(
            sub_outcome, prob.objective, prob.space, prob.system, w,
            constraints=prob.constraints, chance=prob.chance, score=prob.score,
        )
        v_hat = sub.value(x)
        xb = resolve(sub, x)
        vb = sub.value(xb)
        prob.evaluations += sub.evaluations
        gaps.append(max(vb - v_hat, 0.0))
        at_x.append(v_hat)
        sols.append(xb)
    g = np.asarray(gaps)
    mean, sd = float(g.mean()), float(g.std(ddof=1))
    half = float(stats.t.ppf(0.95, k - 1)) * sd / np.sqrt(k)
    se_value = float(np.std(at_x, ddof=1)) / np.sqrt(k)
    tol = max(GAP_RTOL * scale, se_value)
    upper = mean + half
    det = {
        "gap": mean, "gap_upper_95": upper, "gap_tolerance": tol, "gap_batches": k,
        "batch_gaps": gaps, "batch_solutions": np.asarray(sols), "score_se": se_value,
    }
    return upper <= tol, det


def verify_continuous(
    prob: Problem,
    x: np.ndarray,
    value: float,
    draws: np.ndarray,
    diag: Diagnostics,
    resolve: Resolver | None = None,
) -> Verification:
    """Probe around ``x``, compare the starts, and (with ``resolve``) estimate the gap."""
    scale = objective_scale(value, draws)
    checks: dict[str, bool] = {}
    details: dict[str, Any] = {"scale": scale}
    advice: list[str] = []
    before = prob.evaluations
    ok, det = _probe(prob, x, value, PROBE_RTOL * scale)
    checks["local_probe"], details = ok, {**details, **det}
    if not ok:
        advice.append(
            f"a feasible point near the action ({_fmt(det['probe_best_point'])}) scores "
            f"{det['probe_best_gain']:.3g} better: the solver stalled or the objective is "
            "not smooth. Try method='derivative-free' (or declare the outcome's "
            "smoothness='nonsmooth'), a Discrete grid of actions, or more starts"
        )
    st = _starts(diag, value, STARTS_RTOL * scale)
    convex = (
        isinstance(prob.objective, Objective)
        and prob.outcome.affine_form() is not None
        and "concave" in {str(p) for p in prob.objective.properties}
    )
    if st is not None and not st[0] and not convex:
        # several local optima are expected off the convex case: record, do not fail
        details = {**details, **st[1], "starts_note": "the starts reached different optima"}
        st = None
    if st is not None:
        checks["starts"], details = st[0], {**details, **st[1]}
        if not st[0]:
            advice.append(
                "only one start reached the best score: the objective has several local "
                "optima; use more starts (n_starts=...), method='scipy-global' or "
                "'derivative-free', or a Discrete grid"
            )
    if resolve is not None:
        gp = _gap(prob, x, value, scale, resolve, np.random.default_rng(0))
        if gp is not None:
            checks["optimality_gap"], details = gp[0], {**details, **gp[1]}
            if not gp[0]:
                advice.append(
                    f"the statistical optimality gap is up to {gp[1]['gap_upper_95']:.3g} "
                    f"(tolerance {gp[1]['gap_tolerance']:.3g}): the answer depends on the "
                    "draws; use more draws or replicates (n_replicates=...) or a Discrete "
                    "grid"
                )
    details["evaluations"] = prob.evaluations - before
    return Verification(all(checks.values()), checks, details, "; ".join(advice))
