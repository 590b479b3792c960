"""Tail functions (value_at_risk, cvar, evar, entropic_risk, worst_case) against independent computations."""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr
from scipy import stats
from scipy.optimize import linprog, minimize_scalar

from decide.errors import DecideValueError
from decide.measures import CVaR, cvar, entropic_risk, evar, value_at_risk, worst_case

ALPHAS = [0.01, 0.05, 0.1, 0.37]


def ru_lp(x: np.ndarray, alpha: float, w: np.ndarray | None = None):
    """Rockafellar-Uryasev LP on the reward scale solved by HiGHS: (optimum, d optimum / d x)."""
    n = x.size
    w = np.full(n, 1 / n) if w is None else w / w.sum()
    c = np.concatenate([[-1.0], w / alpha])
    a_ub = np.hstack([np.ones((n, 1)), -np.eye(n)])  # t - u_i <= x_i
    res = linprog(c, A_ub=a_ub, b_ub=x, bounds=[(None, None)] + [(0, None)] * n, method="highs")
    assert res.status == 0
    return -res.fun, -res.ineqlin.marginals


# -- closed forms (Monte Carlo, tolerance from the batch standard error) ---------------
@pytest.mark.parametrize("alpha", ALPHAS)
def test_cvar_and_var_of_normal(alpha, helpers):
    mu, sigma = 1.5, 2.0
    x = np.random.default_rng(1).normal(mu, sigma, size=200_000)
    z = stats.norm.ppf(alpha)
    exact_cvar = mu - sigma * stats.norm.pdf(z) / alpha
    assert abs(cvar(x, alpha) - exact_cvar) < helpers.tol(lambda b: cvar(b, alpha), x)
    assert abs(value_at_risk(x, alpha) - (mu + sigma * z)) < helpers.tol(
        lambda b: value_at_risk(b, alpha), x
    )


@pytest.mark.parametrize("alpha", ALPHAS)
def test_cvar_and_var_of_uniform(alpha, helpers):
    lo, hi = -1.0, 3.0
    x = np.random.default_rng(2).uniform(lo, hi, size=200_000)
    assert abs(cvar(x, alpha) - (lo + alpha * (hi - lo) / 2)) < helpers.tol(
        lambda b: cvar(b, alpha), x
    )
    assert abs(value_at_risk(x, alpha) - (lo + alpha * (hi - lo))) < helpers.tol(
        lambda b: value_at_risk(b, alpha), x
    )


@pytest.mark.parametrize("alpha", [0.05, 0.2, 0.5])
def test_evar_of_normal(alpha, helpers):
    mu, sigma = -0.5, 1.5
    x = np.random.default_rng(3).normal(mu, sigma, size=200_000)
    exact = mu - sigma * math.sqrt(-2 * math.log(alpha))
    assert abs(evar(x, alpha) - exact) < helpers.tol(lambda b: evar(b, alpha), x)


@pytest.mark.parametrize("alpha", [0.05, 0.2, 0.5])
def test_evar_of_uniform(alpha, helpers):
    lo, hi = 0.0, 2.0

    def neg_reward(z: float) -> float:  # exact MGF of the uniform law
        mgf = (math.exp(-z * lo) - math.exp(-z * hi)) / (z * (hi - lo))
        return (math.log(mgf) - math.log(alpha)) / z

    exact = -minimize_scalar(
        neg_reward, bounds=(1e-6, 500.0), method="bounded", options={"xatol": 1e-10}
    ).fun
    x = np.random.default_rng(4).uniform(lo, hi, size=200_000)
    assert abs(evar(x, alpha) - exact) < helpers.tol(lambda b: evar(b, alpha), x)


def test_entropic_risk_of_normal(helpers):
    mu, sigma, theta = 2.0, 0.7, 1.3
    x = np.random.default_rng(5).normal(mu, sigma, size=200_000)
    exact = mu - theta * sigma**2 / 2
    assert abs(entropic_risk(x, theta) - exact) < helpers.tol(lambda b: entropic_risk(b, theta), x)


