"""Tests of decide.testing._problems: decision_problems() end to end with optimize."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from scipy.optimize import linprog

from decide.errors import DecideValueError
from decide.measures import CVaR, Mean
from decide.optimization import Box, optimize
from decide.testing import check_deterministic, decision_problems

FAST = settings(max_examples=15, derandomize=True, database=None, deadline=None)


def _lp_bounds(space, k):
    """(A_ub, b_ub, A_eq, b_eq, bounds) of a Box or Budget, rebuilt from its parameters."""
    if isinstance(space, Box):
        return None, None, None, None, list(zip(space.lower, space.upper))
    up = [None] * k if space.upper is None else list(np.broadcast_to(space.upper, (k,)))
    ones = np.ones((1, k))
    if space.equality:
        return None, None, ones, [space.total], list(zip([0.0] * k, up))
    return ones, [space.total], None, None, list(zip([0.0] * k, up))


@FAST
@given(decision_problems())
def test_problems_are_feasible_and_mean_matches_linprog(p):
    k = p.scenarios.shape[1]
    A_ub, b_ub, A_eq, b_eq, bounds = _lp_bounds(p.space, k)
    c = -p.scenarios.mean(axis=0)
    res = linprog(c, A_ub=A_ub, b_ub=b_ub, A_eq=A_eq, b_eq=b_eq, bounds=bounds, method="highs")
    assert res.status == 0  # feasible and bounded
    best = -res.fun + p.intercept.mean()
    d = optimize(p.outcome, Mean(), p.space)
    assert d.value == pytest.approx(best, rel=1e-6, abs=1e-6)
    np.testing.assert_allclose(p.outcome.draws(p.feasible), p.scenarios @ p.feasible + p.intercept)


@settings(max_examples=5, derandomize=True, database=None, deadline=None)
@given(decision_problems(space="budget", n_actions=3))
def test_optimize_is_deterministic(p):
    check_deterministic(optimize, p.outcome, CVaR(0.2), space=p.space, method="scipy",
                        random_seed=7)


def test_bad_space():
    with pytest.raises(DecideValueError, match="space"):
        decision_problems(space="simplex")
