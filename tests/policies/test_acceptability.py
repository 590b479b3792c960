"""Tests of decide.policies.acceptability against a direct numpy computation."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp

from decide.errors import DecideTypeError, DecideValueError
from decide.outcomes import from_draws
from decide.policies import acceptability


@pytest.fixture(scope="module")
def draws() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(0)
    theta = rng.normal(0.0, 0.3, size=(500, 1))
    return {
        "safe": 1.0 + theta + rng.normal(0, 0.2, (500, 40)),
        "mid": 1.1 + 0.5 * theta + rng.normal(0, 0.6, (500, 40)),
        "risky": 1.3 - theta + rng.normal(0, 1.5, (500, 40)),
    }


def _direct(draws: dict[str, np.ndarray], a: float) -> np.ndarray:
    if a == 0:
        U = np.column_stack([y.mean(axis=1) for y in draws.values()])
    else:
        U = np.column_stack(
            [-(logsumexp(-a * y, axis=1) - np.log(y.shape[1])) / a for y in draws.values()]
        )
    return np.bincount(U.argmax(axis=1), minlength=U.shape[1]) / U.shape[0]


def test_matches_direct_computation(draws: dict[str, np.ndarray]) -> None:
    levels = [0.0, 0.5, 1.0, 3.0]
    table = acceptability(draws, risk_aversions=levels)
    s = np.concatenate([y.reshape(-1) for y in draws.values()]).std()
    assert table.attrs["scale"] == pytest.approx(s)
    assert table.index.tolist() == levels and table.columns.tolist() == ["safe", "mid", "risky"]
    for k in levels:
        np.testing.assert_allclose(table.loc[k].to_numpy(), _direct(draws, k / s), atol=1e-12)
    np.testing.assert_allclose(table.sum(axis=1), 1.0)
    # more risk aversion moves the probability to the safe action
    assert table.loc[0.0, "risky"] > table.loc[3.0, "risky"]
    assert table.loc[3.0, "safe"] > table.loc[0.0, "safe"]


def test_absolute_risk_aversion_and_outcome_model(draws: dict[str, np.ndarray]) -> None:
    model = from_draws(draws)
    table = acceptability(model, risk_aversions=[0.0, 2.0], relative=False)
    assert table.attrs["scale"] == 1.0
    np.testing.assert_allclose(table.loc[2.0].to_numpy(), _direct(draws, 2.0), atol=1e-12)
    sub = acceptability(model, ["safe", "risky"], risk_aversions=[1.0], relative=False)
    pair = {k: draws[k] for k in ("safe", "risky")}
    np.testing.assert_allclose(sub.loc[1.0].to_numpy(), _direct(pair, 1.0), atol=1e-12)


def test_needs_replicates() -> None:
    rng = np.random.default_rng(0)
    flat = {"a": rng.normal(size=100), "b": rng.normal(size=100)}
    with pytest.raises(DecideValueError, match=r"needs several outcome replicates.*\['a', 'b'\]"):
        acceptability(flat)
    with pytest.raises(DecideValueError, match=r"needs several outcome replicates"):
        acceptability(from_draws(flat))


def test_bad_input(draws: dict[str, np.ndarray]) -> None:
    with pytest.raises(DecideValueError, match=r"at least 2 actions"):
        acceptability({"safe": draws["safe"]})
    with pytest.raises(DecideValueError, match=r"risk_aversions must be .* >= 0; got \[-1.0\]"):
        acceptability(draws, risk_aversions=[-1.0])
    with pytest.raises(DecideTypeError, match=r"outcome must be an OutcomeModel or a dict"):
        acceptability(np.ones((10, 3)))
    with pytest.raises(DecideValueError, match=r"actions must be None"):
        acceptability(draws, ["safe"])


# -- a flat curve says why ----------------------------------------------------------------
def test_additive_common_noise_gives_a_flat_curve_and_a_note() -> None:
    """y_b = mu_b(theta_s) + e_sr with the same e for every action: CE_s(b) = mu_b(theta_s) + CE_s(e)."""
    rng = np.random.default_rng(5)
    theta = rng.normal(0.0, 1.0, size=(400, 1))
    noise = rng.gamma(2.0, 1.0, size=(400, 30)) - 2.0  # skewed, so CARA has something to price
    mu = {"tv": 1.0 + theta, "search": 1.2 - 0.5 * theta, "podcast": 0.9 + 2.0 * theta}
    draws = {k: m + noise for k, m in mu.items()}
    table = acceptability(draws, risk_aversions=[0.0, 1.0, 4.0])
    # closed form: the best action in draw s is the one with the largest mu_b(theta_s), at any a
    best = np.column_stack([m[:, 0] for m in mu.values()]).argmax(axis=1)
    expected = np.bincount(best, minlength=3) / 400
    for k in table.index:
        np.testing.assert_allclose(table.loc[k].to_numpy(), expected, atol=1e-12)
    assert table.attrs["flat"] and table.attrs["flat_cause"] == "additive common noise"
    (note,) = table.attrs["notes"]
    assert "additive and common to all actions" in note and "CE(Y + c) = CE(Y) + c" in note
    assert "note: flat:" in repr(table)


def test_dominance_within_draws_gives_a_flat_curve() -> None:
    """Multiplicative common noise: a beats b quantile by quantile exactly when e^theta > 1.2."""
    rng = np.random.default_rng(6)
    theta = rng.normal(0.0, 0.5, size=(300, 1))
    eps = np.exp(rng.normal(0.0, 0.8, size=(300, 25)))
    draws = {"a": np.exp(theta) * eps, "b": 1.2 * eps}
    table = acceptability(draws, risk_aversions=[0.0, 2.0, 6.0])
    p_a = float(np.mean(np.exp(theta[:, 0]) > 1.2))
    np.testing.assert_allclose(table["a"].to_numpy(), p_a, atol=1e-12)
    assert table.attrs["flat_cause"] == "dominance within draws"
    assert "quantile by quantile" in table.attrs["notes"][0]


def test_no_note_when_the_ranking_changes(draws: dict[str, np.ndarray]) -> None:
    table = acceptability(draws, risk_aversions=[0.0, 3.0])
    assert not np.allclose(table.loc[0.0], table.loc[3.0])  # the ranking does change
    assert not table.attrs["flat"] and table.attrs["flat_cause"] is None
    assert table.attrs["notes"] == [] and "note:" not in repr(table)


def test_flat_on_a_narrow_grid_points_at_the_grid() -> None:
    rng = np.random.default_rng(2)
    theta = rng.normal(0.0, 0.1, size=(300, 1))
    draws = {"safe": 1.0 + theta + rng.normal(0, 0.1, (300, 40)),
             "risky": 3.0 - theta + rng.normal(0, 1.0, (300, 40))}
    table = acceptability(draws, risk_aversions=[0.0, 0.01])  # risky best in every draw at both
    np.testing.assert_allclose(table["risky"].to_numpy(), 1.0)
    assert table.attrs["flat_cause"] == "grid"
    assert "larger risk aversions" in table.attrs["notes"][0]


def test_a_pymc_sales_model_with_normal_noise_gives_the_flat_note() -> None:
    """The issue's case: sales ~ Normal(mu(spend), sigma) with common random numbers is flat."""
    pm = pytest.importorskip("pymc")
    import xarray as xr

    from decide.outcomes import from_pymc

    with pm.Model(coords={"channel": ["tv", "search"]}) as model:
        spend = pm.Data("spend", np.array([1.0, 1.0]), dims="channel")
        beta = pm.HalfNormal("beta", 1.0, dims="channel")
        sigma = pm.HalfNormal("sigma", 1.0)
        pm.Normal("sales", (beta * pm.math.log(1.0 + spend)).sum(), sigma, observed=np.array(2.0))
    rng = np.random.default_rng(0)
    S = 200
    beta_d = np.abs(rng.normal([1.0, 0.9], 0.3, size=(S, 2)))
    sigma_d = np.abs(rng.normal(1.0, 0.1, size=S))
    ds = xr.Dataset({"beta": (("chain", "draw", "channel"), beta_d.reshape(2, S // 2, 2)),
                     "sigma": (("chain", "draw"), sigma_d.reshape(2, S // 2))},
                    coords={"channel": ["tv", "search"]})
    import arviz as az

    idata = az.InferenceData(posterior=ds) if int(az.__version__.split(".")[0]) < 1 else \
        xr.DataTree.from_dict({"posterior": ds})
    om = from_pymc(model, idata, action="spend", outcome="sales", mode="crn", n_replicates=30,
                   random_seed=1)
    plans = {"all tv": [2.0, 0.0], "all search": [0.0, 2.0], "split": [1.0, 1.0]}
    table = acceptability(om, plans, risk_aversions=[0.0, 2.0, 4.0])
    # closed form: the noise is the same at every plan, so the best plan in a draw has the largest mu
    mu = np.column_stack([(beta_d * np.log1p(np.array(x))).sum(axis=1) for x in plans.values()])
    expected = np.bincount(mu.argmax(axis=1), minlength=3) / S
    for k in table.index:
        np.testing.assert_allclose(table.loc[k].to_numpy(), expected, atol=1e-12)
    assert table.attrs["flat_cause"] == "additive common noise"
