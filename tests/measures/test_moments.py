"""Moment and threshold functions against closed forms and brute force."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from decide.errors import DecideValueError
from decide.measures import (
    expected_shortfall_below,
    mean,
    probability_of_shortfall,
    semivariance,
    sharpe,
    sortino,
    std,
    variance,
)


def test_weighted_moments_equal_repeated_draws():
    rng = np.random.default_rng(0)
    x = rng.normal(size=20)
    c = rng.integers(1, 4, size=20)
    rep = np.repeat(x, c)
    for fn in (mean, variance, std, semivariance, sharpe):
        assert fn(x, weights=c) == pytest.approx(fn(rep), abs=1e-12)
    assert sortino(x, weights=c, target=0.1) == pytest.approx(sortino(rep, target=0.1))
    assert probability_of_shortfall(x, 0.2, weights=c) == pytest.approx(np.mean(rep < 0.2))
    assert expected_shortfall_below(x, 0.2, weights=c) == pytest.approx(
        np.mean(np.maximum(0.2 - rep, 0))
    )


def test_against_numpy():
    x = np.random.default_rng(1).normal(2.0, 3.0, size=(100, 3))
    np.testing.assert_allclose(variance(x), x.var(axis=0))
    np.testing.assert_allclose(std(x, axis=None), x.std())
    np.testing.assert_allclose(sharpe(x, risk_free=1.0), (x.mean(0) - 1.0) / x.std(0))


def test_semivariance_of_symmetric_law_is_half_the_variance(helpers):
    x = np.random.default_rng(2).normal(1.0, 2.0, size=200_000)
    assert abs(semivariance(x) - 2.0) < helpers.tol(semivariance, x)
    # exactly half for a symmetric sample
    y = np.concatenate([x[:1000], 2 * x[:1000].mean() - x[:1000]])
    assert semivariance(y) == pytest.approx(variance(y) / 2)


def test_sortino_and_shortfall_of_normal(helpers):
    from scipy import stats

    mu, s, t = 0.5, 1.0, 0.0
    x = np.random.default_rng(3).normal(mu, s, size=200_000)
    z = (t - mu) / s
    lpm1 = s * (z * stats.norm.cdf(z) + stats.norm.pdf(z))  # E[(t - X)+]
    assert abs(expected_shortfall_below(x, t) - lpm1) < helpers.tol(
        lambda b: expected_shortfall_below(b, t), x
    )
    assert abs(probability_of_shortfall(x, t) - stats.norm.cdf(z)) < helpers.tol(
        lambda b: probability_of_shortfall(b, t), x
    )


def test_by_hand():
    x = np.array([-2.0, 0.0, 1.0, 5.0])
    assert probability_of_shortfall(x, 0.0) == 0.25  # strict inequality
    assert expected_shortfall_below(x, 1.0) == pytest.approx((3 + 1) / 4)
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


def test_zero_spread_ratio_raises():
    with pytest.raises(DecideValueError, match="zero standard deviation"):
        sharpe([1.0, 1.0])
    with pytest.raises(DecideValueError, match="zero downside deviation"):
        sortino([1.0, 2.0], target=0.0)


def test_threshold_must_be_finite():
    with pytest.raises(DecideValueError, match="threshold must be a finite number; got inf"):
        probability_of_shortfall([1.0], threshold=np.inf)
