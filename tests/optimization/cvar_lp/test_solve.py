"""Tests of the exact mean-CVaR solver (decide/optimization/cvar_lp/_solve.py).

Every optimum is checked against the full Rockafellar-Uryasev LP solved by
scipy.optimize.linprog(method="highs"), an independent formulation with one
variable per scenario.
"""

from __future__ import annotations

import importlib

import numpy as np
import pytest
import scipy.sparse as sp
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from decide.errors import DecideTypeError, DecideValueError, InfeasibleError
from decide.measures import cvar
from decide.optimization import LinearSystem

cf = importlib.import_module("decide.optimization.cvar_lp._solve")
cvar_exact = importlib.import_module("decide.optimization.cvar_lp._core").cvar_exact
search = importlib.import_module("decide.optimization.cvar_lp._search")
solve_cvar_lp = cf.solve_cvar_lp


def full_lp(R, b, alpha, wm, wc, floor=None, lb=None, ub=None, A_ub=None, b_ub=None, A_eq=None, b_eq=None):
    """Optimal value of the full RU LP (variables x, t, u_1..u_S), or None if not solved."""
    S, n = R.shape
    c = 1.0 / (alpha * S)
    cost = -np.concatenate([wm * R.mean(axis=0), [wc], np.full(S, -wc * c)])
    rows = [sp.hstack([sp.csr_matrix(-R), sp.csr_matrix(np.ones((S, 1))), -sp.identity(S)])]
    rhs = [b]
    if floor is not None:
        rows.append(sp.csr_matrix(np.concatenate([np.zeros(n), [-1.0], np.full(S, c)])[None, :]))
        rhs.append(np.array([-floor]))
    if A_ub is not None:
        A_ub = np.atleast_2d(A_ub)
        rows.append(sp.hstack([sp.csr_matrix(A_ub), sp.csr_matrix((A_ub.shape[0], 1 + S))]))
        rhs.append(np.atleast_1d(b_ub))
    Ae = be = None
    if A_eq is not None:
        A_eq = np.atleast_2d(A_eq)
        Ae = sp.hstack([sp.csr_matrix(A_eq), sp.csr_matrix((A_eq.shape[0], 1 + S))])
        be = np.atleast_1d(b_eq)
    lbv = np.broadcast_to(-np.inf if lb is None else lb, (n,))
    ubv = np.broadcast_to(np.inf if ub is None else ub, (n,))
    bounds = [(None if not np.isfinite(lo) else lo, None if not np.isfinite(hi) else hi) for lo, hi in zip(lbv, ubv)]
    bounds += [(None, None)] + [(0, None)] * S
    res = linprog(cost, A_ub=sp.vstack(rows), b_ub=np.concatenate(rhs), A_eq=Ae, b_eq=be,
                  bounds=bounds, method="highs")
    return res.status, (-res.fun + wm * float(np.mean(b)) if res.status == 0 else None)


def assert_certified(res, rtol=1e-9):
    assert res.status == "optimal"
    assert res.gap <= rtol
    assert res.lower_bound <= res.value <= res.upper_bound


def close(a, b, tol=1e-9):
    return abs(a - b) <= tol * max(1.0, abs(a), abs(b))


def brute_cvar(y, alpha):
    # RU: the maximum over t of a concave piecewise-linear function is at a draw
    S = len(y)
    return max(t - np.sum(np.maximum(t - y, 0.0)) / (alpha * S) for t in y)


@pytest.mark.parametrize("alpha", [0.01, 0.1, 0.25, 0.3, 0.5, 0.77, 1.0])
def test_the_lp_kernel_matches_brute_force(alpha):
    y = np.random.default_rng(0).standard_t(3, size=37)
    assert close(cvar_exact(y, alpha)[0], brute_cvar(y, alpha), 1e-12)
    if alpha < 1:  # the measures' public cvar is the same kernel
        assert cvar(y, alpha) == cvar_exact(y, alpha)[0]


problem = st.fixed_dictionaries(
    {
        "S": st.integers(1, 60),
        "n": st.integers(1, 4),
        "alpha": st.floats(0.005, 1.0),
        "kind": st.sampled_from(["normal", "ties", "identical", "equal"]),
        "weights": st.sampled_from([(0.0, 1.0), (1.0, 0.5), (0.3, 2.0)]),
        "space": st.sampled_from(["simplex", "box", "budget_le", "general"]),
        "seed": st.integers(0, 2**31 - 1),
    }
)


