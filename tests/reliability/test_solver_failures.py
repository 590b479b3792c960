"""Solver failure injection: a fallback is used and recorded, or a clear error is raised.

The solvers are monkeypatched to raise, to return infeasible / inaccurate / lying
statuses, or to return garbage, on the cvxpy path, the scipy path and the cvar-lp
path. Whatever happens, ``optimize`` never returns a missing or non-finite action,
never returns silently after a failure, and every fallback is in ``Decision.diagnostics``.
"""

from __future__ import annotations

import dataclasses
import warnings

import numpy as np
import pytest
import scipy.optimize

import decide._config as _config
import decide.optimization.backends._cvxpy as cvx_backend
import decide.optimization.cvar_lp._solve as cvar_fast
from decide.errors import ConvergenceWarning, SolverError
from decide.measures import CVaR, Mean, MeanCVaR, MeanVariance
from decide.optimization import Budget, optimize
from decide.outcomes import from_function, linear

R = np.random.default_rng(7).normal([0.06, 0.03, 0.01], [0.25, 0.1, 0.02], size=(300, 3))
SPACE = Budget(1.0, upper=0.7)


def _reference(objective) -> np.ndarray:
    """The optimum from the unpatched exact solver."""
    return optimize(linear(R), objective, SPACE, method="cvxpy").flat_action


def _assert_usable(d, objective) -> None:
    x = d.flat_action
    assert x is not None and x.shape == (3,) and np.all(np.isfinite(x))
    assert d.action is not None
    viol, where = SPACE.linear_constraints(linear(R).action_space).violation(x)
    assert viol <= 1e-6, where
    assert d.value == pytest.approx(float(objective(linear(R).draws(x))), rel=1e-9, abs=1e-12)


# -- cvxpy --------------------------------------------------------------------------------
def _raising(problem, solver, **kw):
    raise RuntimeError(f"{solver} crashed")


def _status(status: str, solve: bool):
    real = cvx_backend._call_solver

    def fake(problem, solver, **kw):
        if solve:
            real(problem, solver, **kw)
        return status

    return fake


CVXPY_FAILURES = {
    "raise": (_raising, "raised RuntimeError"),
    "infeasible": (_status("infeasible", solve=False), "status 'infeasible'"),
    "infeasible_inaccurate": (_status("infeasible_inaccurate", solve=False),
                              "status 'infeasible_inaccurate'"),
    "solver_error": (_status("solver_error", solve=False), "status 'solver_error'"),
    "optimal without a solution": (_status("optimal", solve=False), "status 'optimal'"),
}


@pytest.mark.parametrize("failure", list(CVXPY_FAILURES))
def test_cvxpy_failing_everywhere_falls_back_to_scipy_under_auto(monkeypatch, failure) -> None:
    objective = MeanVariance(3.0)
    expected = _reference(objective)
    fake, reason = CVXPY_FAILURES[failure]
    monkeypatch.setattr(cvx_backend, "_call_solver", fake)
    d = optimize(linear(R), objective, SPACE, random_seed=0)
    assert d.method == "scipy" and d.converged
    first = d.diagnostics.fallbacks[0]
    assert first.startswith("cvxpy: every solver failed")
    for solver in ("CLARABEL", "HIGHS", "SCS"):
        assert f"{solver}: " in first and reason in first
    _assert_usable(d, objective)
    np.testing.assert_allclose(d.flat_action, expected, atol=1e-4)


@pytest.mark.parametrize("failure", list(CVXPY_FAILURES))
def test_cvxpy_failing_everywhere_raises_when_asked_for(monkeypatch, failure) -> None:
    fake, reason = CVXPY_FAILURES[failure]
    monkeypatch.setattr(cvx_backend, "_call_solver", fake)
    with pytest.raises(SolverError) as info:
        optimize(linear(R), CVaR(0.1), SPACE, method="cvxpy")
    message = str(info.value)
    assert "CLARABEL" in message and "HIGHS" in message and "SCS" in message
    assert reason in message and "method='scipy'" in message


