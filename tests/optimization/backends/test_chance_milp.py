"""Exact chance constraints (method="highs"): against scipy.optimize.milp written here.

The reference is the plain big-M program with the big-M of each draw computed from the
box in the test, solved by ``scipy.optimize.milp``; decide's program adds a tighter
big-M, preprocessing and a warm start, and must reach the same optimum.
"""

from __future__ import annotations

import math
import time
import warnings

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from decide.errors import ConvergenceWarning, InfeasibleError
from decide.measures import ActionCost, Mean, ProbabilityOfShortfall, VaR
from decide.optimization import Box, Budget, optimize
from decide.optimization.backends._chance_milp import quantile_bounds
from decide.outcomes import linear


def _milp_min_cost(B: np.ndarray, t: float, k: int, ub: float, mean_floor: float | None = None) -> float | None:
    """min sum(x) s.t. at most k draws of B x below t, 0 <= x <= ub (big-M from the box)."""
    S, n = B.shape
    M = t - np.minimum(B, 0.0).sum(axis=1) * ub  # smallest draw over the box
    rows = np.hstack([B, np.diag(np.maximum(M, 0.0))])  # B_i x + M_i z_i >= t
    cons = [LinearConstraint(rows, t, np.inf),
            LinearConstraint(np.concatenate([np.zeros(n), np.ones(S)])[None, :], -np.inf, k)]
    if mean_floor is not None:
        cons.append(LinearConstraint(np.concatenate([B.mean(axis=0), np.zeros(S)])[None, :],
                                     mean_floor, np.inf))
    res = milp(np.concatenate([np.ones(n), np.zeros(S)]),
               integrality=np.concatenate([np.zeros(n), np.ones(S)]),
               bounds=Bounds(np.zeros(n + S), np.concatenate([np.full(n, ub), np.ones(S)])),
               constraints=cons, options={"mip_rel_gap": 1e-10})
    return None if res.status == 2 else float(res.fun)


def _milp_max_mean_simplex(R: np.ndarray, t: float, k: int) -> float | None:
    """max mean(R x) s.t. at most k draws of R x below t, x in the simplex."""
    S, n = R.shape
    M = t - R.min(axis=1)  # the smallest draw over the simplex is at a vertex
    rows = np.hstack([R, np.diag(np.maximum(M, 0.0))])
    cons = [LinearConstraint(rows, t, np.inf),
            LinearConstraint(np.concatenate([np.zeros(n), np.ones(S)])[None, :], -np.inf, k),
            LinearConstraint(np.concatenate([np.ones(n), np.zeros(S)])[None, :], 1.0, 1.0)]
    res = milp(np.concatenate([-R.mean(axis=0), np.zeros(S)]),
               integrality=np.concatenate([np.zeros(n), np.ones(S)]),
               bounds=Bounds(np.zeros(n + S), np.concatenate([np.full(n, np.inf), np.ones(S)])),
               constraints=cons, options={"mip_rel_gap": 1e-10})
    return None if res.status == 2 else -float(res.fun)


@pytest.mark.parametrize("seed", range(6))
def test_min_cost_with_a_chance_constraint_matches_milp(seed):
    # mixed-sign effects, so the big-M, the quantile bound and the forced draws all matter
    rng = np.random.default_rng(seed)
    S, n, alpha = 60, 3, 0.2
    B = rng.normal([1.0, 2.0, 1.5], [0.8, 1.5, 0.5], size=(S, n))
    t = 5.0
    k = math.ceil(alpha * S) - 1
    want = _milp_min_cost(B, t, k, 10.0)
    if want is None:
        with pytest.raises(InfeasibleError):
            optimize(linear(B), ActionCost(1.0), Box(0.0, 10.0), subject_to=[VaR(alpha) >= t])
        return
    d = optimize(linear(B), ActionCost(1.0), Box(0.0, 10.0), subject_to=[VaR(alpha) >= t],
                 chance="exact")
    assert d.converged and d.method == "highs"
    assert -d.value == pytest.approx(want, abs=1e-7 * max(1.0, abs(want)))
    assert np.sum(d.draws < t - 1e-7) <= k  # feasible on the draws
    cert = d.diagnostics.certificate
    assert cert is not None and cert["gap"] <= 1e-6


@pytest.mark.parametrize("seed", range(4))
def test_probability_of_shortfall_cap_matches_milp(seed):
    rng = np.random.default_rng(100 + seed)
    S, n, p = 50, 2, 0.1
    B = np.abs(rng.normal([1.0, 2.0], [0.5, 0.9], size=(S, n)))
    t = 8.0
    k = math.floor(p * S + 1e-9)
    want = _milp_min_cost(B, t, k, 20.0)
    d = optimize(linear(B), ActionCost(1.0), Box(0.0, 20.0),
                 subject_to=[ProbabilityOfShortfall(t) <= p], chance="exact")
    assert -d.value == pytest.approx(want, abs=1e-7 * max(1.0, abs(want)))
    assert np.mean(d.draws < t - 1e-7) <= p


@pytest.mark.parametrize("seed", range(4))
def test_polyhedron_big_m_from_lps_matches_milp(seed):
    # over the simplex the box big-M is loose; the per-draw LP bound is the vertex minimum
    R = np.random.default_rng(200 + seed).normal(0.05, 0.2, size=(40, 4))
    t = float(np.quantile(R, 0.2))
    k = math.ceil(0.1 * 40) - 1
    want = _milp_max_mean_simplex(R, t, k)
    if want is None:
        return
    d = optimize(linear(R), Mean(), Budget(1.0), subject_to=[VaR(0.1) >= t], chance="exact")
    assert d.converged
    assert d.value == pytest.approx(want, abs=1e-7 * max(1.0, abs(want)))
    assert np.sum(d.draws < t - 1e-7) <= k


