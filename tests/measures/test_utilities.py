"""Utility functions: values, derivatives, inverses (through certainty_equivalent), cvxpy forms, domains."""

from __future__ import annotations

import math

import numpy as np
import pytest

from decide.errors import DecideTypeError, DecideValueError
from decide.measures import (
    Exponential,
    Linear,
    Log,
    PiecewiseLinear,
    Power,
    Quadratic,
    certainty_equivalent,
    expected_utility,
)

UTILS = [
    Linear(),
    Exponential(0.7),
    Exponential(0.0),
    Power(0.5),
    Power(1.0),
    Power(3.0),
    Log(),
    Quadratic(0.05),
    PiecewiseLinear([0.0], [2.25, 1.0]),
    PiecewiseLinear([-1.0, 2.0], [1.0, 2.0, 0.5]),
]


@pytest.mark.parametrize("u", UTILS, ids=repr)
def test_derivative_and_inverse(u):
    x = np.array(
        [0.3, 0.8, 1.7, 3.2, 4.1]
    )  # positive, below Quadratic's bliss point, off the kinks
    numeric = np.array([(u(xi + 1e-6) - u(xi - 1e-6)) / 2e-6 for xi in x])
    np.testing.assert_allclose(u.derivative(x), numeric, atol=1e-6)
    np.testing.assert_allclose(u.inverse(u(x)), x, rtol=1e-10)
    assert np.all(np.diff(u(x)) > 0)


def test_closed_forms():
    x = np.array([0.5, 2.0])
    np.testing.assert_allclose(Exponential(2.0)(x), (1 - np.exp(-2 * x)) / 2)
    np.testing.assert_allclose(Power(3.0)(x), (x**-2 - 1) / -2)
    np.testing.assert_allclose(Power(1.0)(x), np.log(x))
    np.testing.assert_allclose(Quadratic(0.1)(x), x - 0.1 * x**2)
    np.testing.assert_allclose(PiecewiseLinear([0.0], [2.25, 1.0])([-2.0, 3.0]), [-4.5, 3.0])
    u = PiecewiseLinear([-1.0, 2.0], [1.0, 2.0, 0.5])
    assert float(u(0.0)) == 0.0 and float(u(-1.0)) == -2.0 and float(u(3.0)) == 4.5


@pytest.mark.parametrize("u", [u for u in UTILS if u.has_cvxpy], ids=repr)
def test_cvxpy_forms(u):
    cp = pytest.importorskip("cvxpy")
    x = np.array([0.3, 0.8, 1.7, 3.2])
    v = cp.Variable(4)
    e = u.to_cvxpy(v)
    assert e.is_concave()
    v.value = x
    np.testing.assert_allclose(e.value, u(x), atol=1e-12)


def test_non_concave_piecewise_has_no_form():
    u = PiecewiseLinear([0.0], [1.0, 2.0])
    assert not u.concave and not u.has_cvxpy


def test_certainty_equivalent_is_inverse_of_expected_utility():
    x = np.random.default_rng(1).lognormal(size=50)
    for u in UTILS:
        if isinstance(u, Quadratic):
            y = x / (4 * x.max() * u.b)  # below the bliss point
        else:
            y = x
        ce = certainty_equivalent(y, u)
        assert float(u(ce)) == pytest.approx(expected_utility(y, u), rel=1e-10, abs=1e-12)
    assert certainty_equivalent(x, Log()) == pytest.approx(math.exp(np.log(x).mean()))
    assert certainty_equivalent(x, Power(3.0)) == pytest.approx(np.mean(x**-2.0) ** -0.5)


@pytest.mark.parametrize("u", [Power(2.0), Log()], ids=repr)
def test_domain(u):
    with pytest.raises(DecideValueError, match=r"positive outcomes only; got smallest draw -0.5"):
        expected_utility([1.0, -0.5, 2.0], u)
    with pytest.raises(DecideValueError, match=r"got smallest draw 0.0"):
        certainty_equivalent([1.0, 0.0], u)


def test_validation():
    with pytest.raises(DecideValueError, match=r"risk_aversion must be in \[0, inf\); got -1.0"):
        Exponential(-1.0)
    with pytest.raises(DecideValueError, match=r"risk_aversion must be in \[0, inf\); got inf"):
        Power(float("inf"))
    with pytest.raises(DecideValueError, match=r"b must be in \[0, inf\); got -0.1"):
        Quadratic(-0.1)
    with pytest.raises(DecideValueError, match=r"slopes must have one more entry"):
        PiecewiseLinear([0.0], [1.0])
    with pytest.raises(DecideValueError, match=r"strictly increasing; got \[1.0, 0.0\]"):
        PiecewiseLinear([1.0, 0.0], [3.0, 2.0, 1.0])
    with pytest.raises(
        DecideValueError, match=r"slopes must be positive and finite; got \[1.0, -1.0\]"
    ):
        PiecewiseLinear([0.0], [1.0, -1.0])
    with pytest.raises(DecideTypeError, match="utility must be a decide.measures.Utility"):
        expected_utility([1.0], np.log)
