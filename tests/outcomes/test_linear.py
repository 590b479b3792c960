"""Tests of decide.outcomes._linear (linear scenario outcomes)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from decide.errors import DecideTypeError, DecideValueError
from decide.outcomes import ActionSpec, LinearOutcome, OutcomeModel, linear


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(20261130)


def _naive_draws(r: np.ndarray, x: np.ndarray, b: np.ndarray) -> np.ndarray:
    # independent loop over samples and columns
    out = np.empty(r.shape[0])
    for s in range(r.shape[0]):
        out[s] = b[s] + sum(r[s, j] * x[j] for j in range(r.shape[1]))
    return out


def test_draws_equal_scenarios_times_action_plus_intercept(rng):
    r = rng.normal(size=(50, 4))
    b = rng.normal(size=50)
    x = rng.normal(size=4)
    model = linear(r, b)
    assert isinstance(model, OutcomeModel)
    np.testing.assert_allclose(model.draws(x), _naive_draws(r, x, b), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(model.sample(x), _naive_draws(r, x, b), rtol=1e-12, atol=1e-14)
    np.testing.assert_allclose(
        model.conditional_mean(x), _naive_draws(r, x, b), rtol=1e-12, atol=1e-14
    )
    assert model.has_conditional_mean and model.has_vjp
    assert model.n_samples == 50 and model.n_replicates is None


def test_scalar_intercept_broadcasts(rng):
    r = rng.normal(size=(10, 2))
    model = linear(r, 3.5)
    np.testing.assert_array_equal(model.intercept, np.full(10, 3.5))
    np.testing.assert_allclose(model.draws([0.0, 0.0]), np.full(10, 3.5))


def test_vjp_is_scenarios_transpose_times_cotangent(rng):
    r = rng.normal(size=(30, 3))
    c = rng.normal(size=30)
    model = linear(r)
    expected = np.array([sum(r[s, j] * c[s] for s in range(30)) for j in range(3)])
    np.testing.assert_allclose(model.vjp(np.zeros(3), c), expected, rtol=1e-12)


def test_vjp_matches_finite_differences_of_a_nonlinear_score(rng):
    # d/dx of sum_s g(draws_s(x)) with g = -exp(-y): cotangent = exp(-draws)
    r = rng.normal(scale=0.3, size=(40, 3))
    b = rng.normal(size=40)
    model = linear(r, b)
    x = np.array([0.2, -0.4, 0.7])

    def score(v: np.ndarray) -> float:
        return float(np.sum(-np.exp(-model.draws(v))))

    grad = model.vjp(x, np.exp(-model.draws(x)))
    h = 1e-6
    fd = np.array([(score(x + h * e) - score(x - h * e)) / (2 * h) for e in np.eye(3)])
    np.testing.assert_allclose(grad, fd, rtol=1e-6)


def test_affine_form_reproduces_draws_and_is_read_only(rng):
    r = rng.normal(size=(20, 3))
    b = rng.normal(size=20)
    model = linear(r, b)
    a_mat, b_vec = model.affine_form()
    x = rng.normal(size=3)
    np.testing.assert_allclose(a_mat @ x + b_vec, model.draws(x))
    with pytest.raises(ValueError):
        a_mat[0, 0] = 1.0
    # the model holds a copy: the user's array can change without affecting it
    r[0, 0] = 1e6
    assert model.scenarios[0, 0] != 1e6


def test_dataframe_columns_become_labels(rng):
    df = pd.DataFrame(rng.normal(size=(8, 3)), columns=["tv", "radio", "search"])
    df.columns.name = "channel"
    model = linear(df)
    assert model.action_space.dims == (("channel",),)
    assert model.action_space.labels == ["action[tv]", "action[radio]", "action[search]"]
    x = {"action": np.array([1.0, 2.0, 3.0])}
    np.testing.assert_allclose(model.draws(x), df.to_numpy() @ np.array([1.0, 2.0, 3.0]))
    out = model.action_space.to_xarray(np.array([1.0, 2.0, 3.0]))
    assert list(out.coords["channel"].values) == ["tv", "radio", "search"]


def test_dataarray_chain_draw_is_stacked_chain_major(rng):
    values = rng.normal(size=(2, 5, 3))
    da = xr.DataArray(
        values, dims=("chain", "draw", "asset"), coords={"asset": ["a", "b", "c"]}
    )
    intercept = xr.DataArray(rng.normal(size=(2, 5)), dims=("chain", "draw"))
    model = linear(da, intercept, names="weights")
    np.testing.assert_array_equal(model.scenarios, values.reshape(10, 3))
    np.testing.assert_array_equal(model.intercept, intercept.values.reshape(10))
    assert model.action_space.names == ("weights",)
    assert model.action_space.labels == ["weights[a]", "weights[b]", "weights[c]"]
    # an action DataArray is aligned by dim name
    x = xr.DataArray([0.2, 0.3, 0.5], dims=("asset",), coords={"asset": ["a", "b", "c"]})
    expected = values.reshape(10, 3) @ [0.2, 0.3, 0.5] + intercept.values.reshape(10)
    np.testing.assert_allclose(model.draws(x), expected)


def test_dataarray_with_sample_dim_and_transposed_order(rng):
    values = rng.normal(size=(3, 6))
    da = xr.DataArray(values, dims=("asset", "sample"))
    model = linear(da, dim="asset")
    np.testing.assert_array_equal(model.scenarios, values.T)
    assert model.action_space.dims == (("asset",),)


def test_names_list_gives_one_scalar_variable_per_column(rng):
    r = rng.normal(size=(6, 2))
    model = linear(r, names=["price", "volume"])
    assert model.action_space.names == ("price", "volume")
    assert model.action_space.shapes == ((), ())
    np.testing.assert_allclose(model.draws({"price": 2.0, "volume": -1.0}), r @ [2.0, -1.0])


def test_coords_label_a_plain_array(rng):
    r = rng.normal(size=(4, 2))
    m1 = linear(r, dim="asset", coords={"asset": ["x", "y"]})
    m2 = linear(r, dim="asset", coords=["x", "y"])
    assert m1.action_space.labels == m2.action_space.labels == ["action[x]", "action[y]"]
    assert linear(r).action_space.labels == ["action[0]", "action[1]"]


def test_subset_keeps_rows_and_action_space(rng):
    r = rng.normal(size=(12, 3))
    b = rng.normal(size=12)
    model = linear(r, b, coords=["a", "b", "c"])
    idx = [0, 5, 7]
    sub = model.subset(idx)
    assert isinstance(sub, LinearOutcome)
    x = rng.normal(size=3)
    np.testing.assert_allclose(sub.draws(x), model.draws(x)[idx])
    assert sub.action_space is model.action_space
    mask = np.zeros(12, dtype=bool)
    mask[[1, 2]] = True
    np.testing.assert_allclose(model.subset(mask).draws(x), model.draws(x)[[1, 2]])


@pytest.mark.parametrize(
    ("indices", "match"),
    [
        ([], "non-empty"),
        ([0, 12], r"\[0, 11\].*\[12\]"),
        ([-1], r"\[0, 11\].*\[-1\]"),
        (np.zeros(12, dtype=bool), "selects no sample"),
        (np.ones(5, dtype=bool), "length n_samples=12"),
    ],
)
def test_subset_rejects_bad_indices(rng, indices, match):
    model = linear(rng.normal(size=(12, 2)))
    with pytest.raises(DecideValueError, match=match):
        model.subset(indices)


def test_subset_rejects_float_indices(rng):
    model = linear(rng.normal(size=(12, 2)))
    with pytest.raises(DecideTypeError, match="integer sample positions"):
        model.subset([0.5, 1.0])


@pytest.mark.parametrize(
    ("scenarios", "match"),
    [
        (np.ones(5), r"2-d with shape \(n_samples, n_actions\); got shape \(5,\)"),
        (np.ones((2, 3, 4)), r"got shape \(2, 3, 4\)"),
        (np.ones((0, 3)), "at least one sample"),
        (np.array([[1.0, np.nan], [0.0, 1.0]]), r"finite; got nan at \(sample, action\) \(0, 1\)"),
        (np.array([[1.0, 2.0], [np.inf, 1.0]]), r"got inf at .* \(1, 0\)"),
    ],
)
def test_bad_scenarios_raise_naming_the_argument(scenarios, match):
    with pytest.raises(DecideValueError, match=match):
        linear(scenarios)


def test_non_numeric_scenarios_raise_type_error():
    with pytest.raises(DecideTypeError, match="scenarios must be numeric"):
        linear([["a", "b"], ["c", "d"]])
    with pytest.raises(DecideTypeError, match="got a Dataset"):
        linear(xr.Dataset({"r": (("sample", "asset"), np.ones((3, 2)))}))


def test_bad_intercept_raises(rng):
    r = rng.normal(size=(5, 2))
    with pytest.raises(DecideValueError, match=r"intercept must be a scalar or have shape .*\(5,\).*got shape \(4,\)"):
        linear(r, np.zeros(4))
    with pytest.raises(DecideValueError, match="intercept must be finite; got nan at sample 2"):
        linear(r, np.array([0.0, 0.0, np.nan, 0.0, 0.0]))
    with pytest.raises(DecideTypeError, match="intercept must be a number"):
        linear(r, "zero")


def test_dataarray_dim_errors(rng):
    da = xr.DataArray(rng.normal(size=(4, 2, 3)), dims=("sample", "asset", "region"))
    with pytest.raises(DecideValueError, match=r"exactly one action dim.*\['asset', 'region'\]"):
        linear(da)
    with pytest.raises(DecideValueError, match="no action dim 'channel'"):
        linear(da, dim="channel")
    with pytest.raises(DecideValueError, match="sample axis"):
        linear(xr.DataArray(np.ones((3, 2)), dims=("row", "asset")))


def test_label_errors(rng):
    r = rng.normal(size=(4, 2))
    with pytest.raises(DecideValueError, match="must give 2 labels"):
        linear(r, coords=["a", "b", "c"])
    with pytest.raises(DecideValueError, match="unique"):
        linear(r, coords=["a", "a"])
    with pytest.raises(DecideValueError, match="one name per scenario column \\(2\\); got 3"):
        linear(r, names=["a", "b", "c"])
    with pytest.raises(DecideValueError, match="may only label the action dim 'action_dim_0'"):
        linear(r, coords={"asset": ["a", "b"]})
    df = pd.DataFrame(np.ones((3, 2)), columns=["a", "a"])
    with pytest.raises(DecideValueError, match=r"columns must be unique; got duplicates \['a'\]"):
        linear(df)


def test_wrong_action_and_cotangent_shapes_raise(rng):
    model = linear(rng.normal(size=(5, 3)))
    with pytest.raises(DecideValueError, match=r"shape \(3,\); got shape \(2,\)"):
        model.draws([1.0, 2.0])
    with pytest.raises(DecideValueError, match=r"cotangent .* \(5,\); got shape \(4,\)"):
        model.vjp(np.zeros(3), np.ones(4))


def test_constructor_checks_action_space_size(rng):
    space = ActionSpec(names=("a",), shapes=((2,),))
    with pytest.raises(DecideValueError, match="size 2 but scenarios has 3 columns"):
        LinearOutcome(rng.normal(size=(4, 3)), np.zeros(4), space)
