"""Tests of decide/uncertainty/_voi_curve.py: EVPI along a willingness to pay in closed form."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy.stats import norm

from decide.errors import DecideTypeError, DecideValueError
from decide.uncertainty import voi_curve


def test_evpi_along_the_willingness_to_pay_matches_the_normal_closed_form():
    """NB(new) = lam * effect - 1 with effect ~ N(1, 1): EVPI = s phi(m/s) + m Phi(m/s) - max(m, 0)."""
    S = 20000
    effect = 1.0 + norm.ppf((np.arange(S) + 0.5) / S)
    lams = [0.5, 1.0, 2.0]
    t = voi_curve(lambda lam: pd.DataFrame({"new": lam * effect - 1.0, "old": np.zeros(S)}),
                  lams, params={"effect": ["effect"]}, posterior={"effect": effect}, name="wtp",
                  random_seed=0)
    for lam in lams:
        m, s = lam - 1.0, lam
        exact = s * norm.pdf(m / s) + m * norm.cdf(m / s) - max(m, 0.0)
        assert t.loc[lam, "evpi"] == pytest.approx(exact, abs=1e-3)
        # the single parameter: EVPPI equals EVPI
        assert abs(t.loc[lam, "evppi[effect]"] - exact) < 3 * t.loc[lam, "evppi[effect]_se"] + 5e-3
    assert t.index.name == "wtp"
    assert list(t.columns) == ["evpi", "evpi_se", "evppi[effect]", "evppi[effect]_se"]


def test_voi_curve_bad_input():
    with pytest.raises(DecideTypeError, match="build must be callable"):
        voi_curve(3, [1.0])
    with pytest.raises(DecideValueError, match="values must be one or more finite numbers"):
        voi_curve(lambda v: None, [])
