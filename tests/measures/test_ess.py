"""Effective sample size of exponential-utility weights, and the UnreliableEstimateWarning
of compare, evpi and decompose on fat-tailed draws."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from decide.errors import DecideValueError, SaturationWarning, UnreliableEstimateWarning
from decide.measures import (
    CertaintyEquivalent,
    CVaR,
    EntropicRisk,
    ExpectedUtility,
    Exponential,
    Mean,
    exponential_ess,
    exponential_risk_aversion,
)
from decide.optimization import Budget
from decide.outcomes import from_draws, linear
from decide.policies import compare
from decide.uncertainty import decompose, evpi


def kish(x, a, p=None):
    """Independent Kish ESS, straight from the definition (no shift; moderate values only)."""
    x = np.asarray(x, dtype=float).reshape(-1)
    p = np.full(x.size, 1.0 / x.size) if p is None else np.asarray(p, float) / np.sum(p)
    v = p * np.exp(-a * x)
    return v.sum() ** 2 / (v**2).sum()


def test_ess_matches_kish_definition_and_limits():
    x = np.random.default_rng(3).normal(0.0, 1.0, 500)
    for a in (0.0, 0.3, 1.0, 2.5):
        assert exponential_ess(x, a) == pytest.approx(kish(x, a), rel=1e-10)
    assert exponential_ess(x, 0.0) == pytest.approx(500.0)
    assert exponential_ess(np.array([0.0, 0.0, -1000.0]), 1.0) == pytest.approx(1.0)
    # replicates pool with the samples; sample weights multiply the exponential weights
    r = x[:40].reshape(20, 2)
    assert exponential_ess(r, 0.7) == pytest.approx(kish(x[:40], 0.7), rel=1e-10)
    k = np.arange(20) % 3 + 1
    assert exponential_ess(x[:20], 0.7, weights=k) == pytest.approx(
        kish(x[:20], 0.7, p=k), rel=1e-10)
    with pytest.raises(DecideValueError, match="risk_aversion must be >= 0"):
        exponential_ess(x, -1.0)


@pytest.mark.parametrize("a", [0.5, 1.0])
def test_ess_ratio_for_normal_draws_is_exp_minus_a2_sigma2(a):
    x = np.random.default_rng(7).normal(0.0, 1.0, 400_000)
    assert exponential_ess(x, a) / x.size == pytest.approx(np.exp(-(a**2)), rel=0.05)


def test_risk_aversion_of_objectives():
    assert exponential_risk_aversion(ExpectedUtility(Exponential(0.4))) == 0.4
    assert exponential_risk_aversion(CertaintyEquivalent(Exponential(2.0))) == 2.0
    assert exponential_risk_aversion(EntropicRisk(1.5)) == 1.5
    assert exponential_risk_aversion(Mean() + 0.5 * EntropicRisk(3.0)) == 3.0
    assert exponential_risk_aversion(CVaR(0.1)) is None


def _fat(n, seed):
    rng = np.random.default_rng(seed)
    return {"safe": 0.05 + 0.1 * rng.standard_t(2.0, n), "bold": 0.1 + 0.3 * rng.standard_t(2.0, n)}


def test_compare_reports_ess_columns_and_warns_on_fat_tails():
    arms = from_draws(_fat(2000, 0))
    with pytest.warns(UnreliableEstimateWarning, match="effective draws"):
        table = compare(arms, {"neutral": Mean(), "cara": ExpectedUtility(Exponential(20.0))},
                        random_seed=1)
    held = table.attrs["held_out"]
    for policy in table.index:
        label = "safe" if table.loc[policy, "action[safe]"] == 1.0 else "bold"
        y = arms.draws_for(label)[held]
        for col, a in table.attrs["ce_risk_aversions"].items():
            assert table.loc[policy, f"ess_{col}"] == pytest.approx(kish(y, a), rel=1e-6)
    assert table.loc["cara", "ess_objective"] == pytest.approx(kish(
        arms.draws_for("safe" if table.loc["cara", "action[safe]"] == 1.0 else "bold")[held],
        20.0), rel=1e-6)
    assert np.isnan(table.loc["neutral", "ess_objective"])


def test_the_ess_warning_points_at_the_caller_and_fits_the_split():
    # it pointed at decide/policies/_compare.py, and advised 'crossfit' to a crossfit call
    arms = from_draws(_fat(2000, 0))
    objectives = {"neutral": Mean(), "cara": ExpectedUtility(Exponential(20.0))}
    with pytest.warns(UnreliableEstimateWarning, match=r"hold out more draws \(or use 'crossfit'\)") as rec:
        compare(arms, objectives, random_seed=1)
    assert rec[0].filename == __file__
    rng = np.random.default_rng(42)  # fat tails: the ce_ columns' weights fall on few draws
    r = np.array([8.0, 5.0, 2.0]) + rng.standard_t(4, size=(800, 3)) * np.array([25.0, 10.0, 3.0])
    with pytest.warns(UnreliableEstimateWarning, match="use more posterior draws") as rec:
        compare(linear(r), {"neutral": Mean(), "cvar5": CVaR(0.05)}, Budget(1.0, upper=0.6),
                holdout="crossfit", n_folds=4, random_seed=3)
    assert rec[0].filename == __file__ and "crossfit')" not in str(rec[0].message)


def test_compare_does_not_warn_on_well_behaved_draws():
    rng = np.random.default_rng(5)
    arms = from_draws({"a": rng.normal(1.0, 0.5, 2000), "b": rng.normal(1.2, 0.8, 2000)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        table = compare(arms, {"m": Mean(), "c": CVaR(0.1)}, random_seed=0)
    assert (table[[c for c in table.columns if c.startswith("ess_ce")]] > 2).all().all()


def test_evpi_and_decompose_warn_on_fat_tails_only():
    fat = _fat(3000, 2)
    with pytest.warns(UnreliableEstimateWarning, match="value of information"), \
            warnings.catch_warnings():
        # a = 20 also saturates the utility on most of these draws (SaturationWarning, tested
        # on its own); this test is about the effective sample size
        warnings.simplefilter("ignore", SaturationWarning)
        evpi(fat, objective=ExpectedUtility(Exponential(20.0)))
    rng = np.random.default_rng(4)
    tame = {"a": rng.normal(0.0, 1.0, 3000), "b": rng.normal(0.1, 1.0, 3000)}
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        evpi(tame, objective=ExpectedUtility(Exponential(0.5)))
    y = 0.1 * rng.standard_t(1.5, size=(200, 10))
    with pytest.warns(UnreliableEstimateWarning, match="decompose"):
        decompose(y, objective=CertaintyEquivalent(Exponential(30.0)))
