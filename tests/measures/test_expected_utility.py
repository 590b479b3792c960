"""Expected utility and certainty equivalent (functions and objectives).

Functions against closed forms (CARA under a normal law); objectives: grads, DCP forms, properties.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from decide.errors import DecideValueError
from decide.measures import (
    CertaintyEquivalent,
    EntropicRisk,
    ExpectedUtility,
    Exponential,
    Linear,
    Log,
    PiecewiseLinear,
    Power,
    Property,
    Quadratic,
    certainty_equivalent,
    expected_utility,
)

P = Property
UTILS = [
    Linear(),
    Exponential(0.7),
    Power(0.5),
    Power(2.0),
    Log(),
    Quadratic(0.05),
    PiecewiseLinear([1.0], [2.0, 1.0]),
]


def _draws(n: int = 12) -> np.ndarray:
    return np.random.default_rng(0).uniform(
        0.3, 4.0, size=n
    )  # positive, off the kink at 1 almost surely


# -- functions ----------------------------------------------------------------------
def test_certainty_equivalent_of_cara_under_normal(helpers):
    mu, sigma, a = 1.0, 0.8, 1.5
    x = np.random.default_rng(0).normal(mu, sigma, size=200_000)
    exact = mu - a * sigma**2 / 2
    assert abs(certainty_equivalent(x, Exponential(a)) - exact) < helpers.tol(
        lambda b: certainty_equivalent(b, Exponential(a)), x
    )
    eu_exact = (1 - math.exp(-a * mu + a**2 * sigma**2 / 2)) / a
    assert abs(expected_utility(x, Exponential(a)) - eu_exact) < helpers.tol(
        lambda b: expected_utility(b, Exponential(a)), x
    )


def test_overflow_safe_ce_and_overflowing_eu():
    x = np.array([-1000.0, 0.0])
    assert certainty_equivalent(x, Exponential(1.0)) == pytest.approx(-1000 + math.log(2))
    with pytest.raises(DecideValueError, match="expected utility overflows"):
        expected_utility(x, Exponential(1.0))


# -- objectives ---------------------------------------------------------------------
@pytest.mark.parametrize("u", UTILS, ids=repr)
@pytest.mark.parametrize("cls", [ExpectedUtility, CertaintyEquivalent])
@pytest.mark.parametrize("weighted", [False, True])
def test_value_and_grad(u, cls, weighted, helpers):
    x = _draws()
    w = np.random.default_rng(1).uniform(0.5, 2.0, size=x.size) if weighted else None
    m = cls(u)
    fn = expected_utility if cls is ExpectedUtility else certainty_equivalent
    assert m(x, weights=w) == pytest.approx(fn(x, u, weights=w))
    np.testing.assert_allclose(
        m.grad(x, weights=w), helpers.fd(lambda v: m(v, weights=w), x), atol=1e-6
    )


@pytest.mark.parametrize("u", [u for u in UTILS if u.has_cvxpy and u.concave], ids=repr)
@pytest.mark.parametrize("weighted", [False, True])
def test_expected_utility_cvxpy(u, weighted, helpers):
    x = _draws(8)
    w = np.random.default_rng(2).uniform(0.5, 2.0, size=x.size) if weighted else None
    m = ExpectedUtility(u)
    assert helpers.cvx(m, x, w) == pytest.approx(m(x, weights=w), abs=1e-6)


@pytest.mark.parametrize("weighted", [False, True])
def test_certainty_equivalent_cvxpy(weighted, helpers):
    x = np.random.default_rng(3).normal(size=9)
    w = np.random.default_rng(4).uniform(0.5, 2.0, size=9) if weighted else None
    for m in (CertaintyEquivalent(Exponential(1.2)), CertaintyEquivalent(Linear())):
        assert helpers.cvx(m, x, w) == pytest.approx(m(x, weights=w), abs=1e-6)
    assert not CertaintyEquivalent(Log()).has_cvxpy


def test_cara_certainty_equivalent_is_entropic_risk():
    x = np.random.default_rng(5).normal(size=40)
    assert CertaintyEquivalent(Exponential(0.9))(x) == pytest.approx(EntropicRisk(0.9)(x))
    np.testing.assert_allclose(
        CertaintyEquivalent(Exponential(0.9)).grad(x), EntropicRisk(0.9).grad(x)
    )


def test_properties_follow_the_utility():
    assert P.COHERENT in ExpectedUtility(Linear()).properties
    eu = ExpectedUtility(Exponential(1.0)).properties
    assert {P.MONOTONE, P.CONCAVE, P.SSD_CONSISTENT} <= eu and P.TRANSLATION_INVARIANT not in eu
    assert P.TRANSLATION_INVARIANT in CertaintyEquivalent(Exponential(1.0)).properties
    assert P.POSITIVELY_HOMOGENEOUS in CertaintyEquivalent(Power(2.0)).properties
    assert P.MONOTONE not in ExpectedUtility(Quadratic(0.1)).properties
    assert P.CONCAVE not in ExpectedUtility(PiecewiseLinear([0.0], [1.0, 2.0])).properties
    assert (
        P.POSITIVELY_HOMOGENEOUS in ExpectedUtility(PiecewiseLinear([0.0], [2.0, 1.0])).properties
    )


def test_ce_of_power_is_homogeneous_and_eu_is_not():
    x = _draws()
    assert CertaintyEquivalent(Power(2.0))(3.0 * x) == pytest.approx(
        3.0 * CertaintyEquivalent(Power(2.0))(x)
    )
    assert ExpectedUtility(Power(2.0))(3.0 * x) != pytest.approx(
        3.0 * ExpectedUtility(Power(2.0))(x)
    )


@pytest.mark.parametrize("cls", [ExpectedUtility, CertaintyEquivalent])
def test_domain_errors(cls):
    with pytest.raises(DecideValueError, match=r"got smallest draw -1.0"):
        cls(Log())([2.0, -1.0])
    with pytest.raises(DecideValueError, match=r"got smallest draw -1.0"):
        cls(Power(0.5)).grad([2.0, -1.0])
