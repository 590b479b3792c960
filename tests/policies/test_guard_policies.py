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
