"""The derivative-free backend, the smoothness the chooser reads, and its rule by dimension."""

from __future__ import annotations

import numpy as np
import pytest

from decide.errors import ConvergenceWarning, DecideValueError
from decide.measures import CVaR, Mean, Sharpe, VaR
from decide.optimization import Box, Budget, Discrete, choose_method, optimize
from decide.outcomes import from_function, linear, mixture

THETA = np.random.default_rng(0).normal(3.0, 0.5, size=200)


def _quad(smoothness: str = "smooth"):
    # y = -(a - theta)^2: the mean is maximized at a = mean(theta)
    return from_function(lambda a, p: -((a - p["t"]) ** 2), {"t": THETA}, action_shape=(),
                         smoothness=smoothness)


def _steps(smoothness: str = "smooth"):
    # a step function of the action: -(round(20 a) / 20 - theta)^2, flat on steps of 0.05
    return from_function(lambda a, p: -((np.round(20 * a) / 20 - p["t"]) ** 2), {"t": THETA},
                         action_shape=(), smoothness=smoothness)


def test_smoothness_is_declared_by_the_outcome() -> None:
    assert _quad().smoothness == "smooth"
    assert _quad("nonsmooth").smoothness == "nonsmooth"
    assert _quad("nonsmooth").subset([0, 1, 2]).smoothness == "nonsmooth"
    assert linear(np.ones((5, 2))).smoothness == "smooth"
    mix = mixture({"a": _quad(), "b": _quad("nonsmooth")}, weights={"a": 0.5, "b": 0.5})
    assert mix.smoothness == "nonsmooth"
    with pytest.raises(DecideValueError, match=r"smoothness must be one of .*got 'rough'"):
        _quad("rough")


def test_auto_chooses_derivative_free_for_nonsmooth_or_gradient_free_objectives() -> None:
    assert choose_method(_quad(), Mean(), Box(0, 6)) == "scipy"
    assert choose_method(_quad("nonsmooth"), Mean(), Box(0, 6)) == "derivative-free"
    assert VaR(0.1).has_grad is False  # no gradient: derivative-free takes over
    assert choose_method(_quad(), VaR(0.1), Box(0, 6)) == "derivative-free"
    # unbounded: no global search possible, scipy stays (and the verification checks it)
    assert choose_method(_quad("nonsmooth"), Mean(), Box(0, np.inf)) == "scipy"


def test_noisy_outcome_is_refused_on_continuous_spaces_with_the_remedy() -> None:
    rng = np.random.default_rng(1)
    om = from_function(lambda a, p: a * p["t"] + rng.normal(size=p["t"].shape), {"t": THETA},
                       action_shape=(), smoothness="noisy")
    with pytest.raises(DecideValueError, match=r"mode='crn'"):
        optimize(om, Mean(), Box(0, 6))
    d = optimize(om, Mean(), Discrete({"low": 0.0, "high": 6.0}))  # options are scored
    assert d.option == "high"


@pytest.mark.parametrize("seed", range(5))
def test_one_dimension_rule_finds_the_step_optimum(seed: int) -> None:
    d = optimize(_steps("nonsmooth"), Mean(), Box(0, 6), random_seed=seed)
    grid = np.round(np.linspace(0, 6, 121) * 20) / 20
    vals = [-np.mean((g - THETA) ** 2) for g in grid]
    assert d.method == "derivative-free"
    assert d.value == pytest.approx(max(vals), abs=1e-12)
    assert "one free action dimension" in d.diagnostics.method_reason
    assert d.converged and set(d.diagnostics.verification.checks) == {"local_probe", "optimality_gap"}


def test_few_dimensions_rule_on_a_budget() -> None:
    # three actions on a budget of 1 (two free dimensions): y = -sum_i (a_i - c_i theta)^2
    c = np.array([0.2, 0.3, 0.5])
    om = from_function(lambda a, p: -np.sum((a - c * p["t"][:, None] / 3) ** 2, axis=1),
                       {"t": THETA}, action_shape=(3,), smoothness="nonsmooth")
    d = optimize(om, Mean(), Budget(1.0), random_seed=0)
    # the projection of E[c theta / 3] onto the simplex plane
    m = c * THETA.mean() / 3
    expected = m + (1.0 - m.sum()) / 3
    assert "2 free action dimensions" in d.diagnostics.method_reason
    np.testing.assert_allclose(d.flat_action, expected, atol=2e-3)
    assert d.converged
    assert d.flat_action.sum() == pytest.approx(1.0, abs=1e-9)


