"""Stacking and pseudo-BMA weights of decide.outcomes.mixture against arviz.compare and by hand.

Two normal models with known noise scales (0.7 and 2.0) for heavy-tailed data: neither is
right, and stacking mixes them. Their posteriors are conjugate, so the draws are exact
(no sampler) and the leave-one-out predictive densities have a closed form.
"""

from __future__ import annotations

import arviz
import cvxpy as cp
import numpy as np
import pytest
from scipy import stats

from decide.errors import DecideTypeError, DecideValueError
from decide.outcomes import linear, mixture

ARVIZ_1 = not arviz.__version__.startswith("0.")
SIGMAS = {"narrow": 0.7, "wide": 2.0}
PRIOR_SD = 10.0


@pytest.fixture(scope="module")
def data():
    return stats.t(df=2.5).rvs(size=80, random_state=np.random.default_rng(0)) * 0.8 + 0.3


def _posterior(y, sigma):
    prec = 1 / PRIOR_SD**2 + y.size / sigma**2
    return (y.sum() / sigma**2) / prec, 1 / prec


def _idata(y, sigma, seed, chains=2, draws=500, log_likelihood=True):
    mean, var = _posterior(y, sigma)
    mu = np.random.default_rng(seed).normal(mean, np.sqrt(var), (chains, draws))
    groups = {"posterior": {"mu": mu}, "observed_data": {"y": y}}
    if log_likelihood:
        groups["log_likelihood"] = {"y": stats.norm.logpdf(y[None, None, :], mu[..., None], sigma)}
    if ARVIZ_1:
        return arviz.from_dict(groups)
    return arviz.from_dict(**groups)


def _models(n=1000):
    rng = np.random.default_rng(1)
    return {k: linear(rng.normal(size=(n, 2))) for k in SIGMAS}


@pytest.fixture(scope="module")
def idata(data):
    return {k: _idata(data, s, seed) for seed, (k, s) in enumerate(SIGMAS.items())}


def _compare(idata, method):
    if ARVIZ_1:
        table = arviz.compare(idata, method=method, round_to="none")
    else:
        kwargs = {"seed": 0} if method == "BB-pseudo-BMA" else {}
        table = arviz.compare(idata, method=method, **kwargs)
    return table["weight"].reindex(list(SIGMAS)).to_numpy(float)


def _pointwise_loo(idata):
    out = []
    for k in SIGMAS:
        res = arviz.loo(idata[k], pointwise=True)
        out.append(np.asarray(res.elpd_i if ARVIZ_1 else res.loo_i).reshape(-1))
    return np.column_stack(out)


def _stacking(elpd_i):
    """max_w sum_i log sum_k w_k exp(elpd_ik) over the simplex, as a conic program."""
    w = cp.Variable(elpd_i.shape[1], nonneg=True)
    shift = elpd_i.max(axis=1, keepdims=True)
    problem = cp.Problem(cp.Maximize(cp.sum(cp.log(np.exp(elpd_i - shift) @ w))), [cp.sum(w) == 1])
    problem.solve(solver="CLARABEL")
    return np.asarray(w.value), float(problem.value + shift.sum())


def _log_score(w, elpd_i):
    return float(np.sum(np.log(np.exp(elpd_i) @ w)))


@pytest.mark.parametrize(
    ("method", "arviz_method"),
    [("stacking", "stacking"), ("pseudo-bma", "pseudo-BMA"), ("bb-pseudo-bma", "BB-pseudo-BMA")],
)
def test_weights_are_the_numbers_of_arviz_compare(idata, method, arviz_method):
    mix = mixture(_models(), weights=method, idata=idata)
    expected = _compare(idata, arviz_method)
    np.testing.assert_allclose(mix.weights.to_numpy(), expected / expected.sum(), rtol=1e-12, atol=1e-15)
    assert list(mix.weights.index) == list(SIGMAS)
    assert set(mix.comparison.index) == set(SIGMAS) and "weight" in mix.comparison.columns


def test_stacking_against_an_independent_optimization(idata):
    elpd_i = _pointwise_loo(idata)
    w_cvx, best = _stacking(elpd_i)
    mix = mixture(_models(), weights="stacking", idata=idata)
    w = mix.weights.to_numpy()
    assert 0.1 < w[0] < 0.9  # neither model is right: stacking mixes them
    np.testing.assert_allclose(w, w_cvx, atol=5e-3)
    assert _log_score(w, elpd_i) == pytest.approx(best, abs=1e-5)


