"""Constraints made by comparing an objective with a number, and ActionCost."""

from __future__ import annotations

import numpy as np
import pytest

from decide.errors import DecideTypeError, DecideValueError
from decide.measures import (
    ActionCost,
    CVaR,
    ExpectedShortfallBelow,
    Mean,
    OutcomeConstraint,
    ProbabilityOfShortfall,
    VaR,
    Variance,
)


def test_comparison_makes_a_constraint_both_directions():
    c = CVaR(0.05) >= -100
    assert isinstance(c, OutcomeConstraint)
    assert (c.sense, c.bound, c.direction) == (">=", -100.0, 1.0)
    assert repr(c) == "CVaR(alpha=0.05) >= -100"
    r = -100 <= CVaR(0.05)  # reflected: the same constraint
    assert r == c
    cap = Mean() <= 10_000
    assert (cap.sense, cap.direction, repr(cap)) == ("<=", -1.0, "Mean() <= 10000")


def test_equality_of_objectives_is_untouched():
    assert Mean() == Mean()
    assert CVaR(0.1) != CVaR(0.2)
    assert (CVaR(0.1) == CVaR(0.1)) is True
    assert len({CVaR(0.1), CVaR(0.1), Mean()}) == 2


def test_negated_measures_compare_their_conventional_value():
    x = np.array([0.0, 2.0, 4.0])
    var = float(np.var(x))
    assert (Variance() <= var + 0.1).satisfied(x)
    assert not (Variance() <= var - 0.1).satisfied(x)
    assert (Variance() <= 3).value(x) == pytest.approx(var)
    shortfall = float(np.mean(np.maximum(1.0 - x, 0.0)))
    assert (ExpectedShortfallBelow(1.0) <= 1).value(x) == pytest.approx(shortfall)


def test_chance_forms_and_their_boundaries():
    # VaR(alpha) >= t holds exactly when fewer than alpha * n draws fall below t
    x = np.arange(10.0)  # 0..9
    assert (VaR(0.1) >= 0.0).satisfied(x)  # no draw below 0
    assert not (VaR(0.1) >= 1.0).satisfied(x)  # one draw (10%) below 1: not fewer than 10%
    assert (VaR(0.15) >= 1.0).satisfied(x)
    f = (VaR(0.1) >= 1.0).chance_form()
    assert f is not None and f.strict and f.max_violations(10) == 0
    assert f.max_violations(25) == 2
    g = (ProbabilityOfShortfall(1.0) <= 0.1).chance_form()
    assert g is not None and not g.strict and g.max_violations(10) == 1
    assert (ProbabilityOfShortfall(1.0) <= 0.1).satisfied(x)  # P(X < 1) = 0.1
    assert (ProbabilityOfShortfall(1.0) <= 0.1).kind == "chance"
    # the other directions ask for more risk: no chance form
    assert (VaR(0.1) <= 1.0).chance_form() is None
    assert (ProbabilityOfShortfall(1.0) >= 0.1).chance_form() is None


def test_kinds():
    assert (Mean() >= 1).kind == "linear"
    assert ((Mean() + ActionCost(2.0)) <= 1).kind == "linear"
    assert (CVaR(0.1) >= 1).kind == "convex"
    assert (CVaR(0.1) <= 1).kind == "general"
    assert (VaR(0.1) >= 1).kind == "chance"


def test_slack_matches_brute_force():
    rng = np.random.default_rng(3)
    x = rng.normal(size=400)
    worst = np.sort(x)[:40]
    c = CVaR(0.1) >= -1.5
    assert c.value(x) == pytest.approx(worst.mean())
    assert c.slack(x) == pytest.approx(worst.mean() + 1.5)


def test_bad_input():
    with pytest.raises(DecideTypeError, match="real number"):
        CVaR(0.05) >= "a"  # noqa: B015
    with pytest.raises(DecideTypeError, match="real number"):
        Mean() <= None  # noqa: B015
    with pytest.raises(DecideTypeError, match="real number"):
        Mean() >= True  # noqa: B015
    with pytest.raises(DecideValueError, match="finite"):
        Mean() >= float("nan")  # noqa: B015
    with pytest.raises(DecideValueError, match=r"\(0, 1\)"):
        ProbabilityOfShortfall(0.0) <= 1.5  # noqa: B015
    with pytest.raises(DecideValueError, match=r"\(0, 1\)"):
        ProbabilityOfShortfall(0.0) <= 0.0  # noqa: B015
    with pytest.raises(DecideValueError, match="alpha"):
        VaR(1.5)
    with pytest.raises(DecideTypeError, match=">= or <="):
        CVaR(0.1) > 3  # noqa: B015
    with pytest.raises(DecideTypeError, match="not a truth value"):
        bool(Mean() >= 0)
    with pytest.raises(DecideTypeError, match="Objective"):
        OutcomeConstraint("mean", ">=", 1.0)  # type: ignore[arg-type]


def test_objective_against_objective_is_a_difference():
    x = np.array([1.0, 2.0, 9.0])
    c = Mean() >= CVaR(0.34)
    assert c.bound == 0.0
    assert c.value(x) == pytest.approx(np.mean(x) - CVaR(0.34)(x))


def test_action_cost():
    draws = np.array([10.0, 12.0])
    assert ActionCost([1.0, 2.0])(draws, action=[3.0, 1.0]) == -5.0
    assert (Mean() + ActionCost(1.0))(draws, action=[2.0, 3.0]) == pytest.approx(11.0 - 5.0)
    np.testing.assert_allclose(ActionCost([1.0, 2.0]).action_grad([0.0, 0.0]), [-1.0, -2.0])
    assert ActionCost(1.0).uses_action and not Mean().uses_action
    with pytest.raises(DecideValueError, match="action"):
        ActionCost(1.0)(draws)
    with pytest.raises(DecideValueError, match="cost"):
        ActionCost([1.0, np.inf])
    with pytest.raises(DecideValueError, match="2 costs"):
        ActionCost([1.0, 2.0])(draws, action=[1.0, 2.0, 3.0])
