"""from_pymc on a model with named dims (``pymc.dims``, pytensor's xtensor ops), against
numpy, finite differences and the naive pm.do + sample_posterior_predictive path."""

from __future__ import annotations

import numpy as np
import pytest

pm = pytest.importorskip("pymc")

# These tests exercise the compiled graph on the design the model was fitted on (the
# action is the fitted history on purpose); the history warning is tested in test_data.py.
pytestmark = pytest.mark.filterwarnings(
    "ignore:the action .* as many as the observed data:UserWarning"
)
pmd = pytest.importorskip(
    "pymc.dims", reason="pymc.dims (named dims on pytensor.xtensor) is not in this pymc"
)

from decide.outcomes import from_pymc  # noqa: E402

from .conftest import fingerprint, make_idata  # noqa: E402
from .test_outcome import fd_grad, naive  # noqa: E402

T, C, S = 6, 2, 30
COORDS = {"t": list(range(T)), "channel": ["tv", "web"]}


@pytest.fixture
def dims_case():
    """sales_t ~ Normal(base + sum_c beta_c * s_tc / (s_tc + k_c), sigma), built with pymc.dims."""
    rng = np.random.default_rng(31)
    spend0 = rng.gamma(2.0, 1.0, size=(T, C))
    with pm.Model(coords=COORDS) as model:
        spend = pmd.Data("spend", spend0, dims=("t", "channel"))
        base = pmd.Normal("base", 10.0, 1.0)
        beta = pmd.HalfNormal("beta", 2.0, dims="channel")
        k = pmd.HalfNormal("k", 2.0, dims="channel")
        sigma = pmd.HalfNormal("sigma", 1.0)
        mu = pmd.Deterministic("mu", base + (beta * spend / (spend + k)).sum("channel"))
        obs = pmd.as_xtensor(rng.normal(10.0, 1.0, size=T), dims=("t",))
        pmd.Normal("sales", mu, sigma, observed=obs, dims="t")
    draws = {
        "base": rng.normal(10.0, 1.0, size=S),
        "beta": rng.gamma(4.0, 0.5, size=(S, C)),
        "k": rng.gamma(4.0, 0.5, size=(S, C)),
        "sigma": rng.gamma(9.0, 0.1, size=S),
    }
    idata = make_idata(draws, 2, {"beta": ["channel"], "k": ["channel"]}, COORDS)
    return model, idata, draws, spend0


def numpy_mean(draws: dict, spend: np.ndarray) -> np.ndarray:
    sat = draws["beta"][:, None, :] * spend / (spend + draws["k"][:, None, :])
    return draws["base"][:, None] + sat.sum(-1)


def naive_dims(model, idata, spend: np.ndarray, seed: int) -> np.ndarray:
    return naive(
        model, idata, {"spend": pmd.as_xtensor(spend, dims=("t", "channel"))}, "sales", seed
    )


@pytest.mark.parametrize("outcome", ["mu", "sales"])
def test_mean_mode_equals_numpy_and_gradient(dims_case, outcome: str) -> None:
    model, idata, draws, spend0 = dims_case
    before = fingerprint(model, idata)
    om = from_pymc(model, idata, action="spend", outcome=outcome)
    x = spend0 * 1.3
    ref = numpy_mean(draws, x)
    np.testing.assert_allclose(om.sample(x), ref, rtol=0, atol=1e-10)
    assert om.outcome_dims == ("t",) and om.action_space.dims == (("t", "channel"),)
    cot = np.random.default_rng(2).normal(size=S)
    g = om.vjp(x, cot)
    ref_g = fd_grad(lambda a: float(np.sum(cot * om.draws(a))), x.ravel())
    np.testing.assert_allclose(g, ref_g, rtol=1e-6, atol=1e-8 * np.abs(ref_g).max())
    # closed form: d/ds beta s / (s + k) = beta k / (s + k)^2
    b, k = draws["beta"][:, None, :], draws["k"][:, None, :]
    closed = (cot[:, None, None] * b * k / (x + k) ** 2).sum(0).ravel()
    np.testing.assert_allclose(g, closed, rtol=1e-10)
    assert fingerprint(model, idata) == before


