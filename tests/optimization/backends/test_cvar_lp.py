"""method="cvar-lp": the specialized CVaR solver behind optimize()."""

from __future__ import annotations

import numpy as np
import pytest

from decide._config import CVAR_LP_MIN_SAMPLES as AUTO_MIN_SAMPLES
from decide.errors import DecideTypeError, DecideValueError
from decide.measures import CVaR, Mean, MeanCVaR, MeanVariance
from decide.optimization import Budget, Integer, LinearConstraints, optimize
from decide.optimization.backends._cvar_lp import cvar_lp_form
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
    cert = b.diagnostics.certificate
    assert cert["gap"] <= 1e-9
    assert cert["upper_bound"] >= a.value - 1e-6 * abs(a.value)  # no solver beats the bound
    assert cert["lower_bound"] == pytest.approx(b.value, rel=1e-12)
    assert cert["lower_bound"] <= cert["upper_bound"]
    assert a.diagnostics.certificate is None
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


def test_warm_start_from_a_previous_decision_gives_the_same_optimum():
    R = _R(4000, seed=3)
    space = Budget(1.0)
    first = optimize(linear(R), 1.0 * Mean() + 1.0 * CVaR(0.1), space, method="cvar-lp")
    assert first.diagnostics.warm_state is not None
    np.testing.assert_array_equal(first.diagnostics.warm_state.x, first.flat_action)
    objective = 1.0 * Mean() + 4.0 * CVaR(0.1)
    cold = optimize(linear(R), objective, space, method="cvar-lp")
    warm = optimize(linear(R), objective, space, method="cvar-lp", warm_start=first)
    reference = optimize(linear(R), objective, space, method="cvxpy")
    assert warm.converged and warm.diagnostics.warm_state is not None
    assert warm.value == pytest.approx(cold.value, rel=1e-9, abs=1e-12)
    np.testing.assert_allclose(warm.value, reference.value, rtol=1e-6)


def test_warm_start_from_another_method_starts_at_its_action():
    R = _R(1500, seed=4)
    prior = optimize(linear(R), CVaR(0.05), Budget(1.0), method="cvxpy")
    assert prior.diagnostics.warm_state is None
    warm = optimize(linear(R), CVaR(0.2), Budget(1.0), method="cvar-lp", warm_start=prior)
    cold = optimize(linear(R), CVaR(0.2), Budget(1.0), method="cvar-lp")
    assert warm.value == pytest.approx(cold.value, rel=1e-9)


def test_bad_warm_start_is_named():
    R = _R(300)
    with pytest.raises(DecideTypeError, match="warm_start must be a Decision"):
        optimize(linear(R), CVaR(0.1), Budget(1.0), method="cvar-lp", warm_start=[0.25] * 4)
    other = optimize(linear(R[:, :3]), CVaR(0.1), Budget(1.0), method="cvar-lp")
    with pytest.raises(DecideValueError, match="3 action coordinates; this problem has 4"):
        optimize(linear(R), CVaR(0.1), Budget(1.0), method="cvar-lp", warm_start=other)