# -- exact small samples ------------------------------------------------------------
def test_cvar_by_hand():
    x = np.array([4.0, -1.0, 7.0, 2.0, 0.0])  # sorted: -1, 0, 2, 4, 7
    assert cvar(x, 0.2) == pytest.approx(-1.0)
    assert cvar(x, 0.4) == pytest.approx(-0.5)
    # alpha * n = 1.5: the second-worst draw counts for half
    assert cvar(x, 0.3) == pytest.approx((-1.0 + 0.5 * 0.0) / 1.5)
    # alpha * n = 2.5
    assert cvar(x, 0.5) == pytest.approx((-1.0 + 0.0 + 0.5 * 2.0) / 2.5)
    # alpha below 1/n: the worst draw
    assert cvar(x, 0.01) == pytest.approx(-1.0)
    assert value_at_risk(x, 0.2) == -1.0
    assert value_at_risk(x, 0.21) == 0.0
    assert value_at_risk(x, 0.4) == 0.0
    assert worst_case(x) == -1.0


def test_var_with_float_product_on_integer():
    # 0.1 * 30 = 3.0000000000000004 in floating point: still the 3rd smallest draw
    x = np.arange(30.0)
    assert value_at_risk(x, 0.1) == 2.0
    assert cvar(x, 0.1) == pytest.approx(1.0)


@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.13, 0.5, 0.77])
def test_weighted_equals_repeated(alpha):
    rng = np.random.default_rng(6)
    x = rng.normal(size=25)
    counts = rng.integers(1, 5, size=25)
    rep = np.repeat(x, counts)
    assert cvar(x, alpha, weights=counts) == pytest.approx(cvar(rep, alpha), abs=1e-12)
    assert value_at_risk(x, alpha, weights=counts) == value_at_risk(rep, alpha)
    assert evar(x, alpha, weights=counts) == pytest.approx(evar(rep, alpha), abs=1e-9)
    assert entropic_risk(x, 0.8, weights=counts) == pytest.approx(
        entropic_risk(rep, 0.8), abs=1e-12
    )


def test_zero_weight_draws_are_ignored():
    x = np.array([-100.0, 1.0, 2.0, 3.0])
    w = np.array([0.0, 1.0, 1.0, 1.0])
    assert worst_case(x, weights=w) == 1.0
    assert evar(x, 0.2, weights=w) == pytest.approx(evar(x[1:], 0.2))
    assert entropic_risk(x, 2.0, weights=w) == pytest.approx(entropic_risk(x[1:], 2.0))
    assert cvar(x, 0.5, weights=w) == pytest.approx(cvar(x[1:], 0.5))


@pytest.mark.parametrize("alpha", [0.03, 0.1, 0.25, 0.4])
@pytest.mark.parametrize("weighted", [False, True])
def test_cvar_equals_ru_linear_program(alpha, weighted):
    rng = np.random.default_rng(7)
    x = rng.normal(size=37)
    w = rng.uniform(0.1, 2.0, size=37) if weighted else None
    lp_value, _ = ru_lp(x, alpha, w)
    assert cvar(x, alpha, weights=w) == pytest.approx(lp_value, abs=1e-9)


def test_evar_between_worst_case_and_cvar_and_limits():
    x = np.random.default_rng(8).standard_t(3, size=500)
    for alpha in (0.01, 0.1, 0.5, 0.9):
        assert worst_case(x) - 1e-12 <= evar(x, alpha) <= cvar(x, alpha) + 1e-12
    # the worst draw alone carries probability >= alpha: EVaR is the worst case
    assert evar(x, 0.001) == worst_case(x)
    assert evar(np.full(7, 3.0), 0.3) == 3.0


def test_evar_matches_brute_force_optimization():
    x = np.random.default_rng(9).gamma(2.0, size=300)
    alpha = 0.07

    def neg(logz: float) -> float:
        z = math.exp(logz)
        lse = np.log(np.mean(np.exp(-z * (x - x.min())))) - z * x.min()
        return (lse - math.log(alpha)) / z

    res = minimize_scalar(neg, bounds=(-10, 10), method="bounded", options={"xatol": 1e-12})
    assert evar(x, alpha) == pytest.approx(-res.fun, abs=1e-9)


