"""Tests of decide/uncertainty/_enbs.py: ENBS against the formula written out in numpy."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from decide.errors import DecideTypeError, DecideValueError
from decide.uncertainty import EVSI, enbs


def _evsi(values, se=None, n=(1, 5, 20, 80)):
    se = np.zeros(len(n)) if se is None else np.asarray(se, float)
    table = pd.DataFrame(
        {"evsi": values, "standard_error": se, "evsi_raw": values}, index=pd.Index(list(n), name="n")
    )
    return EVSI(table=table, method="nested", evpi=1.0, evppi=0.9, best_action="a",
                experiment="trial", params=("effect",), n_samples=1000)


def test_enbs_is_the_discounted_population_evsi_minus_the_cost():
    n = np.array([1, 5, 20, 80])
    v = 0.9 * (1 - np.exp(-n / 15))  # a saturating EVSI curve
    res = enbs(_evsi(v), fixed_cost=3.0, cost_per_unit=0.5, decisions_per_period=10,
               horizon=5, discount_rate=0.05, random_seed=0)
    mult = 10 * sum(1.05**-t for t in range(5))
    expected = v * mult - (3.0 + 0.5 * n)
    np.testing.assert_allclose(res.table["enbs"], expected)
    assert res.multiplier == pytest.approx(mult)
    assert res.optimal_n == int(n[np.argmax(expected)]) == 20
    assert res.optimal_enbs == pytest.approx(expected.max())
    # no sampling error: the optimum is certain
    assert res.table.loc[20, "prob_optimal"] == 1.0 and res.prob_no_test == 0.0
    assert res.n_interval == (20.0, 20.0)
    assert "n=20" in res.message


def test_costs_that_make_every_n_worse_than_not_testing_are_reported_not_raised():
    res = enbs(_evsi([0.1, 0.2, 0.3, 0.35]), fixed_cost=10.0, random_seed=0)
    assert res.optimal_n is None and res.optimal_enbs == 0.0
    assert res.message.startswith("no sample size beats not testing")
    assert (res.table["enbs"] < 0).all() and res.prob_no_test == 1.0


def test_uncertainty_of_the_optimum_follows_the_standard_errors():
    """Two sizes with nearly equal ENBS and large SE: each optimal about half the time."""
    v = np.array([0.5, 0.5])
    res = enbs(_evsi(v, se=[0.2, 0.2], n=(10, 11)), n_resamples=4000, random_seed=1)
    p = res.table["prob_optimal"].to_numpy()
    assert p.sum() + res.prob_no_test == pytest.approx(1.0)
    # the larger n costs nothing more here, so by symmetry each wins half of the resamples
    assert abs(p[0] - 0.5) < 0.05 and abs(p[1] - 0.5) < 0.05


def test_the_largest_n_being_best_is_noted():
    res = enbs(_evsi([0.1, 0.2, 0.3, 0.4]), random_seed=0)
    assert res.optimal_n == 80 and any("largest" in note for note in res.notes)


@pytest.mark.parametrize(
    ("kw", "match"),
    [
        ({"fixed_cost": -1.0}, "fixed_cost must be a finite number >= 0"),
        ({"cost_per_unit": math.inf}, "cost_per_unit must be a finite number >= 0"),
        ({"discount_rate": -0.1}, "discount_rate must be a finite number >= 0"),
        ({"horizon": 0}, "horizon must be an integer >= 1"),
        ({"n_resamples": -1}, "n_resamples must be an integer >= 0"),
    ],
)
def test_bad_costs_are_refused(kw, match):
    with pytest.raises(DecideValueError, match=match):
        enbs(_evsi([0.1, 0.2, 0.3, 0.4]), **kw)


def test_enbs_needs_an_evsi_result():
    with pytest.raises(DecideTypeError, match="evsi must be the EVSI result"):
        enbs(pd.Series([0.1, 0.2]))
