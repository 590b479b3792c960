"""Entropic measures (evar, entropic_risk; EVaR, EntropicRisk).

Functions against closed forms (normal, uniform MGF) and brute-force optimization; objectives:
gradients, DCP forms, properties, validation.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
import xarray as xr
from scipy.optimize import minimize_scalar

from decide.errors import DecideValueError
from decide.measures import (
    EntropicRisk,
    EVaR,
    Property,
    cvar,
    entropic_risk,
    evar,
    worst_case,
)

P = Property


# -- closed forms (Monte Carlo, tolerance from the batch standard error) ---------------
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
@pytest.mark.parametrize("alpha", [0.05, 0.1, 0.13, 0.5, 0.77])
def test_weighted_equals_repeated(alpha):
    rng = np.random.default_rng(6)
    x = rng.normal(size=25)
    counts = rng.integers(1, 5, size=25)
    rep = np.repeat(x, counts)
    assert evar(x, alpha, weights=counts) == pytest.approx(evar(rep, alpha), abs=1e-9)
    assert entropic_risk(x, 0.8, weights=counts) == pytest.approx(
        entropic_risk(rep, 0.8), abs=1e-12
    )


def test_zero_weight_draws_are_ignored():
    x = np.array([-100.0, 1.0, 2.0, 3.0])
    w = np.array([0.0, 1.0, 1.0, 1.0])
    assert evar(x, 0.2, weights=w) == pytest.approx(evar(x[1:], 0.2))
    assert entropic_risk(x, 2.0, weights=w) == pytest.approx(entropic_risk(x[1:], 2.0))


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


# -- axes ---------------------------------------------------------------------------
def test_axis_and_replicates():
    x = np.random.default_rng(11).normal(size=(50, 4))
    assert evar(x, 0.1, axis=None) == pytest.approx(evar(x.ravel(), 0.1))


# -- bad input ----------------------------------------------------------------------
@pytest.mark.parametrize("alpha", [0.0, 1.0, 1.5, -0.1, float("nan")])
def test_alpha_outside_unit_interval(alpha):
    with pytest.raises(DecideValueError, match=r"alpha must be in \(0, 1\); got " + str(alpha)):
        evar([1.0, 2.0], alpha)


def test_theta_must_be_positive():
    with pytest.raises(DecideValueError, match=r"theta must be in \(0, inf\); got -1.0"):
        entropic_risk([1.0, 2.0], -1.0)


# -- objectives ---------------------------------------------------------------------
def test_classes_use_the_functions():
    x = np.random.default_rng(0).normal(size=(40, 3))
    flat = x.ravel()
    assert EVaR(0.1)(x) == pytest.approx(evar(flat, 0.1))
    assert EntropicRisk(2.0)(x) == pytest.approx(entropic_risk(flat, 2.0))


@pytest.mark.parametrize("objective", [EVaR(0.1), EVaR(0.6), EntropicRisk(0.7)], ids=repr)
@pytest.mark.parametrize("weighted", [False, True])
def test_grad_against_finite_differences(objective, weighted, helpers):
    rng = np.random.default_rng(2)
    x = rng.normal(size=15)
    w = rng.uniform(0.5, 1.5, size=15) if weighted else None
    num = helpers.fd(lambda v: objective(v, weights=w), x)
    np.testing.assert_allclose(objective.grad(x, weights=w), num, atol=1e-6)


def test_grad_shape_follows_replicates():
    x = np.random.default_rng(3).normal(size=(10, 3))
    g = EVaR(0.2).grad(x)
    assert g.shape == (10, 3)
    np.testing.assert_allclose(g.ravel(), EVaR(0.2).grad(x.ravel()))


@pytest.mark.parametrize("objective", [EVaR(0.1), EVaR(0.5), EntropicRisk(1.5)], ids=repr)
@pytest.mark.parametrize("weighted", [False, True])
def test_cvxpy_form_matches_value(objective, weighted, helpers):
    rng = np.random.default_rng(4)
    x = rng.normal(1.0, 2.0, size=12)
    w = rng.uniform(0.1, 1.0, size=12) if weighted else None
    assert helpers.cvx(objective, x, w) == pytest.approx(objective(x, weights=w), abs=1e-6)


def test_declared_properties():
    coherent = {
        P.MONOTONE,
        P.TRANSLATION_INVARIANT,
        P.POSITIVELY_HOMOGENEOUS,
        P.CONCAVE,
        P.COHERENT,
    }
    assert EVaR(0.1).properties == coherent | {P.LAW_INVARIANT, P.SSD_CONSISTENT}
    assert P.POSITIVELY_HOMOGENEOUS not in EntropicRisk(1.0).properties


def test_xarray_draws():
    rng = np.random.default_rng(7)
    da = xr.DataArray(rng.normal(size=(2, 25)), dims=("chain", "draw"))
    g = EVaR(0.2).grad(da)
    assert g.shape == (50,)


@pytest.mark.parametrize("alpha", [0.0, 1.0, 1.5, -0.2])
def test_alpha_validated_at_construction(alpha):
    with pytest.raises(DecideValueError, match=rf"alpha must be in \(0, 1\); got {alpha}"):
        EVaR(alpha)


def test_other_parameters_validated():
    with pytest.raises(DecideValueError, match=r"theta must be in \(0, inf\); got 0.0"):
        EntropicRisk(0.0)


@pytest.mark.parametrize("bad", [[1.0, np.nan], [np.inf, 1.0], []])
def test_bad_draws(bad):
    with pytest.raises(DecideValueError, match="draws must"):
        EVaR(0.1).grad(np.array(bad))
