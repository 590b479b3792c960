"""A declared planning window on any outcome (decide/outcomes/_window.py), without PyMC.

A linear outcome over (6 weeks x 2 channels) with known per-cell returns: the
optimum of ``Mean`` over a budget and caps is a linprog over the window's cells.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

from decide.errors import DecideTypeError, DecideValueError
from decide.measures import Mean
from decide.optimization import Box, Budget, optimize, plan_space
from decide.outcomes import ActionSpec, from_function, linear, mixture, plan, with_window

WEEKS = pd.date_range("2025-01-05", periods=6, freq="W-SUN")
R = np.random.default_rng(3).uniform(0.5, 2.0, size=(30, 12))  # 30 draws x (6 weeks x 2 channels)


def weekly(coords: dict | None = None) -> object:
    return from_function(
        lambda x, p: (p["r"] * x.reshape(-1)).sum(), {"r": R}, action_shape=(6, 2), names="spend",
        dims=("week", "channel"), coords=coords or {"week": WEEKS, "channel": ["tv", "search"]},
        vectorized=False,
    )


def test_window_fixes_the_cells_outside_and_plan_decides_it_against_linprog() -> None:
    om = with_window(weekly(), ("2025-01-12", "2025-01-26"))  # weeks 1..3
    w = om.planning_window()
    assert w.positions.tolist() == [1, 2, 3] and (w.start, w.end) == ("2025-01-12", "2025-01-26")
    as_slice = with_window(weekly(), {"week": slice(WEEKS[1], WEEKS[3])}).planning_window()
    assert as_slice.positions.tolist() == [1, 2, 3]
    np.testing.assert_array_equal(om.history_flat().reshape(6, 2)[:, 0], [1, 0, 0, 0, 1, 1])
    with pytest.raises(DecideValueError, match=(
            r"2 before the window \(carry-in\): spend\[2025-01-05, tv\].*4 after the window")):
        optimize(om, Mean(), Budget(4.0, upper=2.0))
    # a Box that pins the first week only still leaves the weeks after the window free
    lo, hi = np.zeros((6, 2)), np.full((6, 2), 2.0)
    hi[0] = 0.0
    with pytest.raises(DecideValueError, match=r"4 after the window \(carry-out\): spend\[2025-02-02, tv\]"):
        optimize(om, Mean(), Box(lo, hi) & Budget(4.0))
    c = R.mean(axis=0).reshape(6, 2)[1:4].reshape(-1)
    ref = linprog(-c, A_eq=np.ones((1, 6)), b_eq=[5.0], bounds=[(0.0, 2.0)] * 6, method="highs")
    p = plan(om, base=np.zeros((6, 2)))  # the declared window by default
    d = optimize(p, Mean(), plan_space(p, total=5.0, upper=2.0))
    np.testing.assert_allclose(d.flat_action, ref.x, atol=1e-6)
    full = p.full_action_flat(d.flat_action).reshape(6, 2)
    np.testing.assert_array_equal(full[[0, 4, 5]], 0.0)
    # an explicit window that reaches outside the declared one is refused
    # week 4 (2025-02-02) is after the declared window: its two dated cells are named
    with pytest.raises(DecideValueError, match=(
            r"reaches outside the model's declared planning window week 2025-01-12 \.\. "
            r"2025-01-26: .*would move 2 cells that the declared window fixes, 2 after it "
            r"\(carry-out\): spend\[2025-02-02, tv\], spend\[2025-02-02, search\]\. Plan within "
            r"2025-01-12 \.\. 2025-01-26")) as err:
        optimize(plan(om, window=[3, 4], base=np.zeros((6, 2))), Mean(), Budget(1.0))
    assert "history cells" not in str(err.value) and "unless the window is declared" not in str(err.value)
    moved = optimize(om, Mean(), Budget(4.0, upper=2.0), move_history=True)
    best = np.sort(R.mean(axis=0))[::-1][:2]
    np.testing.assert_allclose(R.mean(axis=0) @ moved.flat_action, 2.0 * best.sum(), rtol=1e-6)


def test_the_window_survives_copies_and_joins_a_mixture() -> None:
    a = with_window(linear(R, names="spend"), (1, 3))
    assert a.subset(np.arange(10)).planning_window() is a.planning_window()
    b = with_window(linear(R[::-1], names="spend"), (1, 3))
    mix = mixture({"a": a, "b": b}, weights={"a": 0.5, "b": 0.5})
    assert mix.planning_window().positions.tolist() == [1, 2, 3]
    np.testing.assert_array_equal(mix.history_flat(), a.history_flat())


def test_plan_without_a_window_and_bad_windows_name_argument_range_and_value() -> None:
    with pytest.raises(DecideValueError, match="declares no planning window"):
        plan(weekly())
    om = weekly()
    with pytest.raises(DecideValueError, match=r"start must be <= end"):
        with_window(om, ("2025-02-09", "2025-01-05"))
    with pytest.raises(DecideValueError, match=r"within the periods of dim 'week': 2025-01-05 \.\. 2025-02-09"):
        with_window(om, ("2025-01-05", "2025-03-30"))
    with pytest.raises(DecideValueError, match=r"holds no period"):
        with_window(om, ("2025-01-06", "2025-01-07"))
    numeric = weekly({"week": np.arange(10, 16), "channel": ["tv", "search"]})
    with pytest.raises(DecideValueError, match=r"dim 'week' has numeric labels \(10 \.\. 15\)"):
        with_window(numeric, {"week": ("2025-01-05", "2025-01-19")})
    assert with_window(numeric, (11, 13)).planning_window().positions.tolist() == [1, 2, 3]
    with pytest.raises(DecideValueError, match=r"\(12, 18\): the window must lie within.*10 \.\. 15"):
        with_window(numeric, (12, 18))
    two = linear(np.ones((3, 6)), names="x")  # one unlabelled dim: positions
    with pytest.raises(DecideValueError, match=r"positions \(integers in \[0, 5\]\)"):
        with_window(two, (0.5, 2))
    grid = from_function(lambda x, p: x.sum() * p["r"], {"r": np.ones(3)}, action_shape=(3, 3),
                         names="x", dims=("a", "b"), vectorized=False)
    with pytest.raises(DecideValueError, match=r"fits several dims.*window=\{'a': \(0, 1\)\}"):
        with_window(grid, (0, 1))
    assert with_window(grid, {"b": (0, 1)}).planning_window().after.reshape(3, 3)[:, 2].all()
    with pytest.raises(DecideValueError, match=r"names dim 'c'"):
        with_window(grid, {"c": (0, 1)})
    with pytest.raises(DecideTypeError, match=r"window must be \(start, end\)"):
        with_window(grid, (0, 1, 2))
    with pytest.raises(DecideTypeError, match="outcome must be an OutcomeModel"):
        with_window("spend", (0, 1))


def test_date_labels_read_the_same_from_numpy_pandas_and_datetime() -> None:
    """One format: the short date at midnight, ISO with the time otherwise."""
    import datetime as dt

    days = pd.date_range("2024-11-17", periods=2, freq="D")
    forms = [days.values, days.values.astype("datetime64[s]"), list(days), [d.to_pydatetime() for d in days]]
    for coord in forms:
        spec = ActionSpec(("x",), ((2,),), (("date",),), {"date": coord})
        assert spec.labels == ["x[2024-11-17]", "x[2024-11-18]"]
    timed = ActionSpec(("x",), ((1,),), (("date",),), {"date": [dt.datetime(2024, 11, 17, 6, 30)]})
    assert timed.labels == ["x[2024-11-17T06:30:00]"]


def test_plan_reads_a_tuple_as_a_range_as_with_window_does() -> None:
    # (start, end) decides every week from start to end, both included (numpy's date mask)
    om = weekly()
    start, end = "2025-01-12", "2025-01-26"
    inside = np.flatnonzero((WEEKS >= pd.Timestamp(start)) & (WEEKS <= pd.Timestamp(end)))
    as_tuple = plan(om, window=(start, end), base=np.zeros((6, 2)))
    assert as_tuple.action_space.size == 2 * inside.size == 6
    assert plan(om, window=slice(start, end), base=np.zeros((6, 2))).action_space.size == 6
    declared = with_window(om, (start, end)).planning_window()
    np.testing.assert_array_equal(declared.positions, inside)
    # the same budget gives the linprog optimum over the 6 window cells
    c = R.mean(axis=0).reshape(6, 2)[inside].reshape(-1)
    ref = linprog(-c, A_eq=np.ones((1, 6)), b_eq=[5.0], bounds=[(0.0, 2.0)] * 6, method="highs")
    d = optimize(as_tuple, Mean(), plan_space(as_tuple, total=5.0, upper=2.0))
    assert d.value == pytest.approx(-ref.fun, rel=1e-9)
    # a list names the periods one by one: the two end weeks only
    assert plan(om, window=[start, end], base=np.zeros((6, 2))).action_space.size == 4
    with pytest.raises(DecideTypeError, match=r"a tuple is a range \(start, end\).*list"):
        plan(om, window=(start, "2025-01-19", end), base=np.zeros((6, 2)))
    with pytest.raises(DecideValueError, match=r"within the periods of dim 'week'"):
        plan(om, window=(start, "2025-06-01"), base=np.zeros((6, 2)))


def test_plan_refuses_a_slice_beyond_the_periods() -> None:
    om = weekly()
    with pytest.raises(DecideValueError, match=r"window=slice\(4, 9, None\) is out of range: dim "
                       r"'week' has 6 periods.*\[-6, 6\].*got \[9\]"):
        plan(om, window=slice(4, 9), base=np.zeros((6, 2)))
    assert plan(om, window=slice(4, 6), base=np.zeros((6, 2))).action_space.size == 4
    assert plan(om, window=slice(-2, None), base=np.zeros((6, 2))).action_space.size == 4


def test_a_declared_window_holding_training_periods_is_refused_at_declaration() -> None:
    om = weekly()
    om._history = np.zeros(12, bool)
    om._history[:6] = True  # weeks 0..2 were fitted on (2 channels each)
    with pytest.raises(DecideValueError, match=(
            r"holds 2 periods the model was fitted on: 2025-01-12, 2025-01-19\. A planning window "
            r"holds the new periods.*start it at 2025-01-26, the first period after the training")):
        with_window(om, ("2025-01-12", "2025-02-02"))
    ok = with_window(om, ("2025-01-26", "2025-02-02")).planning_window()
    assert ok.positions.tolist() == [3, 4]


def test_plan_space_bounds_by_channel_name_against_linprog() -> None:
    p = plan(weekly(), window=("2025-01-12", "2025-01-26"), base=np.zeros((6, 2)))
    # cells of the window in (week, channel) order: tv >= 1 each week, search <= 0.5
    c = R.mean(axis=0).reshape(6, 2)[1:4].reshape(-1)
    bounds = [(1.0, None), (0.0, 0.5)] * 3
    ref = linprog(-c, A_eq=np.ones((1, 6)), b_eq=[5.0], bounds=bounds, method="highs")
    d = optimize(p, Mean(), plan_space(p, total=5.0, lower={"tv": 1.0}, upper={"search": 0.5}))
    np.testing.assert_allclose(d.flat_action, ref.x, atol=1e-6)
    with pytest.raises(DecideValueError, match=r"lower as a dict must name units of the plan "
                       r"\['tv', 'search'\]; got unknown keys \['radio'\]"):
        plan_space(p, lower={"radio": 1.0})
    with pytest.raises(DecideTypeError, match=r"lower\['tv'\] must be a number; got str"):
        plan_space(p, lower={"tv": "1"})
    with pytest.raises(DecideTypeError, match=r"total must be a number; got str '1000'"):
        plan_space(p, total="1000")
    with pytest.raises(DecideTypeError, match=r"upper must be a number or 2 numbers; got str"):
        plan_space(p, upper="big")
    with pytest.raises(DecideTypeError, match=r"move_history must be True or False; got str 'yes'"):
        optimize(p, Mean(), plan_space(p, total=5.0), move_history="yes")


def test_within_observed_infeasible_budget_names_within_observed_and_its_factor() -> None:
    from decide.errors import InfeasibleError
    from decide.outcomes import with_observed_range

    hi = np.tile([2.0, 1.0], (6, 1))  # observed maxima per week: tv 2, search 1
    om = with_observed_range(weekly(), np.zeros((6, 2)), hi)
    p = plan(om, window=("2025-01-12", "2025-01-26"), flights="window", base=np.zeros((6, 2)))
    most = 3 * hi[0].sum()  # 3 weeks at every channel's max: 9
    ok = optimize(p, Mean(), plan_space(p, total=most), within_observed=True)
    np.testing.assert_allclose(ok.flat_action, hi[0], atol=1e-6)
    with pytest.raises(InfeasibleError, match=(
            r"within_observed=1 leaves no feasible action: its bounds are the observed range.*"
            r"not bounds you set\..*widen the range \(within_observed=k with k > 1\)")):
        optimize(p, Mean(), plan_space(p, total=most + 1.0), within_observed=True)
    # widened by 1.5 about the midpoint: maxima 2.5 and 1.25 per week -> at most 11.25
    with pytest.raises(InfeasibleError, match=r"within_observed=1.5 .*widened by the factor 1.5"):
        optimize(p, Mean(), plan_space(p, total=3 * 3.75 + 0.5), within_observed=1.5)
    optimize(p, Mean(), plan_space(p, total=3 * 3.75 - 0.5), within_observed=1.5)
