"""Shadow prices in Decision.constraints: the gain of the optimal value per unit of relaxation.

Expected values are independent of decide: a closed form (KKT of a smooth problem), or
finite differences of optimal values computed here by scipy's linprog / milp with the
bound moved.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, linprog, milp

from decide.measures import ActionCost, CVaR, Mean, VaR
from decide.optimization import Box, Budget, optimize
from decide.outcomes import from_function, linear


def _log_outcome(r: np.ndarray):
    """y_s(a) = sum_j r_sj log(1 + a_j), with its Jacobian."""
    return from_function(lambda a, p: p["r"] @ np.log1p(a),
                         {"r": r}, action_shape=r.shape[1],
                         jac=lambda a, p: p["r"] / (1.0 + a))


@pytest.mark.parametrize("local_method", ["SLSQP", "trust-constr"])
@pytest.mark.parametrize("seed", [0, 1])
def test_scipy_multiplier_matches_the_closed_form(local_method, seed):
    # max mean_s y_s - 2 sum(a) s.t. mean_s y_s >= T: with m_j = mean_s r_sj the KKT
    # conditions give (1 + mu) m_j / (1 + a_j) = 2, so a_j = (1 + mu) m_j / 2 - 1 and
    # sum_j m_j log((1 + mu) m_j / 2) = T; the price of the floor is mu
    rng = np.random.default_rng(seed)
    r = np.abs(rng.normal([2.0, 3.0, 4.0], 0.5, size=(200, 3)))
    m = r.mean(axis=0)
    T = 12.0
    mu = math.exp((T - float(m @ np.log(m / 2.0))) / m.sum()) - 1.0
    a_star = (1.0 + mu) * m / 2.0 - 1.0
    assert mu > 0 and np.all(a_star > 0)  # the floor binds; every a_j is interior
    d = optimize(_log_outcome(r), Mean() + ActionCost(2.0), Box(0.0, 100.0),
                 subject_to=[Mean() >= T], method="scipy", local_method=local_method)
    assert d.converged
    np.testing.assert_allclose(d.flat_action, a_star, rtol=1e-4)
    price = d.constraints["shadow_price"].iloc[0]
    assert price == pytest.approx(mu, rel=1e-3 if local_method == "trust-constr" else 1e-5)


def _direct_floor(R: np.ndarray, alpha: float, floor: float) -> float:
    """max mean(R x) s.t. CVaR_alpha(R x) >= floor over the simplex (variables x, eta, u)."""
    S, n = R.shape
    c = np.concatenate([-R.mean(axis=0), [0.0], np.zeros(S)])
    A1 = np.hstack([-R, np.ones((S, 1)), -np.eye(S)])
    A2 = np.concatenate([np.zeros(n), [-1.0], np.full(S, 1.0 / (alpha * S))])[None, :]
    res = linprog(c, A_ub=np.vstack([A1, A2]), b_ub=np.concatenate([np.zeros(S), [-floor]]),
                  A_eq=np.concatenate([np.ones(n), [0.0], np.zeros(S)])[None, :], b_eq=[1.0],
                  bounds=[(0, None)] * n + [(None, None)] + [(0, None)] * S, method="highs")
    assert res.status == 0
    return -float(res.fun)


@pytest.mark.parametrize("seed", [3, 4, 5])
def test_cvar_lp_floor_price_matches_finite_differences(seed):
    R = np.random.default_rng(seed).normal([0.08, 0.05, 0.03], [0.3, 0.15, 0.05], size=(400, 3))
    alpha = 0.05
    best_cvar = optimize(linear(R), CVaR(alpha), Budget(1.0), method="cvxpy").value
    mean_only = optimize(linear(R), Mean(), Budget(1.0))
    floor = 0.5 * (best_cvar + CVaR(alpha)(mean_only.draws))  # binding, feasible
    h = 1e-6
    fd = (_direct_floor(R, alpha, floor - h) - _direct_floor(R, alpha, floor)) / h
    d = optimize(linear(R), Mean(), Budget(1.0), subject_to=[CVaR(alpha) >= floor], method="cvar-lp")
    assert d.converged
    assert d.constraints["shadow_price"].iloc[0] == pytest.approx(fd, rel=1e-4)


def _direct_min_cost(B: np.ndarray, t: float, k: int, ub: float, mean_floor: float) -> float:
    """min sum(x) s.t. at most k draws of B x below t, mean(B x) >= mean_floor, 0 <= x <= ub."""
    S, n = B.shape
    M = t - np.minimum(B, 0.0).sum(axis=1) * ub
    cons = [LinearConstraint(np.hstack([B, np.diag(np.maximum(M, 0.0))]), t, np.inf),
            LinearConstraint(np.concatenate([np.zeros(n), np.ones(S)])[None, :], -np.inf, k),
            LinearConstraint(np.concatenate([B.mean(axis=0), np.zeros(S)])[None, :], mean_floor, np.inf)]
    res = milp(np.concatenate([np.ones(n), np.zeros(S)]),
               integrality=np.concatenate([np.zeros(n), np.ones(S)]),
               bounds=Bounds(np.zeros(n + S), np.concatenate([np.full(n, ub), np.ones(S)])),
               constraints=cons, options={"mip_rel_gap": 1e-12})
    assert res.status == 0
    return float(res.fun)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_milp_prices_with_the_binaries_fixed_match_finite_differences(seed):
    rng = np.random.default_rng(seed)
    S, n, alpha, t = 40, 3, 0.1, 10.0
    B = np.abs(rng.normal([1.0, 2.0, 1.5], [0.5, 0.8, 0.3], size=(S, n)))
    k = math.ceil(alpha * S) - 1
    free = optimize(linear(B), ActionCost(1.0), Box(0.0, 50.0), subject_to=[VaR(alpha) >= t])
    m = 1.1 * float(np.mean(free.draws))  # a mean floor that binds
    d = optimize(linear(B), ActionCost(1.0), Box(0.0, 50.0),
                 subject_to=[VaR(alpha) >= t, Mean() >= m], chance="exact")
    assert d.converged
    base = _direct_min_cost(B, t, k, 50.0, m)
    assert -d.value == pytest.approx(base, rel=1e-7)
    h = 1e-6
    # relaxing a bound by h lowers the cheapest cost: the price is the score (-cost) gained
    fd_mean = (base - _direct_min_cost(B, t, k, 50.0, m - h)) / h
    fd_var = (base - _direct_min_cost(B, t - h, k, 50.0, m)) / h
    prices = d.constraints["shadow_price"].to_numpy()
    assert prices[1] == pytest.approx(fd_mean, rel=1e-4, abs=1e-6)
    assert prices[0] == pytest.approx(fd_var, rel=1e-4, abs=1e-6)
    assert any("binaries fixed" in note for note in d.diagnostics.notes)