def make_problem(p):
    rng = np.random.default_rng(p["seed"])
    S, n = p["S"], p["n"]
    if p["kind"] == "ties":
        R = rng.integers(-2, 3, size=(S, n)).astype(float)
    elif p["kind"] == "equal":
        R = np.tile(rng.normal(size=n), (S, 1))
    else:
        R = rng.standard_t(4, size=(S, n))
    if p["kind"] == "identical":
        R[:, -1] = R[:, 0]
    b = rng.normal(scale=0.3, size=S) if p["kind"] != "equal" else np.full(S, 0.5)
    ones = np.ones((1, n))
    kw = {
        "simplex": {"lb": 0.0, "A_eq": ones, "b_eq": [1.0]},
        "box": {"lb": -1.0, "ub": 2.0},
        "budget_le": {"lb": 0.0, "ub": 0.8, "A_ub": ones, "b_ub": [1.0]},
        "general": {"lb": -1.0, "ub": 1.0, "A_ub": rng.uniform(0, 1, size=(2, n)), "b_ub": [0.5, 1.0],
                    "A_eq": ones, "b_eq": [0.5]},
    }[p["space"]]
    return R, b, kw


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem)
def test_matches_full_lp(p):
    R, b, kw = make_problem(p)
    wm, wc = p["weights"]
    st_ref, ref = full_lp(R, b, p["alpha"], wm, wc, **kw)
    assert st_ref == 0
    res = solve_cvar_lp(R, b, alpha=p["alpha"], weight_mean=wm, weight_cvar=wc, **kw)
    assert_certified(res)
    assert close(res.value, ref)
    # the reported value is the exact objective at the reported x
    y = R @ res.x + b
    assert close(res.value, wm * y.mean() + wc * brute_cvar(y, p["alpha"]), 1e-12)


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 80), st.integers(1, 4), st.floats(0.02, 0.6), st.integers(0, 2**31 - 1))
def test_cvar_floor_matches_full_lp(S, n, alpha, seed):
    rng = np.random.default_rng(seed)
    R = 0.05 + rng.standard_t(4, size=(S, n))
    kw = {"lb": 0.0, "A_eq": np.ones((1, n)), "b_eq": [1.0]}
    best = solve_cvar_lp(R, alpha=alpha, **kw).value
    worst_mean_pt = full_lp(R, np.zeros(S), alpha, 1.0, 0.0, **kw)[1]
    assert worst_mean_pt is not None
    floor = best - 0.3 * abs(best) - 0.05
    st_ref, ref = full_lp(R, np.zeros(S), alpha, 1.0, 0.0, floor=floor, **kw)
    assert st_ref == 0
    res = solve_cvar_lp(R, alpha=alpha, weight_mean=1.0, weight_cvar=0.0, cvar_floor=floor, **kw)
    assert_certified(res)
    assert close(res.value, ref)
    assert res.cvar >= floor - 1e-9 * max(1.0, abs(floor))


def heavy(S, n, seed):
    rng = np.random.default_rng(seed)
    mix = rng.standard_normal((n, n)) * 0.3 + np.eye(n)
    g = np.sqrt(rng.chisquare(5, size=S) / 5)
    return 0.001 + 0.01 * (rng.standard_normal((S, n)) @ mix) / g[:, None]


@pytest.mark.parametrize("alpha", [0.013, 0.05, 0.2])
@pytest.mark.parametrize("weights", [(0.0, 1.0), (1.0, 2.0)])
def test_band_and_fold_with_subsample_warm_start(monkeypatch, alpha, weights):
    # a small base size forces the subsample recursion and folded rounds on a quick problem
    monkeypatch.setattr(search, "_BASE_MIN", 150)
    monkeypatch.setattr(search, "_BASE_TAIL", 2)
    monkeypatch.setattr(search, "_BAND_SCALE", 1.0)
    S, n = 3000, 4
    R = heavy(S, n, 7)
    kw = {"lb": 0.0, "A_eq": np.ones((1, n)), "b_eq": [1.0]}
    res = solve_cvar_lp(R, alpha=alpha, weight_mean=weights[0], weight_cvar=weights[1], **kw)
    assert_certified(res)
    assert res.band_size < S
    _, ref = full_lp(R, np.zeros(S), alpha, weights[0], weights[1], **kw)
    assert close(res.value, ref)


