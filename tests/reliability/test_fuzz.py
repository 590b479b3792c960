"""Hypothesis fuzzing of optimize, compare and decompose (500 examples in all).

Problems come from ``decide.testing.decision_problems`` and the strategies of
``fuzz_cases`` (integer spaces, ``from_draws`` tables with Discrete spaces, linear
outcomes with Discrete options), with a random objective and an applicable method.
Every case must end in a decision or in the documented error its input calls for: a
DecideError passes only when an independent check of the input predicts it
(``fuzz_cases.expected_error``), any other exception fails; every returned action must
be finite and feasible for its space; exact methods must beat a known feasible point.
The counts of successes below only guard the generators' coverage.
``benchmarks/fuzz.py --examples 10000`` is the long run of the same harness.
"""

from __future__ import annotations

import numpy as np
import pytest
from fuzz_cases import Case, Tally, cases, run_case
from hypothesis import HealthCheck, given, settings

_SETTINGS = {"deadline": None, "derandomize": True, "database": None,
             "suppress_health_check": list(HealthCheck)}


def _clean(tally: Tally) -> None:
    assert tally.bad == 0, "\n".join(
        [f"undocumented: {dict(tally.undocumented)}", f"infeasible: {tally.infeasible}",
         f"suboptimal: {tally.suboptimal}", *tally.failures]
    )


def test_fuzz_continuous_optimize_and_decompose() -> None:
    tally = Tally()

    @settings(max_examples=150, **_SETTINGS)
    @given(cases(("continuous",)))
    def run(case: Case) -> None:
        run_case(case, tally, ("optimize", "decompose"))

    run()
    _clean(tally)
    assert tally.ok["optimize"] >= 100  # most generated problems are solvable


def test_fuzz_continuous_compare() -> None:
    tally = Tally()

    @settings(max_examples=80, **_SETTINGS)
    @given(cases(("continuous",)))
    def run(case: Case) -> None:
        run_case(case, tally, ("compare",))

    run()
    _clean(tally)
    assert tally.ok["compare"] >= 40


def test_fuzz_integer_spaces() -> None:
    tally = Tally()

    @settings(max_examples=70, **_SETTINGS)
    @given(cases(("integer",)))
    def run(case: Case) -> None:
        run_case(case, tally)

    run()
    _clean(tally)
    assert tally.ok["optimize"] >= 40


def test_fuzz_discrete_and_from_draws() -> None:
    tally = Tally()

    @settings(max_examples=200, **_SETTINGS)
    @given(cases(("from_draws", "discrete")))
    def run(case: Case) -> None:
        run_case(case, tally)

    run()
    _clean(tally)
    assert tally.ok["optimize"] >= 150 and tally.ok["compare"] >= 100


def test_the_harness_catches_an_infeasible_action(monkeypatch) -> None:
    # a fuzzer that cannot fail proves nothing: break optimize and watch it being caught
    import fuzz_cases

    from decide.optimization import Budget
    from decide.outcomes import linear

    real = fuzz_cases.optimize

    def off_by_one(*args, **kwargs):
        d = real(*args, **kwargs)
        d.flat_action = d.flat_action + 1.0
        return d

    monkeypatch.setattr(fuzz_cases, "optimize", off_by_one)
    R = np.random.default_rng(0).normal(size=(10, 2))
    case = Case("continuous", linear(R), Budget(1.0), np.array([0.5, 0.5]), "Mean", "auto", 0)
    tally = Tally()
    run_case(case, tally, ("optimize",))
    assert tally.infeasible == 1 and tally.bad == 1
    assert "violates Budget(total=1" in tally.failures[0]


def test_the_harness_catches_an_undocumented_exception(monkeypatch) -> None:
    import fuzz_cases

    from decide.optimization import Budget
    from decide.outcomes import linear

    monkeypatch.setattr(fuzz_cases, "optimize",
                        lambda *a, **k: (_ for _ in ()).throw(IndexError("boom")))
    case = Case("continuous", linear(np.ones((4, 2))), Budget(1.0), np.array([0.5, 0.5]),
                "Mean", "auto", 0)
    tally = Tally()
    run_case(case, tally, ("optimize",))
    assert tally.undocumented == {"optimize: IndexError": 1}
    with pytest.raises(AssertionError, match="IndexError"):
        _clean(tally)


def test_the_harness_catches_a_decide_error_the_input_does_not_call_for(monkeypatch) -> None:
    # a DecideError is a pass only when the input calls for it: raise one on a fine problem
    import fuzz_cases

    from decide.errors import DecideValueError
    from decide.optimization import Budget
    from decide.outcomes import linear

    def refuse(*args, **kwargs):
        raise DecideValueError("draws have zero standard deviation, so the Sharpe ratio is undefined")

    monkeypatch.setattr(fuzz_cases, "optimize", refuse)
    R = np.random.default_rng(0).normal(size=(10, 2))  # no feasible action has constant draws
    case = Case("continuous", linear(R), Budget(1.0), np.array([0.5, 0.5]), "Sharpe", "auto", 0)
    tally = Tally()
    run_case(case, tally, ("optimize",))
    assert sum(tally.unjustified.values()) == 1 and tally.bad == 1
    with pytest.raises(AssertionError, match="not expected for this input"):
        _clean(tally)


def test_the_harness_accepts_the_documented_error_the_input_calls_for() -> None:
    from decide.optimization import Box
    from decide.outcomes import linear

    R = np.random.default_rng(1).normal(size=(12, 2))
    # Box([0, 0], [0, 0]) holds only x = 0, whose draws are all 0: Sharpe is undefined
    sharpe = Case("continuous", linear(R), Box([0.0, 0.0], [0.0, 0.0]), np.zeros(2),
                  "Sharpe", "scipy", 0)
    # draws R @ x with x >= 0 take negative values: a power utility is undefined
    power = Case("continuous", linear(R), Box([0.0, 0.0], [1.0, 1.0]), np.array([0.5, 0.5]),
                 "EU(Power(2))", "scipy", 0)
    for case in (sharpe, power):
        tally = Tally()
        run_case(case, tally, ("optimize",))
        assert tally.bad == 0 and sum(tally.documented.values()) == 1, tally.failures