@pytest.mark.parametrize("failure", list(CVXPY_FAILURES))
def test_cvxpy_first_solver_failing_uses_the_next(monkeypatch, failure) -> None:
    objective = CVaR(0.1)
    expected = _reference(objective)
    fake, reason = CVXPY_FAILURES[failure]
    real = cvx_backend._call_solver
    monkeypatch.setattr(
        cvx_backend, "_call_solver",
        lambda problem, solver, **kw: (fake if solver == "CLARABEL" else real)(problem, solver, **kw),
    )
    d = optimize(linear(R), objective, SPACE, method="cvxpy")
    assert d.diagnostics.solver == "HIGHS" and d.converged
    assert d.diagnostics.fallbacks[0].startswith("CLARABEL: ") and reason in d.diagnostics.fallbacks[0]
    _assert_usable(d, objective)
    np.testing.assert_allclose(d.flat_action, expected, atol=1e-6)


def test_cvxpy_inaccurate_everywhere_keeps_the_solution_and_warns(monkeypatch) -> None:
    objective = CVaR(0.1)
    monkeypatch.setattr(cvx_backend, "_call_solver", _status("optimal_inaccurate", solve=True))
    with pytest.warns(ConvergenceWarning, match="did not converge"):
        d = optimize(linear(R), objective, SPACE, method="cvxpy")
    assert not d.converged and d.diagnostics.status == "optimal_inaccurate"
    assert len(d.diagnostics.fallbacks) == 3
    assert any("inaccurate solution" in n for n in d.diagnostics.notes)
    assert not bool(d.summary()["converged"].iloc[0])
    assert "NOT CONVERGED" in repr(d)
    _assert_usable(d, objective)


# -- scipy --------------------------------------------------------------------------------
def _nonlinear():
    """A concave, non-affine outcome (so scipy is the backend): sqrt returns per element."""
    theta = np.abs(np.random.default_rng(1).normal([1.0, 0.8, 0.5], 0.2, size=(200, 3)))
    return from_function(
        lambda x, p: (p["theta"] * np.sqrt(x + 0.01)).sum(axis=1),
        {"theta": theta}, action_shape=3,
    ), theta


def test_scipy_crashing_on_every_start_raises_a_solver_error(monkeypatch) -> None:
    outcome, _ = _nonlinear()

    def crash(*args, **kwargs):
        raise FloatingPointError("simulated SLSQP crash")

    monkeypatch.setattr(scipy.optimize, "minimize", crash)
    with pytest.raises(SolverError) as info:
        optimize(outcome, Mean(), SPACE, method="scipy", n_starts=3, random_seed=0)
    message = str(info.value)
    assert "every SLSQP start failed" in message
    assert message.count("FloatingPointError: simulated SLSQP crash") == 3


