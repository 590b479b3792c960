"""Threshold measures (probability_of_shortfall, expected_shortfall_below and their objectives).

Functions against closed forms and brute force; objectives: signs, gradient, DCP form, properties.
"""

from __future__ import annotations

import numpy as np
import pytest

from decide.errors import DecideValueError
from decide.measures import (
    ExpectedShortfallBelow,
    ProbabilityOfShortfall,
    Property,
    expected_shortfall_below,
    probability_of_shortfall,
)


# -- functions ----------------------------------------------------------------------
def test_weighted_equal_repeated_draws():
    rng = np.random.default_rng(0)
    x = rng.normal(size=20)
    c = rng.integers(1, 4, size=20)
    rep = np.repeat(x, c)
    assert probability_of_shortfall(x, 0.2, weights=c) == pytest.approx(np.mean(rep < 0.2))
    assert expected_shortfall_below(x, 0.2, weights=c) == pytest.approx(
        np.mean(np.maximum(0.2 - rep, 0))
    )


def test_shortfall_of_normal(helpers):
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


def test_threshold_must_be_finite():
    with pytest.raises(DecideValueError, match="threshold must be a finite number; got inf"):
        probability_of_shortfall([1.0], threshold=np.inf)


# -- objectives ---------------------------------------------------------------------
def test_scores_are_negated_conventional_values():
    x = np.random.default_rng(0).normal(size=40)
    w = np.random.default_rng(1).uniform(size=40)
    assert ProbabilityOfShortfall(0.3)(x, weights=w) == pytest.approx(
        -probability_of_shortfall(x, 0.3, weights=w)
    )
    assert ExpectedShortfallBelow(0.3)(x) == pytest.approx(-expected_shortfall_below(x, 0.3))


@pytest.mark.parametrize("weighted", [False, True])
def test_expected_shortfall_grad_and_cvxpy(weighted, helpers):
    rng = np.random.default_rng(2)
    x = rng.normal(size=13)
    w = rng.uniform(0.5, 1.5, size=13) if weighted else None
    m = ExpectedShortfallBelow(0.1)
    np.testing.assert_allclose(
        m.grad(x, weights=w), helpers.fd(lambda v: m(v, weights=w), x), atol=1e-6
    )
    assert helpers.cvx(m, x, w) == pytest.approx(m(x, weights=w), abs=1e-6)


def test_probability_has_no_grad_and_properties():
    assert not ProbabilityOfShortfall().has_grad and not ProbabilityOfShortfall().has_cvxpy
    assert ProbabilityOfShortfall().properties == {Property.MONOTONE, Property.LAW_INVARIANT}
    assert Property.POSITIVELY_HOMOGENEOUS in ExpectedShortfallBelow(0.0).properties
    assert Property.POSITIVELY_HOMOGENEOUS not in ExpectedShortfallBelow(1.0).properties


def test_threshold_validation():
    with pytest.raises(DecideValueError, match="threshold must be a finite number; got nan"):
        ExpectedShortfallBelow(float("nan"))
