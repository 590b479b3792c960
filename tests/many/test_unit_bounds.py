"""A shared Box with one bound per unit in optimize_many (issue 22)."""

from __future__ import annotations

import numpy as np
import pytest

from decide.errors import DecideValueError
from decide.many import newsvendor, optimize_many
from decide.measures import Mean
from decide.optimization import Box


def _demand():
    return np.random.default_rng(4).gamma(4.0, 10.0, size=(500, 5))


def test_per_unit_upper_bounds_clip_each_unit():
    demand = _demand()
    cap = np.array([10.0, 100.0, 20.0, 100.0, 5.0])
    table = optimize_many(newsvendor(demand, 5.0, 3.0, dim="store"), Mean(), Box(0.0, cap),
                          progress=False)
    best = np.minimum(np.quantile(demand, 0.4, axis=0, method="inverted_cdf"), cap)
    np.testing.assert_allclose(table["order"].to_numpy(float), best, rtol=1e-12)
    loop = optimize_many(newsvendor(demand, 5.0, 3.0, dim="store"), Mean(), Box(0.0, cap),
                         progress=False, vectorize=False, random_seed=0)
    assert np.all(loop["order"].to_numpy(float) <= cap + 1e-9) and loop["error"].isna().all()


def test_bound_of_the_wrong_length_is_one_clear_error():
    with pytest.raises(DecideValueError, match=r"Box upper has shape \(3,\).*shape \(5,\)"):
        optimize_many(newsvendor(_demand(), 5.0, 3.0, dim="store"), Mean(),
                      Box(0.0, np.ones(3)), progress=False)
