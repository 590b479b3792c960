"""Hypothesis fuzzing of optimize, compare and decompose (500 examples in all).

Problems come from ``decide.testing.decision_problems`` and the strategies of
``fuzz_cases`` (integer spaces, ``from_draws`` tables with Discrete spaces, linear
outcomes with Discrete options), with a random objective and an applicable method.
The only exceptions allowed are DecideErrors; every returned action must be finite
and feasible for its space; exact methods must beat a known feasible point.
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