def test_crn_location_scale_gradient_and_naive(dims_case) -> None:
    model, idata, draws, spend0 = dims_case
    before = fingerprint(model, idata)
    om = from_pymc(
        model, idata, action="spend", outcome="sales", mode="crn", n_replicates=40, random_seed=3
    )
    x1, x2 = spend0, spend0 * 2.0
    s1, s2 = om.sample(x1), om.sample(x2)
    assert s1.shape == (S, 40, T)
    sig = draws["sigma"][:, None, None]
    z1 = (s1 - numpy_mean(draws, x1)[:, None]) / sig
    z2 = (s2 - numpy_mean(draws, x2)[:, None]) / sig
    np.testing.assert_allclose(z1, z2, atol=1e-9)  # the same standard draws at every action
    from scipy import stats

    assert stats.kstest(z1.ravel(), "norm").pvalue > 1e-3
    ref = np.concatenate([naive_dims(model, idata, x2, s) for s in range(4)])
    flat = s2.reshape(-1, T)
    se = np.sqrt(ref.var(0) / ref.shape[0] + flat.var(0) / flat.shape[0])
    assert np.all(np.abs(flat.mean(0) - ref.mean(0)) < 4 * se)
    assert np.abs(flat.std(0) / ref.std(0) - 1).max() < 0.25
    cot = np.random.default_rng(4).normal(size=(S, 40))
    g = om.vjp(x1, cot)
    ref_g = fd_grad(lambda a: float(np.sum(cot * om.draws(a))), x1.ravel())
    np.testing.assert_allclose(g, ref_g, rtol=1e-6, atol=1e-8 * np.abs(ref_g).max())
    assert fingerprint(model, idata) == before


def test_sample_mode_matches_naive(dims_case) -> None:
    model, idata, draws, spend0 = dims_case
    om = from_pymc(
        model, idata, action="spend", outcome="sales", mode="sample", n_replicates=30, random_seed=5
    )
    x = spend0 * 0.7
    ours = om.sample(x).reshape(-1, T)
    assert not np.allclose(om.sample(x).reshape(-1, T), ours)  # fresh noise per call
    ref = np.concatenate([naive_dims(model, idata, x, s) for s in range(4)])
    se = np.sqrt(ref.var(0) / ref.shape[0] + ours.var(0) / ours.shape[0])
    assert np.all(np.abs(ours.mean(0) - ref.mean(0)) < 4 * se)
    resid = ours - np.repeat(numpy_mean(draws, x), 30, axis=0)
    sig = np.repeat(draws["sigma"], 30)[:, None]
    from scipy import stats

    assert stats.kstest((resid / sig).ravel(), "norm").pvalue > 1e-3
    assert not om.has_vjp


def test_callable_outcome_on_named_dims(dims_case) -> None:
    model, idata, draws, spend0 = dims_case
    om = from_pymc(
        model, idata, action="spend", outcome=lambda v: 3.0 * v["sales"].sum() - v["spend"].sum()
    )
    x = spend0 * 1.1
    ref = 3.0 * numpy_mean(draws, x).sum(1) - x.sum()
    np.testing.assert_allclose(om.draws(x), ref, rtol=1e-12)
    # the free variables in the outcome's ancestry (sigma: the likelihood's scale)
    assert set(om.posterior.data_vars) == {"base", "beta", "k", "sigma"}
    om_mu = from_pymc(model, idata, action="spend", outcome="mu")
    assert set(om_mu.posterior.data_vars) == {"base", "beta", "k"}
    np.testing.assert_array_equal(om_mu.posterior["beta"].values, draws["beta"])


@pytest.mark.filterwarnings("ignore:xtensor module is experimental")
def test_tensor_outcome_with_xtensor_ops_inside_is_lowered() -> None:
    """A plain tensor outcome whose graph uses xtensor ops (``ptx.concat(...).values``) with
    plain random variables: lowered like a pymc.dims model, so it batches over the draws
    (it failed with a misleading 'cannot batch' error before)."""
    import pytensor.tensor as pt
    import pytensor.xtensor as ptx

    rng = np.random.default_rng(32)
    alpha = rng.uniform(0.2, 0.8, size=(S, C))
    with pm.Model(coords=COORDS) as m:
        spend = pm.Data("spend", np.ones((T, C)), dims=("t", "channel"))
        a = pm.Beta("alpha", 2.0, 2.0, dims="channel")
        pad = ptx.as_xtensor(pt.zeros((1, C)), dims=("t", "channel"))
        xp = ptx.concat([pad, ptx.as_xtensor(spend, dims=("t", "channel"))], dim="t").values
        pm.Deterministic("sales", pt.log1p(xp[1:] + a * xp[:-1]).sum())
    om = from_pymc(m, {"alpha": alpha}, action="spend", outcome="sales")
    x = rng.uniform(0.0, 3.0, size=(T, C))
    lagged = np.vstack([np.zeros((1, C)), x[:-1]])
    expected = np.log1p(x[None] + alpha[:, None, :] * lagged[None]).sum((1, 2))
    np.testing.assert_allclose(om.draws(x), expected, rtol=1e-12)
    cot = rng.normal(size=S)
    # d/dx[t, c]: 1 / (1 + ad[t, c]) + a_c / (1 + ad[t + 1, c]) (t + 1 < T)
    inv = 1.0 / (1.0 + x[None] + alpha[:, None, :] * lagged[None])
    grad = inv.copy()
    grad[:, :-1] += alpha[:, None, :] * inv[:, 1:]
    np.testing.assert_allclose(om.vjp(x, cot), np.einsum("s,stc->tc", cot, grad).reshape(-1),
                               rtol=1e-10)
