"""Smoke test of examples/two_channels_experiment.py with small settings."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("pymc")


def test_two_channels_experiment(example, tmp_path):
    m = example("two_channels_experiment")
    r = m.main(n_draws=200, sizes=(1, 4, 16), refit_draws=150, out_dir=tmp_path)
    v = r["evsi"]
    values, se = v.value.to_numpy(), v.standard_error.to_numpy()
    assert np.all(values >= 0) and np.all(np.diff(values) > -3 * se[1:])
    assert values[-1] <= v.evppi + 3 * se[-1] and v.evppi <= v.evpi
    # ENBS as written out: discounted weekly decisions over two years, minus the test cost
    mult = m.WEEKS_PER_YEAR * sum((1 + m.DISCOUNT) ** -t for t in range(m.YEARS))
    expected = values * mult - (m.FIXED_COST + m.COST_PER_WEEK * v.n)
    np.testing.assert_allclose(r["enbs"].table["enbs"], expected)
    # A's effect is the uncertain one: a disappointing test lowers it and moves budget
    # away from A (or leaves it). At these small settings whether the split actually
    # flips depends on the sampler's draws, which change with pytensor's numba cache
    # state (a cold cache gave disappointing 100%, a warm one 0%, same seeds), so the
    # test asserts the direction of learning and a decision that does not go against it
    beta = r["beta_a_after"]
    assert beta["disappointing"] < beta["encouraging"]
    assert r["share_after"]["disappointing"] <= r["share_after"]["encouraging"]
    assert r["figure"].stat().st_size > 0