def test_quantile_bound_is_valid_at_every_feasible_action():
    # brute force: sample actions in the box, keep those with at most k draws below t;
    # at each, every draw is at least its quantile bound
    rng = np.random.default_rng(7)
    S, n, t, k = 30, 3, 4.0, 3
    B = rng.normal([1.0, 1.5, 0.5], [0.6, 0.8, 1.0], size=(S, n))
    b = rng.normal(0.0, 0.3, size=S)
    lb, ub = np.zeros(n), np.full(n, 6.0)
    q = quantile_bounds(B, b, t, k, lb, ub, np.arange(S))
    assert q is not None
    X = rng.uniform(lb, ub, size=(20_000, n))
    Y = X @ B.T + b  # (points, S)
    ok = np.sum(Y < t, axis=1) <= k
    assert ok.sum() > 100
    assert np.all(Y[ok] >= q[None, :] - 1e-9)
    # and it is no weaker than the plain box bound somewhere
    box_lo = b + np.where(B > 0, B * lb, B * ub).sum(axis=1)
    assert np.any(q > box_lo + 1e-6)


def test_time_limit_is_honoured_and_an_incumbent_is_returned():
    rng = np.random.default_rng(9)
    S, n = 4000, 10
    B = np.abs(rng.uniform(1.0, 3.0, size=n) * (1.0 + 0.3 * rng.standard_normal((S, n))))
    t0 = time.perf_counter()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        d = optimize(linear(B), ActionCost(1.0), Box(0.0, 100.0), subject_to=[VaR(0.1) >= 100.0],
                     chance="exact", time_limit=2.0)
    wall = time.perf_counter() - t0
    assert wall < 2.0 + 3.0  # the limit, plus set-up and the checks after the solve
    assert np.mean(d.draws < 100.0 - 1e-7) < 0.1  # the incumbent meets the constraint
    cert = d.diagnostics.certificate
    assert cert is not None and cert["upper_bound"] >= d.value - 1e-9
    if not d.converged:
        assert any("NOT certified" in note for note in d.diagnostics.notes)
        assert any(issubclass(w.category, ConvergenceWarning) for w in caught)
        assert cert["gap"] > 0


def _milp_reversed(R: np.ndarray, level: float, m: int) -> float | None:
    """max mean(R x) s.t. at least m draws of R x at or below level, x in the simplex."""
    S, n = R.shape
    M = R.max(axis=1) - level  # the largest draw over the simplex is at a vertex
    rows = np.hstack([R, np.diag(np.maximum(M, 0.0))])  # R_i x + M_i w_i <= level + M_i
    cons = [LinearConstraint(rows, -np.inf, level + np.maximum(M, 0.0)),
            LinearConstraint(np.concatenate([np.zeros(n), np.ones(S)])[None, :], m, np.inf),
            LinearConstraint(np.concatenate([np.ones(n), np.zeros(S)])[None, :], 1.0, 1.0)]
    res = milp(np.concatenate([-R.mean(axis=0), np.zeros(S)]),
               integrality=np.concatenate([np.zeros(n), np.ones(S)]),
               bounds=Bounds(np.zeros(n + S), np.concatenate([np.full(n, np.inf), np.ones(S)])),
               constraints=cons, options={"mip_rel_gap": 1e-10})
    return None if res.status == 2 else -float(res.fun)


@pytest.mark.parametrize("seed", range(4))
def test_reversed_chance_constraints_match_milp(seed):
    # VaR(alpha) <= t: at least ceil(alpha S) draws at or below t (the lower quantile is at
    # most t); ProbabilityOfShortfall(t) >= p: at least ceil(p S) draws strictly below t
    R = np.random.default_rng(300 + seed).normal([0.08, 0.05, 0.02], [0.3, 0.15, 0.02], size=(40, 3))
    t = -0.05
    for c, m in ((VaR(0.25) <= t, 10), (ProbabilityOfShortfall(t) >= 0.2, 8)):
        want = _milp_reversed(R, t, m)
        if want is None:
            with pytest.raises(InfeasibleError):
                optimize(linear(R), Mean(), Budget(1.0), subject_to=[c])
            continue
        d = optimize(linear(R), Mean(), Budget(1.0), subject_to=[c])
        assert d.method == "highs" and d.converged
        assert d.value == pytest.approx(want, abs=1e-7)
        assert np.sum(d.draws <= t if c.sense == "<=" else d.draws < t) >= m
        assert d.constraints["satisfied"].all()


def test_without_time_for_the_milp_the_warm_start_is_the_answer(monkeypatch):
    # when the time left cannot cover HiGHS's set-up the MILP is skipped: the answer is the
    # feasible warm start, reported not certified, never a SolverError
    from decide.optimization.backends import _highs

    monkeypatch.setattr(_highs, "_SETUP_SECONDS_PER_BINARY", 1e6)
    rng = np.random.default_rng(11)
    B = np.abs(rng.normal([1.0, 2.0, 1.5], [0.5, 0.8, 0.3], size=(80, 3)))
    with pytest.warns(ConvergenceWarning, match="not converge"):
        d = optimize(linear(B), ActionCost(1.0), Box(0.0, 50.0), subject_to=[VaR(0.1) >= 10.0],
                     chance="exact", time_limit=5.0)
    assert not d.converged
    assert any("MILP was not run" in note for note in d.diagnostics.notes)
    assert np.sum(d.draws < 10.0 - 1e-7) <= math.ceil(0.1 * 80) - 1
    want = _milp_min_cost(B, 10.0, math.ceil(0.1 * 80) - 1, 50.0)
    assert want is not None and -d.value >= want - 1e-7  # feasible, so no cheaper than the optimum
