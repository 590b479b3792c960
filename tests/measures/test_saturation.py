"""ExpectedUtility(Exponential(a)) saturation and the relative parameterization."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from decide.errors import DecideValueError, SaturationWarning
from decide.measures import CertaintyEquivalent, ExpectedUtility, Exponential


def test_saturated_expected_utility_warns_and_certainty_equivalent_ranks():
    rng = np.random.default_rng(0)
    safe = rng.normal(300.0, 5.0, 4000)   # outcomes in the hundreds
    risky = rng.normal(310.0, 60.0, 4000)
    eu = ExpectedUtility(Exponential(0.3))
    with pytest.warns(SaturationWarning, match="relative"):
        v_safe = eu(safe)
    with pytest.warns(SaturationWarning):
        v_risky = eu(risky)
    # the symptom: both equal 1/a to 8 digits, so nothing ranks them
    assert v_safe == pytest.approx(1 / 0.3, rel=1e-8)
    assert v_risky == pytest.approx(1 / 0.3, rel=1e-8)
    # the certainty equivalent -log(mean(exp(-a x))) / a, by log-sum-exp in numpy
    def ce(x, a=0.3):
        z = -a * x
        return -(z.max() + np.log(np.mean(np.exp(z - z.max())))) / a

    ce_obj = CertaintyEquivalent(Exponential(0.3))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert ce_obj(safe) == pytest.approx(ce(safe), rel=1e-10)
        assert ce_obj(risky) == pytest.approx(ce(risky), rel=1e-10)
    assert ce_obj(safe) > ce_obj(risky)  # the risk-averse choice is the safe one


def test_unsaturated_expected_utility_is_silent():
    x = np.random.default_rng(1).normal(3.0, 1.0, 1000)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        value = ExpectedUtility(Exponential(0.3))(x)
    assert value == pytest.approx(np.mean((1 - np.exp(-0.3 * x)) / 0.3))


def test_relative_risk_aversion_is_scale_free():
    u = Exponential.relative(1.0, scale=40.0)
    assert u.risk_aversion == pytest.approx(1.0 / 40.0)
    rng = np.random.default_rng(2)
    z = rng.normal(0.0, 1.0, 20000)
    # normal outcome, scale = its sd: CE = mu - r sigma / 2 whatever the units
    for sigma in (1.0, 40.0, 1000.0):
        x = 5 * sigma + sigma * z
        ce = CertaintyEquivalent(Exponential.relative(1.0, scale=sigma))(x)
        assert (ce - x.mean()) / sigma == pytest.approx(-0.5, abs=0.03)
    for bad in (0.0, -1.0, np.inf):
        with pytest.raises(DecideValueError, match="scale"):
            Exponential.relative(1.0, scale=bad)
    with pytest.raises(DecideValueError, match="risk_aversion"):
        Exponential.relative(-1.0, scale=1.0)
