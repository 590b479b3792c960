"""EVPPI that holds up (issue 23, item 5): decide/uncertainty/_evppi.py, _evppi_fit.py,
_evppi_params.py, _evppi_table.py against nested Monte Carlo, quadrature and sklearn.

The saturating problem: ``U(a) = beta * x_a / (x_a + lam) - cost_a + base * x_a`` with
``(log beta, log lam)`` bivariate normal (correlation 0.8) and ``base`` independent.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from scipy.stats import norm

from decide.errors import DecideTypeError, DecideValueError
from decide.outcomes import from_function
from decide.uncertainty import RegressionCheck, evpi, evppi, evppi_table
from decide.uncertainty._evppi_fit import residual_check
from decide.uncertainty._evppi_table import monotone_projection

XS = np.array([0.5, 1.0, 2.0])
COST = np.array([0.3, 0.6, 1.1])
S_B, S_L, RHO = 0.3, 0.4, 0.8
COV = np.array([[S_B**2, RHO * S_B * S_L], [RHO * S_B * S_L, S_L**2]])


def _draws(n: int, seed: int):
    rng = np.random.default_rng(seed)
    z = rng.multivariate_normal([0.0, 0.0], COV, n)
    beta, lam, base = 2.0 * np.exp(z[:, 0]), np.exp(z[:, 1]), rng.normal(0.0, 0.2, n)
    U = beta[:, None] * XS / (XS + lam[:, None]) - COST + base[:, None] * XS
    return U, {"beta": beta, "lam": lam, "base": base}


@pytest.fixture(scope="module")
def truth():
    """EVPPI of beta, lam and (beta, lam) by brute force: nested Monte Carlo over the
    conditional normal of the other log-parameter (E[base] = 0 drops out)."""
    rng = np.random.default_rng(12345)
    z = rng.multivariate_normal([0.0, 0.0], COV, 1_000_000)
    g = 2.0 * np.exp(z[:, 0])[:, None] * XS / (XS + np.exp(z[:, 1])[:, None]) - COST
    best = int(np.argmax(g.mean(axis=0)))

    def value(inner):
        gain = inner.max(axis=1) - inner[:, best]
        return float(gain.mean()), float(gain.std() / np.sqrt(gain.size))

    out = {"beta, lam": value(g)}
    n_out, e = 20_000, rng.standard_normal(300)
    e = np.concatenate([e, -e])  # inner draws of the standard normal, antithetic
    zo = rng.multivariate_normal([0.0, 0.0], COV, n_out)
    # beta known: log lam | log beta ~ N(rho s_l / s_b * z_b, s_l^2 (1 - rho^2))
    lam_in = np.exp(RHO * S_L / S_B * zo[:, [0]] + S_L * np.sqrt(1 - RHO**2) * e)
    inner = np.stack([(x / (x + lam_in)).mean(axis=1) for x in XS], axis=1)
    out["beta"] = value(2.0 * np.exp(zo[:, [0]]) * inner - COST)
    # lam known: log beta | log lam ~ N(rho s_b / s_l * z_l, s_b^2 (1 - rho^2))
    beta_in = 2.0 * np.exp(RHO * S_B / S_L * zo[:, [1]] + S_B * np.sqrt(1 - RHO**2) * e)
    out["lam"] = value(beta_in.mean(axis=1)[:, None] * XS / (XS + np.exp(zo[:, [1]])) - COST)
    return out


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_evppi_matches_nested_monte_carlo_on_correlated_saturating_parameters(truth, seed):
    U, post = _draws(3000, seed)
    for label, params in (("beta", "beta"), ("lam", "lam"), ("beta, lam", ["beta", "lam"])):
        res = evppi(U, params=params, posterior=post, n_bootstrap=100, random_seed=seed)
        t, t_se = truth[label]
        assert abs(res.value - t) < 3.0 * np.hypot(res.standard_error, t_se), (label, res, t)
        assert isinstance(res.regression, RegressionCheck) and res.regression.ok
    both = evppi(U, params=["beta", "lam"], posterior=post, n_bootstrap=0, random_seed=seed)
    assert both.regression.basis == "tensor"  # the joint effect needs the interaction


def test_standard_error_matches_the_spread_over_posterior_samples(truth):
    values, ses = [], []
    for seed in range(10, 18):
        U, post = _draws(1500, seed)
        res = evppi(U, params=["beta", "lam"], posterior=post, n_bootstrap=100, random_seed=seed)
        values.append(res.value)
        ses.append(res.standard_error)
    spread, mean_se = float(np.std(values, ddof=1)), float(np.mean(ses))
    # 8 replications: the sample sd has ~25% relative error; a 2x miss is a real miscalibration
    assert 0.5 < spread / mean_se < 2.0, (spread, mean_se)
    assert abs(np.mean(values) - truth["beta, lam"][0]) < 3 * spread / np.sqrt(8) + 1e-3


@pytest.mark.parametrize("seed", [3, 4])
def test_table_is_monotone_over_nested_sets(seed):
    U, post = _draws(2000, seed)
    groups = {"beta": "beta", "lam": "lam", "beta+lam": ["beta", "lam"],
              "all": ["beta", "lam", "base"], "lam again": {"lam": None}}
    with _no_warning():
        t = evppi_table(U, groups=groups, posterior=post, n_bootstrap=50, random_seed=seed)
    v = t["value"]
    full = evpi(U).value
    assert t.attrs["evpi"] == pytest.approx(full)
    assert v["beta"] <= v["beta+lam"] <= v["all"] <= full
    assert v["lam"] <= v["beta+lam"]
    assert v["lam"] == v["lam again"]  # the same set named twice gets one value
    # learning every parameter is perfect information
    assert v["all"] == pytest.approx(full, abs=3 * t.loc["all", "standard_error"])
    assert set(t.columns) >= {"value", "standard_error", "value_raw", "cv_r2", "residual_z", "regression_ok"}
    assert "cv_r2" in t.to_string()


class _no_warning:
    def __enter__(self):
        import warnings

        self._cm = warnings.catch_warnings()
        self._cm.__enter__()
        warnings.simplefilter("error")

    def __exit__(self, *exc):
        return self._cm.__exit__(*exc)


@pytest.mark.parametrize("seed", range(5))
def test_monotone_projection_equals_weighted_isotonic_regression_on_a_chain(seed):
    from sklearn.isotonic import IsotonicRegression

    rng = np.random.default_rng(seed)
    k, upper = 6, 1.0
    x = rng.uniform(-0.2, 1.3, k)
    w = rng.uniform(0.5, 3.0, k)
    chain = [(i, i + 1) for i in range(k - 1)]
    ours = monotone_projection(x, w, chain, upper)
    ref = IsotonicRegression(y_min=0.0, y_max=upper).fit_transform(np.arange(k), x, sample_weight=w)
    np.testing.assert_allclose(ours, ref, atol=1e-5)
    assert np.all(np.diff(ours) >= 0)


def _channel_posterior(n_chain=2, n_draw=1000, seed=0):
    rng = np.random.default_rng(seed)
    beta = rng.normal([1.0, 0.8, 0.3], [0.05, 0.1, 0.6], size=(n_chain, n_draw, 3))
    lam = rng.normal(1.0, 0.1, size=(n_chain, n_draw))
    ds = xr.Dataset(
        {"beta": (("chain", "draw", "channel"), beta), "lam": (("chain", "draw"), lam)},
        coords={"channel": ["tv", "search", "podcast"]},
    )
    return ds, beta.reshape(-1, 3), lam.reshape(-1)


def _arviz(ds):
    import arviz as az

    if int(az.__version__.split(".")[0]) < 1:
        return az.InferenceData(posterior=ds)
    return az.from_dict({"posterior": {k: v.values for k, v in ds.data_vars.items()}},
                        coords={"channel": ["tv", "search", "podcast"]},
                        dims={"beta": ["channel"]})


def _utilities(beta, lam):
    spend = np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], [0.3, 0.3, 0.4]])
    return (beta @ spend.T) / lam[:, None]


@pytest.mark.parametrize("kind", ["dataset", "datatree", "arviz"])
def test_coordinate_selection_equals_the_hand_built_dict(kind):
    ds, beta, lam = _channel_posterior()
    post = {"dataset": ds, "datatree": xr.DataTree.from_dict({"posterior": ds}), "arviz": _arviz(ds)}[kind]
    U = _utilities(beta, lam)
    picked = evppi(U, params={"beta": {"channel": "podcast"}}, posterior=post, n_bootstrap=20, random_seed=1)
    by_hand = evppi(U, params="b", posterior={"b": beta[:, 2]}, n_bootstrap=20, random_seed=1)
    assert picked.value == by_hand.value and picked.standard_error == by_hand.standard_error
    assert picked.params == ("beta[channel=podcast]",)
    two = evppi(U, params={"beta": {"channel": ["tv", "podcast"]}, "lam": None}, posterior=post,
                n_bootstrap=0, random_seed=1)
    hand = evppi(U, params=["b0", "b2", "lam"], n_bootstrap=0, random_seed=1,
                 posterior={"b0": beta[:, 0], "b2": beta[:, 2], "lam": lam})
    assert two.value == hand.value


def test_coordinate_selection_on_the_outcomes_own_posterior():
    ds, beta, _ = _channel_posterior(seed=2)
    model = from_function(lambda x, p: (p["beta"] @ x) / p["lam"], ds, action_shape=3)
    actions = {"tv": [1.0, 0, 0], "search": [0, 1.0, 0], "podcast": [0, 0, 1.0]}
    res = evppi(model, actions, params={"beta": {"channel": "podcast"}}, n_bootstrap=0, random_seed=0)
    ref = evppi(model, actions, params="b", posterior={"b": beta[:, 2]}, n_bootstrap=0, random_seed=0)
    assert res.value == ref.value > 0


def test_bad_selections_name_the_argument_the_valid_values_and_the_value():
    ds, beta, lam = _channel_posterior(n_draw=100)
    U = _utilities(beta, lam)
    with pytest.raises(DecideValueError, match=r"'radio' is not a coordinate of 'channel'.*tv, search, podcast"):
        evppi(U, params={"beta": {"channel": "radio"}}, posterior=ds)
    with pytest.raises(DecideValueError, match=r"selects dim 'region'.*dims are \['channel'\]"):
        evppi(U, params={"beta": {"region": "north"}}, posterior=ds)
    with pytest.raises(DecideValueError, match=r"selects dim 'chain'"):
        evppi(U, params={"beta": {"chain": 0}}, posterior=ds)
    with pytest.raises(DecideValueError, match=r"integer position in \[0, 2\]"):
        evppi(U, params={"b": {"b_dim_0": 3}}, posterior={"b": beta})
    with pytest.raises(DecideTypeError, match=r"params\['beta'\] must be None.*got 'podcast'"):
        evppi(U, params={"beta": "podcast"}, posterior=ds)
    with pytest.raises(DecideValueError, match=r"\['gamma'\].*available parameters: \['beta', 'lam'\]"):
        evppi(U, params={"gamma": None}, posterior=ds)
    with pytest.raises(DecideValueError, match="rank_tol must be"):
        evppi(U, params="lam", posterior=ds, rank_tol=1.5)
    with pytest.raises(DecideTypeError, match="groups must be"):
        evppi_table(U, groups="lam", posterior=ds)
    # integer positions work on dims without coordinates
    ok = evppi(U, params={"b": {"b_dim_0": 2}}, posterior={"b": beta}, n_bootstrap=0, random_seed=0)
    ref = evppi(U, params="c", posterior={"c": beta[:, 2]}, n_bootstrap=0, random_seed=0)
    assert ok.value == ref.value


def test_many_collinear_actions_low_rank_against_quadrature():
    """61 budget splits of two channels: U(s) = b1 f(s) + b2 f(1 - s), (b1, b2) correlated normal.

    The centred utilities have rank 2, and E[U | b1] is linear in b1, so the EVPPI of b1
    is a one-dimensional integral (quadrature on a fine grid)."""
    n, s = 3000, np.linspace(0.0, 1.0, 61)
    f1, f2 = s / (s + 0.3), (1 - s) / (1 - s + 0.3)
    m, sd, r = np.array([1.0, 1.1]), np.array([0.4, 0.2]), -0.5
    cov = np.array([[sd[0] ** 2, r * sd[0] * sd[1]], [r * sd[0] * sd[1], sd[1] ** 2]])
    rng = np.random.default_rng(7)
    b = rng.multivariate_normal(m, cov, n)
    U = b[:, [0]] * f1 + b[:, [1]] * f2
    res = evppi(U, params="b1", posterior={"b1": b[:, 0]}, n_bootstrap=100, random_seed=0)
    assert res.regression.n_components <= 2
    full = evppi(U, params="b1", posterior={"b1": b[:, 0]}, n_bootstrap=0, rank_tol=0.0, random_seed=0)
    assert res.value == pytest.approx(full.value, rel=1e-6, abs=1e-9)
    # truth: b1 = m1 + sd1 z, E[b2 | b1] = m2 + r sd2 z
    z = np.linspace(-8, 8, 20001)
    w = norm.pdf(z) * (z[1] - z[0])
    cond = (m[0] + sd[0] * z)[:, None] * f1 + (m[1] + r * sd[1] * z)[:, None] * f2
    truth = float(w @ cond.max(axis=1) - (m[0] * f1 + m[1] * f2).max())
    assert abs(res.value - truth) < 3 * res.standard_error + 2e-3


def test_regression_check_reports_the_cross_validated_fit():
    rng = np.random.default_rng(3)
    n = 4000
    a, e = rng.normal(0.0, 1.0, n), rng.normal(0.0, 1.0, n)
    U = pd.DataFrame({"act": a + e, "wait": np.zeros(n)})
    res = evppi(U, params="a", posterior={"a": a}, n_bootstrap=0, random_seed=0)
    # E[U | a] = a explains var(a) / (var(a) + var(e)) = 1/2 of the variance
    assert res.regression.cv_r2 == pytest.approx(0.5, abs=0.04)
    assert res.regression.r2 >= res.regression.cv_r2 - 0.01
    assert "cv_r2=" in repr(res)


def test_residual_check_flags_a_miscalibrated_fit_only():
    rng = np.random.default_rng(0)
    n = 4000
    signal = rng.normal(0.0, 1.0, (n, 2))
    Z = signal + rng.normal(0.0, 1.0, (n, 2))
    honest = signal + rng.normal(0.0, 0.1, (n, 2))
    z_ok, flag_ok = residual_check(Z, honest)
    assert not flag_ok and z_ok < 4.5
    z_bad, flag_bad = residual_check(Z, 0.4 * honest)  # fitted values shrunk: residuals track them
    assert flag_bad and z_bad > 10


def test_datetime_coordinates_select_by_timestamp_or_string():
    rng = np.random.default_rng(0)
    n = 500
    dates = pd.date_range("2024-11-17", periods=3, freq="W")
    b = rng.normal(size=(n, 3))
    ds = xr.Dataset({"b": (("sample", "date"), b)}, coords={"date": dates})
    U = np.column_stack([b.sum(axis=1), np.zeros(n)])
    by_stamp = evppi(U, params={"b": {"date": pd.Timestamp("2024-11-24")}}, posterior=ds,
                     n_bootstrap=0, random_seed=0)
    by_text = evppi(U, params={"b": {"date": str(ds["date"].values[1])}}, posterior=ds,
                    n_bootstrap=0, random_seed=0)
    by_hand = evppi(U, params="c", posterior={"c": b[:, 1]}, n_bootstrap=0, random_seed=0)
    assert by_stamp.value == by_text.value == by_hand.value
    with pytest.raises(DecideValueError, match="is not a coordinate of 'date'"):
        evppi(U, params={"b": {"date": pd.Timestamp("2025-01-01")}}, posterior=ds)