def test_floor_with_folded_band(monkeypatch):
    monkeypatch.setattr(search, "_BASE_MIN", 150)
    monkeypatch.setattr(search, "_BASE_TAIL", 2)
    monkeypatch.setattr(search, "_BAND_SCALE", 1.0)
    S, n, alpha = 2000, 3, 0.05
    R = heavy(S, n, 3)
    kw = {"lb": 0.0, "A_eq": np.ones((1, n)), "b_eq": [1.0]}
    floor = solve_cvar_lp(R, alpha=alpha, **kw).value * 1.2  # CVaR is negative: a looser floor
    res = solve_cvar_lp(R, alpha=alpha, weight_mean=1.0, weight_cvar=0.0, cvar_floor=floor, **kw)
    assert_certified(res)
    _, ref = full_lp(R, np.zeros(S), alpha, 1.0, 0.0, floor=floor, **kw)
    assert close(res.value, ref)


core = importlib.import_module("decide.optimization.cvar_lp._core")
lpmod = importlib.import_module("decide.optimization.cvar_lp._highs")


def core_inputs(R, b, kw):
    n = R.shape[1]
    A_ub, b_ub = kw.get("A_ub", np.zeros((0, n))), kw.get("b_ub", np.zeros(0))
    A_eq, b_eq = kw.get("A_eq", np.zeros((0, n))), kw.get("b_eq", np.zeros(0))
    return LinearSystem(
        np.broadcast_to(kw.get("lb", -np.inf), (n,)).astype(float),
        np.broadcast_to(kw.get("ub", np.inf), (n,)).astype(float),
        np.atleast_2d(np.asarray(A_ub, float)).reshape(-1, n), np.atleast_1d(np.asarray(b_ub, float)),
        np.atleast_2d(np.asarray(A_eq, float)).reshape(-1, n), np.atleast_1d(np.asarray(b_eq, float)),
    )


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(problem, st.floats(1e-4, 2.0), st.integers(1, 8))
def test_trust_region_rounds_reach_the_full_lp_optimum(p, radius, band):
    # a trust region around another problem's optimum, with a tiny band: every step is
    # steered, and the certified answer must still be the full LP's
    R, b, kw = make_problem(p)
    wm, wc = p["weights"]
    x0 = solve_cvar_lp(R, b, alpha=min(1.0, 2 * p["alpha"]), weight_mean=1.0, weight_cvar=0.1, **kw).x
    S = R.shape[0]
    res = core.solve_core(R, b, p["alpha"], wm, wc, None, core_inputs(R, b, kw), 1e-9, x0, band, 200,
                          radius)
    assert res.status == "optimal" and res.gap <= 1e-9
    if res.history[0]["band"] < S:
        assert np.isfinite(res.history[0]["radius"])  # the first round was steered
    _, ref = full_lp(R, b, p["alpha"], wm, wc, **kw)
    assert close(res.value, ref)
    y = R @ res.x + b
    assert close(res.value, wm * y.mean() + wc * brute_cvar(y, p["alpha"]), 1e-12)
    assert res.band_size <= S


def test_trust_region_rejects_a_step_the_model_overrates_and_shrinks():
    # 2000 heavy-tailed scenarios, a 5-scenario band and a wide region: the first step
    # exploits the folded scenarios, its true value falls short, and the radius shrinks
    R = heavy(2000, 6, 5)
    kw = {"lb": 0.0, "A_eq": np.ones((1, 6)), "b_eq": [1.0]}
    x0 = np.full(6, 1 / 6)
    res = core.solve_core(R, np.zeros(2000), 0.2, 0.0, 1.0, None, core_inputs(R, None, kw), 1e-9,
                          x0, 5, 200, 0.2)
    radii = [h["radius"] for h in res.history]
    assert radii[1] < radii[0]  # rejected, shrunk
    assert res.status == "optimal"
    _, ref = full_lp(R, np.zeros(2000), 0.2, 0.0, 1.0, **kw)
    assert close(res.value, ref)


