"""Tests of decide.policies.frontier: monotone, the right ends, one program re-solved."""

from __future__ import annotations

import sys

import numpy as np
import pytest
from scipy.optimize import linprog

from decide.errors import DecideTypeError, DecideValueError
from decide.measures import CVaR, Mean, Variance
from decide.optimization import Budget, optimize
from decide.outcomes import from_draws, from_function, linear
from decide.policies import frontier

TOL = 1e-6


@pytest.fixture(scope="module")
def R() -> np.ndarray:
    rng = np.random.default_rng(0)
    return rng.normal([0.09, 0.03, 0.05], [0.30, 0.04, 0.12], size=(600, 3))


def _min_cvar_lp(R: np.ndarray, alpha: float) -> float:
    """min over the simplex of the loss-scale CVaR, by the Rockafellar-Uryasev LP (scipy)."""
    n, k = R.shape
    # variables: w (k), t (1), u (n); maximize t - sum(u) / (alpha n), u >= t - R w, u >= 0
    c = np.concatenate([np.zeros(k), [-1.0], np.full(n, 1.0 / (alpha * n))])
    A_ub = np.hstack([-R, np.ones((n, 1)), -np.eye(n)])  # t - R w - u <= 0
    res = linprog(
        c, A_ub=A_ub, b_ub=np.zeros(n),
        A_eq=np.concatenate([np.ones(k), [0.0], np.zeros(n)])[None, :], b_eq=[1.0],
        bounds=[(0, None)] * k + [(None, None)] + [(0, None)] * n, method="highs",
    )
    assert res.status == 0
    return float(res.fun)  # = -max CVaR = min loss-scale CVaR


def _assert_monotone(table) -> None:
    assert np.all(np.diff(table["risk_aversion"]) > 0)
    scale = 1.0 + table[["mean", "risk"]].abs().to_numpy().max()
    assert np.all(np.diff(table["mean"]) <= TOL * scale), table
    assert np.all(np.diff(table["risk"]) <= TOL * scale), table


def test_cvar_frontier_monotone_with_the_right_ends(R: np.ndarray) -> None:
    table = frontier(linear(R), CVaR(0.05), Budget(1.0), n_points=12)
    assert len(table) == 12
    assert list(table.columns) == ["risk_aversion", "mean", "risk", "risk_value", "converged",
                                   "action[0]", "action[1]", "action[2]"]
    _assert_monotone(table)
    assert table["converged"].all()
    np.testing.assert_allclose(table[["action[0]", "action[1]", "action[2]"]].sum(axis=1), 1.0, atol=1e-6)
    # risk-neutral end: all in the asset with the highest sample mean
    assert table["mean"].iloc[0] == pytest.approx(R.mean(axis=0).max(), abs=1e-7)
    # minimum-risk end: the CVaR LP solved independently by scipy
    assert table["risk"].iloc[-1] == pytest.approx(_min_cvar_lp(R, 0.05), abs=1e-6)
    # the loss-scale risk of each point is minus the CVaR of its draws
    W = table[["action[0]", "action[1]", "action[2]"]].to_numpy()
    for w, risk, value, mean in zip(W, table["risk"], table["risk_value"], table["mean"]):
        y = np.sort(R @ w)
        assert risk == pytest.approx(-y[:30].mean(), abs=1e-9)
        assert value == pytest.approx(y[:30].mean(), abs=1e-9)  # the CVaR itself, a reward
        assert mean == pytest.approx(y.mean(), abs=1e-12)
    # the points spread along the frontier (not all at one end)
    assert table["mean"].nunique() > 4


def test_variance_frontier_monotone_and_min_variance_end(R: np.ndarray) -> None:
    table = frontier(linear(R), Variance(), Budget(1.0), n_points=10)
    _assert_monotone(table)
    W = table[["action[0]", "action[1]", "action[2]"]].to_numpy()
    np.testing.assert_allclose(table["risk_value"], [np.var(R @ w) for w in W], rtol=1e-9)
    # minimum-variance portfolio on the simplex, closed form when it is interior
    S = np.cov(R, rowvar=False, bias=True)
    w = np.linalg.solve(S, np.ones(3))
    w /= w.sum()
    assert np.all(w > 0)
    assert table["risk"].iloc[-1] == pytest.approx(w @ S @ w, rel=1e-4)


