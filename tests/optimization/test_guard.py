"""The extrapolation guard and the history guard of optimize (decide/optimization/_guard.py).

Expected values are computed in the tests: the observed minima and maxima with numpy,
the constrained solutions by the same problem with the bounds written by hand as a Box
(on the decision, for a mapped decision: bounds derived by hand from the map).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from decide.errors import DecideValueError, ExtrapolationWarning
from decide.measures import CVaR, Mean
from decide.optimization import Box, Budget, Discrete, Integer, WorstModel, optimize
from decide.outcomes import from_function, linear, linear_map, mixture, plan, with_observed_range


def _training(seed: int) -> np.ndarray:
    """A training table of 30 periods x 3 units."""
    return np.random.default_rng(seed).uniform([1.0, 4.0, 0.5], [3.0, 9.0, 2.0], size=(30, 3))


def _concave(seed: int, n: int = 400) -> object:
    """A saturating response ``sum_j b_j log(1 + x_j)`` with random b (3 units)."""
    b = np.random.default_rng(seed + 100).uniform([0.5, 1.0, 2.0], [1.5, 2.0, 3.0], size=(n, 3))
    return from_function(
        lambda x, p: (p["b"] * np.log1p(x)).sum(-1), {"b": b}, action_shape=(3,), names="spend",
        dims=("channel",), coords={"channel": ["tv", "search", "radio"]},
    )


def test_report_matches_numpy_min_max_and_distance() -> None:
    X = _training(0)
    om = with_observed_range(linear(np.array([[1.0, 1.0, -1.0]] * 5)), X.min(axis=0), X.max(axis=0))
    x = np.array([X[:, 0].max() + 0.5, X[:, 1].mean(), X[:, 2].min() - 0.25])
    with pytest.warns(ExtrapolationWarning, match="2 of 3 cells OUTSIDE"):
        d = optimize(om, Mean(), Box([0.0, 0.0, x[2]], [x[0], x[1], 10.0]))  # optimum: x
    t = d.extrapolation
    np.testing.assert_allclose(t["observed_min"], X.min(axis=0))
    np.testing.assert_allclose(t["observed_max"], X.max(axis=0))
    assert t["outside"].tolist() == [True, False, True]
    np.testing.assert_allclose(t["distance"], [0.5, 0.0, 0.25], atol=1e-12)
    assert "OUTSIDE" in repr(d) and d.summary()["outside_observed"].iloc[0] == 2
    # an element the space pins is not decided: not reported
    with pytest.warns(ExtrapolationWarning, match="1 of 2 cells"):
        pinned = optimize(om, Mean(), Box([0.0, 0.0, x[2]], [x[0], x[1], x[2]]))
    assert pinned.extrapolation.index.tolist() == ["action[0]", "action[1]"]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_within_observed_equals_the_hand_written_box(seed: int) -> None:
    X = _training(seed)
    lo, hi = X.min(axis=0), X.max(axis=0)
    om = with_observed_range(_concave(seed), lo, hi)
    budget = Budget(0.9 * float(hi.sum()))  # the unconstrained optimum leaves the range
    with pytest.warns(ExtrapolationWarning):
        free = optimize(om, Mean(), budget, random_seed=0)
    assert free.extrapolation["outside"].any()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept = optimize(om, Mean(), budget, random_seed=0, within_observed=True)
        hand = optimize(om, Mean(), budget & Box(lo, hi), random_seed=0)
        assert not kept.extrapolation["outside"].any()
    assert np.all(kept.flat_action >= lo - 1e-7) and np.all(kept.flat_action <= hi + 1e-7)
    np.testing.assert_allclose(kept.flat_action, hand.flat_action, atol=1e-5)
    # the same with a risk-averse objective (cvxpy cannot take the log: scipy on both)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        a = optimize(om, CVaR(0.1), budget, within_observed=True, random_seed=0)
        b = optimize(om, CVaR(0.1), budget & Box(lo, hi), random_seed=0)
    np.testing.assert_allclose(a.flat_action, b.flat_action, atol=1e-5)


def test_within_observed_factor_widens_about_the_midpoint() -> None:
    X = _training(3)
    lo, hi = X.min(axis=0), X.max(axis=0)
    om = with_observed_range(linear(np.array([[1.0, 2.0, -1.0]] * 4)), lo, hi)
    k = 1.5
    pad = (k - 1) / 2 * (hi - lo)
    d = optimize(om, Mean(), Box(-100.0, 100.0), within_observed=k)
    # linear, positive / negative slopes: the answer sits on the widened bounds
    np.testing.assert_allclose(d.flat_action, [hi[0] + pad[0], hi[1] + pad[1], lo[2] - pad[2]], rtol=1e-7)
    assert d.extrapolation["outside"].all()  # reported, not warned: the user asked for it


def test_mapped_decision_reports_model_cells_and_keeps_within() -> None:
    """Weekly flights over 4 window weeks of a 6-week action; the range is per channel."""
    X = _training(4)
    lo, hi = X.min(axis=0), X.max(axis=0)
    rng = np.random.default_rng(4)
    coef = rng.uniform(0.5, 2.0, size=(200, 6, 3))
    base = from_function(
        lambda x, p: (p["c"] * np.log1p(x)).sum(axis=(-1, -2)), {"c": coef}, action_shape=(6, 3),
        names="spend", dims=("week", "channel"), coords={"channel": ["tv", "search", "radio"]},
    )
    om = with_observed_range(base, np.broadcast_to(lo, (6, 3)), np.broadcast_to(hi, (6, 3)))
    history = np.zeros((6, 3))
    history[0] = X[-1]
    weekly = plan(om, window=slice(1, 5), flights="window", base=history)
    rows = weekly.observed_range()
    assert rows is not None and rows.size == 12  # 4 window weeks x 3 channels, history left out
    assert all(lab.startswith(("spend[1,", "spend[2,", "spend[3,", "spend[4,")) for lab in rows.labels)
    with pytest.warns(ExtrapolationWarning):
        free = optimize(weekly, Mean(), Budget(0.9 * float(hi.sum())))
    np.testing.assert_allclose(
        free.extrapolation["value"].to_numpy().reshape(4, 3), np.tile(free.flat_action, (4, 1))
    )
    kept = optimize(weekly, Mean(), Budget(0.9 * float(hi.sum())), within_observed=True)
    # by hand: every week's cell equals z, so z within [lo, hi] per channel
    hand = optimize(weekly, Mean(), Budget(0.9 * float(hi.sum())) & Box(lo, hi))
    np.testing.assert_allclose(kept.flat_action, hand.flat_action, atol=1e-5)
    cells = weekly.full_action_flat(kept.flat_action).reshape(6, 3)[1:5]
    assert np.all(cells >= lo - 1e-7) and np.all(cells <= hi + 1e-7)


def test_shares_map_becomes_linear_constraints_equal_to_hand_bounds() -> None:
    """A total per channel spread by a profile w: cell_t = w_t z, so z <= min_t hi / w_t."""
    lo, hi = np.array([0.5, 1.0]), np.array([2.0, 3.0])
    base = linear(np.tile([1.0, 3.0], (4, 3)))  # cells (period t, channel c) at 2 t + c
    om = with_observed_range(base, np.tile(lo, 3), np.tile(hi, 3))
    w = np.array([0.2, 0.3, 0.5])
    totals = linear_map(om, np.kron(w[:, None], np.eye(2)), name="total", labels=["a", "b"])
    kept = optimize(totals, Mean(), Box(0.0, 100.0), within_observed=True)
    z_hi = np.min(hi[None, :] / w[:, None], axis=0)
    hand = optimize(totals, Mean(), Box(0.0, z_hi))
    np.testing.assert_allclose(kept.flat_action, hand.flat_action, rtol=1e-7)
    np.testing.assert_allclose(kept.flat_action, z_hi, rtol=1e-7)


def test_integer_space_and_errors() -> None:
    om = with_observed_range(linear(np.array([[1.0, 1.0]] * 3)), [0.5, 1.2], [3.7, 4.0])
    d = optimize(om, Mean(), Integer(Box(0, 10)), within_observed=True)
    np.testing.assert_allclose(d.flat_action, [3.0, 4.0])
    with pytest.raises(DecideValueError, match="declares no observed range"):
        optimize(linear(np.ones((3, 2))), Mean(), Box(0, 1), within_observed=True)
    for bad in (0.5, "yes", np.nan):
        with pytest.raises(DecideValueError, match="within_observed must be"):
            optimize(om, Mean(), Box(0, 1), within_observed=bad)
    with pytest.raises(DecideValueError, match="Discrete"):
        optimize(om, Mean(), Discrete([[1.0, 1.0]]), within_observed=True)
    with pytest.raises(DecideValueError, match="lower <= upper"):
        with_observed_range(om, [2.0, 0.0], [1.0, 1.0])


def test_history_cells_are_refused_unless_pinned() -> None:
    """A hand-declared history mask (from_pymc sets it for a window model)."""
    om = linear(np.array([[1.0, 2.0, 3.0, 4.0]] * 3), names="spend", dim="week",
                coords={"week": ["w1", "w2", "w3", "w4"]})
    om._history = np.array([True, False, False, False])
    with pytest.raises(DecideValueError, match=r"1 history cells.*spend\[w1\]"):
        optimize(om, Mean(), Budget(5.0))
    pinned = optimize(om, Mean(), Budget(5.0) & Box([2.0, 0, 0, 0], [2.0, 9, 9, 9]))
    np.testing.assert_allclose(pinned.flat_action, [2.0, 0.0, 0.0, 3.0], atol=1e-7)
    moved = optimize(om, Mean(), Budget(5.0), move_history=True)
    np.testing.assert_allclose(moved.flat_action, [0.0, 0.0, 0.0, 5.0], atol=1e-7)
    window = plan(om, window=[1, 2, 3], base=[2.0, 0, 0, 0])
    assert not window.history_flat().any()
    np.testing.assert_allclose(optimize(window, Mean(), Budget(3.0)).flat_action, [0, 0, 3.0], atol=1e-7)
    with pytest.raises(DecideValueError, match=(
            r"holds periods the model was fitted on: its decided values \(spend\[w1\]\) "
            r"would move 1 history cells: spend\[w1\]\. Plan only the new periods")):
        optimize(plan(om, window=[0, 1], base=np.zeros(4)), Mean(), Budget(1.0))
    # a robust criterion over candidate models: the history of any candidate is guarded
    other = linear(np.array([[4.0, 3.0, 2.0, 1.0]] * 3), names="spend", dim="week",
                   coords={"week": ["w1", "w2", "w3", "w4"]})
    mix = mixture({"a": om, "b": other}, weights={"a": 0.5, "b": 0.5})
    with pytest.raises(DecideValueError, match=r"history cells.*spend\[w1\]"):
        optimize(mix, WorstModel(Mean()), Budget(5.0))
    worst = optimize(mix, WorstModel(Mean()), Budget(5.0) & Box([2.0, 0, 0, 0], [2.0, 9, 9, 9]))
    np.testing.assert_allclose(worst.flat_action.sum(), 5.0, rtol=1e-7)


def test_mixture_joins_the_candidates_ranges() -> None:
    R = np.random.default_rng(5).normal(size=(50, 2))
    a = with_observed_range(linear(R), [0.0, 1.0], [2.0, 3.0])
    b = with_observed_range(linear(R + 0.1), [0.5, 0.5], [1.5, 4.0])
    mix = mixture({"a": a, "b": b}, weights={"a": 0.5, "b": 0.5})
    rng = mix.observed_range()
    np.testing.assert_allclose(rng.lower, np.minimum([0.0, 1.0], [0.5, 0.5]))
    np.testing.assert_allclose(rng.upper, np.maximum([2.0, 3.0], [1.5, 4.0]))
    assert mixture({"a": a, "c": linear(R)}, weights={"a": 0.5, "c": 0.5}).observed_range() is None


def test_subsets_and_refits_keep_the_range() -> None:
    b = np.random.default_rng(6).uniform(0.5, 1.5, size=(20, 2))
    fn = from_function(lambda x, p: (p["b"] * np.log1p(x)).sum(-1), {"b": b}, action_shape=(2,))
    for om in (with_observed_range(fn, [1.0, 2.0], [3.0, 4.0]),
               with_observed_range(linear(b), [1.0, 2.0], [3.0, 4.0])):
        sub = om.subset([0, 3, 5])
        np.testing.assert_allclose(sub.observed_range().upper, [3.0, 4.0])
    assert om.observed_range() is not None and linear(b).observed_range() is None


def test_mapped_rows_that_mix_decided_values_against_linprog() -> None:
    from scipy.optimize import linprog

    M = np.array([[1.0, 1.0], [1.0, -1.0], [0.0, 2.0]])
    c = np.array([1.0, 0.5, 0.3])  # the outcome is c @ cells, the same in every draw
    base = with_observed_range(linear(np.tile(c, (4, 1))), [0.0, -1.0, 0.0], [2.0, 1.0, 3.0])
    mapped = linear_map(base, M, name="z", labels=["a", "b"])
    d = optimize(mapped, Mean(), Box(-10.0, 10.0), within_observed=True)
    lo, hi = np.array([0.0, -1.0, 0.0]), np.array([2.0, 1.0, 3.0])
    ref = linprog(-(c @ M), A_ub=np.vstack([M, -M]), b_ub=np.concatenate([hi, -lo]),
                  bounds=[(-10, 10)] * 2, method="highs")
    np.testing.assert_allclose(d.value, -ref.fun, rtol=1e-7)
    cells = M @ d.flat_action
    assert np.all(cells >= lo - 1e-7) and np.all(cells <= hi + 1e-7)
    # ranges that a single decided value cannot meet at once
    clash = with_observed_range(linear(np.ones((3, 2))), [0.0, 3.0], [1.0, 4.0])
    with pytest.raises(DecideValueError, match="do not overlap"):
        optimize(linear_map(clash, [[1.0], [2.0]]), Mean(), Box(0.0, 10.0), within_observed=True)
