"""within_observed through the analyses that take a space: frontier (its reused cvxpy
program does not go through optimize) and sweep; expected: the same analysis with the
bounds written by hand as a Box."""

from __future__ import annotations

import warnings

import numpy as np

from decide.measures import CVaR, Mean
from decide.optimization import Box, Budget
from decide.outcomes import linear, with_observed_range
from decide.policies import frontier, sweep


def _outcome(seed: int) -> tuple[object, np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    R = rng.normal([0.08, 0.05, 0.02], [0.30, 0.15, 0.05], size=(400, 3))
    lo, hi = np.array([0.0, 0.1, 0.0]), np.array([0.4, 0.6, 0.8])
    return with_observed_range(linear(R), lo, hi), lo, hi


def test_frontier_program_path_is_guarded_like_the_hand_box() -> None:
    om, lo, hi = _outcome(0)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kept = frontier(om, CVaR(0.1), Budget(1.0), n_points=5, within_observed=True)
        hand = frontier(om, CVaR(0.1), Budget(1.0) & Box(lo, hi), n_points=5)
    cols = kept.attrs["action_columns"]
    np.testing.assert_allclose(kept[cols].to_numpy(), hand[cols].to_numpy(), atol=1e-6)
    assert np.all(kept[cols].to_numpy() <= hi + 1e-7) and np.all(kept[cols].to_numpy() >= lo - 1e-7)


def test_sweep_passes_within_observed_to_optimize() -> None:
    om, lo, hi = _outcome(1)
    kept = sweep(om, lambda a: Mean() + a * CVaR(0.1), [0.0, 2.0], Budget(1.0), within_observed=True)
    hand = sweep(om, lambda a: Mean() + a * CVaR(0.1), [0.0, 2.0], Budget(1.0) & Box(lo, hi))
    cols = kept.attrs["action_columns"]
    np.testing.assert_allclose(kept[cols].to_numpy(), hand[cols].to_numpy(), atol=1e-6)


def _outside(table, cols, lo: np.ndarray, hi: np.ndarray) -> list[int]:
    """Cells outside [lo, hi] per row, by numpy (the expected per-row facts)."""
    x = table[cols].to_numpy(dtype=float)
    width = hi - lo
    return (((x < lo - 1e-6 * width) | (x > hi + 1e-6 * width)).sum(axis=1)).tolist()


def test_one_extrapolation_warning_per_call_with_the_per_row_reports_in_attrs() -> None:
    """frontier, sweep and compare each warn once, not once per point / value / policy."""
    from decide.errors import ExtrapolationWarning
    from decide.policies import compare

    om, lo, hi = _outcome(2)
    calls = {
        "frontier": lambda: frontier(om, CVaR(0.1), Budget(1.0), n_points=4, method="scipy"),
        # the reused convex program (ConvexProblem) reports each row too
        "frontier cvxpy": lambda: frontier(om, CVaR(0.1), Budget(1.0), n_points=4,
                                           method="cvxpy"),
        "sweep": lambda: sweep(om, lambda a: Mean() + a * CVaR(0.1), [0.0, 0.5, 2.0], Budget(1.0)),
        "compare": lambda: compare(om, {"mean": Mean(), "cvar": CVaR(0.1), "cvar5": CVaR(0.05)},
                                   Budget(1.0), random_seed=0),
    }
    for name, call in calls.items():
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            table = call()
        ours = [w for w in caught if issubclass(w.category, ExtrapolationWarning)]
        reports = table.attrs["extrapolation"]
        reports = list(reports.values()) if isinstance(reports, dict) else reports
        cols = table.attrs["action_columns"]
        expected = _outside(table, cols, lo, hi)
        assert [int(r["outside"].sum()) for r in reports] == expected, name
        assert sum(e > 0 for e in expected) >= 2, name  # several rows outside ...
        assert len(ours) == 1, (name, [str(w.message)[:80] for w in ours])  # ... one warning
        assert f"{sum(e > 0 for e in expected)} of {len(expected)}" in str(ours[0].message)
        assert ours[0].filename == __file__  # points at the caller


def test_compare_reports_a_fixed_plan_against_the_observed_range() -> None:
    """A fixed plan outside the range is reported and counted like an optimized one."""
    from decide.errors import ExtrapolationWarning
    from decide.policies import compare

    om, lo, hi = _outcome(3)
    inside, outside = np.array([0.3, 0.4, 0.3]), np.array([0.9, 0.05, 0.05])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        table = compare(om, {"inside": inside, "outside": outside}, Budget(1.0), random_seed=0)
    reports = table.attrs["extrapolation"]
    for name, x in (("inside", inside), ("outside", outside)):
        expected = (x < lo) | (x > hi)  # numpy: cells beyond the training min / max
        assert reports[name]["outside"].to_numpy().tolist() == expected.tolist(), name
    ours = [w for w in caught if issubclass(w.category, ExtrapolationWarning)]
    assert len(ours) == 1 and "1 of 2" in str(ours[0].message)
