"""The exact convex backend against closed forms, linprog and the scipy backend."""

from __future__ import annotations

import numpy as np
import pytest

from decide.errors import DecideValueError, SolverError
from decide.measures import CVaR, ExpectedUtility, Exponential, Mean, MeanVariance, Variance
from decide.optimization import Box, Budget, ConvexProblem, LinearConstraints, optimize
from decide.optimization.backends import _cvxpy as cvx_backend
from decide.outcomes import linear

MU = np.array([0.08, 0.05, 0.03])
VOL = np.array([0.20, 0.15, 0.10])
CORR = np.array([[1.0, 0.3, 0.1], [0.3, 1.0, 0.2], [0.1, 0.2, 1.0]])
SIGMA = CORR * np.outer(VOL, VOL)


def _gauss_hermite_scenarios(k: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Normal returns N(MU, SIGMA) as quadrature nodes and weights (exact low moments)."""
    z, w = np.polynomial.hermite_e.hermegauss(k)
    w = w / w.sum()
    grid = np.stack(np.meshgrid(z, z, z, indexing="ij"), -1).reshape(-1, 3)
    weights = np.prod(np.stack(np.meshgrid(w, w, w, indexing="ij"), -1).reshape(-1, 3), axis=1)
    return MU + grid @ np.linalg.cholesky(SIGMA).T, weights


def _scenarios(n: int = 1500, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).multivariate_normal(MU, SIGMA, size=n)


@pytest.mark.parametrize("method", ["cvxpy", "scipy"])
def test_cara_normal_closed_form(method):
    """Exponential utility with normal returns: w = Sigma^-1 (mu - lam 1) / a on the budget."""
    a, total = 3.0, 1.0
    R, w = _gauss_hermite_scenarios()
    inv = np.linalg.inv(SIGMA)
    one = np.ones(3)
    lam = (one @ inv @ MU - a * total) / (one @ inv @ one)  # Lagrange multiplier of sum w = total
    expected = inv @ (MU - lam * one) / a
    d = optimize(linear(R), ExpectedUtility(Exponential(a)), Budget(total, lower=None),
                 method=method, weights=w)
    assert d.converged
    np.testing.assert_allclose(d.flat_action, expected, atol=2e-5)


@pytest.mark.parametrize("method", ["cvxpy", "scipy"])
def test_markowitz_budget_equality_kkt(method):
    """max m'w - lam w'Sw s.t. 1'w = B: solve the KKT system with the sample moments."""
    R = _scenarios()
    lam, total = 2.0, 1.0
    m = R.mean(axis=0)
    S = np.cov(R, rowvar=False, ddof=0)
    kkt = np.block([[2 * lam * S, np.ones((3, 1))], [np.ones((1, 3)), np.zeros((1, 1))]])
    expected = np.linalg.solve(kkt, np.append(m, total))[:3]
    d = optimize(linear(R), Mean() + lam * Variance(), Budget(total, lower=None), method=method)
    np.testing.assert_allclose(d.flat_action, expected, atol=1e-5)


def test_cvar_allocation_equals_linprog():
    """Rockafellar-Uryasev LP built directly with scipy.optimize.linprog."""
    from scipy.optimize import linprog

    R = _scenarios(n=1000, seed=3)
    alpha, n, k = 0.05, 1000, 3
    # variables (w, t, u): maximize t - sum(u) / (alpha n);  u >= t - R w, u >= 0
    c = np.concatenate([np.zeros(k), [-1.0], np.full(n, 1.0 / (alpha * n))])
    A_ub = np.hstack([-R, np.ones((n, 1)), -np.eye(n)])
    A_eq = np.concatenate([np.ones(k), [0.0], np.zeros(n)])[None, :]
    bounds = [(0, None)] * k + [(None, None)] + [(0, None)] * n
    lp = linprog(c, A_ub=A_ub, b_ub=np.zeros(n), A_eq=A_eq, b_eq=[1.0], bounds=bounds,
                 method="highs")
    assert lp.status == 0
    d = optimize(linear(R), CVaR(alpha), Budget(1.0))
    assert d.method == "cvxpy"
    np.testing.assert_allclose(d.value, -lp.fun, rtol=1e-6, atol=1e-9)
    np.testing.assert_allclose(d.flat_action, lp.x[:k], atol=1e-6)


@pytest.mark.parametrize(
    "objective",
    [CVaR(0.1), MeanVariance(2.0), ExpectedUtility(Exponential(4.0))],
    ids=["cvar", "mean_variance", "exp_utility"],
)
def test_scipy_and_cvxpy_agree(objective):
    R = _scenarios(n=600, seed=5)
    space = Budget(1.0, upper=0.8)
    a = optimize(linear(R), objective, space, method="cvxpy")
    b = optimize(linear(R), objective, space, method="scipy", random_seed=0)
    assert a.value >= b.value - 1e-7 * (1 + abs(a.value))  # the exact program is never worse
    np.testing.assert_allclose(b.value, a.value, rtol=1e-4, atol=1e-7)
    np.testing.assert_allclose(b.flat_action, a.flat_action, atol=5e-3)


def test_convex_problem_resolves_with_new_parameters():
    R = _scenarios(n=800, seed=7)
    problem = ConvexProblem(linear(R), Mean() + 1.0 * CVaR(0.05), Budget(1.0, upper=0.9))
    assert problem.parameters == {"objective_weights": [1.0, 1.0], "total": 1.0}
    for lam, total in [(0.0, 1.0), (3.0, 1.0), (3.0, 2.0)]:
        got = problem.solve(objective_weights=[1.0, lam], total=total)
        fresh = optimize(linear(R), Mean() + lam * CVaR(0.05), Budget(total, upper=0.9),
                         method="cvxpy")
        np.testing.assert_allclose(got.value, fresh.value, rtol=1e-6, atol=1e-9)
        np.testing.assert_allclose(got.flat_action.sum(), total, rtol=1e-7)
    assert problem.parameters["total"] == 2.0
    with pytest.raises(DecideValueError, match="non-negative"):
        problem.solve(objective_weights=[1.0, -1.0])
    with pytest.raises(DecideValueError, match="objective_weights must give 2 finite numbers"):
        problem.solve(objective_weights=[1.0])


def test_fallback_when_solver_raises(monkeypatch):
    real = cvx_backend._call_solver

    def broken(problem, solver, **kw):
        if solver == "CLARABEL":
            raise RuntimeError("simulated crash")
        return real(problem, solver, **kw)

    monkeypatch.setattr(cvx_backend, "_call_solver", broken)
    R = _scenarios(n=300, seed=1)
    d = optimize(linear(R), CVaR(0.1), Budget(1.0))
    assert d.diagnostics.solver == "HIGHS" and d.converged
    assert "CLARABEL: raised RuntimeError: simulated crash" in d.diagnostics.fallbacks


def test_fallback_on_inaccurate_status(monkeypatch):
    real = cvx_backend._call_solver

    def inaccurate(problem, solver, **kw):
        status = real(problem, solver, **kw)
        return "infeasible_inaccurate" if solver in ("CLARABEL", "HIGHS") else status

    monkeypatch.setattr(cvx_backend, "_call_solver", inaccurate)
    R = _scenarios(n=300, seed=1)
    d = optimize(linear(R), MeanVariance(2.0), Budget(1.0))
    assert d.diagnostics.solver == "SCS"
    assert d.diagnostics.fallbacks[0] == "CLARABEL: status 'infeasible_inaccurate'"


def test_every_solver_failing_raises(monkeypatch):
    def dead(problem, solver, **kw):
        raise RuntimeError("down")

    monkeypatch.setattr(cvx_backend, "_call_solver", dead)
    with pytest.raises(SolverError, match="CLARABEL.*HIGHS.*SCS"):
        optimize(linear(_scenarios(n=50)), CVaR(0.1), Budget(1.0), method="cvxpy")


def test_unbounded_linear_objective_raises():
    R = _scenarios(n=100)
    with pytest.raises(DecideValueError, match="unbounded"):
        optimize(linear(R), Mean(), Box())
    with pytest.raises(DecideValueError, match="unbounded"):
        optimize(linear(R), Mean(), Budget(1.0, lower=None))
    with pytest.raises(DecideValueError, match="unbounded"):
        optimize(linear(R), Mean(), Box(), method="scipy")


def test_linear_constraints_are_respected():
    R = _scenarios(n=400, seed=2)
    # first asset at most the second, third at least 0.2
    lc = LinearConstraints([[1.0, -1.0, 0.0], [0.0, 0.0, 1.0]], lb=[-np.inf, 0.2], ub=[0.0, np.inf])
    d = optimize(linear(R), Mean(), Budget(1.0) & lc)
    x = d.flat_action
    assert x[0] <= x[1] + 1e-8 and x[2] >= 0.2 - 1e-8
    # risk neutral with mu ordered 0 > 1 > 2: push to x0 = x1 = 0.4, x2 = 0.2
    np.testing.assert_allclose(x, [0.4, 0.4, 0.2], atol=1e-6)
