"""Discrete options given as an array are labelled by their values (not row numbers)."""

from __future__ import annotations

import numpy as np

from decide.measures import CVaR
from decide.optimization import Discrete, optimize
from decide.outcomes import linear


def test_array_options_are_labelled_by_value_and_the_decision_names_the_value():
    rng = np.random.default_rng(3)
    scen = rng.normal(1.0, 0.5, size=(2000, 1))
    b = rng.normal(0.0, 1.0, size=2000)
    prices = np.linspace(5.0, 25.0, 201)  # the 133rd price is 18.2
    outcome = linear(-(scen ** 2) * 0.02, b)  # concave, so an interior price is best

    # brute force: outcome draws A x + b per price, CVaR 10% = mean of the worst 200
    A = -(scen[:, 0] ** 2) * 0.02
    draws = A[:, None] * prices[None, :] ** 1 + b[:, None]
    worst = np.sort(draws, axis=0)[:200].mean(axis=0)
    best = prices[int(np.argmax(worst))]

    space = Discrete(prices)
    assert space.labels[132] == "18.2" and space.labels[0] == "5"
    decision = optimize(outcome, CVaR(0.1), space)
    assert decision.option == f"{best:g}"
    assert float(decision.option) == float(decision.flat_action[0])


def test_several_columns_and_equal_rows():
    assert Discrete(np.array([[1.0, 0.5], [0.25, 2.0]])).labels == ("1, 0.5", "0.25, 2")
    # values that print alike at 6 digits keep full precision
    assert Discrete([1.0000001, 1.0000002]).labels == ("1.0000001", "1.0000002")
    # equal rows cannot be told apart by value: row numbers
    assert Discrete(np.array([[1.0], [1.0]])).labels == ("0", "1")
