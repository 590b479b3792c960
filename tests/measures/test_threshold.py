"""Threshold objectives: ProbabilityOfShortfall and ExpectedShortfallBelow."""

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
