"""Action spaces: their linear-constraint arrays, feasibility checks and bad input."""

from __future__ import annotations

import numpy as np
import pytest

from decide.errors import DecideTypeError, DecideValueError, InfeasibleError
from decide.optimization import (
    Box,
    Budget,
    Constraints,
    Discrete,
    Integer,
    LinearConstraints,
)
from decide.outcomes import ActionSpec, OutcomeModel

SPEC = ActionSpec(names=("spend",), shapes=((3,),), dims=(("channel",),),
                  coords={"channel": ["tv", "radio", "web"]})


def test_box_bounds_broadcast_and_dict():
    s = Box(0.0, {"spend": [1.0, 2.0, 3.0]}).linear_constraints(SPEC)
    np.testing.assert_array_equal(s.lb, [0.0, 0.0, 0.0])
    np.testing.assert_array_equal(s.ub, [1.0, 2.0, 3.0])
    assert s.A_ub.shape == (0, 3) and s.A_eq.shape == (0, 3)
    assert s.bounded
    unbounded = Box().linear_constraints(SPEC)
    assert not unbounded.bounded and np.all(np.isinf(unbounded.lb))


def test_budget_equality_and_inequality_rows():
    eq = Budget(10.0, upper=6.0).linear_constraints(SPEC)
    np.testing.assert_array_equal(eq.A_eq, np.ones((1, 3)))
    np.testing.assert_array_equal(eq.b_eq, [10.0])
    assert eq.A_ub.shape == (0, 3)
    le = Budget(10.0, equality=False).linear_constraints(SPEC)
    np.testing.assert_array_equal(le.A_ub, np.ones((1, 3)))
    assert le.as_kwargs()["A_eq"] is None and le.as_kwargs()["b_ub"][0] == 10.0


def test_linear_constraints_split_rows_and_intersection():
    lc = LinearConstraints([[1.0, -1.0, 0.0], [0.0, 1.0, 1.0], [1.0, 1.0, 1.0]],
                           lb=[-np.inf, 1.0, 5.0], ub=[0.0, 4.0, 5.0])
    space = Box(0.0, 5.0) & Budget(5.0, upper=3.0) & lc
    assert isinstance(space, Constraints) and len(space.parts) == 3
    s = space.linear_constraints(SPEC)
    np.testing.assert_array_equal(s.ub, [3.0, 3.0, 3.0])  # tighter of Box and Budget
    # rows: x0 - x1 <= 0 ; x1 + x2 <= 4 ; -(x1 + x2) <= -1
    np.testing.assert_array_equal(s.A_ub, [[1, -1, 0], [0, 1, 1], [0, -1, -1]])
    np.testing.assert_array_equal(s.b_ub, [0.0, 4.0, -1.0])
    np.testing.assert_array_equal(s.A_eq, [[1, 1, 1], [1, 1, 1]])
    s.check_feasible()  # e.g. (1, 2, 2) is inside
    assert s.violation(np.array([1.0, 2.0, 2.0]))[0] == 0.0
    # a list is the same intersection
    s2 = Constraints([Box(0.0, 5.0), Budget(5.0, upper=3.0), lc]).linear_constraints(SPEC)
    np.testing.assert_array_equal(s2.A_ub, s.A_ub)


def test_infeasible_budget_lower_bounds_above_total():
    with pytest.raises(InfeasibleError, match=r"Budget\(total=10.*at least 12 \(lower bounds "
                                              r"\[4, 4, 4\], upper bounds \[inf, inf, inf\]"):
        Budget(10.0, lower=4.0).linear_constraints(SPEC).check_feasible()


def test_infeasible_budget_upper_bounds_below_total():
    # the bounds are named (the space's repr in the message leaves them out)
    with pytest.raises(InfeasibleError, match=r"Budget\(total=10.*at most 9 \(lower bounds "
                                              r"\[0, 0, 0\], upper bounds \[3, 3, 3\]"):
        Budget(10.0, upper=3.0).linear_constraints(SPEC).check_feasible()


def test_inequality_budget_only_checks_lower_bounds():
    Budget(10.0, upper=3.0, equality=False).linear_constraints(SPEC).check_feasible()
    with pytest.raises(InfeasibleError, match="at least 15"):
        Budget(10.0, lower=5.0, equality=False).linear_constraints(SPEC).check_feasible()


def test_infeasible_box_and_joint_constraints():
    with pytest.raises(InfeasibleError, match="lower bound 2 above its upper bound 1"):
        Box(2.0, 1.0).linear_constraints(SPEC).check_feasible()
    # each constraint alone is satisfiable, together they are not
    lc = LinearConstraints([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]], lb=[3.0, 3.0])
    with pytest.raises(InfeasibleError, match="no common point"):
        (Budget(5.0, upper=5.0) & lc).linear_constraints(SPEC).check_feasible()
    with pytest.raises(InfeasibleError, match="row 0"):
        LinearConstraints([[1.0, 1.0, 1.0]], lb=2.0, ub=1.0)


def test_linear_constraints_bad_shape():
    with pytest.raises(DecideValueError, match="3 columns"):
        LinearConstraints([[1.0, 1.0]], ub=1.0).linear_constraints(SPEC)
    with pytest.raises(DecideValueError, match="length 3"):
        Box([0.0, 1.0]).linear_constraints(SPEC)


def test_integer_space_needs_integer_bounds():
    Integer(Budget(10, upper=4)).linear_constraints(SPEC).check_feasible()
    with pytest.raises(DecideValueError, match=r"integer upper bounds; got upper=\[2.5"):
        Integer(Box(0, 2.5)).linear_constraints(SPEC)
    with pytest.raises(DecideValueError, match="integer total"):
        Integer(Budget(10.5))
    with pytest.raises(DecideTypeError, match="Integer wraps"):
        Integer(Discrete({"a": [1.0, 0.0, 0.0]}))
    assert Integer([Box(0, 3), Budget(4)]).integer


def test_discrete_bad_input():
    with pytest.raises(DecideValueError, match="at least one option"):
        Discrete({})
    with pytest.raises(DecideValueError, match="unique; got duplicates"):
        Discrete(["a", "b", "a"])
    with pytest.raises(DecideValueError, match="one label per option"):
        Discrete(np.eye(3), labels=["a", "b"])
    with pytest.raises(DecideTypeError, match="only Box, Budget"):
        Budget(1.0) & Discrete({"a": [1.0, 0.0, 0.0]})


def test_discrete_resolves_dict_and_array():
    class _Out(OutcomeModel):
        action_space, n_samples = SPEC, 1

        def sample_flat(self, x):
            return np.zeros(1)

    labs, X = Discrete({"tv": [1.0, 0.0, 0.0], "mix": {"spend": [0.5, 0.5, 0.0]}}).resolve(_Out())
    assert labs == ("tv", "mix")
    np.testing.assert_array_equal(X, [[1, 0, 0], [0.5, 0.5, 0]])
    labs, X = Discrete(np.eye(3)).resolve(_Out())
    assert labs == ("1, 0, 0", "0, 1, 0", "0, 0, 1") and X.shape == (3, 3)  # labelled by value