def test_one_convex_program_is_built_and_resolved(R: np.ndarray, monkeypatch) -> None:
    module = sys.modules["decide.optimization"]
    built = []
    original = module.ConvexProblem

    class Counting(original):  # type: ignore[misc, valid-type]
        def __init__(self, *args, **kwargs):
            built.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(module, "ConvexProblem", Counting)
    table = frontier(linear(R), CVaR(0.1), Budget(1.0), n_points=7)
    assert len(built) == 1
    assert table.attrs["n_solves"] == 7
    assert "ConvexProblem" in table.attrs["reuse"]


def test_explicit_risk_aversion_matches_direct_optimization(R: np.ndarray) -> None:
    lams = [2.0, 0.0, 0.5]
    table = frontier(linear(R), CVaR(0.05), Budget(1.0), risk_aversion=lams)
    assert table["risk_aversion"].tolist() == sorted(lams)
    for lam, mean in zip(table["risk_aversion"], table["mean"]):
        d = optimize(linear(R), Mean() + lam * CVaR(0.05), Budget(1.0))
        assert mean == pytest.approx(float(np.mean(d.draws)), abs=1e-6)


def test_scipy_path_is_warm_started_and_monotone() -> None:
    rng = np.random.default_rng(2)
    r = rng.normal([0.08, 0.03], [0.25, 0.05], size=(300, 2))
    model = from_function(lambda x, p: p["r"] @ x, {"r": r}, action_shape=2)
    assert model.affine_form() is None
    table = frontier(model, Variance(), Budget(1.0), n_points=6, random_seed=0)
    assert "warm-started" in table.attrs["reuse"]
    scale = 1.0 + table[["mean", "risk"]].abs().to_numpy().max()
    assert np.all(np.diff(table["mean"]) <= 1e-4 * scale)
    assert np.all(np.diff(table["risk"]) <= 1e-4 * scale)
    direct = frontier(linear(r), Variance(), Budget(1.0), n_points=6)
    np.testing.assert_allclose(table["risk"].iloc[[0, -1]], direct["risk"].iloc[[0, -1]], rtol=1e-3)


def test_discrete_frontier_moves_from_risky_to_safe() -> None:
    rng = np.random.default_rng(3)
    arms = {"safe": rng.normal(1.0, 0.1, 1000), "mid": rng.normal(1.2, 0.6, 1000),
            "risky": rng.normal(1.5, 2.0, 1000)}
    table = frontier(from_draws(arms), CVaR(0.05), n_points=8)
    _assert_monotone(table)
    first, last = table.iloc[0], table.iloc[-1]
    assert first["action[risky]"] == 1.0 and last["action[safe]"] == 1.0


# -- bad input --------------------------------------------------------------------------
def test_bad_risk(R: np.ndarray) -> None:
    with pytest.raises(DecideTypeError, match=r"risk must be a decide Objective.*got str"):
        frontier(linear(R), "cvar", Budget(1.0))


@pytest.mark.parametrize("n_points", [1, 0, 2.5])
def test_bad_n_points(R: np.ndarray, n_points: object) -> None:
    with pytest.raises(DecideValueError, match=rf"n_points must be an integer >= 2; got {n_points!r}"):
        frontier(linear(R), CVaR(0.05), Budget(1.0), n_points=n_points)


@pytest.mark.parametrize("lams", [[-1.0, 1.0], [], [np.inf]])
def test_bad_risk_aversion(R: np.ndarray, lams: list[float]) -> None:
    with pytest.raises(DecideValueError, match=r"risk_aversion must be a non-empty sequence"):
        frontier(linear(R), CVaR(0.05), Budget(1.0), risk_aversion=lams)


