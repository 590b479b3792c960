"""Tests of the decision-rule checks: check_never_dominated, check_deterministic, argmax_rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from decide.errors import DecideTypeError, DecideValueError
from decide.measures import CVaR, Mean
from decide.optimization import Discrete, optimize
from decide.outcomes import from_draws
from decide.testing import (
    PropertyViolation,
    argmax_rule,
    check_deterministic,
    check_never_dominated,
    outcome_tables,
)

N = 60


def riskiest(table):
    """Picks the highest-variance action: ignores dominance."""
    return max(table, key=lambda k: float(np.var(table[k])))


def _ce(check, *args, **kw):
    with pytest.raises(PropertyViolation) as info:
        check(*args, **kw)
    return info.value.counterexample


def test_never_dominated_catches_the_riskiest_rule():
    ce = _ce(check_never_dominated, riskiest, max_examples=N)
    table = ce.inputs["table"]
    chosen, dom = ce.scores["chosen"], ce.scores["dominated by"][0]
    assert riskiest(table) == chosen
    assert np.all(table[dom] >= table[chosen]) and np.any(table[dom] > table[chosen])


def test_never_dominated_passes_mean_rules_and_optimize():
    check_never_dominated(argmax_rule(Mean()), max_examples=N)
    check_never_dominated(Mean(), max_examples=20)  # an Objective becomes argmax_rule
    check_never_dominated(CVaR(0.2), strict=True, max_examples=N)

    def via_optimize(table):
        outcome = from_draws(table)
        return optimize(outcome, Mean(), Discrete(list(table)))

    check_never_dominated(
        via_optimize, strategy=outcome_tables(n_samples=(st_n := 5), dominance="first"),
        max_examples=15,
    )
    assert st_n == 5


def test_never_dominated_plain_forms():
    table = {"a": np.array([0.0, 1.0, 2.0]), "b": np.array([0.0, 1.0, 2.5])}
    check_never_dominated(lambda t: "b", table)
    check_never_dominated(lambda t: 1, table)  # an index into the labels
    check_never_dominated(lambda t: "b", pd.DataFrame(table))
    ce = _ce(check_never_dominated, lambda t: "a", table)
    assert ce.scores == {"chosen": "a", "dominated by": ["b"]}
    # weak dominance only: strict=True lets a tie-breaking rule pass
    check_never_dominated(lambda t: "a", table, strict=True)
    with pytest.raises(DecideValueError, match="labels"):
        check_never_dominated(lambda t: "c", table)


def test_rule_cannot_fool_the_check_by_mutating_the_table():
    table = {"a": np.array([0.0, 1.0]), "b": np.array([1.0, 2.0])}

    def vandal(t):
        t["b"][:] = -10.0
        return "a"

    with pytest.raises(PropertyViolation):
        check_never_dominated(vandal, table)
    assert table["b"].tolist() == [1.0, 2.0]


def unseeded(table, random_seed=None):
    """Ignores its seed: fresh OS entropy on every call."""
    return list(table)[int(np.random.default_rng().integers(len(table)))]


def global_state(table, random_seed=None):
    """Uses numpy's global generator."""
    return list(table)[int(np.random.randint(len(table)))]  # noqa: NPY002


def seeded(table, random_seed=None):
    rng = np.random.default_rng(random_seed)
    return max(table, key=lambda k: float(rng.choice(table[k], 5).mean()))


@pytest.mark.parametrize("rule", [unseeded, global_state])
def test_deterministic_catches_unseeded_randomness(rule):
    # an unseeded rule repeats its pick by chance (1 in 1000 here): three tries make a
    # false failure a 1e-9 event, without hiding a check that never fires
    table = {f"a{i}": np.arange(4.0) + i for i in range(1000)}
    caught = []
    for _ in range(3):
        try:
            check_deterministic(rule, table, random_seed=1)
        except PropertyViolation as exc:
            caught.append(exc.counterexample)
            break
    assert caught, f"{rule.__name__} passed check_deterministic three times"
    ce = caught[0]
    assert ce.scores["first decision"] != ce.scores["second decision"]
    ce = _ce(check_deterministic, unseeded, max_examples=N)
    assert ce.scores["first decision"] != ce.scores["second decision"]


def test_deterministic_passes_seeded_rules_and_generators():
    table = {"a": np.arange(6.0), "b": np.arange(6.0)[::-1] + 0.1}
    check_deterministic(seeded, table, random_seed=3)
    check_deterministic(seeded, table, random_seed=np.random.default_rng(3))
    check_deterministic(seeded, max_examples=N)
    check_deterministic(argmax_rule(Mean()), table, seed_arg=None)


def test_deterministic_on_optimize_with_a_seed():
    rng = np.random.default_rng(0)
    outcome = from_draws({"a": rng.normal(0, 1, 50), "b": rng.normal(0.1, 2, 50)})
    check_deterministic(optimize, outcome, CVaR(0.2), random_seed=11)


def test_deterministic_calls_a_closure_without_positional_arguments():
    table = {"a": np.arange(6.0), "b": np.arange(6.0)[::-1] + 0.1}
    check_deterministic(lambda random_seed: seeded(table, random_seed=random_seed))
    check_deterministic(lambda: "a", seed_arg=None)
    with pytest.raises(DecideValueError, match="no positional argument"):
        check_deterministic(lambda random_seed: "a", max_examples=5)
    # unseeded: picks one of 1000 labels at random (see above for the three tries)
    big = {f"a{i}": np.arange(4.0) + i for i in range(1000)}
    caught = False
    for _ in range(3):
        try:
            check_deterministic(lambda random_seed: unseeded(big, random_seed))
        except PropertyViolation:
            caught = True
            break
    assert caught


def test_deterministic_names_the_call_fn_cannot_take():
    def by_seed(table, seed=None):
        return seeded(table, random_seed=seed)

    table = {"a": np.arange(6.0), "b": np.arange(6.0)[::-1] + 0.1}
    with pytest.raises(DecideTypeError, match=r"no parameter 'random_seed'.*\['table', 'seed'\]"):
        check_deterministic(by_seed, table)
    with pytest.raises(DecideTypeError, match="no parameter 'random_seed'"):
        check_deterministic(by_seed, max_examples=5)
    check_deterministic(by_seed, table, seed_arg="seed")  # the fix the message names
    with pytest.raises(DecideTypeError, match=r"fn\(table, random_seed=<seed>, \*\*kwargs\)"):
        check_deterministic(lambda a, b, random_seed: a, max_examples=5)
    with pytest.raises(DecideTypeError, match=r"fn\(\*args, random_seed=<seed>"):
        check_deterministic(seeded, table, "extra")


def test_argmax_rule_breaks_ties_by_order():
    t = {"x": np.array([1.0, 0.0]), "y": np.array([0.0, 1.0])}
    assert argmax_rule(Mean())(t) == "x"
    assert argmax_rule(Mean())(dict(reversed(list(t.items())))) == "y"
