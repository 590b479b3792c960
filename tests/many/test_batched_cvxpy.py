"""Linear units with a convex objective: one parametrized program against optimize per unit."""

from __future__ import annotations

import numpy as np
import pytest

from decide.many import optimize_many
from decide.measures import CVaR, Mean, MeanVariance
from decide.optimization import Box, Budget, Integer
from decide.outcomes import linear


def _models(n_units: int = 5, n_samples: int = 400) -> dict[str, object]:
    rng = np.random.default_rng(2)
    return {
        f"u{i}": linear(rng.normal(rng.uniform(0.02, 0.08, 3), rng.uniform(0.05, 0.3, 3), size=(n_samples, 3)))
        for i in range(n_units)
    }


@pytest.mark.parametrize(
    ("objective", "space"),
    [
        (Mean() + 1.0 * CVaR(0.05), Budget(1.0)),
        (CVaR(0.1), Budget(1.0, upper=0.6)),
        (MeanVariance(2.0), Budget(1.0) & Box(0.1, 0.8)),
    ],
    ids=["mean+cvar", "cvar-capped", "mean-variance"],
)
def test_parametrized_program_matches_optimize_per_unit(objective, space):
    models = _models()
    fast = optimize_many(models, objective, space, progress=False)
    loop = optimize_many(models, objective, space, progress=False, vectorize=False)
    assert fast.attrs["paths"] == {"vectorized": 5, "loop": 0}
    assert loop["method"].eq("cvxpy").all() and fast["method"].eq("cvxpy").all()
    cols = ["action[0]", "action[1]", "action[2]"]
    np.testing.assert_allclose(fast[cols].to_numpy(float), loop[cols].to_numpy(float), atol=2e-6)
    np.testing.assert_allclose(fast["score"], loop["score"], rtol=1e-7, atol=1e-9)
    np.testing.assert_allclose(fast[cols].sum(axis=1), 1.0, atol=1e-7)


def test_units_it_cannot_take_go_to_the_loop():
    models = _models(3)
    models["u1"] = linear(np.random.default_rng(0).normal(size=(400, 2)))  # another action size
    table = optimize_many(models, CVaR(0.1), Budget(1.0), progress=False)
    assert table.attrs["paths"] == {"vectorized": 0, "loop": 3}
    integer = optimize_many(_models(2), Mean(), Integer(Budget(3, upper=2)), progress=False)
    assert integer.attrs["paths"]["loop"] == 2
