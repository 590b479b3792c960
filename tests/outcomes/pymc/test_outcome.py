"""from_pymc against independent computations: numpy means, finite differences,
and the naive pm.do + pm.sample_posterior_predictive path on the same draws."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

pm = pytest.importorskip("pymc")

# These tests exercise the compiled graph on the design the model was fitted on (the
# action is the fitted history on purpose); the history warning is tested in test_data.py.
pytestmark = pytest.mark.filterwarnings(
    "ignore:the action .* as many as the observed data:UserWarning"
)

from decide.outcomes import from_pymc  # noqa: E402

from .conftest import CHANNELS, Case, T, fingerprint, make_idata, marketing_mean  # noqa: E402


def naive(model, idata, do: dict, var: str, seed: int) -> np.ndarray:
    """pm.do + sample_posterior_predictive: draws of ``var``, shape (n_samples, ...)."""
    intervened = pm.do(model, do)
    res = pm.sample_posterior_predictive(
        idata, model=intervened, var_names=[var], random_seed=seed, progressbar=False
    )
    arr = np.asarray(res.posterior_predictive[var].values)
    return arr.reshape(-1, *arr.shape[2:])


def fd_grad(f, x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    g = np.zeros(x.size)
    for i in range(x.size):
        e = np.zeros(x.size)
        e[i] = h
        g[i] = (f(x + e) - f(x - e)) / (2 * h)
    return g


def test_mean_mode_equals_numpy_conditional_mean(marketing: Case) -> None:
    before = fingerprint(marketing.model, marketing.idata)
    om = from_pymc(marketing.model, marketing.idata, action="spend", outcome="mu")
    x = marketing.data["spend"] * 1.7
    ref = marketing_mean(marketing.draws, x, marketing.data["z"])
    np.testing.assert_allclose(om.sample(x), ref, rtol=0, atol=1e-10)
    np.testing.assert_allclose(om.draws(x), ref.sum(1), rtol=1e-12)
    # observed likelihood in "mean" mode: its mean under do, the same numbers
    om_y = from_pymc(marketing.model, marketing.idata, action="spend", outcome="sales")
    np.testing.assert_allclose(om_y.sample(x), ref, rtol=0, atol=1e-10)
    np.testing.assert_allclose(om_y.conditional_mean(x), ref, rtol=0, atol=1e-10)
    assert om.action_space.dims == (("t", "channel"),)
    assert list(om.action_space.coords["channel"]) == CHANNELS
    assert om.outcome_dims == ("t",) and om.n_samples == 40 and om.n_replicates is None
    assert fingerprint(marketing.model, marketing.idata) == before


def test_callable_outcome_and_multi_action(marketing: Case) -> None:
    before = fingerprint(marketing.model, marketing.idata)
    price = 3.0
    om = from_pymc(
        marketing.model,
        marketing.idata,
        action=["spend", "z"],
        outcome=lambda v: (v["sales"] * price).sum() - v["spend"].sum(),
    )
    assert om.action_space.names == ("spend", "z") and om.action_space.size == T * 3 + T
    spend = marketing.data["spend"] * 0.5
    z = np.linspace(-1, 1, T)
    ref = price * marketing_mean(marketing.draws, spend, z).sum(1) - spend.sum()
    np.testing.assert_allclose(om.draws({"spend": spend, "z": z}), ref, rtol=1e-12)
    assert fingerprint(marketing.model, marketing.idata) == before


@pytest.mark.parametrize("mode", ["mean", "crn"])
def test_vjp_matches_central_differences(marketing: Case, mode: str) -> None:
    kw = {} if mode == "mean" else {"n_replicates": 2}
    om = from_pymc(
        marketing.model,
        marketing.idata,
        action="spend",
        outcome="sales",
        mode=mode,
        random_seed=3,
        **kw,
    )
    x = marketing.data["spend"].ravel() + 0.3
    cot = np.random.default_rng(5).normal(size=om.draws(x).shape)
    g = om.vjp(x, cot)
    ref = fd_grad(lambda a: float(np.sum(cot * om.draws(a))), x)
    np.testing.assert_allclose(g, ref, rtol=1e-6, atol=1e-8 * np.abs(ref).max())
    val, g2 = om.value_and_vjp(x, cot)
    np.testing.assert_allclose(val, om.draws(x), rtol=1e-12)
    np.testing.assert_allclose(g2, g, rtol=1e-12)


def test_vjp_logistic_treatment_matches_closed_form(treatment: Case) -> None:
    om = from_pymc(treatment.model, treatment.idata, action="treat", outcome="y")
    d = treatment.draws
    t = np.linspace(0, 1, 8)
    p = 1 / (
        1 + np.exp(-(d["a"][:, None] + d["b"][:, None] * t + d["c"][:, None] * treatment.data["x"]))
    )
    np.testing.assert_allclose(om.sample(t), 20 * p, rtol=1e-12)
    cot = np.random.default_rng(1).normal(size=om.n_samples)
    ref = (cot[:, None] * 20 * p * (1 - p) * d["b"][:, None]).sum(0)
    np.testing.assert_allclose(om.vjp(t, cot), ref, rtol=1e-10)


def test_sample_mode_matches_naive_path(demand: Case) -> None:
    before = fingerprint(demand.model, demand.idata)
    om = from_pymc(
        demand.model,
        demand.idata,
        action="price",
        outcome="demand",
        mode="sample",
        n_replicates=20,
        random_seed=7,
    )
    for price in (np.full(4, 1.5), np.array([1.0, 2.0, 3.0, 4.0])):
        ours = om.sample(price)  # (S, R, 4)
        assert ours.shape == (50, 20, 4)
        ref = np.concatenate(
            [naive(demand.model, demand.idata, {"price": price}, "demand", s) for s in range(4)]
        )
        m1, m2 = ours.reshape(-1, 4).mean(0), ref.mean(0)
        # MCSE of the naive mean (4 replicates per draw) dominates; ours is smaller
        se = np.sqrt(ref.var(0) / ref.shape[0] * 4 + ours.reshape(-1, 4).var(0) / 50)
        assert np.all(np.abs(m1 - m2) < 4 * se)
        lam = np.exp(demand.draws["a"] + demand.draws["b"][:, None] * np.log(price))
        np.testing.assert_allclose(om.conditional_mean(price), lam, rtol=1e-12)
    assert not om.has_vjp
    with pytest.raises(NotImplementedError, match="no gradient"):
        om.vjp(np.full(4, 2.0), np.ones((50, 20)))
    assert fingerprint(demand.model, demand.idata) == before


def test_sample_mode_fresh_noise_and_seeded(marketing: Case) -> None:
    kw = dict(action="spend", outcome="sales", mode="sample", random_seed=9)
    om1 = from_pymc(marketing.model, marketing.idata, **kw)
    om2 = from_pymc(marketing.model, marketing.idata, **kw)
    x = marketing.data["spend"]
    a, b = om1.sample(x), om1.sample(x)
    assert a.shape == (40, T) and not np.allclose(a, b)
    np.testing.assert_array_equal(om2.sample(x), a)


def test_crn_is_location_scale_and_matches_naive(marketing: Case) -> None:
    before = fingerprint(marketing.model, marketing.idata)
    om = from_pymc(
        marketing.model,
        marketing.idata,
        action="spend",
        outcome="sales",
        mode="crn",
        n_replicates=25,
        random_seed=2,
    )
    x1, x2 = marketing.data["spend"], marketing.data["spend"] * 2.0
    s1, s2 = om.sample(x1), om.sample(x2)
    np.testing.assert_array_equal(om.sample(x1), s1)  # fixed noise
    sigma = marketing.draws["sigma"][:, None, None]
    z1 = (s1 - marketing_mean(marketing.draws, x1, marketing.data["z"])[:, None]) / sigma
    z2 = (s2 - marketing_mean(marketing.draws, x2, marketing.data["z"])[:, None]) / sigma
    np.testing.assert_allclose(z1, z2, atol=1e-9)  # same standard draws at every action
    from scipy import stats

    assert stats.kstest(z1.ravel(), "norm").pvalue > 1e-3  # standard normal noise
    ref = np.concatenate(
        [naive(marketing.model, marketing.idata, {"spend": x2}, "sales", s) for s in range(3)]
    )
    se = np.sqrt(ref.var(0) / ref.shape[0] + s2.reshape(-1, T).var(0) / s2.reshape(-1, T).shape[0])
    assert np.all(np.abs(s2.reshape(-1, T).mean(0) - ref.mean(0)) < 4 * se)
    assert np.abs(s2.reshape(-1, T).std(0) / ref.std(0) - 1).max() < 0.25
    assert fingerprint(marketing.model, marketing.idata) == before


def test_crn_discrete_likelihood_is_value_only(demand: Case) -> None:
    om = from_pymc(
        demand.model, demand.idata, action="price", outcome="demand", mode="crn", random_seed=4
    )
    p = np.full(4, 2.0)
    np.testing.assert_array_equal(om.sample(p), om.sample(p))
    assert not om.has_vjp and "poisson" in om.vjp_unavailable_reason
    with pytest.raises(NotImplementedError, match="poisson"):
        om.vjp(p, np.ones(om.n_samples))


def test_free_variable_downstream_of_action_is_resampled() -> None:
    rng = np.random.default_rng(21)
    with pm.Model() as model:
        x = pm.Data("x", 1.0)
        b = pm.Normal("b", 1.0, 0.1)
        future = pm.Normal("future", b * x, 0.5)  # unobserved, downstream of the action
        pm.Normal("y", future, 1.0, observed=0.3)
    s = 40
    draws = {"b": rng.normal(1, 0.1, size=s), "future": np.full(s, 1e6)}  # stale draws
    idata = make_idata(draws, 2, {}, {})
    om = from_pymc(model, idata, action="x", outcome="future")
    np.testing.assert_allclose(om.sample(2.0), 2.0 * draws["b"], rtol=1e-12)
    om_s = from_pymc(
        model, idata, action="x", outcome="future", mode="crn", n_replicates=50, random_seed=0
    )
    resid = (om_s.sample(2.0) - 2.0 * draws["b"][:, None]) / 0.5
    assert np.abs(resid).max() < 6 and abs(resid.mean()) < 0.1
    om_y = from_pymc(
        model, idata, action="x", outcome="y", mode="sample", n_replicates=50, random_seed=0
    )
    resid_y = om_y.sample(2.0) - 2.0 * draws["b"][:, None]
    assert abs(resid_y.std() - np.sqrt(0.5**2 + 1.0)) < 0.05


def test_prior_group_and_thinning(marketing: Case) -> None:
    prior = pm.sample_prior_predictive(draws=30, model=marketing.model, random_seed=1)
    before = fingerprint(marketing.model, prior)
    om = from_pymc(
        marketing.model,
        prior,
        action="spend",
        outcome="mu",
        group="prior",
        max_draws=12,
        random_seed=3,
    )
    assert om.n_samples == 12
    grp = prior.prior
    grp = grp.to_dataset() if hasattr(grp, "to_dataset") else grp
    full = {k: np.asarray(grp[k].values).reshape(30, *grp[k].shape[2:]) for k in marketing.draws}
    x = marketing.data["spend"]
    ref = marketing_mean(full, x, marketing.data["z"])
    out = om.sample(x)
    # the 12 kept draws are 12 distinct prior draws, in sample order
    idx = [int(np.argmin(np.abs(ref - row).sum(1))) for row in out]
    assert len(set(idx)) == 12 and idx == sorted(idx)
    np.testing.assert_allclose(out, ref[idx], atol=1e-10)
    assert fingerprint(marketing.model, prior) == before


def test_subset_reuses_compiled_function(marketing: Case) -> None:
    om = from_pymc(
        marketing.model,
        marketing.idata,
        action="spend",
        outcome="sales",
        mode="crn",
        n_replicates=3,
        random_seed=1,
    )
    idx = np.array([3, 0, 17, 39])
    sub = om.subset(idx)
    x = marketing.data["spend"]
    assert sub._value_fn is om._value_fn and sub.n_samples == 4
    np.testing.assert_allclose(sub.sample(x), om.sample(x)[idx], atol=1e-12)
    cot = np.ones((4, 3))
    full_cot = np.zeros((40, 3))
    full_cot[idx] = 1.0
    np.testing.assert_allclose(sub.vjp(x, cot), om.vjp(x, full_cot), rtol=1e-10)


def test_reduce_mean_and_callable(marketing: Case) -> None:
    x = marketing.data["spend"]
    ref = marketing_mean(marketing.draws, x, marketing.data["z"])
    om = from_pymc(marketing.model, marketing.idata, action="spend", outcome="mu", reduce="mean")
    np.testing.assert_allclose(om.draws(x), ref.mean(1), rtol=1e-12)
    cot = np.ones(40)
    g = om.vjp(x, cot)
    np.testing.assert_allclose(g, fd_grad(lambda a: om.draws(a).sum(), x.ravel()), rtol=1e-6)
    om_c = from_pymc(
        marketing.model,
        marketing.idata,
        action="spend",
        outcome="mu",
        reduce=lambda a: a.max(axis=-1),
    )
    np.testing.assert_allclose(om_c.draws(x), ref.max(1), rtol=1e-12)
    assert not om_c.has_vjp
    # a scalar outcome too: the callable transforms its draws, so no gradient (before: the
    # gradient of the untransformed outcome)
    om_s = from_pymc(
        marketing.model, marketing.idata, action="spend", outcome=lambda v: v["mu"].sum(),
        reduce=lambda a: a**2,
    )
    np.testing.assert_allclose(om_s.draws(x), ref.sum(1) ** 2, rtol=1e-12)
    assert not om_s.has_vjp and "callable reduce" in om_s.vjp_unavailable_reason
    with pytest.raises(NotImplementedError, match="callable reduce"):
        om_s.vjp(x, np.ones(om_s.n_samples))


def test_nonaffine_outcome_warns_plugin_mean(marketing: Case) -> None:
    def profit(v):
        return pm.math.exp(v["sales"] / 10).sum()

    with pytest.warns(UserWarning, match=r'not affine.*use mode="crn".*mode="sample"'):
        om = from_pymc(marketing.model, marketing.idata, action="spend", outcome=profit)
    x = marketing.data["spend"]
    ref = np.exp(marketing_mean(marketing.draws, x, marketing.data["z"]) / 10).sum(1)
    np.testing.assert_allclose(om.draws(x), ref, rtol=1e-12)
    # "crn" is exact for the non-linear outcome: no warning until the plug-in mean is asked for
    om_c = from_pymc(
        marketing.model, marketing.idata, action="spend", outcome=profit, mode="crn", random_seed=0
    )
    with pytest.warns(UserWarning, match="plug the means in"):
        np.testing.assert_allclose(om_c.conditional_mean(x), ref, rtol=1e-12)


@pytest.mark.slow
def test_with_nuts_posterior() -> None:
    rng = np.random.default_rng(0)
    xs = rng.uniform(0, 2, size=20)
    with pm.Model() as model:
        x = pm.Data("x", xs)
        b = pm.Normal("b", 0, 1)
        pm.Normal("y", b * x, 0.5, observed=1.5 * xs + rng.normal(0, 0.5, size=20))
        idata = pm.sample(
            draws=60,
            tune=60,
            chains=1,
            random_seed=1,
            progressbar=False,
            compute_convergence_checks=False,
        )
    before = fingerprint(model, idata)
    om = from_pymc(model, idata, action="x", outcome=lambda v: v["y"].sum())
    b_draws = np.asarray(idata.posterior["b"].values).ravel()
    np.testing.assert_allclose(om.draws(np.ones(20)), 20 * b_draws, rtol=1e-12)
    assert fingerprint(model, idata) == before


@pytest.mark.parametrize("mode", ["sample", "crn"])
def test_scalar_observed_likelihood_with_unbatched_location(mode):
    """y ~ Normal(a, s) observed as a scalar: the action is the location, only s is batched.

    pytensor cannot vectorize a random variable with an explicit empty size over batched
    parameters; the graph builder drops the size so this works in every mode.
    """
    import pymc as pm

    rng = np.random.default_rng(0)
    with pm.Model() as model:
        a = pm.Data("a", 1.0)
        s = pm.HalfNormal("s", 1.0)
        pm.Normal("y", a, s, observed=0.0)
    sd = rng.gamma(5.0, 0.2, size=(1, 4000))
    post = xr.Dataset({"s": (("chain", "draw"), sd)})
    om = from_pymc(model, post, action="a", outcome="y", mode=mode, random_seed=1)
    draws = om.draws(2.5)
    assert draws.shape == (4000,)
    # E[y] = a, Var[y] = E[s^2]: the mean within 4 standard errors
    assert abs(draws.mean() - 2.5) < 4 * np.sqrt((sd**2).mean() / draws.size)
    assert draws.var() == pytest.approx((sd**2).mean(), rel=0.1)
