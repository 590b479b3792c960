"""Integer actions: exact mixed-integer programs and rounding plus local search."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from decide.errors import ConvergenceWarning, DecideValueError
from decide.measures import CVaR, Mean
from decide.optimization import Box, Budget, Integer, optimize
from decide.outcomes import from_function, linear


def _budget_points(total: int, upper: int, n: int):
    for x in itertools.product(range(upper + 1), repeat=n):
        if sum(x) == total:
            yield np.array(x, dtype=float)


def test_mixed_integer_cvar_matches_brute_force():
    R = np.random.default_rng(0).multivariate_normal(
        [0.08, 0.05, 0.03], np.diag([0.09, 0.03, 0.005]), size=400
    )
    d = optimize(linear(R), CVaR(0.1), Integer(Budget(7, upper=5)))
    assert d.method == "cvxpy" and d.diagnostics.solver == "HIGHS" and d.converged
    brute = max(_budget_points(7, 5, 3), key=lambda x: CVaR(0.1)(R @ x))
    np.testing.assert_array_equal(d.flat_action, brute)
    assert np.all(d.flat_action == np.round(d.flat_action))


def test_local_search_for_a_nonlinear_outcome_matches_brute_force():
    rng = np.random.default_rng(1)
    beta = rng.normal([5.0, 3.0, 4.0], [1.0, 0.5, 2.0], size=(500, 3))

    def fn(x, p):
        return (p["beta"] * np.log1p(x)).sum(axis=1) - 0.5 * x.sum()

    outcome = from_function(fn, {"beta": beta}, action_shape=(3,))
    d = optimize(outcome, Mean(), Integer(Budget(9, upper=6)), random_seed=0)
    assert d.method == "scipy"
    assert any("local search" in s for s in d.diagnostics.notes)
    brute = max(_budget_points(9, 6, 3), key=lambda x: Mean()(outcome.draws(x)))
    np.testing.assert_array_equal(d.flat_action, brute)
    # an integer box without a budget
    d2 = optimize(outcome, Mean(), Integer(Box(0, 4)), random_seed=0)
    grid = [np.array(x, float) for x in itertools.product(range(5), repeat=3)]
    best = max(grid, key=lambda x: Mean()(outcome.draws(x)))
    np.testing.assert_array_equal(d2.flat_action, best)


def test_non_integer_bounds_raise():
    R = np.ones((10, 2))
    with pytest.raises(DecideValueError, match="integer upper bounds"):
        optimize(linear(R), Mean(), Integer(Box(0, 2.5)))
    with pytest.raises(DecideValueError, match="integer total"):
        Integer(Budget(3.5))


def test_local_search_step_limit_warns():
    beta = np.random.default_rng(2).normal(5.0, 1.0, size=(100, 2))

    def fn(x, p):
        return (p["beta"] * np.log1p(x)).sum(axis=1)

    outcome = from_function(fn, {"beta": beta}, action_shape=(2,))
    with pytest.warns(ConvergenceWarning):
        d = optimize(outcome, Mean(), Integer(Budget(40, upper=40)), method="scipy", x0=[40, 0],
                     max_steps=1, maxiter=1, n_starts=1)
    assert not d.converged and d.flat_action.sum() == 40
