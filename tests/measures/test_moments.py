"""Moments (mean, variance, std, semivariance; Mean, Variance, StdDev, SemiVariance, MeanVariance).

Functions against closed forms, numpy and brute force; objectives: signs, gradients, DCP forms,
properties, validation.
"""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from decide.errors import DecideValueError
from decide.measures import (
    Mean,
    MeanVariance,
    Property,
    SemiVariance,
    StdDev,
    Variance,
    mean,
    semivariance,
    std,
    variance,
)

P = Property
SMOOTH = [
    Mean(),
    Variance(),
    StdDev(),
    SemiVariance(),
    SemiVariance(0.3),
    MeanVariance(0.7),
]


# -- functions ----------------------------------------------------------------------
def test_weighted_moments_equal_repeated_draws():
    rng = np.random.default_rng(0)
    x = rng.normal(size=20)
    c = rng.integers(1, 4, size=20)
    rep = np.repeat(x, c)
    for fn in (mean, variance, std, semivariance):
        assert fn(x, weights=c) == pytest.approx(fn(rep), abs=1e-12)


def test_against_numpy():
    x = np.random.default_rng(1).normal(2.0, 3.0, size=(100, 3))
    np.testing.assert_allclose(variance(x), x.var(axis=0))
    np.testing.assert_allclose(std(x, axis=None), x.std())


def test_semivariance_of_symmetric_law_is_half_the_variance(helpers):
    x = np.random.default_rng(2).normal(1.0, 2.0, size=200_000)
    assert abs(semivariance(x) - 2.0) < helpers.tol(semivariance, x)
    # exactly half for a symmetric sample
    y = np.concatenate([x[:1000], 2 * x[:1000].mean() - x[:1000]])
    assert semivariance(y) == pytest.approx(variance(y) / 2)


def test_by_hand():
    x = np.array([-2.0, 0.0, 1.0, 5.0])
    assert semivariance(x, target=0.0) == pytest.approx(4 / 4)


def test_xarray_keeps_dims():
    da = xr.DataArray(
        np.random.default_rng(4).normal(size=(40, 2)),
        dims=("sample", "arm"),
        coords={"arm": ["a", "b"]},
    )
    out = mean(da)
    assert out.dims == ("arm",)
    np.testing.assert_allclose(out.values, da.values.mean(0))
    with pytest.raises(DecideValueError, match=r"dims \('x',\)"):
        mean(xr.DataArray(np.ones(3), dims="x"))


# -- objectives ---------------------------------------------------------------------
def test_dispersion_scores_as_negative():
    x = np.random.default_rng(0).normal(size=30)
    assert Variance()(x) == pytest.approx(-variance(x))
    assert StdDev()(x) == pytest.approx(-np.std(x))
    assert SemiVariance()(x) == pytest.approx(-semivariance(x))
    assert MeanVariance(2.0)(x) == pytest.approx(mean(x) - 2.0 * variance(x))


@pytest.mark.parametrize("objective", SMOOTH, ids=repr)
@pytest.mark.parametrize("weighted", [False, True])
def test_grad_against_finite_differences(objective, weighted, helpers):
    rng = np.random.default_rng(1)
    x = rng.normal(size=14)
    w = rng.uniform(0.5, 1.5, size=14) if weighted else None
    num = helpers.fd(lambda v: objective(v, weights=w), x)
    np.testing.assert_allclose(objective.grad(x, weights=w), num, atol=1e-6)


@pytest.mark.parametrize(
    "objective",
    [Mean(), Variance(), StdDev(), SemiVariance(), SemiVariance(-0.2), MeanVariance(0.5)],
    ids=repr,
)
@pytest.mark.parametrize("weighted", [False, True])
def test_cvxpy_form_matches_value(objective, weighted, helpers):
    rng = np.random.default_rng(2)
    x = rng.normal(size=10)
    w = rng.uniform(0.1, 1.0, size=10) if weighted else None
    assert helpers.cvx(objective, x, w) == pytest.approx(objective(x, weights=w), abs=1e-6)


def test_properties():
    assert P.COHERENT in Mean().properties
    assert Variance().properties == {P.CONCAVE, P.LAW_INVARIANT}
    assert StdDev().properties == {P.CONCAVE, P.POSITIVELY_HOMOGENEOUS, P.LAW_INVARIANT}
    assert P.MONOTONE not in SemiVariance().properties
    assert P.MONOTONE in SemiVariance(0.0).properties
    assert P.TRANSLATION_INVARIANT in MeanVariance(1.0).properties


def test_semivariance_about_mean_is_not_monotone():
    # raising the best draw raises the mean and so the downside of the others
    x = np.array([0.0, 1.0, 2.0])
    assert SemiVariance()(x + np.array([0, 0, 3.0])) < SemiVariance()(x)


def test_validation():
    with pytest.raises(DecideValueError, match=r"risk_aversion must be in \[0, inf\); got -0.5"):
        MeanVariance(-0.5)


def test_replicates_pool_into_one_law():
    x = np.random.default_rng(3).normal(size=(20, 5))
    for m in SMOOTH:
        assert m(x) == pytest.approx(m(x.ravel()))
        np.testing.assert_allclose(m.grad(x).ravel(), m.grad(x.ravel()))
