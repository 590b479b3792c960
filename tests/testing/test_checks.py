"""Tests of the objective checks: each catches an objective built to break it, the
counterexample it reports really breaks the law when recomputed here, and correct
objectives pass."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings

from decide.errors import DecideValueError
from decide.measures import CVaR, Mean, WorstCase
from decide.testing import (
    PropertyViolation,
    check_coherent,
    check_concave,
    check_law_invariant,
    check_monotone,
    check_positive_homogeneous,
    check_ssd_consistent,
    check_subadditive,
    check_translation_invariant,
    draws,
)

N = 40  # examples per search in these tests
SLACK = 1e-9


def neg_variance(d):
    """Variance used as a risk score: not monotone."""
    return -float(np.var(d))


def twice_mean(d):
    return 2.0 * float(np.mean(d))


def mean_minus_half_var(d):
    return float(np.mean(d) - 0.5 * np.var(d))


def mean_plus_sd(d):
    """Risk seeking: convex, prefers spreads."""
    return float(np.mean(d) + np.std(d))


def mean_minus_2sd(d):
    return float(np.mean(d) - 2.0 * np.std(d))


def later_weighted(d):
    """Weights later draws more: not law invariant."""
    w = np.arange(1.0, d.shape[0] + 1.0)
    return float(np.average(d.reshape(d.shape[0], -1).mean(axis=1), weights=w))


def var10(d):
    """The 10% quantile (value at risk on the reward scale)."""
    return float(np.quantile(d, 0.1, method="inverted_cdf"))


def _ce(check, *args, **kw):
    with pytest.raises(PropertyViolation) as info:
        check(*args, **kw)
    assert isinstance(info.value, AssertionError)
    return info.value.counterexample


def _icv(x, y):
    """Independent SSD test: E[min(x, t)] >= E[min(y, t)] for every threshold t."""
    return all(np.minimum(x, t).mean() >= np.minimum(y, t).mean() - 1e-9
               for t in np.concatenate([x.ravel(), y.ravel()]))


def test_monotone_catches_variance_as_risk():
    ce = _ce(check_monotone, neg_variance, max_examples=N)
    x, y = ce.inputs["x"], ce.inputs["y"]
    assert np.all(x >= y) and neg_variance(x) < neg_variance(y) - SLACK
    assert ce.scores["score(x)"] == neg_variance(x)
    assert "score(x) >= score(y)" in str(ce) and "x >= y draw by draw" in str(ce)


def test_translation_catches_twice_mean():
    ce = _ce(check_translation_invariant, twice_mean, max_examples=N)
    x, c = ce.inputs["x"], ce.inputs["c"]
    assert abs(twice_mean(x + c) - twice_mean(x) - c) > SLACK


def test_homogeneity_catches_mean_minus_variance():
    ce = _ce(check_positive_homogeneous, mean_minus_half_var, max_examples=N)
    x, t = ce.inputs["x"], ce.inputs["t"]
    assert t > 0 and abs(mean_minus_half_var(t * x) - t * mean_minus_half_var(x)) > SLACK


def test_subadditive_catches_risk_seeking_score():
    ce = _ce(check_subadditive, mean_plus_sd, max_examples=N)
    x, y = ce.inputs["x"], ce.inputs["y"]
    assert mean_plus_sd(x + y) < mean_plus_sd(x) + mean_plus_sd(y) - SLACK


def test_subadditive_catches_value_at_risk_on_given_draws():
    x = np.zeros(30)
    x[[0, 1]] = -100.0
    y = np.zeros(30)
    y[[2, 3]] = -100.0
    ce = _ce(check_subadditive, var10, x, y)
    assert var10(ce.inputs["x"] + ce.inputs["y"]) < var10(x) + var10(y)
    check_subadditive(var10, x, x)  # comonotone: no violation


def test_concave_catches_convex_score():
    ce = _ce(check_concave, mean_plus_sd, max_examples=N)
    x, y, lam = ce.inputs["x"], ce.inputs["y"], ce.inputs["l"]
    assert 0 <= lam <= 1
    assert mean_plus_sd(lam * x + (1 - lam) * y) < lam * mean_plus_sd(x) + (
        1 - lam
    ) * mean_plus_sd(y) - SLACK


def test_law_invariance_catches_position_weights():
    ce = _ce(check_law_invariant, later_weighted, max_examples=N)
    x, xp = ce.inputs["x"], ce.inputs["x_permuted"]
    assert np.array_equal(np.sort(x, axis=0), np.sort(xp, axis=0))
    assert abs(later_weighted(x) - later_weighted(xp)) > SLACK


@pytest.mark.parametrize("objective", [mean_plus_sd, mean_minus_2sd])
def test_ssd_catches_spread_lovers_and_mean_minus_2sd(objective):
    ce = _ce(check_ssd_consistent, objective, max_examples=N)
    x, y = ce.inputs["x"], ce.inputs["y"]
    assert _icv(x, y) and objective(x) < objective(y) - SLACK


def test_ssd_mean_minus_2sd_on_given_draws():
    x, y = np.r_[np.zeros(9), 10.0], np.zeros(10)  # x >= y draw by draw
    ce = _ce(check_ssd_consistent, mean_minus_2sd, x, y)
    assert mean_minus_2sd(ce.inputs["x"]) < mean_minus_2sd(ce.inputs["y"])


@pytest.mark.parametrize(
    ("objective", "failing"),
    [(neg_variance, "check_monotone"), (twice_mean, "check_translation_invariant"),
     (lambda d: float(np.mean(d)) + 1.0, "check_positive_homogeneous")],
)
def test_coherent_reports_the_failing_axiom(objective, failing):
    assert _ce(check_coherent, objective, max_examples=N).check == failing


def test_coherent_on_given_draws_catches_value_at_risk():
    x = np.zeros(30)
    x[[0, 1]] = -100.0
    y = np.roll(x, 2)
    assert _ce(check_coherent, var10, x, y).check == "check_subadditive"


@pytest.mark.parametrize("objective", [Mean(), CVaR(0.2), WorstCase(), np.min])
def test_correct_coherent_objectives_pass_every_check(objective):
    kw = {"max_examples": 30}
    check_coherent(objective, **kw)
    check_concave(objective, **kw)
    check_law_invariant(objective, **kw)
    check_ssd_consistent(objective, **kw)


def test_checks_accept_replicates():
    strat = draws(n_samples=5, n_replicates=3)
    check_monotone(CVaR(0.3), strategy=strat, max_examples=20)
    check_ssd_consistent(CVaR(0.3), strategy=strat, max_examples=20)
    x = np.arange(12.0).reshape(4, 3)
    check_coherent(Mean(), x, x[::-1])
    check_law_invariant(Mean(), x)


def test_plain_forms_with_derived_inputs():
    x = np.array([3.0, -1.0, 4.0, 1.5])
    for check in (check_monotone, check_translation_invariant, check_positive_homogeneous,
                  check_subadditive, check_concave, check_law_invariant, check_ssd_consistent,
                  check_coherent):
        check(CVaR(0.5), x)
    # given x alone, monotonicity compares x with lower arrays: variance fails
    ce = _ce(check_monotone, neg_variance, x)
    assert np.all(ce.inputs["x"] >= ce.inputs["y"])
    # given x alone, SSD compares x with its mean: a spread lover fails
    ce = _ce(check_ssd_consistent, mean_plus_sd, x)
    assert np.allclose(ce.inputs["x"], x.mean()) and np.array_equal(ce.inputs["y"], x)


def test_tolerance_scales_with_the_draws():
    x = np.array([1e6, 2e6])
    noisy = lambda d: float(np.mean(d)) + 1e-3 * float(d[0] % 2)  # noqa: E731
    check_translation_invariant(noisy, x, c=1.0)  # 1e-3 is within 1e-6 * 2e6
    with pytest.raises(PropertyViolation):
        check_translation_invariant(noisy, x, c=1.0, rtol=1e-12)


def test_preconditions_raise_value_errors():
    x, y = np.array([0.0, 1.0]), np.array([1.0, 0.0])
    with pytest.raises(DecideValueError, match="x >= y"):
        check_monotone(Mean(), x, y)
    with pytest.raises(DecideValueError, match="dominate"):
        check_ssd_consistent(Mean(), np.array([0.0, 0.0]), np.array([1.0, 1.0]))
    with pytest.raises(DecideValueError, match="same shape"):
        check_subadditive(Mean(), x, np.zeros(3))
    with pytest.raises(DecideValueError, match="permutation"):
        check_law_invariant(Mean(), x, perm=[0, 0])
    with pytest.raises(DecideValueError, match="lam"):
        check_concave(Mean(), x, y, lam=1.5)
    with pytest.raises(DecideValueError, match="t must be > 0"):
        check_positive_homogeneous(Mean(), x, t=-1.0)
    with pytest.raises(DecideValueError, match="strategy"):
        check_monotone(Mean(), x, strategy=draws())
    with pytest.raises(DecideValueError, match="rtol"):
        check_monotone(Mean(), x, rtol=-1.0)
    with pytest.raises(DecideValueError, match="finite"):
        check_monotone(Mean(), np.array([np.nan]))


def test_search_is_reproducible():
    a = _ce(check_monotone, neg_variance, max_examples=N)
    b = _ce(check_monotone, neg_variance, max_examples=N)
    assert np.array_equal(a.inputs["x"], b.inputs["x"])
    assert np.array_equal(a.inputs["y"], b.inputs["y"])


def test_domain_errors_reject_examples_in_the_search():
    def log_mean(d):
        if np.any(d <= 0):
            raise DecideValueError("log_mean needs positive draws")
        return float(np.exp(np.mean(np.log(d))))  # geometric mean: monotone

    check_monotone(log_mean, strategy=draws(min_value=0.1, max_value=10.0), max_examples=30)
    check_positive_homogeneous(log_mean, strategy=draws(min_value=0.1), max_examples=30)


@settings(max_examples=10, derandomize=True, database=None, deadline=None)
@given(draws(n_samples=8), draws(n_samples=8))
def test_plain_form_inside_a_users_given_test(a, b):
    check_monotone(CVaR(0.25), np.maximum(a, b), np.minimum(a, b))
    check_subadditive(CVaR(0.25), a, b)
