"""Enumeration over a Discrete space."""

from __future__ import annotations

import numpy as np
import pytest

from decide.errors import DecideValueError
from decide.measures import CVaR, Mean
from decide.optimization import Discrete, optimize
from decide.outcomes import from_draws, linear


def _arms(seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "control": rng.normal(1.0, 0.1, 3000),
        "bold": rng.normal(1.2, 1.5, 3000),
        "safe": rng.normal(1.1, 0.05, 3000),
    }


def test_from_draws_options_are_its_labels():
    arms = _arms()
    outcome = from_draws(arms)
    for objective in (Mean(), CVaR(0.05)):
        d = optimize(outcome, objective)  # auto: Discrete() of every option
        assert d.method == "enumerate"
        scores = {k: objective(v) for k, v in arms.items()}
        assert d.option == max(scores, key=scores.get)
        np.testing.assert_allclose(d.table["value"].to_numpy(), list(scores.values()))
        np.testing.assert_array_equal(d.draws, arms[d.option])
    assert optimize(outcome, Mean()).option == "bold"
    assert optimize(outcome, CVaR(0.05)).option == "safe"
    # a subset of the labels
    assert optimize(outcome, CVaR(0.05), Discrete(["control", "bold"])).option == "control"
    assert optimize(outcome, Mean(), Discrete(["control", "safe"])).option == "safe"


def test_ties_go_to_the_first_option():
    draws = np.random.default_rng(1).normal(size=500)
    outcome = from_draws({"b": draws, "a": draws.copy(), "c": draws - 1.0})
    d = optimize(outcome, Mean())
    assert d.option == "b"
    assert any("tie" in s for s in d.diagnostics.notes)
    d2 = optimize(outcome, Mean(), Discrete(["a", "b"]))
    assert d2.option == "a"


def test_array_and_dict_options_on_a_linear_outcome():
    R = np.random.default_rng(2).normal([0.05, 0.01], [0.3, 0.02], size=(1000, 2))
    options = np.array([[1.0, 0.0], [0.5, 0.5], [0.0, 1.0]])
    d = optimize(linear(R), CVaR(0.1), Discrete(options))
    brute = [CVaR(0.1)(R @ x) for x in options]
    assert d.option == ["1, 0", "0.5, 0.5", "0, 1"][int(np.argmax(brute))]  # labelled by value
    np.testing.assert_allclose(d.flat_action, options[int(np.argmax(brute))])
    d2 = optimize(linear(R), Mean(), Discrete({"all-in": [1.0, 0.0], "split": [0.5, 0.5]}))
    assert d2.option == "all-in" and d2.summary().index[0] == "all-in"


def test_bad_discrete_input():
    outcome = from_draws(_arms())
    with pytest.raises(DecideValueError, match="not options of the outcome"):
        optimize(outcome, Mean(), Discrete(["control", "nope"]))
    with pytest.raises(DecideValueError, match="Methods that work here: \\['enumerate'\\]"):
        optimize(outcome, Mean(), Discrete(["control"]), method="scipy")
    with pytest.raises(DecideValueError, match="option 'x' must be a flat vector of length 2"):
        optimize(linear(np.ones((5, 2))), Mean(), Discrete({"x": [1.0, 2.0, 3.0]}))