def test_warm_start_gives_same_answer():
    S, n = 1500, 5
    R = heavy(S, n, 11)
    kw = {"lb": 0.0, "A_eq": np.ones((1, n)), "b_eq": [1.0]}
    first = solve_cvar_lp(R, alpha=0.05, weight_mean=1.0, weight_cvar=1.0, **kw)
    cold = solve_cvar_lp(R, alpha=0.05, weight_mean=1.0, weight_cvar=3.0, **kw)
    warm = solve_cvar_lp(R, alpha=0.05, weight_mean=1.0, weight_cvar=3.0, warm_start=first.warm, **kw)
    assert_certified(warm)
    assert warm.band_size < S  # the warm start folded scenarios
    assert close(warm.value, cold.value)
    _, ref = full_lp(R, np.zeros(S), 0.05, 1.0, 3.0, **kw)
    assert close(warm.value, ref)


def test_scalar_intercept_shifts_value():
    R = heavy(300, 3, 2)
    kw = {"lb": 0.0, "A_eq": np.ones((1, 3)), "b_eq": [1.0]}
    a = solve_cvar_lp(R, alpha=0.1, **kw)
    b = solve_cvar_lp(R, 2.5, alpha=0.1, **kw)
    assert close(b.value, a.value + 2.5, 1e-12)


def test_single_scenario_single_asset():
    res = solve_cvar_lp([[2.0]], alpha=0.5, lb=0.0, ub=3.0)
    assert_certified(res)
    assert close(res.value, 6.0, 1e-12)
    assert close(float(res.x[0]), 3.0, 1e-12)


def test_empty_action_set_raises():
    with pytest.raises(InfeasibleError, match="lb must not exceed ub"):
        solve_cvar_lp(np.ones((5, 2)), alpha=0.2, lb=[0.0, 1.0], ub=[1.0, 0.5])
    with pytest.raises(InfeasibleError, match="empty"):
        solve_cvar_lp(np.ones((5, 2)), alpha=0.2, lb=0.0, A_eq=[[1.0, 1.0], [1.0, 1.0]], b_eq=[1.0, 2.0])


def test_unreachable_floor_raises_with_numbers():
    R = heavy(400, 3, 5)
    kw = {"lb": 0.0, "A_eq": np.ones((1, 3)), "b_eq": [1.0]}
    best = solve_cvar_lp(R, alpha=0.1, **kw).value
    with pytest.raises(InfeasibleError, match="largest CVaR") as info:
        solve_cvar_lp(R, alpha=0.1, weight_mean=1.0, weight_cvar=0.0, cvar_floor=best + 0.01, **kw)
    assert repr(best)[:8] in str(info.value)


def test_unbounded_names_missing_bound():
    R = np.abs(heavy(200, 2, 1)) + 0.01  # every scenario gains from more of each asset
    with pytest.raises(DecideValueError, match="no upper bound"):
        solve_cvar_lp(R, alpha=0.1, weight_mean=1.0, lb=0.0)


def test_bounded_long_short_with_free_coordinates():
    # x free in sign with a budget: the CVaR keeps it bounded when assets are not dominated
    rng = np.random.default_rng(4)
    R = rng.standard_normal((300, 3)) * [0.1, 0.2, 0.3]
    kw = {"A_eq": np.ones((1, 3)), "b_eq": [1.0], "lb": -5.0, "ub": 5.0}
    res = solve_cvar_lp(R, alpha=0.1, **kw)
    assert_certified(res)
    _, ref = full_lp(R, np.zeros(300), 0.1, 0.0, 1.0, **kw)
    assert close(res.value, ref)


@pytest.mark.parametrize(
    ("kwargs", "err", "match"),
    [
        ({"alpha": 0.0}, DecideValueError, "alpha"),
        ({"alpha": 1.5}, DecideValueError, "alpha"),
        ({"alpha": 0.1, "weight_mean": -1.0}, DecideValueError, "weight_mean"),
        ({"alpha": 0.1, "weight_cvar": 0.0}, DecideValueError, "not both be 0"),
        ({"alpha": 0.1, "ub": [1.0, 1.0, 1.0]}, DecideValueError, "ub"),
        ({"alpha": 0.1, "A_ub": [[1.0, 1.0]]}, DecideValueError, "together"),
        ({"alpha": 0.1, "max_rounds": 0}, DecideValueError, "max_rounds"),
        ({"alpha": 0.1, "warm_start": "x"}, DecideTypeError, "warm_start"),
    ],
)
def test_bad_arguments(kwargs, err, match):
    with pytest.raises(err, match=match):
        solve_cvar_lp(np.ones((4, 2)), **{"lb": 0.0, "ub": 1.0, **kwargs})


