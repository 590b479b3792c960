"""Ratios (sharpe, sortino; Sharpe, Sortino): against numpy and brute force; gradients, validation."""

from __future__ import annotations

import numpy as np
import pytest

from decide.errors import DecideValueError
from decide.measures import Property, Sharpe, Sortino, sharpe, sortino

P = Property
SMOOTH = [Sharpe(0.1), Sortino(0.2)]


# -- functions ----------------------------------------------------------------------
def test_weighted_ratios_equal_repeated_draws():
    rng = np.random.default_rng(0)
    x = rng.normal(size=20)
    c = rng.integers(1, 4, size=20)
    rep = np.repeat(x, c)
    assert sharpe(x, weights=c) == pytest.approx(sharpe(rep), abs=1e-12)
    assert sortino(x, weights=c, target=0.1) == pytest.approx(sortino(rep, target=0.1))


def test_against_numpy():
    x = np.random.default_rng(1).normal(2.0, 3.0, size=(100, 3))
    np.testing.assert_allclose(sharpe(x, risk_free=1.0), (x.mean(0) - 1.0) / x.std(0))


def test_zero_spread_ratio_raises():
    with pytest.raises(DecideValueError, match="zero standard deviation"):
        sharpe([1.0, 1.0])
    with pytest.raises(DecideValueError, match="zero downside deviation"):
        sortino([1.0, 2.0], target=0.0)


# -- objectives ---------------------------------------------------------------------
@pytest.mark.parametrize("objective", SMOOTH, ids=repr)
@pytest.mark.parametrize("weighted", [False, True])
def test_grad_against_finite_differences(objective, weighted, helpers):
    rng = np.random.default_rng(1)
    x = rng.normal(size=14)
    w = rng.uniform(0.5, 1.5, size=14) if weighted else None
    num = helpers.fd(lambda v: objective(v, weights=w), x)
    np.testing.assert_allclose(objective.grad(x, weights=w), num, atol=1e-6)


def test_ratios_have_no_dcp_form():
    assert not Sharpe().has_cvxpy and not Sortino().has_cvxpy
    with pytest.raises(NotImplementedError):
        Sharpe().to_cvxpy(None)


def test_properties():
    assert Sharpe().properties == {P.LAW_INVARIANT}


def test_validation():
    with pytest.raises(DecideValueError, match="risk_free must be a finite number; got nan"):
        Sharpe(float("nan"))
    with pytest.raises(DecideValueError, match="zero standard deviation"):
        Sharpe().grad([2.0, 2.0])


def test_replicates_pool_into_one_law():
    x = np.random.default_rng(3).normal(size=(20, 5))
    for m in SMOOTH:
        assert m(x) == pytest.approx(m(x.ravel()))
        np.testing.assert_allclose(m.grad(x).ravel(), m.grad(x.ravel()))