@pytest.mark.parametrize("bad", ["raise", "nan"])
def test_scipy_one_start_failing_uses_the_others(monkeypatch, bad) -> None:
    outcome, _ = _nonlinear()
    reference = optimize(outcome, Mean(), SPACE, method="scipy", n_starts=3, random_seed=0)
    real = scipy.optimize.minimize
    calls = {"n": 0}

    def flaky(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == 1:
            if bad == "raise":
                raise FloatingPointError("simulated")
            res = real(*args, **kwargs)
            res.x = np.full_like(res.x, np.nan)
            return res
        return real(*args, **kwargs)

    monkeypatch.setattr(scipy.optimize, "minimize", flaky)
    d = optimize(outcome, Mean(), SPACE, method="scipy", n_starts=3, random_seed=0)
    assert d.converged
    assert d.diagnostics.fallbacks and d.diagnostics.fallbacks[0].startswith("SLSQP start 0:")
    assert d.diagnostics.starts[0]["x"] is None
    assert np.all(np.isfinite(d.flat_action))
    np.testing.assert_allclose(d.flat_action, reference.flat_action, atol=1e-5)


def test_scipy_unsuccessful_status_warns_and_is_flagged(monkeypatch) -> None:
    outcome, _ = _nonlinear()
    real = scipy.optimize.minimize

    def gives_up(*args, **kwargs):
        res = real(*args, **kwargs)
        res.success, res.status, res.message = False, 9, "Iteration limit reached"
        return res

    monkeypatch.setattr(scipy.optimize, "minimize", gives_up)
    with pytest.warns(ConvergenceWarning, match="Iteration limit reached"):
        d = optimize(outcome, Mean(), SPACE, method="scipy", random_seed=0)
    assert not d.converged and d.diagnostics.status == "Iteration limit reached"
    assert not bool(d.summary()["converged"].iloc[0])
    assert "NOT CONVERGED" in repr(d)
    assert np.all(np.isfinite(d.flat_action))


def test_real_non_convergence_is_flagged() -> None:
    outcome, _ = _nonlinear()
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        d = optimize(outcome, Mean(), SPACE, method="scipy", maxiter=1, n_starts=1)
    assert [w.category for w in caught] == [ConvergenceWarning]
    assert "did not converge" in str(caught[0].message)
    assert d.diagnostics.converged is False
    assert not bool(d.summary().loc["decision", "converged"])
    viol, _ = SPACE.linear_constraints(outcome.action_space).violation(d.flat_action)
    assert viol <= 1e-6


# -- cvar-lp ------------------------------------------------------------------------------
def _patch_cvar(monkeypatch, fake) -> None:
    monkeypatch.setattr(cvar_fast, "solve_cvar_lp", fake)


def test_cvar_lp_crash_raises_a_solver_error(monkeypatch) -> None:
    _patch_cvar(monkeypatch, lambda *a, **k: (_ for _ in ()).throw(MemoryError("simulated")))
    with pytest.raises(SolverError, match=r"CVaR LP solver failed: MemoryError: simulated.*cvxpy"):
        optimize(linear(R), CVaR(0.1), SPACE, method="cvar-lp")


@pytest.mark.parametrize("bad", ["raise", "nan action"])
def test_cvar_lp_failure_under_auto_falls_back_to_cvxpy(monkeypatch, bad) -> None:
    objective = MeanCVaR(2.0, 0.1)
    expected = _reference(objective)
    real = cvar_fast.solve_cvar_lp

    def fake(*args, **kwargs):
        if bad == "raise":
            raise RuntimeError("simulated HiGHS crash")
        res = real(*args, **kwargs)
        return dataclasses.replace(res, x=np.full_like(res.x, np.nan))

    _patch_cvar(monkeypatch, fake)
    monkeypatch.setattr(_config, "CVAR_LP_MIN_SAMPLES", 100)  # auto picks cvar-lp for 300 samples
    d = optimize(linear(R), objective, SPACE)
    assert d.method == "cvxpy" and d.converged
    assert d.diagnostics.fallbacks[0].startswith("cvar-lp: ")
    _assert_usable(d, objective)
    np.testing.assert_allclose(d.flat_action, expected, atol=1e-6)


def test_cvar_lp_without_certificate_warns_and_is_flagged(monkeypatch) -> None:
    real = cvar_fast.solve_cvar_lp

    def stalls(*args, **kwargs):
        return dataclasses.replace(real(*args, **kwargs), status="max_rounds", gap=0.5)

    _patch_cvar(monkeypatch, stalls)
    with pytest.warns(ConvergenceWarning, match="status 'max_rounds'"):
        d = optimize(linear(R), CVaR(0.1), SPACE, method="cvar-lp")
    assert not d.converged and d.diagnostics.status == "max_rounds"
    assert not bool(d.summary()["converged"].iloc[0])
    _assert_usable(d, CVaR(0.1))
