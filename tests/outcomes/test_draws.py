"""Tests of decide.outcomes._draws (precomputed draws of a finite set of options)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from decide.errors import DecideTypeError, DecideValueError
from decide.outcomes import DrawsOutcome, OutcomeModel, from_draws


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(1130)


def test_dict_input_one_hot_returns_each_option_exactly(rng):
    arms = {"A": rng.normal(size=200), "B": rng.normal(1.0, 2.0, size=200), "C": rng.gamma(2.0, size=200)}
    model = from_draws(arms)
    assert isinstance(model, OutcomeModel)
    assert model.options == ("A", "B", "C")
    assert model.table.shape == (3, 200)
    for k, name in enumerate(["A", "B", "C"]):
        onehot = np.eye(3)[k]
        np.testing.assert_array_equal(model.one_hot(name), onehot)
        np.testing.assert_array_equal(model.draws(onehot), arms[name])
        np.testing.assert_array_equal(model.sample({"action": onehot}), arms[name])
        np.testing.assert_array_equal(model.draws_for(name), arms[name])
    assert model.action_space.labels == ["action[A]", "action[B]", "action[C]"]
    assert model.action_space.dims == (("option",),)


def test_input_is_copied_and_table_read_only(rng):
    a = rng.normal(size=10)
    model = from_draws({"a": a, "b": rng.normal(size=10)})
    a[0] = 99.0
    assert model.table[0, 0] != 99.0
    with pytest.raises(ValueError):
        model.table[0, 0] = 1.0
    out = model.draws_for("a")
    out[0] = 5.0  # a copy
    assert model.table[0, 0] != 5.0


def test_probability_vector_gives_the_linear_combination(rng):
    arms = {"A": rng.normal(size=50), "B": rng.normal(size=50)}
    model = from_draws(arms)
    p = np.array([0.3, 0.7])
    expected = np.array([0.3 * a + 0.7 * b for a, b in zip(arms["A"], arms["B"])])
    np.testing.assert_allclose(model.draws(p), expected, rtol=1e-13)
    a_mat, b_vec = model.affine_form()
    np.testing.assert_allclose(a_mat @ p + b_vec, expected, rtol=1e-13)
    c = rng.normal(size=50)
    np.testing.assert_allclose(
        model.vjp(p, c), [np.dot(arms["A"], c), np.dot(arms["B"], c)], rtol=1e-12
    )


def test_vjp_matches_finite_differences_with_replicates(rng):
    table = {"A": rng.normal(size=(30, 4)), "B": rng.normal(size=(30, 4))}
    model = from_draws(table)
    assert model.n_replicates == 4
    assert model.affine_form() is None
    p = np.array([0.4, 0.6])

    def score(v: np.ndarray) -> float:
        return float(np.sum(np.tanh(model.draws(v))))

    grad = model.vjp(p, 1.0 - np.tanh(model.draws(p)) ** 2)
    h = 1e-6
    fd = [(score(p + h * e) - score(p - h * e)) / (2 * h) for e in np.eye(2)]
    np.testing.assert_allclose(grad, fd, rtol=1e-6)


def test_dataframe_input(rng):
    df = pd.DataFrame({"low": rng.normal(size=20), "high": rng.normal(2, 1, size=20)})
    model = from_draws(df)
    assert model.options == ("low", "high")
    np.testing.assert_array_equal(model.draws(model.one_hot("high")), df["high"].to_numpy())


def test_dataarray_with_chain_draw_and_option_dim(rng):
    values = rng.normal(size=(2, 25, 3))
    da = xr.DataArray(
        values,
        dims=("chain", "draw", "treatment"),
        coords={"treatment": ["none", "small", "large"]},
    )
    model = from_draws(da, dim="treatment")
    assert model.options == ("none", "small", "large")
    assert model.n_samples == 50
    np.testing.assert_array_equal(model.draws_for("small"), values[:, :, 1].reshape(50))
    # without coords the options are numbered
    bare = from_draws(xr.DataArray(values[0], dims=("sample", "action")))
    assert bare.options == (0, 1, 2)
    np.testing.assert_array_equal(bare.draws_for(2), values[0, :, 2])


def test_dataarray_with_replicates_any_dim_order(rng):
    values = rng.normal(size=(4, 2, 10))  # replicate, action, sample
    da = xr.DataArray(values, dims=("replicate", "action", "sample"), coords={"action": ["x", "y"]})
    model = from_draws(da)
    assert model.table.shape == (2, 10, 4)
    np.testing.assert_array_equal(model.draws_for("y"), values[:, 1, :].T)


def test_dataset_input_one_variable_per_option(rng):
    ds = xr.Dataset(
        {
            "a": (("chain", "draw"), rng.normal(size=(2, 5))),
            "b": (("chain", "draw"), rng.normal(size=(2, 5))),
        }
    )
    model = from_draws(ds)
    assert model.options == ("a", "b")
    np.testing.assert_array_equal(model.draws_for("b"), ds["b"].values.reshape(10))


def test_conditional_mean_only_when_declared(rng):
    arms = {"A": rng.normal(size=20), "B": rng.normal(size=20)}
    plain = from_draws(arms)
    assert not plain.has_conditional_mean
    with pytest.raises(NotImplementedError, match="exactly"):
        plain.conditional_mean(plain.one_hot("A"))
    declared = from_draws(arms, conditional_mean=True)
    assert declared.has_conditional_mean
    np.testing.assert_array_equal(declared.conditional_mean(declared.one_hot("B")), arms["B"])
    with pytest.raises(DecideValueError, match="replicates, whose mean is only an estimate"):
        from_draws({"A": np.ones((5, 3)), "B": np.zeros((5, 3))}, conditional_mean=True)


def test_subset(rng):
    arms = {"A": rng.normal(size=(12, 2)), "B": rng.normal(size=(12, 2))}
    model = from_draws(arms, conditional_mean=False)
    sub = model.subset([3, 1, 4])
    assert isinstance(sub, DrawsOutcome)
    np.testing.assert_array_equal(sub.draws_for("B"), arms["B"][[3, 1, 4]])
    assert sub.options == model.options
    with pytest.raises(DecideValueError, match=r"\[0, 11\]"):
        model.subset([12])


def test_mismatched_draw_counts_name_both_options(rng):
    with pytest.raises(DecideValueError, match=r"table\['B'\] has 9 draws but table\['A'\] has 10"):
        from_draws({"A": rng.normal(size=10), "B": rng.normal(size=9)})
    with pytest.raises(DecideValueError, match=r"table\['B'\] has shape \(10, 3\) but table\['A'\] has shape \(10, 2\)"):
        from_draws({"A": rng.normal(size=(10, 2)), "B": rng.normal(size=(10, 3))})


def test_duplicate_option_names():
    df = pd.DataFrame(np.ones((4, 2)), columns=["A", "A"])
    with pytest.raises(DecideValueError, match=r"unique; got duplicates \['A'\]"):
        from_draws(df)
    da = xr.DataArray(np.ones((4, 2)), dims=("sample", "action"), coords={"action": ["x", "x"]})
    with pytest.raises(DecideValueError, match="duplicates"):
        from_draws(da)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_non_finite_draws_name_the_option(bad):
    b = np.zeros(5)
    b[3] = bad
    with pytest.raises(DecideValueError, match=r"table\['B'\] must be finite; got .* at index \(3,\)"):
        from_draws({"A": np.ones(5), "B": b})


def test_empty_and_single_draw_tables():
    with pytest.raises(DecideValueError, match="at least one option; got none"):
        from_draws({})
    with pytest.raises(DecideValueError, match="at least one option"):
        from_draws(pd.DataFrame())
    with pytest.raises(DecideValueError, match="at least one row"):
        from_draws(pd.DataFrame({"A": [], "B": []}))
    with pytest.raises(DecideValueError, match="at least 2 posterior samples per option to describe uncertainty; got 1"):
        from_draws({"A": [1.0], "B": [2.0]})
    with pytest.raises(DecideValueError, match="replicate axis of length 1"):
        from_draws({"A": np.ones((5, 1)), "B": np.ones((5, 1))})


def test_dataarray_dim_errors(rng):
    da = xr.DataArray(rng.normal(size=(5, 2)), dims=("sample", "arm"))
    with pytest.raises(DecideValueError, match=r"no option dim 'action'.*Pass dim=.*\['arm'\]"):
        from_draws(da)
    extra = xr.DataArray(rng.normal(size=(5, 2, 3)), dims=("sample", "action", "region"))
    with pytest.raises(DecideValueError, match=r"extra dims \['region'\]"):
        from_draws(extra)
    with pytest.raises(DecideValueError, match="sample axis"):
        from_draws(xr.DataArray(np.ones((5, 2)), dims=("row", "action")))


def test_bad_types_and_unknown_option(rng):
    with pytest.raises(DecideTypeError, match=r"pandas.DataFrame\(array, columns=option_names\)"):
        from_draws(np.ones((5, 2)))
    with pytest.raises(DecideTypeError, match=r"table\['A'\] must be a numeric array"):
        from_draws({"A": ["x", "y"], "B": [1.0, 2.0]})
    model = from_draws({"A": rng.normal(size=5), "B": rng.normal(size=5)})
    with pytest.raises(DecideValueError, match=r"option must be one of \['A', 'B'\]; got 'C'"):
        model.draws_for("C")
    with pytest.raises(DecideValueError, match=r"cotangent .*\(5,\); got shape \(4,\)"):
        model.vjp(model.one_hot("A"), np.ones(4))
    with pytest.raises(DecideValueError, match=r"shape \(2,\); got shape \(3,\)"):
        model.draws([1.0, 0.0, 0.0])
