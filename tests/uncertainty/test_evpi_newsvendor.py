"""evpi of a newsvendor over a continuous space (issue 22): against numpy."""

from __future__ import annotations

import numpy as np
import pytest

from decide.many import newsvendor
from decide.optimization import Box
from decide.uncertainty import evpi


def test_evpi_of_a_newsvendor_over_a_box_matches_numpy():
    demand = np.random.default_rng(0).gamma(4.0, 10.0, size=40)
    price, cost, cap = 5.0, 3.0, 60.0
    got = evpi(newsvendor(demand, price, cost), space=Box(0.0, cap), random_seed=0)

    def profit(q, d):
        return price * np.minimum(q, d) - cost * q

    # with perfect information each draw orders its own demand (clipped to the box)
    best_each = profit(np.minimum(demand, cap), demand)
    # without it: the mean profit is piecewise linear with kinks at the draws
    candidates = np.r_[0.0, np.minimum(demand, cap), cap]
    best_mean = max(profit(q, demand).mean() for q in candidates)
    assert got.value == pytest.approx(best_each.mean() - best_mean, rel=1e-4, abs=1e-6)
