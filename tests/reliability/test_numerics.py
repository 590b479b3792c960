"""Numerical edge cases found by the fuzzer, kept as regression tests.

Warnings are errors in the test run, so each case also checks that no numpy
RuntimeWarning (overflow, divide by zero) escapes: a number decide cannot
represent is a named DecideValueError, never an inf with a warning.
"""

from __future__ import annotations

import numpy as np
import pytest

from decide.errors import DecideValueError
from decide.measures import CertaintyEquivalent, ExpectedUtility, Log, Power, Sharpe, Sortino
from decide.optimization import Discrete, optimize
from decide.outcomes import linear


@pytest.mark.parametrize(("utility", "shown"), [(Power(2.0), "x**-2"), (Log(), "x**-1"),
                                                 (Power(5.0), "x**-5")])
@pytest.mark.parametrize("tiny", [1e-310, 5e-324])
def test_power_and_log_near_zero_raise_instead_of_overflowing(utility, shown, tiny) -> None:
    x = np.array([tiny, 1.0, 2.0])
    for measure in (ExpectedUtility(utility), CertaintyEquivalent(utility)):
        with pytest.raises(DecideValueError) as info:
            measure(x)
        assert repr(utility) in str(info.value) and repr(tiny) in str(info.value)
        assert shown in str(info.value)
        with pytest.raises(DecideValueError):
            measure.grad(x)


def test_power_near_zero_that_fits_is_scored_exactly() -> None:
    # u(x) = 1 - 1/x for gamma = 2: representable down to about 1e-154 for the derivative
    x = np.array([1e-150, 1.0])
    np.testing.assert_allclose(ExpectedUtility(Power(2.0))(x), np.mean(1.0 - 1.0 / x), rtol=1e-12)
    np.testing.assert_allclose(ExpectedUtility(Power(2.0)).grad(x), x**-2.0 / 2, rtol=1e-12)


def test_enumeration_with_tiny_outcomes_and_power_utility() -> None:
    # the fuzzer's counterexample: options that make some outcomes subnormal
    R = np.array([[1e-309], [2.0], [3.0]])
    with pytest.raises(DecideValueError, match="cannot score a draw this close to 0"):
        optimize(linear(R), ExpectedUtility(Power(2.0)), Discrete({"a": [1.0], "b": [2.0]}))


@pytest.mark.parametrize("measure", [Sharpe(), Sortino()], ids=["Sharpe", "Sortino"])
@pytest.mark.parametrize("scale", [1.0, 1e-9, 1e-120])
def test_ratio_gradients_for_a_tiny_spread(measure, scale) -> None:
    # sd**3 underflowed to 0 for a spread near 1e-110 (divide-by-zero warning); the gradient is
    # scale**-1 times the unit-scale gradient, exactly as the ratio is unit free
    x = np.random.default_rng(3).normal(0.3, 1.0, size=25)
    g1 = measure.grad(x)
    gs = measure.grad(x * scale)
    assert np.all(np.isfinite(gs))
    np.testing.assert_allclose(gs * scale, g1, rtol=1e-9)
    h = 1e-6
    i = 4
    e = np.zeros_like(x)
    e[i] = h
    assert g1[i] == pytest.approx((measure(x + e) - measure(x - e)) / (2 * h), rel=1e-6)