def test_stacking_against_the_exact_leave_one_out_densities(data, idata):
    # y_i | y_-i ~ N(posterior mean without i, sigma^2 + posterior variance without i)
    cols = []
    for sigma in SIGMAS.values():
        col = []
        for i in range(data.size):
            mean, var = _posterior(np.delete(data, i), sigma)
            col.append(stats.norm.logpdf(data[i], mean, np.sqrt(sigma**2 + var)))
        cols.append(col)
    w_exact, _ = _stacking(np.column_stack(cols))
    mix = mixture(_models(), weights="stacking", idata=idata)
    np.testing.assert_allclose(mix.weights.to_numpy(), w_exact, atol=0.03)


def test_pseudo_bma_is_the_documented_formula(idata):
    elpd = _pointwise_loo(idata).sum(axis=0)
    expected = np.exp(elpd - elpd.max()) / np.exp(elpd - elpd.max()).sum()
    mix = mixture(_models(), weights="pseudo-bma", idata=idata)
    np.testing.assert_allclose(mix.weights.to_numpy(), expected, rtol=1e-10)


def test_the_weights_set_the_pool(idata):
    mix = mixture(_models(), weights="stacking", idata=idata)
    np.testing.assert_allclose(mix.realized_weights.to_numpy(), mix.weights.to_numpy(),
                               atol=1 / mix.n_samples)


def test_a_model_without_log_likelihood(data, idata):
    bad = {"narrow": idata["narrow"], "wide": _idata(data, 2.0, 5, log_likelihood=False)}
    with pytest.raises(DecideValueError, match=r"idata\['wide'\] has no log_likelihood group"):
        mixture(_models(), weights="stacking", idata=bad)


def test_idata_must_name_the_models(idata):
    with pytest.raises(DecideValueError, match=r"missing \['wide'\], unknown \['other'\]"):
        mixture(_models(), weights="stacking", idata={"narrow": idata["narrow"], "other": idata["wide"]})
    with pytest.raises(DecideTypeError, match="dict model name"):
        mixture(_models(), weights="stacking", idata=[idata["narrow"], idata["wide"]])
    with pytest.raises(DecideTypeError, match="InferenceData"):
        mixture(_models(), weights="stacking", idata={"narrow": idata["narrow"], "wide": 3.0})


def test_several_observed_variables_need_var_name(data):
    mu = np.random.default_rng(0).normal(0.3, 0.1, (2, 200))
    ll = {"y": stats.norm.logpdf(data[None, None, :], mu[..., None], 1.0),
          "z": stats.norm.logpdf(data[None, None, :], mu[..., None], 2.0)}
    groups = {"posterior": {"mu": mu}, "log_likelihood": ll, "observed_data": {"y": data, "z": data}}
    two = arviz.from_dict(groups) if ARVIZ_1 else arviz.from_dict(**groups)
    idata = {"narrow": two, "wide": two}
    with pytest.raises(DecideValueError, match=r"several log-likelihood variables \['y', 'z'\]"):
        mixture(_models(), weights="stacking", idata=idata)
    with pytest.raises(DecideValueError, match="var_name='w' is not"):
        mixture(_models(), weights="stacking", idata=idata, var_name="w")
    mix = mixture(_models(), weights="pseudo-bma", idata=idata, var_name="y")
    np.testing.assert_allclose(mix.weights.to_numpy(), [0.5, 0.5])


def _one_variable(y, name, sigma=1.0):
    mu = np.random.default_rng(0).normal(0.3, 0.1, (2, 200))
    groups = {"posterior": {"mu": mu}, "observed_data": {name: y},
              "log_likelihood": {name: stats.norm.logpdf(y[None, None, :], mu[..., None], sigma)}}
    return arviz.from_dict(groups) if ARVIZ_1 else arviz.from_dict(**groups)


def test_models_must_share_the_observed_variable_and_its_observations(data):
    # a model of log sales against one of sales compared silently before (arviz compares
    # each model's only variable, whatever its name)
    other = {"narrow": _one_variable(data, "sales"), "wide": _one_variable(np.log1p(np.abs(data)), "log_sales")}
    with pytest.raises(DecideValueError, match=r"different observed variables \{'narrow': 'sales', "
                                               r"'wide': 'log_sales'\}"):
        mixture(_models(), weights="stacking", idata=other)
    fewer = {"narrow": _one_variable(data, "y"), "wide": _one_variable(data[:60], "y")}
    with pytest.raises(DecideValueError, match=r"different numbers of observations \{'narrow': 80, "
                                               r"'wide': 60\}"):
        mixture(_models(), weights="pseudo-bma", idata=fewer)
    same = {"narrow": _one_variable(data, "y", 0.7), "wide": _one_variable(data, "y", 2.0)}
    mix = mixture(_models(), weights="pseudo-bma", idata=same)  # accepted: one variable, 80 each
    assert mix.weights.sum() == pytest.approx(1.0)
