"""Tests of decide.outcomes._function (outcomes from a numpy function of the posterior)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr
from scipy import stats

from decide.errors import DecideTypeError, DecideValueError
from decide.outcomes import FunctionOutcome, OutcomeModel, from_function

PRICE, COST = 5.0, 3.0


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(2026)


def _profit(q, p):
    return PRICE * np.minimum(q, p["demand"]) - COST * q


def _quadratic(x, p):
    # y_s(x) = a_s . x - 0.5 * b_s * |x|^2 ; a: (n, k), b: (n,)
    return p["a"] @ x - 0.5 * p["b"] * np.dot(x, x)


def _quadratic_jac(x, p):
    return p["a"] - p["b"][:, None] * x[None, :]


def test_newsvendor_matches_gamma_closed_form():
    # with many demand draws the mean profit converges to the closed form
    shape, scale = 4.0, 25.0
    demand = stats.gamma(shape, scale=scale).rvs(size=200_000, random_state=np.random.default_rng(7))
    model = from_function(_profit, {"demand": demand}, action_shape=())
    assert isinstance(model, OutcomeModel)
    q = 90.0
    # E[min(q, D)] = E[D; D < q] + q P(D >= q), E[D; D < q] = shape*scale*F_{shape+1}(q)
    e_min = shape * scale * stats.gamma(shape + 1, scale=scale).cdf(q) + q * stats.gamma(
        shape, scale=scale
    ).sf(q)
    expected = PRICE * e_min - COST * q
    assert model.draws(q).mean() == pytest.approx(expected, rel=5e-3)
    # exact per-draw values
    np.testing.assert_array_equal(model.draws(q), PRICE * np.minimum(q, demand) - COST * q)
    # gradient of the mean: PRICE * P(D > q) - COST
    grad = model.vjp(q, np.full(demand.size, 1.0 / demand.size))
    assert grad[0] == pytest.approx(PRICE * stats.gamma(shape, scale=scale).sf(q) - COST, abs=0.01)


def test_quadratic_draws_and_analytic_jac(rng):
    n, k = 40, 3
    params = {"a": rng.normal(size=(n, k)), "b": rng.gamma(2.0, size=n)}
    x = rng.normal(size=k)
    model = from_function(_quadratic, params, action_shape=k, jac=_quadratic_jac)
    expected = np.array(
        [sum(params["a"][s, j] * x[j] for j in range(k)) - 0.5 * params["b"][s] * sum(x**2) for s in range(n)]
    )
    np.testing.assert_allclose(model.draws(x), expected, rtol=1e-12)
    c = rng.normal(size=n)
    analytic = (params["a"] - params["b"][:, None] * x).T @ c
    np.testing.assert_allclose(model.vjp(x, c), analytic, rtol=1e-12)
    np.testing.assert_allclose(model.jacobian(x), _quadratic_jac(x, params), rtol=1e-12)


@pytest.mark.parametrize("fd_step", [None, 1e-5])
def test_finite_differences_agree_with_analytic_jac(rng, fd_step):
    n, k = 25, 4
    params = {"a": rng.normal(size=(n, k)), "b": rng.gamma(2.0, size=n)}
    x = 10.0 * rng.normal(size=k)
    exact = from_function(_quadratic, params, action_shape=(k,), jac=_quadratic_jac)
    fd = from_function(_quadratic, params, action_shape=(k,), fd_step=fd_step)
    c = rng.normal(size=n)
    np.testing.assert_allclose(fd.vjp(x, c), exact.vjp(x, c), rtol=1e-6, atol=1e-6)
    np.testing.assert_allclose(fd.jacobian(x), exact.jacobian(x), rtol=1e-6, atol=1e-6)


def test_per_draw_path_equals_vectorized(rng):
    n, k = 15, 2
    params = {"a": rng.normal(size=(n, k)), "b": rng.gamma(2.0, size=n)}
    x = rng.normal(size=k)

    def per_draw(action, p):
        assert p["a"].shape == (k,) and np.ndim(p["b"]) == 0
        return float(p["a"] @ action - 0.5 * p["b"] * action @ action)

    def per_draw_jac(action, p):
        return p["a"] - p["b"] * action

    slow = from_function(per_draw, params, action_shape=k, vectorized=False, jac=per_draw_jac)
    fast = from_function(_quadratic, params, action_shape=k, jac=_quadratic_jac)
    np.testing.assert_allclose(slow.draws(x), fast.draws(x), rtol=1e-12)
    c = rng.normal(size=n)
    np.testing.assert_allclose(slow.vjp(x, c), fast.vjp(x, c), rtol=1e-12)


def test_params_from_chain_draw_dataset(rng):
    a = rng.normal(size=(2, 10, 3))
    ds = xr.Dataset(
        {
            "a": (("chain", "draw", "asset"), a),
            "b": (("chain", "draw"), rng.gamma(2.0, size=(2, 10))),
            "unused": (("chain", "draw"), np.zeros((2, 10))),
        }
    )
    seen: dict[str, tuple[int, ...]] = {}

    def fn(x, p):
        seen.update({k: v.shape for k, v in p.items()})
        return _quadratic(x, p)

    model = from_function(fn, ds, dims="asset", coords={"asset": ["u", "v", "w"]}, var_names=["a", "b"])
    assert model.n_samples == 20
    assert model.action_space.shapes == ((3,),)
    assert model.action_space.labels == ["action[u]", "action[v]", "action[w]"]
    x = np.array([1.0, -1.0, 0.5])
    expected = a.reshape(20, 3) @ x - 0.5 * ds["b"].values.reshape(20) * (x @ x)
    np.testing.assert_allclose(model.draws(x), expected, rtol=1e-12)
    assert seen == {"a": (20, 3), "b": (20,)}


def test_params_from_inference_data_like_object(rng):
    # arviz 0.x InferenceData or arviz 1.x DataTree, whichever this stack has
    posterior = xr.Dataset({"mu": (("chain", "draw"), rng.normal(size=(2, 8)))})
    if hasattr(xr, "DataTree"):
        obj = xr.DataTree.from_dict({"posterior": posterior})
    else:  # pragma: no cover - older xarray
        az = pytest.importorskip("arviz")
        obj = az.InferenceData(posterior=posterior)
    model = from_function(lambda x, p: p["mu"] * x, obj, action_shape=())
    np.testing.assert_allclose(model.draws(2.0), 2.0 * posterior["mu"].values.reshape(16))


def test_several_action_variables_and_vector_outcome(rng):
    n = 12
    params = {"w": rng.normal(size=(n, 3))}

    def fn(action, p):
        # one outcome per store: price * w - spend
        return action["price"] * p["w"] - action["spend"][None, :]

    def jac(action, p):
        # outcome-shaped: (n, 3 stores, 1 + 3 flat action)
        out = np.zeros((n, 3, 4))
        out[:, :, 0] = p["w"]
        out[:, :, 1:] = -np.eye(3)[None]
        return out

    action = {"price": 2.0, "spend": np.array([0.1, 0.2, 0.3])}
    for reduce in ("sum", "mean"):
        model = from_function(
            fn,
            params,
            action_shape={"price": (), "spend": 3},
            outcome_dims=("store",),
            jac=jac,
            reduce=reduce,
        )
        assert model.sample(action).shape == (n, 3)
        red = np.sum if reduce == "sum" else np.mean
        np.testing.assert_allclose(model.draws(action), red(fn(action, params), axis=1))
        fd = from_function(
            fn, params, action_shape={"price": (), "spend": 3}, outcome_dims=("store",), reduce=reduce
        )
        c = rng.normal(size=n)
        np.testing.assert_allclose(model.vjp(action, c), fd.vjp(action, c), rtol=1e-6, atol=1e-8)


def test_names_list_gives_scalar_variables(rng):
    params = {"d": rng.normal(size=6)}
    model = from_function(lambda a, p: a["x"] * p["d"] + a["y"], params, names=["x", "y"])
    assert model.action_space.names == ("x", "y")
    np.testing.assert_allclose(model.draws({"x": 2.0, "y": 1.0}), 2.0 * params["d"] + 1.0)


def test_conditional_mean_only_when_declared(rng):
    params = {"mu": rng.normal(size=5)}
    plain = from_function(lambda x, p: p["mu"] * x, params, action_shape=())
    assert not plain.has_conditional_mean
    with pytest.raises(NotImplementedError):
        plain.conditional_mean(1.0)
    declared = from_function(lambda x, p: p["mu"] * x, params, action_shape=(), conditional_mean=True)
    np.testing.assert_allclose(declared.conditional_mean(3.0), 3.0 * params["mu"])


def test_subset_slices_params_and_keeps_settings(rng):
    n, k = 20, 2
    params = {"a": rng.normal(size=(n, k)), "b": rng.gamma(2.0, size=n)}
    model = from_function(_quadratic, params, action_shape=k, jac=_quadratic_jac)
    idx = [2, 3, 19]
    sub = model.subset(idx)
    assert isinstance(sub, FunctionOutcome) and sub.n_samples == 3 and sub.jac is _quadratic_jac
    x = rng.normal(size=k)
    np.testing.assert_allclose(sub.draws(x), model.draws(x)[idx])
    c = rng.normal(size=3)
    np.testing.assert_allclose(sub.vjp(x, c), model.jacobian(x)[idx].T @ c)


def test_params_are_not_modified_and_read_only(rng):
    demand = rng.gamma(2.0, size=10)
    original = demand.copy()

    def bad(q, p):
        p["demand"] *= 2
        return p["demand"]

    model = from_function(bad, {"demand": demand}, action_shape=())
    with pytest.raises(ValueError, match="read-only"):
        model.draws(1.0)
    np.testing.assert_array_equal(demand, original)


def test_fn_output_errors(rng):
    params = {"d": rng.normal(size=8)}
    with pytest.raises(DecideValueError, match=r"n_samples=8 rows first; got shape \(\).*broadcast"):
        from_function(lambda x, p: float(np.sum(p["d"])), params, action_shape=()).draws(1.0)
    with pytest.raises(DecideValueError, match=r"got shape \(3,\)"):
        from_function(lambda x, p: np.ones(3), params, action_shape=()).draws(1.0)
    with pytest.raises(DecideValueError, match=r"outcome_dims=\(\) declares 0 outcome axes"):
        from_function(lambda x, p: np.ones((8, 2)), params, action_shape=()).draws(1.0)
    with pytest.raises(DecideValueError, match=r"1 non-finite values \(first at sample 0\)"):
        from_function(lambda x, p: p["d"] * 0 + np.where(np.arange(8) == 0, -np.inf, 1.0), params, action_shape=()).draws(1.0)
    with pytest.raises(DecideTypeError, match="fn must return a numeric array"):
        from_function(lambda x, p: ["a"] * 8, params, action_shape=()).draws(1.0)
    with pytest.raises(DecideValueError, match="same shape for every posterior draw"):
        from_function(
            lambda x, p: np.ones(2) if p["d"] > 0 else np.ones(3), params, action_shape=(), vectorized=False
        ).draws(1.0)
    with pytest.raises(DecideValueError, match=r"reduce must map .* \(8,\); got shape \(\)"):
        from_function(
            lambda x, p: np.ones((8, 2)), params, action_shape=(), outcome_dims=("k",), reduce=np.sum
        ).draws(1.0)


def test_jac_errors(rng):
    params = {"d": rng.normal(size=8)}
    model = from_function(lambda x, p: p["d"] * x[0], params, action_shape=2, jac=lambda x, p: np.ones((8, 3)))
    with pytest.raises(DecideValueError, match=r"jac must return shape \(n_samples, 2\).*got shape \(8, 3\)"):
        model.vjp([1.0, 2.0], np.ones(8))
    vec = from_function(
        lambda x, p: np.ones((8, 2)),
        params,
        action_shape=1,
        outcome_dims=("k",),
        reduce=lambda a: a.max(axis=1),
        jac=lambda x, p: np.ones((8, 2, 1)),
    )
    with pytest.raises(DecideValueError, match="reduce='sum' or 'mean'"):
        vec.vjp([1.0], np.ones(8))
    ok = from_function(lambda x, p: p["d"] * x, params, action_shape=())
    with pytest.raises(DecideValueError, match=r"cotangent .* \(8,\); got shape \(2,\)"):
        ok.vjp(1.0, np.ones(2))


def test_construction_errors(rng):
    params = {"d": rng.normal(size=8)}
    with pytest.raises(DecideTypeError, match="fn must be callable"):
        from_function("profit", params, action_shape=())
    with pytest.raises(DecideTypeError, match="jac must be None or callable"):
        from_function(_profit, params, action_shape=(), jac=3)
    with pytest.raises(DecideValueError, match="needs the action's shape"):
        from_function(_profit, params)
    with pytest.raises(DecideValueError, match="needs the action's shape"):
        from_function(_profit, params, dims="asset")
    with pytest.raises(DecideValueError, match=r"fd_step must be in \(0, 1e\+300\]; got -1.0"):
        from_function(_profit, params, action_shape=(), fd_step=-1.0)
    with pytest.raises(DecideValueError, match="reduce must be 'sum', 'mean' or a callable"):
        from_function(_profit, params, action_shape=(), reduce="median")
    with pytest.raises(DecideValueError, match=r"missing \['beta'\], available \['d'\]"):
        from_function(_profit, params, action_shape=(), var_names=["beta"])
    with pytest.raises(DecideValueError, match="share their first"):
        from_function(_profit, {"a": np.ones(3), "b": np.ones(4)}, action_shape=())
    with pytest.raises(DecideTypeError, match="idata must be"):
        from_function(_profit, [1.0, 2.0], action_shape=())
    with pytest.raises(DecideValueError, match="not both"):
        from_function(_profit, params, action_shape={"a": 2}, names="x")
    with pytest.raises(DecideValueError, match="do not combine"):
        from_function(_profit, params, action_shape=2, names=["x", "y"])
    with pytest.raises(DecideValueError, match="non-negative lengths"):
        from_function(_profit, params, action_shape=(-1,))
