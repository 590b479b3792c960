"""Tests of decide/uncertainty/_decompose.py and _split.py: the aleatoric/epistemic split."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from decide.errors import DecideTypeError, DecideValueError
from decide.outcomes import linear
from decide.uncertainty import Decomposition, decompose


def brute_cvar(y: np.ndarray, alpha: float) -> float:
    """Mean of the worst alpha * n pooled draws (alpha * n an integer here)."""
    flat = np.sort(np.asarray(y, dtype=float).reshape(-1))
    k = round(alpha * flat.size)
    assert math.isclose(k, alpha * flat.size)
    return float(flat[:k].mean())


# -- Normal model: closed-form truth -----------------------------------------


def test_exact_normal_matches_law_of_total_variance(normal_model):
    rng = np.random.default_rng(1)
    theta = rng.normal(2.0, 0.5, size=400)
    sigma = rng.uniform(0.5, 1.5, size=400)
    model = normal_model(theta, sigma, n_replicates=200, seed=2)
    x = 3.0
    d = decompose(model, x)
    assert isinstance(d, Decomposition)
    assert d.method == "exact"
    # epistemic: exactly the population variance of the conditional means
    assert d.epistemic == pytest.approx(np.var(theta * x), rel=1e-12)
    # aleatoric: the known mean conditional variance, within 5 Monte Carlo SE
    truth = float(np.mean((sigma * x) ** 2))
    se = math.sqrt(2.0 * np.mean((sigma * x) ** 4) / (400 * 200))
    assert abs(d.aleatoric - truth) < 5 * se
    assert d.total == pytest.approx(d.epistemic + d.aleatoric)
    # brute force: the pooled variance of a fresh, larger nested simulation
    big = normal_model(theta, sigma, n_replicates=2000, seed=3).draws(x)
    assert d.total == pytest.approx(np.var(big), rel=0.01)


def test_nested_normal_is_unbiased_where_the_naive_split_is_not(normal_model):
    rng = np.random.default_rng(4)
    theta = rng.normal(0.0, 1.0, size=20000)
    model = normal_model(theta, 2.0, n_replicates=2, exact=False, seed=5)
    d = decompose(model, 1.0)
    assert d.method == "nested"
    truth_epi, truth_ale = float(np.var(theta)), 4.0
    assert d.aleatoric == pytest.approx(truth_ale, rel=0.03)
    assert d.epistemic == pytest.approx(truth_epi, rel=0.06)
    # the uncorrected variance of replicate means is off by aleatoric / n_rep = 2
    y = model.draws(1.0)
    naive = float(np.var(y.mean(axis=1)))
    assert abs(naive - truth_epi) > 1.5
    # and the within-draw variance with ddof=0 is off by a factor (1 - 1/n_rep)
    assert abs(float(np.mean(np.var(y, axis=1))) - truth_ale) > 1.5


def test_nested_equals_manual_formula(normal_model):
    rng = np.random.default_rng(6)
    y = rng.normal(size=(50, 7)) + rng.normal(size=(50, 1))
    d = decompose(y)
    s2 = y.var(axis=1, ddof=1).mean()
    raw = y.mean(axis=1).var() - (1 - 1 / 50) * s2 / 7
    assert d.aleatoric == pytest.approx(s2)
    assert d.epistemic_raw == pytest.approx(raw)
    assert d.epistemic == pytest.approx(max(raw, 0.0))
    assert d.n_samples == 50 and d.n_replicates == 7


# -- Poisson model, vector outcome -------------------------------------------


def test_poisson_vector_outcome_per_week_and_total(poisson_model):
    rng = np.random.default_rng(7)
    lam = rng.gamma(5.0, 1.0, size=(300, 3))
    model = poisson_model(lam, n_replicates=400, seed=8)
    x = 2.0
    d = decompose(model, x)
    assert d.method == "exact"
    df = d.to_dataframe()
    assert list(df.index) == ["week=w0", "week=w1", "week=w2", "total"]
    mu = lam * x
    # per week: epistemic exact, aleatoric = E[lam * x] (Poisson variance = mean)
    np.testing.assert_allclose(df["epistemic_variance"].iloc[:3], mu.var(axis=0), rtol=1e-12)
    np.testing.assert_allclose(df["aleatoric_variance"].iloc[:3], mu.mean(axis=0), rtol=0.02)
    # total row: the summed outcome, whose conditional mean is the sum of the weeks
    assert d.epistemic == pytest.approx(mu.sum(axis=1).var(), rel=1e-12)
    assert d.aleatoric == pytest.approx(mu.sum(axis=1).mean(), rel=0.02)
    assert df.loc["total", "total_variance"] == pytest.approx(d.total)
    # named dims kept
    assert d.by_element is not None
    assert d.by_element["epistemic_variance"].dims == ("week",)
    assert list(d.by_element["week"].values) == ["w0", "w1", "w2"]


def test_poisson_nested_matches_exact(poisson_model):
    rng = np.random.default_rng(9)
    lam = rng.gamma(4.0, 1.0, size=(2000, 2))
    exact = decompose(poisson_model(lam, n_replicates=30, seed=10), 1.0)
    nested = decompose(poisson_model(lam, n_replicates=30, exact=False, seed=10), 1.0)
    assert nested.method == "nested"
    assert nested.epistemic == pytest.approx(exact.epistemic, rel=0.05)
    assert nested.aleatoric == pytest.approx(exact.aleatoric, rel=0.05)
    pd.testing.assert_index_equal(nested.to_dataframe().index, exact.to_dataframe().index)


# -- limiting cases ----------------------------------------------------------


@pytest.mark.parametrize("exact", [True, False])
def test_no_noise_is_all_epistemic(normal_model, exact):
    theta = np.random.default_rng(11).normal(1.0, 1.0, size=100)
    d = decompose(normal_model(theta, 0.0, n_replicates=3, exact=exact), 2.0)
    assert d.aleatoric == pytest.approx(0.0, abs=1e-20)  # replicates equal up to rounding
    assert d.epistemic == pytest.approx(np.var(2 * theta))
    assert d.epistemic_share == pytest.approx(1.0)


@pytest.mark.parametrize("exact", [True, False])
def test_known_parameters_are_all_aleatoric(normal_model, exact):
    theta = np.full(500, 1.5)
    d = decompose(normal_model(theta, 1.0, n_replicates=50, exact=exact, seed=12), 1.0)
    assert d.aleatoric == pytest.approx(1.0, rel=0.03)
    if exact:
        assert d.epistemic == 0.0
    else:
        # unbiased estimate of 0: within 4 Monte Carlo SE (var of the means ~ 1/50 per draw)
        assert abs(d.epistemic_raw) < 4 * math.sqrt(2.0 / 500) / 50
        assert d.epistemic >= 0.0
    assert d.aleatoric_share == pytest.approx(1.0, abs=0.01)


def test_linear_outcome_is_all_epistemic_with_a_note():
    rng = np.random.default_rng(13)
    model = linear(rng.normal(size=(200, 2)))
    d = decompose(model, [1.0, 1.0])
    assert d.method == "exact"
    assert d.aleatoric == 0.0
    assert d.epistemic == pytest.approx(np.var(model.draws([1.0, 1.0])))
    assert any("no simulated noise" in n for n in d.notes)
    assert "no simulated noise" in repr(d)  # a note that changes the meaning is shown


def test_negative_nested_estimate_is_clipped_and_noted():
    # known parameters: the raw epistemic estimate is negative for about half the seeds
    for seed in range(20):
        y = np.random.default_rng(seed).normal(size=(30, 4))
        d = decompose(y)
        if d.epistemic_raw < 0:
            assert d.epistemic == 0.0
            assert any("negative" in n for n in d.notes)
            break
    else:  # pragma: no cover - probability 2**-20
        pytest.fail("no negative raw estimate in 20 seeds")


# -- tail risk and objective split -------------------------------------------


def test_cvar_split_against_brute_force(normal_model):
    rng = np.random.default_rng(15)
    theta = rng.normal(1.0, 2.0, size=400)
    model = normal_model(theta, 1.0, n_replicates=50, seed=16)
    d = decompose(model, 1.0, alpha=0.05)
    y = model.draws(1.0)
    assert d.cvar == pytest.approx(brute_cvar(y, 0.05))
    assert d.cvar_epistemic == pytest.approx(brute_cvar(theta, 0.05))
    assert d.tail_epistemic + d.tail_aleatoric == pytest.approx(d.mean - d.cvar)
    assert d.tail_aleatoric > 0  # the noise worsens the tail
    row = d.to_dataframe().loc["total"]
    assert row["cvar"] == pytest.approx(d.cvar)
    assert math.isnan(row["objective"])


def test_objective_split(normal_model):
    from decide.measures import CVaR

    rng = np.random.default_rng(17)
    theta = rng.normal(1.0, 2.0, size=400)
    model = normal_model(theta, 1.0, n_replicates=50, seed=18)
    d = decompose(model, 1.0, objective=CVaR(alpha=0.1))
    y = model.draws(1.0)
    assert d.objective_value == pytest.approx(brute_cvar(y, 0.1))
    assert d.objective_epistemic == pytest.approx(brute_cvar(theta, 0.1))
    assert d.objective_aleatoric == pytest.approx(d.objective_epistemic - d.objective_value)
    assert d.to_dataframe().loc["total", "objective"] == pytest.approx(d.objective_value)


# -- array input --------------------------------------------------------------


def test_dataarray_input_with_chain_draw_replicate():
    rng = np.random.default_rng(19)
    arr = rng.normal(size=(2, 30, 5)) + rng.normal(size=(2, 30, 1))
    da = xr.DataArray(arr, dims=("chain", "draw", "replicate"))
    d = decompose(da)
    ref = decompose(arr.reshape(60, 5))
    assert d.epistemic == pytest.approx(ref.epistemic)
    assert d.aleatoric == pytest.approx(ref.aleatoric)


# -- bad input ---------------------------------------------------------------


def test_no_conditional_mean_and_one_replicate_raises(normal_model):
    theta = np.zeros(10)
    model = normal_model(theta, 1.0, n_replicates=None, exact=False)
    with pytest.raises(DecideValueError, match="n_replicates >= 2"):
        decompose(model, 1.0)


def test_n_replicates_argument_rebuilds_or_explains(normal_model):
    theta = np.random.default_rng(20).normal(size=200)
    model = normal_model(theta, 1.0, n_replicates=None, exact=False)
    d = decompose(model, 1.0, n_replicates=20, random_seed=21)
    assert d.n_replicates == 20 and d.method == "nested"
    with pytest.raises(DecideValueError, match="cannot change it"):
        decompose(linear(np.ones((5, 1))), [1.0], n_replicates=3)
    with pytest.raises(DecideValueError, match="n_replicates must be >= 1"):
        decompose(model, 1.0, n_replicates=0)


def test_bad_arguments():
    y = np.random.default_rng(22).normal(size=(10, 3))
    with pytest.raises(DecideValueError, match="n_replicates >= 2"):
        decompose(y[:, 0])
    with pytest.raises(DecideValueError, match="alpha must be in"):
        decompose(y, alpha=0.0)
    with pytest.raises(DecideValueError, match="action must be None"):
        decompose(y, 1.0)
    with pytest.raises(DecideValueError, match="action is required"):
        decompose(linear(np.ones((5, 1))))
    with pytest.raises(DecideTypeError, match="OutcomeModel or numeric draws"):
        decompose("draws")


def test_dataframe_is_refused_and_to_numpy_reads_replicates():
    """A DataFrame of one column per option must not be read as replicates of one outcome."""
    import pandas as pd

    from decide.errors import DecideTypeError

    rng = np.random.default_rng(11)
    theta = rng.normal(0.0, 2.0, size=(400, 1))
    y = theta + rng.normal(0.0, 1.0, size=(400, 8))
    options = pd.DataFrame({"A": theta[:, 0], "B": theta[:, 0] + 1.0})
    with pytest.raises(DecideTypeError, match="to_numpy"):
        decompose(options)
    d = decompose(pd.DataFrame(y).to_numpy())
    # the nested formulas written out: mean within-draw variance, variance of the means minus noise
    aleatoric = np.var(y, axis=1, ddof=1).mean()
    epistemic = np.var(y.mean(axis=1)) - (1 - 1 / 400) * aleatoric / 8
    assert d.aleatoric == pytest.approx(aleatoric)
    assert d.epistemic == pytest.approx(epistemic)


def test_date_elements_are_labelled_by_the_short_date() -> None:
    """Outcome elements along a dim of dates read 'date=2024-11-17', as action cells do."""
    import pandas as pd

    from decide.outcomes import from_function

    rng = np.random.default_rng(0)
    om = from_function(lambda x, p: p["b"] * x, {"b": rng.normal(1.0, 0.1, (50, 3))},
                       action_shape=(3,), outcome_dims=("date",), conditional_mean=True)
    om.outcome_coords = {"date": pd.date_range("2024-11-17", periods=3, freq="W-SUN").values}
    table = decompose(om, np.ones(3)).to_dataframe()
    assert list(table.index[:3]) == ["date=2024-11-17", "date=2024-11-24", "date=2024-12-01"]
