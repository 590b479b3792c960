"""method="cvar-slp": trust-region SLP with exact CVaR LP steps.

Expected values: scipy's linprog on the Rockafellar-Uryasev LP written in conftest.py (linear
outcomes), and SLSQP (method="scipy") on a smooth non-linear outcome.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.optimize import linprog

from decide.errors import DecideValueError
from decide.measures import CVaR, Mean
from decide.optimization import Box, Budget, LinearConstraints, optimize
from decide.outcomes import OutcomeModel, linear

from .conftest import LogResponse, ru_cvar_optimum


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_linear_outcome_exact_in_two_iterations(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, S = 5, 300
    R = rng.normal(0.05, 0.2, size=(S, n)) + rng.normal(0, 0.1, size=(S, 1))
    lb, ub = np.zeros(n), np.full(n, 0.6)
    lb[1] = ub[1] = 0.1  # one element fixed by its bounds
    A_eq = np.vstack([np.ones(n), np.r_[1.0, 0, -1.0, 0, 0]])
    b_eq = np.array([1.0, 0.0])  # a budget, and x0 == x2
    space = Box(lb, ub) & LinearConstraints(A_eq, b_eq, b_eq)
    expected = ru_cvar_optimum(R, 0.1, lb, ub, A_eq, b_eq)
    d = optimize(linear(R), CVaR(0.1), space, method="cvar-slp")
    assert d.converged and d.diagnostics.iterations <= 2
    np.testing.assert_allclose(d.value, expected, rtol=1e-7)
    ref = optimize(linear(R), CVaR(0.1), space, method="cvar-lp")
    np.testing.assert_allclose(d.value, ref.value, rtol=1e-7)
    slsqp = optimize(linear(R), CVaR(0.1), space, method="scipy", n_starts=1)
    # SLSQP on the kinked CVaR stops at or below the exact optimum (1e-5 below on seed 1)
    assert d.value >= slsqp.value - 1e-7 * abs(slsqp.value)


@pytest.mark.parametrize("seed", [0, 1])
def test_smooth_outcome_matches_slsqp(seed: int) -> None:
    rng = np.random.default_rng(seed)
    beta = rng.gamma(4.0, 0.25, size=(400, 4)) * np.array([1.0, 1.3, 0.8, 1.1])
    om = LogResponse(beta)
    for measure in (CVaR(0.05), Mean() + 0.5 * CVaR(0.1)):
        d = optimize(om, measure, Budget(4.0), method="cvar-slp")
        ref = optimize(om, measure, Budget(4.0), method="scipy", n_starts=1)
        assert d.converged
        np.testing.assert_allclose(d.value, ref.value, rtol=1e-7)


def test_refuses_without_a_jacobian() -> None:
    from decide.errors import DecideValueError

    class NoJac(LogResponse):
        draws_and_jacobian_flat = OutcomeModel.draws_and_jacobian_flat

    with pytest.raises(DecideValueError, match="draws_and_jacobian"):
        optimize(NoJac(np.ones((10, 2))), CVaR(0.1), Budget(1.0), method="cvar-slp")


def _cvxpy_optimum(beta: np.ndarray, alpha: float, total: float) -> float:
    """max_x CVaR_alpha(beta @ log(1 + x)), x >= 0, sum x = total: a concave program (cvxpy)."""
    import cvxpy as cp

    S, n = beta.shape
    x, t = cp.Variable(n), cp.Variable()
    y = beta @ cp.log(1 + x)
    prob = cp.Problem(cp.Maximize(t - cp.sum(cp.pos(t - y)) / (alpha * S)),
                      [x >= 0, cp.sum(x) == total])
    prob.solve(solver="CLARABEL")
    assert prob.status == "optimal"
    return float(prob.value)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_auto_picks_sqp_for_a_smooth_nonaffine_outcome(seed: int) -> None:
    rng = np.random.default_rng(seed)
    beta = rng.gamma(4.0, 0.25, size=(300, 3)) * np.array([1.0, 1.3, 0.8])
    d = optimize(LogResponse(beta), CVaR(0.05), Budget(4.0))
    assert d.method == "cvar-sqp" and d.converged  # cvar-slp's second-order variant
    assert "cvar-sqp" in d.diagnostics.method_reason
    slp = optimize(LogResponse(beta), CVaR(0.05), Budget(4.0), method="cvar-slp")
    assert slp.converged
    np.testing.assert_allclose(d.value, _cvxpy_optimum(beta, 0.05, 4.0), rtol=1e-6)
    np.testing.assert_allclose(slp.value, _cvxpy_optimum(beta, 0.05, 4.0), rtol=1e-6)


def test_auto_leaves_affine_outcomes_and_outcome_constraints_to_others() -> None:
    rng = np.random.default_rng(3)
    R = rng.normal(0.05, 0.2, size=(200, 3))
    assert optimize(linear(R), CVaR(0.1), Budget(1.0)).method not in ("cvar-slp", "cvar-sqp")
    om = LogResponse(rng.gamma(4.0, 0.25, size=(200, 3)))
    d = optimize(om, CVaR(0.1), Budget(2.0), subject_to=[Mean() >= 0.0])
    assert d.method not in ("cvar-slp", "cvar-sqp")
    with pytest.raises(DecideValueError, match="cvar-slp"):
        optimize(om, CVaR(0.1), Budget(2.0), method="cvar-slp", subject_to=[Mean() >= 0.0])


@pytest.mark.parametrize("seed", [0, 1])
def test_step_lp_dual_matches_the_primal(seed: int) -> None:
    """One trust-region step (the LP dual on HiGHS) against the primal RU LP by linprog."""
    from decide.optimization._polyhedron import LinearSystem
    from decide.optimization.backends._cvar_slp import _ru_dual

    rng = np.random.default_rng(seed)
    S, k, alpha, wm, wc = 250, 3, 0.05, 0.3, 1.0
    R, b = rng.normal(size=(S, k)), rng.normal(size=S)
    lb, ub = rng.uniform(-1.0, 0.0, k), rng.uniform(0.2, 1.0, k)
    A_ub, b_ub = np.ones((1, k)), np.array([0.5])
    cons = LinearSystem(lb, ub, A_ub, b_ub, np.zeros((0, k)), np.zeros(0))
    y, value, _ = _ru_dual(R, b, alpha, wm, wc, cons)
    # primal: min -wm mean(R y + b) - wc (eta - sum(u) / (alpha S)), u >= eta - R y - b, u >= 0
    c = np.concatenate([-wm * R.mean(axis=0), [-wc], np.full(S, wc / (alpha * S))])
    A = np.vstack([np.hstack([-R, np.ones((S, 1)), -np.eye(S)]),
                   np.hstack([A_ub, np.zeros((1, S + 1))])])
    res = linprog(c, A_ub=A, b_ub=np.concatenate([b, b_ub]),
                  bounds=[*zip(lb, ub), (None, None), *([(0, None)] * S)], method="highs")
    expected = -res.fun + wm * b.mean()
    np.testing.assert_allclose(value, expected, rtol=1e-8)
    z = R @ y + b  # the step's own point scores the same mean-CVaR (computed here)
    k_tail = alpha * S
    zs = np.sort(z)
    cvar = (zs[: int(k_tail)].sum() + (k_tail - int(k_tail)) * zs[int(k_tail)]) / k_tail
    np.testing.assert_allclose(wm * z.mean() + wc * cvar, expected, rtol=1e-7)
    assert np.all(y >= lb - 1e-9) and np.all(y <= ub + 1e-9) and A_ub @ y <= b_ub + 1e-9
