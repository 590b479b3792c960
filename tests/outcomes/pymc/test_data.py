"""from_pymc(data=, coords=): the new period's data on a copy of the model.

Expected values: closed forms of the conditional mean, and the naive path
(``pm.set_data`` on a clone, ``pm.do``, ``pm.sample_posterior_predictive``) on a model
written with ``shape=`` tied to the data.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

pm = pytest.importorskip("pymc")

from decide.errors import DecideTypeError, DecideValueError  # noqa: E402
from decide.outcomes import from_pymc  # noqa: E402

from .conftest import fingerprint, make_idata  # noqa: E402

HIST = np.linspace(8.0, 14.0, 30)  # 30 fitted weeks of prices
B = np.array([-1.2, -1.0, -0.8, -1.1, -0.9, -1.05])  # elasticity draws
A = np.array([4.0, 4.1, 3.9, 4.05, 3.95, 4.0])


def demand_model(tied_shape: bool, dims: bool = False) -> pm.Model:
    """Count demand with a price elasticity; the likelihood with or without shape=."""
    coords = {"week": np.arange(HIST.size)} if dims else None
    with pm.Model(coords=coords) as m:
        price = pm.Data("price", HIST, dims="week" if dims else None)
        a = pm.Normal("a", 4.0, 0.1)
        b = pm.Normal("b", -1.0, 0.2)
        lam = pm.math.exp(a + b * pm.math.log(price / 10.0))
        kw = {"shape": price.shape} if tied_shape else {}
        if dims:
            kw = {"dims": "week"}
        pm.Poisson("demand", lam, observed=np.full(HIST.size, 50), **kw)
    return m


def posterior() -> dict[str, np.ndarray]:
    return {"a": A.copy(), "b": B.copy()}


def closed_form(price: np.ndarray) -> np.ndarray:
    return np.exp(A[:, None] + B[:, None] * np.log(np.asarray(price) / 10.0))


@pytest.mark.parametrize("tied_shape", [True, False])
@pytest.mark.parametrize("new", [[11.0], [9.5, 12.5, 13.0]])
def test_mean_mode_on_new_data_equals_the_closed_form(tied_shape: bool, new: list) -> None:
    m = demand_model(tied_shape)
    before = fingerprint(m)
    post = posterior()
    om = from_pymc(m, post, action="price", outcome="demand", data={"price": new})
    assert om.action_space.size == len(new)
    np.testing.assert_allclose(om.sample(np.array(new)), closed_form(new), rtol=1e-10)
    other = np.array(new) * 1.1
    np.testing.assert_allclose(om.sample(other), closed_form(other), rtol=1e-10)
    assert fingerprint(m) == before
    np.testing.assert_array_equal(post["b"], B)


@pytest.mark.parametrize("tied_shape", [True, False])
def test_crn_draws_on_new_data_have_the_poisson_law(tied_shape: bool) -> None:
    m = demand_model(tied_shape)
    om = from_pymc(
        m, posterior(), action="price", outcome="demand", mode="crn", n_replicates=4000,
        data={"price": [11.0]}, random_seed=1,
    )
    y = om.sample(np.array([11.0]))
    assert y.shape == (A.size, 4000, 1)
    lam = closed_form([11.0])[:, 0]
    se = np.sqrt(lam / 4000)
    assert np.all(np.abs(y[..., 0].mean(axis=1) - lam) < 5 * se)
    np.testing.assert_allclose(y[..., 0].var(axis=1), lam, rtol=0.15)


@pytest.mark.parametrize("tied_shape", [True, False])
def test_data_equals_the_naive_set_data_do_and_posterior_predictive_path(tied_shape: bool) -> None:
    """The naive path runs on the model with shape= (without it, pymc itself fails)."""
    from pymc.model.fgraph import clone_model

    idata = make_idata(posterior(), 2, {}, {})
    new = np.array([9.0, 12.0])
    om = from_pymc(demand_model(tied_shape), idata, action="price", outcome="demand",
                   mode="crn", n_replicates=40, data={"price": new}, random_seed=3)
    ours = om.sample(new).mean(axis=1)
    clone = clone_model(demand_model(tied_shape=True))
    with clone:
        pm.set_data({"price": new})
    reps = []
    for seed in range(40):
        res = pm.sample_posterior_predictive(
            idata, model=clone, var_names=["demand"], random_seed=seed, progressbar=False
        )
        arr = np.asarray(res.posterior_predictive["demand"].values)
        reps.append(arr.reshape(-1, new.size))
    naive_mean = np.mean(reps, axis=0)
    se = np.sqrt(closed_form(new) * 2 / 40)  # both are means of 40 Poisson draws
    assert naive_mean.shape == ours.shape
    assert np.all(np.abs(naive_mean - ours) < 5 * se)


def test_coords_resize_a_dim() -> None:
    m = demand_model(tied_shape=False, dims=True)
    new = [10.0, 11.0, 12.0, 13.0]
    om = from_pymc(
        m, posterior(), action="price", outcome="demand",
        data={"price": new}, coords={"week": [100, 101, 102, 103]},
    )
    np.testing.assert_allclose(om.sample(np.array(new)), closed_form(new), rtol=1e-10)
    assert list(m.coords["week"]) == list(range(HIST.size))  # the user's model unchanged
    with pytest.raises(DecideValueError, match="coords"):
        from_pymc(m, posterior(), action="price", outcome="demand", data={"price": new})


def test_deciding_the_history_warns_and_data_empty_says_it_is_intended() -> None:
    m = demand_model(tied_shape=True)
    with pytest.warns(UserWarning, match="as many as the observed data"):
        from_pymc(m, posterior(), action="price", outcome="demand")
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        om = from_pymc(m, posterior(), action="price", outcome="demand", data={})
    assert om.action_space.size == HIST.size


def test_bad_data_names_the_argument() -> None:
    m = demand_model(tied_shape=True)
    post = posterior()
    with pytest.raises(DecideValueError, match=r"data\['cost'\].*data containers: \['price'\]"):
        from_pymc(m, post, action="price", outcome="demand", data={"cost": [1.0]})
    with pytest.raises(DecideValueError, match=r"data\['price'\] must have 1 dims.*got shape \(\)"):
        from_pymc(m, post, action="price", outcome="demand", data={"price": 11.0})
    with pytest.raises(DecideValueError, match=r"data\['price'\] must be finite"):
        from_pymc(m, post, action="price", outcome="demand", data={"price": [np.nan]})
    with pytest.raises(DecideTypeError, match="data must be a dict"):
        from_pymc(m, post, action="price", outcome="demand", data=[11.0])
    with pytest.raises(DecideValueError, match=r"coords\['store'\].*no dim 'store'"):
        from_pymc(m, post, action="price", outcome="demand", coords={"store": [1]})


def test_a_covariate_left_at_the_fitted_period_is_an_error() -> None:
    with pm.Model() as m:
        price = pm.Data("price", HIST)
        promo = pm.Data("promo", np.zeros(HIST.size))
        a = pm.Normal("a", 4.0, 0.1)
        b = pm.Normal("b", -1.0, 0.2)
        lam = pm.math.exp(a + b * pm.math.log(price / 10.0) + 0.3 * promo)
        pm.Poisson("demand", lam, observed=np.full(HIST.size, 50))
    with pytest.raises(DecideValueError, match=r"'promo' still holds the 30 values.*data\['promo'\]"):
        from_pymc(m, posterior(), action="price", outcome="demand", data={"price": [11.0]})
    om = from_pymc(m, posterior(), action="price", outcome="demand",
                   data={"price": [11.0], "promo": [1.0]})
    expected = np.exp(A + B * np.log(1.1) + 0.3)[:, None]
    np.testing.assert_allclose(om.sample(np.array([11.0])), expected, rtol=1e-10)


def test_posterior_variable_sized_by_the_action_uses_its_draws() -> None:
    import pytensor.tensor as pt

    with pm.Model() as m:
        x = pm.Data("spend", np.ones((5, 3)))
        beta = pm.HalfNormal("beta", 1.0, shape=x.shape[1])
        pm.Deterministic("p", (pt.log1p(x) * beta).sum())
    draws = np.random.default_rng(5).uniform(0.5, 2.0, size=(4, 3))
    om = from_pymc(m, {"beta": draws}, action="spend", outcome="p", backend="FAST_COMPILE")
    spend = np.full((5, 3), 2.0)
    np.testing.assert_allclose(om.draws(spend), 5 * np.log(3.0) * draws.sum(axis=1), rtol=1e-12)
