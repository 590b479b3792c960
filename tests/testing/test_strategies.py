"""Tests of decide.testing._strategies: draws() and outcome_tables()."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, find, given, settings
from hypothesis import strategies as st

from decide.errors import DecideTypeError, DecideValueError
from decide.testing import DISTRIBUTIONS, draws, outcome_tables

FAST = settings(max_examples=40, derandomize=True, database=None, deadline=None,
                suppress_health_check=[HealthCheck.too_slow])
FIND = settings(max_examples=300, derandomize=True, database=None, deadline=None)


@FAST
@given(draws())
def test_default_draws_are_bounded_float_vectors(x):
    assert x.dtype == np.float64 and x.ndim == 1 and 1 <= x.shape[0] <= 200
    assert np.all(np.isfinite(x)) and np.all(np.abs(x) <= 100.0)


@FAST
@given(draws(n_samples=7, n_replicates=st.integers(2, 3), min_value=0.5, max_value=2.0))
def test_replicates_and_bounds(x):
    assert x.shape[0] == 7 and x.shape[1] in (2, 3)
    assert x.min() >= 0.5 and x.max() <= 2.0


@pytest.mark.parametrize("dist", [d for d in DISTRIBUTIONS if d not in ("discrete", "constant", "near_tied")])
def test_allow_ties_false_gives_distinct_values(dist):
    @FAST
    @given(draws(n_samples=st.integers(1, 30), distribution=dist, allow_ties=False))
    def inner(x):
        assert np.unique(x).size == x.size

    inner()


@FAST
@given(draws(distribution="constant"), draws(distribution="discrete"))
def test_constant_and_discrete(c, d):
    assert np.unique(c).size == 1
    assert np.unique(d).size <= 4


@FAST
@given(draws(n_samples=5, elements=st.sampled_from([1.0, 2.0])))
def test_elements_override(x):
    assert set(x.tolist()) <= {1.0, 2.0}


def test_covers_tiny_samples_ties_and_heavy_tails():
    assert find(draws(), lambda x: x.size == 1, settings=FIND).size == 1
    tied = find(draws(), lambda x: x.size >= 3 and np.unique(x).size < x.size, settings=FIND)
    assert np.unique(tied).size < tied.size
    # a heavy tail: one draw far (more than 20 median absolute deviations) from the median
    far = find(
        draws(distribution="heavy_tailed", n_samples=50),
        lambda x: np.ptp(x) > 0
        and np.max(np.abs(x - np.median(x))) > 20 * np.median(np.abs(x - np.median(x))),
        settings=FIND,
    )
    assert far.size == 50


def test_bad_arguments():
    with pytest.raises(DecideValueError, match="distribution"):
        draws(distribution="cauchy")
    with pytest.raises(DecideValueError, match="allow_ties"):
        draws(distribution="constant", allow_ties=False)
    with pytest.raises(DecideValueError, match="n_samples must be >= 1"):
        draws(n_samples=0)
    with pytest.raises(DecideTypeError, match="n_replicates"):
        draws(n_replicates=2.5)
    with pytest.raises(DecideValueError, match="min_value < max_value"):
        draws(min_value=1.0, max_value=1.0)
    with pytest.raises(DecideValueError, match="dominance"):
        outcome_tables(dominance="third")


def _weakly_dominated(table):
    cols = list(table.values())
    return [
        (i, j) for i, a in enumerate(cols) for j, b in enumerate(cols)
        if i != j and np.all(b >= a) and np.any(b > a)
    ]


@FAST
@given(outcome_tables(n_actions=st.integers(2, 4), dominance="first"))
def test_first_order_dominance_is_present(table):
    assert all(k.startswith("a") for k in table)
    assert len({v.shape for v in table.values()}) == 1
    assert _weakly_dominated(table)
    assert all(np.all(np.abs(v) <= 100.0) for v in table.values())


@FAST
@given(outcome_tables(n_actions=3, n_samples=6, dominance="first", strict=True))
def test_strict_first_order(table):
    cols = list(table.values())
    assert any(np.all(b > a) for a in cols for b in cols)


def _icv_dominates(x, y):
    """x >= y in the increasing concave order: E[min(x, t)] >= E[min(y, t)] for every t."""
    ts = np.concatenate([x, y])
    return all(np.minimum(x, t).mean() >= np.minimum(y, t).mean() - 1e-9 for t in ts)


@FAST
@given(outcome_tables(n_actions=2, n_samples=st.integers(2, 20), dominance="second"))
def test_second_order_is_a_mean_preserving_spread(table):
    a, b = table["a0"], table["a1"]
    pairs = [(a, b), (b, a)]
    assert any(
        np.isclose(x.mean(), y.mean()) and _icv_dominates(x, y) and x.var() <= y.var() + 1e-9
        for x, y in pairs
    )


@FAST
@given(outcome_tables(n_actions=3, n_samples=4))
def test_independent_tables(table):
    assert list(table) == ["a0", "a1", "a2"] and all(v.shape == (4,) for v in table.values())
