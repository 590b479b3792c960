"""Quantile measures (value_at_risk, cvar, worst_case; VaR, CVaR, WorstCase, MeanCVaR).

Functions against closed forms, the Rockafellar-Uryasev LP (HiGHS) and brute force; objectives:
supergradients (the LP dual), DCP forms, properties, validation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr
from scipy import stats
from scipy.optimize import linprog

from decide.errors import DecideValueError
from decide.measures import (
    CVaR,
    Mean,
    MeanCVaR,
    Property,
    VaR,
    WorstCase,
    cvar,
    value_at_risk,
    worst_case,
)

P = Property
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


def test_zero_weight_draws_are_ignored():
    x = np.array([-100.0, 1.0, 2.0, 3.0])
    w = np.array([0.0, 1.0, 1.0, 1.0])
    assert worst_case(x, weights=w) == 1.0
    assert cvar(x, 0.5, weights=w) == pytest.approx(cvar(x[1:], 0.5))


@pytest.mark.parametrize("alpha", [0.03, 0.1, 0.25, 0.4])
@pytest.mark.parametrize("weighted", [False, True])
def test_cvar_equals_ru_linear_program(alpha, weighted):
    rng = np.random.default_rng(7)
    x = rng.normal(size=37)
    w = rng.uniform(0.1, 2.0, size=37) if weighted else None
    lp_value, _ = ru_lp(x, alpha, w)
    assert cvar(x, alpha, weights=w) == pytest.approx(lp_value, abs=1e-9)


# -- axes, replicates, xarray -------------------------------------------------------
def test_axis_and_replicates():
    x = np.random.default_rng(11).normal(size=(50, 4))
    per_rep = cvar(x, 0.1)
    assert per_rep.shape == (4,)
    assert per_rep[2] == pytest.approx(cvar(x[:, 2], 0.1))
    assert cvar(x, 0.1, axis=(0, 1)) == pytest.approx(cvar(x.ravel(), 0.1))
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
@pytest.mark.parametrize("fn", [cvar, value_at_risk])
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


# -- objectives ---------------------------------------------------------------------
def test_classes_use_the_functions():
    x = np.random.default_rng(0).normal(size=(40, 3))
    flat = x.ravel()
    assert CVaR(0.1)(x) == pytest.approx(cvar(flat, 0.1))
    assert VaR(0.1)(x) == value_at_risk(flat, 0.1)
    assert WorstCase()(x) == flat.min()
    assert MeanCVaR(0.5, 0.1)(x) == pytest.approx(flat.mean() + 0.5 * cvar(flat, 0.1))


@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.15, 0.3])
@pytest.mark.parametrize("weighted", [False, True])
def test_cvar_grad_is_the_lp_dual(alpha, weighted):
    rng = np.random.default_rng(1)
    x = rng.normal(size=40)
    w = rng.uniform(0.2, 1.0, size=40) if weighted else None
    _, dual = ru_lp(x, alpha, w)
    g = CVaR(alpha).grad(x, weights=w)
    np.testing.assert_allclose(g, dual, atol=1e-9)
    assert g.sum() == pytest.approx(1.0)
    assert np.all(g >= 0)
    wn = np.full(40, 1 / 40) if w is None else w / w.sum()
    assert np.all(g <= wn / alpha + 1e-12)


def test_cvar_grad_splits_the_boundary_draw():
    x = np.array([3.0, 0.0, 1.0, 2.0])
    np.testing.assert_allclose(CVaR(0.375).grad(x), [0.0, 1 / 1.5, 0.5 / 1.5, 0.0])


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


@pytest.mark.parametrize("objective", [CVaR(0.13), MeanCVaR(0.4, 0.13)], ids=repr)
@pytest.mark.parametrize("weighted", [False, True])
def test_grad_against_finite_differences(objective, weighted, helpers):
    rng = np.random.default_rng(2)
    x = rng.normal(size=15)
    w = rng.uniform(0.5, 1.5, size=15) if weighted else None
    num = helpers.fd(lambda v: objective(v, weights=w), x)
    np.testing.assert_allclose(objective.grad(x, weights=w), num, atol=1e-6)


def test_grad_shape_follows_replicates():
    x = np.random.default_rng(3).normal(size=(10, 3))
    assert WorstCase().grad(x)[np.unravel_index(np.argmin(x), x.shape)] == 1.0


@pytest.mark.parametrize(
    "objective",
    [CVaR(0.1), CVaR(0.37), WorstCase(), MeanCVaR(0.8, 0.2)],
    ids=repr,
)
@pytest.mark.parametrize("weighted", [False, True])
def test_cvxpy_form_matches_value(objective, weighted, helpers):
    rng = np.random.default_rng(4)
    x = rng.normal(1.0, 2.0, size=12)
    w = rng.uniform(0.1, 1.0, size=12) if weighted else None
    assert helpers.cvx(objective, x, w) == pytest.approx(objective(x, weights=w), abs=1e-6)


def test_var_has_no_dcp_form_nor_grad():
    assert not VaR(0.1).has_cvxpy and not VaR(0.1).has_grad
    with pytest.raises(NotImplementedError):
        VaR(0.1).grad([1.0, 2.0])


def test_declared_properties():
    coherent = {
        P.MONOTONE,
        P.TRANSLATION_INVARIANT,
        P.POSITIVELY_HOMOGENEOUS,
        P.CONCAVE,
        P.COHERENT,
    }
    for m in (CVaR(0.1), WorstCase()):
        assert m.properties == coherent | {P.LAW_INVARIANT, P.SSD_CONSISTENT}
    assert P.CONCAVE not in VaR(0.1).properties and P.SSD_CONSISTENT not in VaR(0.1).properties
    assert P.TRANSLATION_INVARIANT not in MeanCVaR(0.5, 0.1).properties
    assert P.COHERENT in MeanCVaR(0.0, 0.1).properties


def test_meancvar_translation_scales_by_one_plus_lambda():
    x = np.random.default_rng(5).normal(size=30)
    m = MeanCVaR(0.5, 0.2)
    assert m(x + 2.0) == pytest.approx(m(x) + 1.5 * 2.0)


def test_weighted_sum_of_objectives():
    x = np.random.default_rng(6).normal(size=50)
    obj = Mean() + 0.5 * CVaR(0.1)
    assert obj(x) == pytest.approx(x.mean() + 0.5 * cvar(x, 0.1))
    np.testing.assert_allclose(obj.grad(x), Mean().grad(x) + 0.5 * CVaR(0.1).grad(x))
    assert obj.properties >= {P.MONOTONE, P.CONCAVE, P.POSITIVELY_HOMOGENEOUS, P.SSD_CONSISTENT}
    assert P.TRANSLATION_INVARIANT not in obj.properties  # weights sum to 1.5
    mix = 0.5 * Mean() + 0.5 * CVaR(0.1)
    assert P.COHERENT in mix.properties
    assert obj == MeanCVaR(0.5, 0.1) or obj(x) == pytest.approx(MeanCVaR(0.5, 0.1)(x))


def test_xarray_draws():
    rng = np.random.default_rng(7)
    da = xr.DataArray(rng.normal(size=(2, 25)), dims=("chain", "draw"))
    assert CVaR(0.2)(da) == pytest.approx(cvar(da.values.ravel(), 0.2))


@pytest.mark.parametrize("cls", [VaR, CVaR])
@pytest.mark.parametrize("alpha", [0.0, 1.0, 1.5, -0.2])
def test_alpha_validated_at_construction(cls, alpha):
    with pytest.raises(DecideValueError, match=rf"alpha must be in \(0, 1\); got {alpha}"):
        cls(alpha)


def test_other_parameters_validated():
    with pytest.raises(DecideValueError, match=r"risk_aversion must be in \[0, inf\); got -1.0"):
        MeanCVaR(-1.0, 0.1)
    with pytest.raises(DecideValueError, match=r"risk_aversion must be in \[0, inf\); got inf"):
        MeanCVaR(math.inf, 0.1)


@pytest.mark.parametrize("bad", [[1.0, np.nan], [np.inf, 1.0], []])
def test_bad_draws(bad):
    with pytest.raises(DecideValueError, match="draws must"):
        CVaR(0.1)(np.array(bad))


def test_bad_weights():
    with pytest.raises(DecideValueError, match=r"weights must have shape \(3,\).*got shape \(4,\)"):
        CVaR(0.1)([1.0, 2.0, 3.0], weights=[1.0, 1.0, 1.0, 1.0])
    with pytest.raises(DecideValueError, match=r"weights must be non-negative; got -1.0"):
        CVaR(0.1)([1.0, 2.0, 3.0], weights=[1.0, -1.0, 1.0])
