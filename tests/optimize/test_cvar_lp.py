"""method="cvar-lp": the specialized CVaR solver behind optimize()."""

from __future__ import annotations

import numpy as np
import pytest

from decide.errors import DecideValueError
from decide.measures import CVaR, Mean, MeanCVaR, MeanVariance
from decide.optimize import Budget, Integer, LinearConstraints, optimize
from decide.optimize._cvar_lp import AUTO_MIN_SAMPLES, cvar_lp_form
from decide.outcomes import linear


def _R(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return 0.001 * np.arange(1, 5) + 0.01 * rng.standard_t(5, size=(n, 4)) * np.arange(1, 5)


def test_objective_forms():
    assert cvar_lp_form(CVaR(0.05)) == (0.05, 0.0, 1.0)
    assert cvar_lp_form(MeanCVaR(2.0, 0.1)) == (0.1, 1.0, 2.0)
    assert cvar_lp_form(0.5 * Mean() + 3.0 * CVaR(0.1)) == (0.1, 0.5, 3.0)
    assert cvar_lp_form(CVaR(0.1) + CVaR(0.05)) is None  # two different tails
    assert cvar_lp_form(MeanVariance(1.0)) is None
    assert cvar_lp_form(Mean()) is None


@pytest.mark.parametrize(
    "objective", [CVaR(0.05), MeanCVaR(1.5, 0.1), 1.0 * Mean() + 2.0 * CVaR(0.05)],
    ids=["cvar", "mean_cvar", "sum"],
)
def test_cvar_lp_agrees_with_cvxpy(objective):
    R = _R(3000)
    space = Budget(1.0, upper=0.6) & LinearConstraints([[1.0, 1.0, 0.0, 0.0]], ub=0.7)
    a = optimize(linear(R), objective, space, method="cvxpy")
    b = optimize(linear(R), objective, space, method="cvar-lp")
    assert b.method == "cvar-lp" and b.converged and b.diagnostics.solver == "cvar-lp"
    np.testing.assert_allclose(b.value, a.value, rtol=1e-6)
    np.testing.assert_allclose(b.flat_action, a.flat_action, atol=1e-4)


def test_auto_picks_cvar_lp_for_many_samples():
    R = _R(AUTO_MIN_SAMPLES)
    d = optimize(linear(R), CVaR(0.05), Budget(1.0))
    assert d.method == "cvar-lp"
    assert optimize(linear(R[:1000]), CVaR(0.05), Budget(1.0)).method == "cvxpy"
    # sample weights or integers: not for the specialized solver
    assert optimize(linear(R[:500]), CVaR(0.05), Budget(1.0),
                    weights=np.ones(500)).method == "cvxpy"


def test_cvar_lp_refuses_what_it_cannot_solve():
    R = _R(200)
    with pytest.raises(DecideValueError, match="specialized CVaR LP"):
        optimize(linear(R), MeanVariance(1.0), Budget(1.0), method="cvar-lp")
    with pytest.raises(DecideValueError, match="Methods that work here"):
        optimize(linear(R), CVaR(0.1), Integer(Budget(3)), method="cvar-lp")
