"""method="cvar-sqp": trust-region SQP (BFGS curvature, exact QP steps) for mean-CVaR.

Expected values are independent of decide: cvxpy (CLARABEL) on the same concave
programs and on the step's QP, scipy's linprog on the Rockafellar-Uryasev LP written
in conftest.py, and brute-force numpy for the band and the cleaned rows.
"""

from __future__ import annotations

import numpy as np
import pytest

from decide.errors import DecideValueError
from decide.measures import CVaR, Mean
from decide.optimization import Box, Budget, LinearConstraints, optimize
from decide.outcomes import linear

from .conftest import LogResponse, ru_cvar_optimum


class _Exp(LogResponse):
    """y_s = sum_j beta_sj * (1 - exp(-x_j / kappa_j)): a saturating response."""

    def __init__(self, beta: np.ndarray, kappa: np.ndarray):
        super().__init__(beta)
        self.kappa = kappa

    def sample_flat(self, x: np.ndarray) -> np.ndarray:
        return self.beta @ (1 - np.exp(-x / self.kappa))

    def vjp_flat(self, x: np.ndarray, cotangent: np.ndarray) -> np.ndarray:
        return (cotangent @ self.beta) * np.exp(-x / self.kappa) / self.kappa

    def draws_and_jacobian_flat(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.sample_flat(x), self.beta * (np.exp(-x / self.kappa) / self.kappa)[None, :]


def _cvxpy_optimum(om: LogResponse, alpha: float, wm: float, total: float, cap: float) -> float:
    """max_x wm mean(y) + CVaR_alpha(y), 0 <= x <= cap, sum x = total, by cvxpy (CLARABEL).

    Written with hypograph variables ``v_j <= f(x_j)`` and tail excesses ``u``
    (CLARABEL reports this form optimal where the nested one is "inaccurate").
    """
    import cvxpy as cp

    S, n = om.beta.shape
    x, t, v, u = cp.Variable(n), cp.Variable(), cp.Variable(n), cp.Variable(S, nonneg=True)
    cons = [x >= 0, x <= cap, cp.sum(x) == total]
    if isinstance(om, _Exp):
        cons.append(v <= 1 - cp.exp(-cp.multiply(x, 1 / om.kappa)))
    else:
        cons.append(v <= cp.log(1 + x))
    y = om.beta @ v
    cons.append(u >= t - y)
    prob = cp.Problem(cp.Maximize(wm * cp.sum(y) / S + t - cp.sum(u) / (alpha * S)), cons)
    prob.solve(solver="CLARABEL")
    assert prob.status == "optimal"
    return float(prob.value)


def _problem(kind: str, seed: int) -> LogResponse:
    rng = np.random.default_rng(seed)
    beta = rng.gamma(4.0, 0.25, size=(300, 4)) * np.array([1.0, 1.3, 0.8, 1.1])
    if kind == "log":
        return LogResponse(beta)
    return _Exp(beta, np.array([1.0, 2.0, 0.7, 1.5]))


@pytest.mark.parametrize("kind", ["log", "exp"])
@pytest.mark.parametrize("seed", [0, 1, 2])
def test_same_optimum_as_cvxpy_on_concave_programs(kind: str, seed: int) -> None:
    om = _problem(kind, seed)
    space = Box(np.zeros(4), np.full(4, 2.5)) & Budget(4.0)
    for alpha, wm in ((0.05, 0.0), (0.1, 0.5)):
        measure = CVaR(alpha) if wm == 0 else wm * Mean() + CVaR(alpha)
        d = optimize(om, measure, space, method="cvar-sqp")
        assert d.converged and d.method == "cvar-sqp"
        np.testing.assert_allclose(d.value, _cvxpy_optimum(om, alpha, wm, 4.0, 2.5), rtol=1e-6)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_linear_outcome_exact_lp_optimum_in_two_steps(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, S = 5, 300
    R = rng.normal(0.05, 0.2, size=(S, n)) + rng.normal(0, 0.1, size=(S, 1))
    lb, ub = np.zeros(n), np.full(n, 0.6)
    lb[1] = ub[1] = 0.1  # one element fixed by its bounds
    A_eq = np.vstack([np.ones(n), np.r_[1.0, 0, -1.0, 0, 0]])
    b_eq = np.array([1.0, 0.0])  # a budget, and x0 == x2
    A_ub, b_ub = np.array([[0.0, 0.0, 0.0, 1.0, 1.0]]), np.array([0.5])
    space = (Box(lb, ub) & LinearConstraints(A_eq, b_eq, b_eq)
             & LinearConstraints(A_ub, -np.inf, b_ub))
    expected = ru_cvar_optimum(R, 0.1, lb, ub, A_eq, b_eq, A_ub, b_ub)
    d = optimize(linear(R), CVaR(0.1), space, method="cvar-sqp")
    assert d.converged and d.diagnostics.iterations <= 2
    np.testing.assert_allclose(d.value, expected, rtol=1e-7)


def test_fewer_steps_than_slp_on_a_curved_problem() -> None:
    for seed in (0, 1):
        om = _problem("log", seed)
        sqp = optimize(om, CVaR(0.05), Budget(4.0), method="cvar-sqp")
        slp = optimize(om, CVaR(0.05), Budget(4.0), method="cvar-slp")
        assert sqp.converged and slp.converged
        np.testing.assert_allclose(sqp.value, slp.value, rtol=1e-7)
        # superlinear against linear convergence: 7-8 steps against 17 when written
        assert sqp.diagnostics.iterations <= 0.7 * slp.diagnostics.iterations


def test_auto_picks_sqp_and_bad_options_are_refused() -> None:
    om = _problem("log", 3)
    d = optimize(om, CVaR(0.05), Budget(4.0))
    assert d.method == "cvar-sqp" and "cvar-sqp" in d.diagnostics.method_reason
    for kw, match in (({"rtol": -1.0}, "rtol must be a positive finite number; got -1.0"),
                      ({"rtol": True}, "rtol"),
                      ({"maxiter": 0}, "maxiter must be a positive integer; got 0"),
                      ({"radius": np.nan}, "radius must be a positive finite number; got nan"),
                      ({"hessian": "sr1"}, "unknown options")):
        with pytest.raises(DecideValueError, match=match):
            optimize(om, CVaR(0.05), Budget(4.0), method="cvar-sqp", **kw)
    with pytest.raises(DecideValueError, match="cvar-sqp needs"):
        optimize(om, Mean(), Budget(4.0), method="cvar-sqp")


def _qp_cvxpy(R, b, alpha, wm, wc, B, y0, lb, ub, A_ub, b_ub):
    import cvxpy as cp

    S, k = R.shape
    y, t = cp.Variable(k), cp.Variable()
    z = R @ y + b
    obj = (wm * cp.sum(z) / S + wc * (t - cp.sum(cp.pos(t - z)) / (alpha * S))
           - 0.5 * cp.quad_form(y - y0, B))
    prob = cp.Problem(cp.Maximize(obj), [y >= lb, y <= ub, A_ub @ y <= b_ub])
    prob.solve(solver="CLARABEL", tol_gap_abs=1e-11, tol_gap_rel=1e-11, tol_feas=1e-11)
    assert prob.status == "optimal"
    return y.value, float(prob.value)


@pytest.mark.parametrize("seed", [0, 1])
@pytest.mark.parametrize("S", [40, 400])  # a small band (primal QP first) and a large one (dual)
def test_qp_step_matches_cvxpy(seed: int, S: int) -> None:
    from decide.optimization._polyhedron import LinearSystem
    from decide.optimization.backends._cvar_slp import _qp_step
    from decide.optimization.cvar_lp._highs import configure_dual, silent_highs

    rng = np.random.default_rng(seed)
    k, alpha, wm, wc = 3, 0.1, 0.3, 1.0
    R, b = rng.normal(size=(S, k)), rng.normal(size=S)
    M = rng.normal(size=(k, k))
    B = M @ M.T + 0.5 * np.eye(k)
    y0 = rng.uniform(-0.2, 0.2, k)
    lb, ub = np.full(k, -1.0), np.full(k, 1.0)
    A_ub, b_ub = np.ones((1, k)), np.array([0.4])
    cons = LinearSystem(lb, ub, A_ub, b_ub, np.zeros((0, k)), np.zeros(0))
    h = silent_highs()
    configure_dual(h, 1e-9)
    step = _qp_step(R, b, alpha, wm, wc, cons, B, y0, 1.0, h, 0.05)
    assert step is not None
    y, value, w = step
    y_ref, v_ref = _qp_cvxpy(R, b, alpha, wm, wc, B, y0, lb, ub, A_ub, b_ub)
    np.testing.assert_allclose(value, v_ref, rtol=1e-7, atol=1e-8)
    np.testing.assert_allclose(y, y_ref, atol=1e-5)
    # the weights: wm / S each, plus tail weights summing to wc, each at most wc / (alpha S)
    tail = w - wm / S
    assert np.all(tail >= -1e-12) and np.all(tail <= wc / (alpha * S) + 1e-9)
    np.testing.assert_allclose(tail.sum(), wc, rtol=1e-6)  # HiGHS QP multipliers


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_band_is_sound_over_the_box(seed: int) -> None:
    """Draws called surely in (out of) the tail are so at random points of the box."""
    from decide.optimization.backends._cvar_slp import _tail_split

    rng = np.random.default_rng(seed)
    S, k, alpha = 500, 3, 0.05
    R, b = rng.normal(size=(S, k)), rng.normal(size=S) * 3
    lb, ub = -0.3 * np.ones(k), 0.3 * np.ones(k)
    surely_in, band = _tail_split(R, b, alpha, lb, ub)
    assert surely_in.any() and (~band & ~surely_in).any()
    n_tail = int(np.floor(alpha * S))
    for x in rng.uniform(lb, ub, size=(300, k)):
        rank = np.empty(S, dtype=int)
        rank[np.argsort(R @ x + b)] = np.arange(S)
        assert np.all(rank[surely_in] < n_tail)  # among the floor(alpha S) lowest
        assert np.all(rank[~band & ~surely_in] > int(np.ceil(alpha * S)))


def test_cleaned_rows_describe_the_same_polyhedron() -> None:
    from decide.optimization._polyhedron import LinearSystem
    from decide.optimization.backends._cvar_slp import _clean_rows

    rng = np.random.default_rng(0)
    k = 3
    base = np.array([[1.0, 1.0, 1.0], [-1.0, -1.0, -1.0], [0.0, 1.0, 0.0], [1.0, -1.0, 0.5]])
    rhs = np.array([2.0, 0.5, 0.8, 0.7])
    scales = np.array([3.0, 0.5, 2.0, 7.0, 1.5, 4.0, 2.5, 10.0])
    A = np.vstack([base, base * scales[:4, None]]) + 1e-14 * rng.normal(size=(8, k))
    b_ub = np.concatenate([rhs, rhs * scales[:4] + np.array([0.1, 0.0, -0.05, 0.2])])
    sys = LinearSystem(np.full(k, -1.0), np.full(k, 2.0), A, b_ub, np.zeros((0, k)),
                       np.zeros(0), rows_ub=tuple(f"row {i}" for i in range(8)))
    clean = _clean_rows(sys)
    assert clean.A_ub.shape[0] < A.shape[0]
    pts = rng.uniform(-1.5, 2.5, size=(4000, k))

    def inside(s, p):
        return (np.all(p >= s.lb - 1e-9, axis=1) & np.all(p <= s.ub + 1e-9, axis=1)
                & np.all(p @ s.A_ub.T <= s.b_ub * (1 + 1e-12) + 1e-9, axis=1))

    np.testing.assert_array_equal(inside(clean, pts), inside(sys, pts))


def test_damped_bfgs_secant_and_positive_definite() -> None:
    from decide.optimization.backends._cvar_slp import _damped_bfgs

    rng = np.random.default_rng(0)
    H = np.diag([3.0, 1.0, 0.2])  # the curvature of a concave quadratic (negated)
    B = None
    for _ in range(6):
        s = rng.normal(size=3)
        B = _damped_bfgs(B, s, H @ s)
        assert B is not None and np.all(np.linalg.eigvalsh(B) > 0)
        np.testing.assert_allclose(B @ s, H @ s, rtol=1e-10)  # secant (no damping needed)
    # a pair without curvature (affine outcome) leaves the model unset
    assert _damped_bfgs(None, rng.normal(size=3), np.zeros(3)) is None
    # negative curvature is damped, the model stays positive definite
    B2 = _damped_bfgs(np.eye(3), np.array([1.0, 0, 0]), np.array([-1.0, 0, 0]))
    assert np.all(np.linalg.eigvalsh(B2) > 0)


@pytest.mark.parametrize("form", ["dual", "primal"])
def test_both_qp_forms_match_cvxpy(form: str) -> None:
    """The QP on HiGHS, as the k + 1 row dual and as the primal, against cvxpy."""
    from decide.optimization._polyhedron import LinearSystem
    from decide.optimization.cvar_lp._highs import solve_reduced_dual, solve_reduced_qp_primal

    rng = np.random.default_rng(5)
    S, k, alpha, wm, wc = 120, 3, 0.1, 0.2, 1.5
    R, b = rng.normal(size=(S, k)), rng.normal(size=S)
    M = rng.normal(size=(k, k))
    B = M @ M.T + 0.3 * np.eye(k)
    y0 = rng.uniform(-0.3, 0.3, k)
    lb, ub = np.full(k, -1.0), np.full(k, 0.8)
    A_ub, b_ub = np.array([[1.0, 1.0, 1.0]]), np.array([0.5])
    cons = LinearSystem(lb, ub, A_ub, b_ub, np.zeros((0, k)), np.zeros(0))
    args = (R, b, wm * R.mean(axis=0), wm * float(b.mean()), wc, 1 / (alpha * S), 1.0, cons, 1e-9)
    if form == "dual":
        out = solve_reduced_dual(*args, hessian_inv=np.linalg.inv(B), center=y0)
    else:
        out = solve_reduced_qp_primal(*args, B=B, center=y0)
    assert out.status == "optimal"
    y_ref, v_ref = _qp_cvxpy(R, b, alpha, wm, wc, B, y0, lb, ub, A_ub, b_ub)
    np.testing.assert_allclose(out.value, v_ref, rtol=1e-7)
    np.testing.assert_allclose(out.x, y_ref, atol=1e-5)
