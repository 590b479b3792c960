"""Spectral risk measures: against CVaR, brute force sorted weights, DCP form, validation."""

from __future__ import annotations

import numpy as np
import pytest

from decide.errors import DecideTypeError, DecideValueError
from decide.measures import CVaR, Property, Spectral


def test_cvar_is_a_distortion():
    x = np.random.default_rng(0).normal(size=53)
    w = np.random.default_rng(1).uniform(size=53)
    for alpha in (0.05, 0.2, 0.33):
        s = Spectral(distortion=lambda u, a=alpha: np.minimum(u / a, 1.0))
        assert s(x) == pytest.approx(CVaR(alpha)(x), abs=1e-12)
        assert s(x, weights=w) == pytest.approx(CVaR(alpha)(x, weights=w), abs=1e-12)
        np.testing.assert_allclose(s.grad(x), CVaR(alpha).grad(x), atol=1e-12)


def test_weights_of_sample_size_weight_sorted_draws():
    x = np.random.default_rng(2).normal(size=6)
    phi = np.array([6.0, 5.0, 3.0, 3.0, 1.0, 0.0])
    assert Spectral(weights=phi)(x) == pytest.approx(np.sort(x) @ phi / phi.sum())


@pytest.mark.parametrize("weighted", [False, True])
def test_cvxpy_mixture_of_cvars(weighted, helpers):
    rng = np.random.default_rng(3)
    x = rng.normal(size=11)
    w = rng.uniform(0.2, 1.0, size=11) if weighted else None
    s = Spectral(weights=[4.0, 2.0, 2.0, 1.0])
    assert helpers.cvx(s, x, w) == pytest.approx(s(x, weights=w), abs=1e-6)
    assert not Spectral(distortion=np.sqrt).has_cvxpy


def test_properties_and_validation():
    assert Property.COHERENT in Spectral(weights=[1.0]).properties
    with pytest.raises(DecideValueError, match=r"non-increasing.*got \[1.0, 2.0\]"):
        Spectral(weights=[1.0, 2.0])
    with pytest.raises(DecideValueError, match=r"non-negative.*got \[1.0, -1.0\]"):
        Spectral(weights=[1.0, -1.0])
    with pytest.raises(DecideValueError, match="concave"):
        Spectral(distortion=lambda u: u**2)
    with pytest.raises(DecideValueError, match=r"g\(1\) = 1"):
        Spectral(distortion=lambda u: 0.5 * u)
    with pytest.raises(DecideTypeError, match="exactly one"):
        Spectral()