def test_bad_scenarios():
    with pytest.raises(DecideValueError, match="finite"):
        solve_cvar_lp([[1.0, np.nan]], alpha=0.5, lb=0.0, ub=1.0)
    with pytest.raises(DecideTypeError, match="numeric"):
        solve_cvar_lp([["a"]], alpha=0.5)


def test_first_highs_solve_prints_nothing():
    """HiGHS prints a banner from C on its first construction in a process; we silence it."""
    import subprocess
    import sys

    code = (
        "import numpy as np\n"
        "from decide.optimization import solve_cvar_lp\n"
        "R = np.random.default_rng(0).normal(size=(300, 3))\n"
        "solve_cvar_lp(R, alpha=0.1, lb=np.zeros(3), ub=np.ones(3),"
        " A_eq=np.ones((1, 3)), b_eq=np.ones(1))\n"
        "print('done')\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout == "done\n"


@pytest.mark.parametrize("S", [500, 30_000])
def test_optimum_at_zero_with_no_upper_bound_is_certified(S):
    # every asset loses in the tail, so holding nothing is best; the dual's linear term is
    # 0 up to rounding on the unbounded coordinates and must not make the bound infinite
    R = 0.001 + 0.02 * np.random.default_rng(0).standard_t(5, size=(S, 4))
    res = solve_cvar_lp(R, alpha=0.05, lb=0.0)
    assert_certified(res)
    assert res.value == 0.0 and np.all(res.x == 0.0)
    if S <= 500:
        assert full_lp(R, np.zeros(S), 0.05, 0.0, 1.0, lb=0.0)[1] == pytest.approx(0.0, abs=1e-12)


def test_floor_with_an_unbounded_lagrangian_falls_back_to_the_floor_lp():
    # holding more of a positive-mean asset raises the mean without limit (x >= 0, no ub);
    # only the CVaR floor bounds the position, so the floor-free solves are unbounded
    rng = np.random.default_rng(3)
    R = 0.02 + 0.1 * rng.standard_t(4, size=(400, 2))
    floor = -0.5
    kw = {"lb": 0.0}
    res = solve_cvar_lp(R, alpha=0.1, weight_mean=1.0, weight_cvar=0.0, cvar_floor=floor, **kw)
    assert_certified(res)
    _, ref = full_lp(R, np.zeros(400), 0.1, 1.0, 0.0, floor=floor, **kw)
    assert close(res.value, ref)
    assert res.cvar == pytest.approx(floor, rel=1e-9)  # the floor binds


@pytest.mark.parametrize("share", [0.1, 0.5, 0.9])
def test_floor_search_at_scale_matches_the_floor_lp(monkeypatch, share):
    # the Lagrangian search against the direct floor LP (the fallback) on the same problem
    R = heavy(6000, 6, 21)
    kw = {"lb": 0.0, "A_eq": np.ones((1, 6)), "b_eq": [1.0]}
    top = solve_cvar_lp(R, alpha=0.05, **kw).value
    free = solve_cvar_lp(R, alpha=0.05, weight_mean=1.0, weight_cvar=0.0, **kw).cvar
    floor = free + share * (top - free)
    res = solve_cvar_lp(R, alpha=0.05, weight_mean=1.0, weight_cvar=0.0, cvar_floor=floor, **kw)
    assert_certified(res)
    monkeypatch.setattr(cf, "floor_search", lambda *a, **k: (None, None))
    direct = solve_cvar_lp(R, alpha=0.05, weight_mean=1.0, weight_cvar=0.0, cvar_floor=floor, **kw)
    assert_certified(direct)
    assert close(res.value, direct.value)
    assert res.cvar >= floor - 1e-9 * abs(floor)