def test_many_dimensions_rule_says_what_it_does() -> None:
    k = 10
    target = np.linspace(0.1, 0.9, k)
    om = from_function(lambda a, p: -np.sum((a - target * p["t"][:, None] / 3) ** 2, axis=1),
                       {"t": THETA[:40]}, action_shape=(k,), smoothness="nonsmooth")
    d = optimize(om, Mean(), Box(0, 1), random_seed=0, n_starts=1)
    assert "COBYQA" in d.diagnostics.method_reason and "local optimum" in d.diagnostics.method_reason
    np.testing.assert_allclose(d.flat_action, np.clip(target * THETA[:40].mean() / 3, 0, 1),
                               atol=2e-3)


def test_planted_stall_is_flagged_not_converged() -> None:
    # SLSQP with finite differences on a step function: a zero gradient at the start, "success"
    with pytest.warns(ConvergenceWarning, match=r"local_probe FAILED.*derivative-free"):
        d = optimize(_steps(), Mean(), Box(0, 10), method="scipy", n_starts=1)
    assert not d.converged
    ver = d.diagnostics.verification
    assert ver.checks["local_probe"] is False and ver.details["probe_best_gain"] > 0
    assert "Discrete grid" in ver.advice


def test_auto_hands_a_stalled_gradient_solve_to_derivative_free() -> None:
    d = optimize(_steps(), Mean(), Box(0, 10), random_seed=0)  # smoothness not declared
    assert d.method == "derivative-free" and d.converged
    assert d.diagnostics.fallbacks and d.diagnostics.fallbacks[0].startswith("scipy: not verified")
    assert "a point near its answer scored better" in d.diagnostics.method_reason


def test_scipy_global_keeps_the_global_point_when_the_polish_is_worse(monkeypatch) -> None:
    import decide.optimization.backends._scipy as sp

    real = sp._local

    def bad_polish(f, z0, sysz, method, maxiter, tol, *rest):  # a polish that walks away downhill
        res = real(f, z0, sysz, method, maxiter, tol, *rest)
        res.x = np.clip(np.asarray(z0) + 0.3, sysz.lb, sysz.ub)
        return res

    monkeypatch.setattr(sp, "_local", bad_polish)
    om = _quad()
    d = optimize(om, Mean(), Box(0, 6), method="scipy-global", random_seed=0, n_starts=1)
    assert any("kept differential evolution's point" in n for n in d.diagnostics.notes)
    assert d.flat_action[0] == pytest.approx(THETA.mean(), abs=1e-3)


@pytest.mark.parametrize("method", ["scipy-global", "derivative-free"])
def test_sharpe_on_constant_draws_is_a_clear_error(method: str) -> None:
    with pytest.raises(DecideValueError, match="zero standard deviation"):
        optimize(linear(np.full((50, 2), 3.0)), Sharpe(), Box(0, 1), method=method, random_seed=0)


def test_cvar_on_counts_is_verified_by_the_gap() -> None:
    from scipy import stats

    rng = np.random.default_rng(3)
    u, b = rng.uniform(size=300), rng.normal(-2.0, 0.2, 300)
    om = from_function(lambda p, q: (p - 5) * stats.poisson.ppf(q["u"], 100 * (p / 12) ** q["b"]),
                       {"u": u, "b": b}, action_shape=(), smoothness="nonsmooth")
    d = optimize(om, CVaR(0.1), Box(6, 25), random_seed=0)
    gap = d.diagnostics.verification.details
    assert d.converged and 0 <= gap["gap"] <= gap["gap_upper_95"] <= gap["gap_tolerance"]
    assert gap["batch_solutions"].shape == (4, 1)