def test_many_samples_use_the_cvar_lp_per_point() -> None:
    rng = np.random.default_rng(4)
    big = rng.normal([0.08, 0.03, 0.05], [0.30, 0.04, 0.12], size=(5000, 3))
    table = frontier(linear(big), CVaR(0.05), Budget(1.0), n_points=5)
    assert "cvar-lp" in table.attrs["reuse"]
    _assert_monotone(table)
    assert table["risk"].iloc[-1] == pytest.approx(_min_cvar_lp(big, 0.05), abs=1e-6)
    assert table["mean"].iloc[0] == pytest.approx(big.mean(axis=0).max(), abs=1e-7)


def test_cvar_lp_points_start_at_the_previous_point(monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    cf = importlib.import_module("decide.optimization.cvar_lp._solve")
    seen = []
    real = cf.solve_cvar_lp

    def spy(*args, **kwargs):
        seen.append(kwargs.get("warm_start"))
        return real(*args, **kwargs)

    monkeypatch.setattr(cf, "solve_cvar_lp", spy)
    rng = np.random.default_rng(6)
    big = rng.normal([0.08, 0.03, 0.05], [0.30, 0.04, 0.12], size=(5000, 3))
    lams = [0.5, 1.0, 2.0, 4.0]
    table = frontier(linear(big), CVaR(0.1), Budget(1.0), risk_aversion=lams)
    assert "warm-started" in table.attrs["reuse"]
    assert seen[0] is None and all(w is not None for w in seen[1:])
    # each warm point is the exact optimum of its own problem (cold solves as reference)
    monkeypatch.setattr(cf, "solve_cvar_lp", real)
    for lam, mean, risk in table[["risk_aversion", "mean", "risk"]].itertuples(index=False):
        cold = optimize(linear(big), Mean() + lam * CVaR(0.1), Budget(1.0), method="cvar-lp")
        assert mean - lam * risk == pytest.approx(cold.value, rel=1e-9, abs=1e-12)


def _direct_max_mean(R: np.ndarray, alpha: float, floor: float) -> float:
    """max mean(R x) s.t. CVaR_alpha(R x) >= floor over the simplex, written as one linprog."""
    from scipy.optimize import linprog

    S, n = R.shape
    c = np.concatenate([-R.mean(axis=0), [0.0], np.zeros(S)])
    A1 = np.hstack([-R, np.ones((S, 1)), -np.eye(S)])
    A2 = np.concatenate([np.zeros(n), [-1.0], np.full(S, 1.0 / (alpha * S))])[None, :]
    res = linprog(c, A_ub=np.vstack([A1, A2]), b_ub=np.concatenate([np.zeros(S), [-floor]]),
                  A_eq=np.concatenate([np.ones(n), [0.0], np.zeros(S)])[None, :], b_eq=[1.0],
                  bounds=[(0, None)] * n + [(None, None)] + [(0, None)] * S, method="highs")
    return -res.fun


def test_frontier_over_floors_matches_direct_lps_and_prices_the_floor() -> None:
    R = np.random.default_rng(21).normal([0.08, 0.05, 0.03], [0.3, 0.15, 0.05], size=(300, 3))
    floors = [-0.5, -0.2, -0.1, -0.05, 5.0]  # the last one cannot be reached
    table = frontier(linear(R), CVaR(0.05), Budget(1.0), floors=floors)
    assert list(table.columns[:6]) == ["floor", "risk_aversion", "mean", "risk", "risk_value",
                                       "converged"]
    for f, row in zip(floors[:-1], table.itertuples()):
        assert row.mean == pytest.approx(_direct_max_mean(R, 0.05, f), abs=1e-8)
        assert -row.risk >= f - 1e-8  # risk is on the loss scale: minus the CVaR
        assert row.risk_value == -row.risk  # risk_value is the CVaR itself, the floor's scale
    last = table.iloc[-1]
    assert np.isnan(last["mean"]) and np.isnan(last["risk_value"]) and not last["converged"]
    # shadow prices: non-negative and growing as the floor tightens (the LP value is concave)
    prices = table["risk_aversion"].to_numpy()[:-1]
    assert np.all(prices >= -1e-12) and np.all(np.diff(prices) >= -1e-9)
    with pytest.raises(DecideValueError, match="not both"):
        frontier(linear(R), CVaR(0.05), Budget(1.0), floors=[0.0], risk_aversion=[1.0])
