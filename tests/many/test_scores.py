"""Batched scores equal the objective applied unit by unit."""

from __future__ import annotations

import numpy as np
import pytest

from decide.many._scores import batch_scores, exact_scores
from decide.measures import (
    CVaR,
    EntropicRisk,
    ExpectedShortfallBelow,
    ExpectedUtility,
    Exponential,
    Mean,
    MeanCVaR,
    MeanVariance,
    ProbabilityOfShortfall,
    Sortino,
    StdDev,
    VaR,
    Variance,
    WorstCase,
)

OBJECTIVES = [
    Mean(), Variance(), StdDev(), MeanVariance(0.5), VaR(0.1), CVaR(0.05), MeanCVaR(1.0, 0.1),
    EntropicRisk(0.5), WorstCase(), ProbabilityOfShortfall(0.2), ExpectedShortfallBelow(-0.5),
    Mean() + 2.0 * CVaR(0.2), ExpectedUtility(Exponential(0.3)), Sortino(0.0),
]


@pytest.mark.parametrize("objective", OBJECTIVES, ids=repr)
@pytest.mark.parametrize("replicates", [False, True])
@pytest.mark.parametrize("weighted", [False, True])
def test_batch_scores_equal_objective_per_unit(objective, replicates, weighted):
    rng = np.random.default_rng(1)
    shape = (7, 203, 3) if replicates else (7, 203)
    draws = rng.normal(0.2, 1.0, size=shape)
    weights = rng.uniform(0.5, 1.5, size=203) if weighted else None
    expect = [objective(draws[u], weights) for u in range(7)]
    np.testing.assert_allclose(batch_scores(objective, draws, weights), expect, rtol=1e-10, atol=1e-12)
    np.testing.assert_array_equal(exact_scores(objective, draws, weights), expect)