def test_evar_large_sample_warm_start_matches_direct():
    # S > 40 000 uses a subsample warm start; the result must not depend on it
    x = np.random.default_rng(10).lognormal(size=60_000)
    direct = evar(x.reshape(1, -1), 0.05, axis=1)[0]  # batched path, same kernel
    assert evar(x, 0.05) == pytest.approx(direct, rel=1e-12)
    counts = np.ones_like(x)  # weighted path: no warm start
    assert evar(x, 0.05, weights=counts) == pytest.approx(direct, abs=1e-10)


def test_entropic_risk_is_overflow_safe():
    x = np.array([-2000.0, 0.0, 1000.0])
    expected = -2000.0 - math.log(1 / 3) / 1.0  # dominated by the worst draw
    assert entropic_risk(x, 1.0) == pytest.approx(expected)


# -- axes, replicates, xarray -------------------------------------------------------
def test_axis_and_replicates():
    x = np.random.default_rng(11).normal(size=(50, 4))
    per_rep = cvar(x, 0.1)
    assert per_rep.shape == (4,)
    assert per_rep[2] == pytest.approx(cvar(x[:, 2], 0.1))
    assert cvar(x, 0.1, axis=(0, 1)) == pytest.approx(cvar(x.ravel(), 0.1))
    assert evar(x, 0.1, axis=None) == pytest.approx(evar(x.ravel(), 0.1))
    w = np.arange(1.0, 51.0)
    assert cvar(x, 0.1, axis=(0, 1), weights=w) == pytest.approx(
        cvar(x.ravel(), 0.1, weights=np.repeat(w, 4))
    )


def test_xarray_chain_draw_and_sample():
    rng = np.random.default_rng(12)
    da = xr.DataArray(
        rng.normal(size=(2, 30, 3)),
        dims=("chain", "draw", "store"),
        coords={"store": ["a", "b", "c"]},
    )
    out = cvar(da, 0.2)
    assert out.dims == ("store",) and list(out.store.values) == ["a", "b", "c"]
    assert float(out.sel(store="b")) == pytest.approx(cvar(da.values[:, :, 1].ravel(), 0.2))
    stacked = da.stack(sample=("chain", "draw")).transpose("sample", "store")
    assert np.allclose(value_at_risk(stacked, 0.2).values, value_at_risk(da, 0.2).values)
    w = xr.DataArray(rng.uniform(size=(2, 30)), dims=("chain", "draw"))
    assert float(worst_case(da, weights=w).sel(store="a")) == pytest.approx(
        da.values[:, :, 0].min()
    )


# -- bad input ----------------------------------------------------------------------
@pytest.mark.parametrize("alpha", [0.0, 1.0, 1.5, -0.1, float("nan")])
@pytest.mark.parametrize("fn", [cvar, evar, value_at_risk])
def test_alpha_outside_unit_interval(fn, alpha):
    with pytest.raises(DecideValueError, match=r"alpha must be in \(0, 1\); got " + str(alpha)):
        fn([1.0, 2.0], alpha)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_draws(bad):
    with pytest.raises(DecideValueError, match=rf"draws must be finite; got {bad}"):
        cvar(np.array([1.0, bad, 2.0]), 0.1)


def test_empty_and_weights_shape():
    with pytest.raises(DecideValueError, match=r"draws must not be empty.*shape \(0,\)"):
        cvar(np.array([]), 0.1)
    with pytest.raises(DecideValueError, match=r"weights must have shape \(3,\).*got shape \(2,\)"):
        cvar([1.0, 2.0, 3.0], 0.1, weights=[1.0, 2.0])
    with pytest.raises(DecideValueError, match=r"theta must be in \(0, inf\); got -1.0"):
        entropic_risk([1.0, 2.0], -1.0)


@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.25, 0.3])
def test_cvar_supergradient_with_ties_at_the_boundary(alpha):
    """With draws tied at the VaR, the split weight is still a supergradient of CVaR."""
    rng = np.random.default_rng(3)
    x = np.round(rng.normal(size=40), 0)  # many ties
    c = CVaR(alpha)
    g = c.grad(x)
    assert np.all(g >= 0) and g.sum() == pytest.approx(1.0)
    for _ in range(200):  # concave: CVaR(y) <= CVaR(x) + g . (y - x) for every y
        y = x + rng.normal(scale=0.5, size=x.size)
        assert c(y) <= c(x) + g @ (y - x) + 1e-12
