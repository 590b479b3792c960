"""Budget feasibility on its boundary: sum(lower) == total is feasible, and so are sums off by rounding.

The expected actions are the only feasible points, so they are known without solving.
"""

from __future__ import annotations

import numpy as np
import pytest

from decide.errors import InfeasibleError
from decide.measures import Mean
from decide.optimization import Budget, optimize
from decide.outcomes import linear

R = np.random.default_rng(0).normal([1.0, 0.5, 0.2], 0.3, size=(200, 3))


@pytest.mark.parametrize("equality", [True, False])
def test_lower_bounds_summing_exactly_to_the_total_are_feasible(equality):
    lower = [0.25, 0.5, 0.25]
    space = Budget(1.0, lower=lower, equality=equality)
    space.linear_constraints(linear(R).action_space).check_feasible()
    d = optimize(linear(R), Mean(), space)
    np.testing.assert_allclose(d.flat_action, lower, atol=1e-7)  # the only feasible point


def test_lower_bounds_above_the_total_by_rounding_only_are_feasible():
    lower = [0.1, 0.2, 0.0]
    assert sum(lower) > 0.3  # 0.30000000000000004: above the total in floating point
    space = Budget(0.3, lower=lower)
    space.linear_constraints(linear(R).action_space).check_feasible()
    d = optimize(linear(R), Mean(), space)
    np.testing.assert_allclose(d.flat_action, lower, atol=1e-7)


def test_upper_bounds_below_the_total_by_rounding_only_are_feasible():
    upper = [0.1, 0.7, 0.0]
    assert sum(upper) < 0.8  # 0.7999999999999999
    space = Budget(0.8, upper=upper)
    d = optimize(linear(R), Mean(), space)
    np.testing.assert_allclose(d.flat_action, upper, atol=1e-7)


def test_lower_bounds_really_above_the_total_are_infeasible():
    with pytest.raises(InfeasibleError, match="at least 1.001"):
        optimize(linear(R), Mean(), Budget(1.0, lower=[0.5, 0.5, 0.001]))
    with pytest.raises(InfeasibleError, match="at most 0.999"):
        optimize(linear(R), Mean(), Budget(1.0, upper=[0.5, 0.499, 0.0]))
