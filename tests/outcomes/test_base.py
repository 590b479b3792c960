"""Tests of decide.outcomes._base (ActionSpec, resolve_reduce, OutcomeModel)."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from decide.errors import DecideTypeError, DecideValueError
from decide.outcomes import ActionSpec, OutcomeModel
from decide.outcomes._base import resolve_reduce


@pytest.fixture
def rng() -> np.random.Generator:
    return np.random.default_rng(303)


@pytest.fixture
def spec() -> ActionSpec:
    # a scalar, a labelled vector and an unlabelled matrix
    return ActionSpec(
        names=("price", "spend", "mix"),
        shapes=((), (3,), (2, 2)),
        dims=((), ("channel",), ("region", "product")),
        coords={"channel": ["tv", "radio", "search"]},
    )


def test_size_labels_and_default_dims(spec):
    assert spec.size == 1 + 3 + 4
    assert spec.labels == [
        "price",
        "spend[tv]",
        "spend[radio]",
        "spend[search]",
        "mix[0, 0]",
        "mix[0, 1]",
        "mix[1, 0]",
        "mix[1, 1]",
    ]
    default = ActionSpec(names=("w",), shapes=((2, 3),))
    assert default.dims == (("w_dim_0", "w_dim_1"),)
    assert len(default.labels) == 6 and default.labels[-1] == "w[1, 2]"


def test_dict_roundtrip(spec, rng):
    flat = rng.normal(size=spec.size)
    parts = spec.unflatten(flat)
    assert parts["price"].shape == () and parts["spend"].shape == (3,)
    assert parts["mix"].shape == (2, 2)
    np.testing.assert_array_equal(spec.flatten(parts), flat)
    # flat order: variables in order, each C-order
    np.testing.assert_array_equal(parts["mix"], flat[4:].reshape(2, 2))


def test_dataset_and_dataarray_roundtrip(spec, rng):
    flat = rng.normal(size=spec.size)
    ds = spec.to_xarray(flat)
    assert isinstance(ds, xr.Dataset)
    assert list(ds["spend"].coords["channel"].values) == ["tv", "radio", "search"]
    assert ds["mix"].dims == ("region", "product")
    np.testing.assert_array_equal(spec.flatten(ds), flat)
    # transposed dims are aligned by name
    transposed = ds.assign(mix=ds["mix"].transpose("product", "region"))
    np.testing.assert_array_equal(spec.flatten(transposed), flat)

    single = ActionSpec(names=("spend",), shapes=((3,),), dims=(("channel",),), coords=spec.coords)
    da = single.to_xarray(flat[1:4])
    assert isinstance(da, xr.DataArray) and da.name == "spend"
    np.testing.assert_array_equal(single.flatten(da), flat[1:4])
    np.testing.assert_array_equal(single.flatten(flat[1:4]), flat[1:4])


def test_dataarray_is_aligned_by_labels_not_position():
    single = ActionSpec(
        names=("spend",), shapes=((3,),), dims=(("channel",),), coords={"channel": ["tv", "radio", "search"]}
    )
    shuffled = xr.DataArray(
        [3.0, 1.0, 2.0], dims=("channel",), coords={"channel": ["search", "tv", "radio"]}
    )
    np.testing.assert_array_equal(single.flatten(shuffled), [1.0, 2.0, 3.0])
    np.testing.assert_array_equal(single.flatten(xr.Dataset({"spend": shuffled})), [1.0, 2.0, 3.0])
    wrong = xr.DataArray([1.0, 2.0, 3.0], dims=("channel",), coords={"channel": ["tv", "radio", "print"]})
    with pytest.raises(DecideValueError, match=r"labels \['tv', 'radio', 'print'\] along 'channel'"):
        single.flatten(wrong)


def test_flatten_returns_a_copy(rng):
    single = ActionSpec(names=("x",), shapes=((3,),))
    x = rng.normal(size=3)
    out = single.flatten(x)
    out[0] = 100.0
    assert x[0] != 100.0


def test_flatten_error_messages(spec):
    parts = spec.unflatten(np.zeros(spec.size))
    with pytest.raises(DecideValueError, match=r"missing \['mix'\], unknown \[\]"):
        spec.flatten({"price": 1.0, "spend": np.zeros(3)})
    with pytest.raises(DecideValueError, match=r"unknown \['volume'\]"):
        spec.flatten({**parts, "volume": 1.0})
    with pytest.raises(DecideValueError, match=r"action\['spend'\] must have shape \(3,\); got shape \(2,\)"):
        spec.flatten({**parts, "spend": np.zeros(2)})
    with pytest.raises(DecideValueError, match="must be finite"):
        spec.flatten({**parts, "price": np.nan})
    with pytest.raises(DecideValueError, match=r"flat vector of length 8 or a dict with keys"):
        spec.flatten(np.zeros(5))
    with pytest.raises(DecideTypeError, match="must be numeric"):
        spec.flatten("a lot")
    with pytest.raises(DecideValueError, match=r"must give all action variables .* only 'spend'"):
        spec.flatten(xr.DataArray(np.zeros(3), dims=("channel",), name="spend"))
    single = ActionSpec(names=("w",), shapes=((2, 2),))
    with pytest.raises(DecideValueError, match=r"x must be a flat vector of length 4 or shape \(2, 2\)"):
        single.flatten(np.zeros((4, 1)), name="x")
    with pytest.raises(DecideValueError, match=r"must be finite; got \[1.0, inf"):
        single.flatten([1.0, np.inf, 0.0, 0.0])
    with pytest.raises(DecideValueError, match=r"flat action must have shape \(4,\); got \(3,\)"):
        single.unflatten(np.zeros(3))


def test_constructor_error_messages():
    with pytest.raises(DecideValueError, match="at least one variable name"):
        ActionSpec(names=(), shapes=())
    with pytest.raises(DecideValueError, match="unique"):
        ActionSpec(names=("a", "a"), shapes=((), ()))
    with pytest.raises(DecideValueError, match=r"one shape per action name \(2\); got 1"):
        ActionSpec(names=("a", "b"), shapes=((),))
    with pytest.raises(DecideValueError, match=r"shape \(2,\) but dims \('x', 'y'\)"):
        ActionSpec(names=("a",), shapes=((2,),), dims=(("x", "y"),))
    with pytest.raises(DecideValueError, match=r"coords\['x'\] has 3 labels but action 'a' has length 2"):
        ActionSpec(names=("a",), shapes=((2,),), dims=(("x",),), coords={"x": [1, 2, 3]})


@pytest.mark.parametrize("n_lead", [1, 2])
@pytest.mark.parametrize("how", ["sum", "mean"])
def test_resolve_reduce_named(rng, how, n_lead):
    arr = rng.normal(size=(5, 4, 3, 2)[: n_lead + 2])
    out = resolve_reduce(how, n_lead)(arr)
    axes = tuple(range(n_lead, arr.ndim))
    expected = arr.sum(axis=axes) if how == "sum" else arr.mean(axis=axes)
    assert out.shape == arr.shape[:n_lead]
    np.testing.assert_allclose(out, expected)
    # a scalar outcome per draw passes through unchanged
    lead_only = rng.normal(size=(5, 4)[:n_lead])
    np.testing.assert_array_equal(resolve_reduce(how, n_lead)(lead_only), lead_only)


def test_resolve_reduce_callable_and_errors():
    def fn(a: np.ndarray) -> np.ndarray:
        return a.max(axis=-1)

    assert resolve_reduce(fn, 1) is fn
    with pytest.raises(DecideValueError, match=r"reduce must be 'sum', 'mean' or a callable; got 'median'"):
        resolve_reduce("median", 1)


class _Quadratic(OutcomeModel):
    """A minimal subclass: vector outcome x * theta_s, no gradient."""

    def __init__(self, theta: np.ndarray, reps: int | None = None, reduce: str = "sum") -> None:
        self.theta = theta
        self.reduce = reduce
        self.n_samples = theta.shape[0]
        self.n_replicates = reps
        self.outcome_dims = ("k",)
        self.action_space = ActionSpec(names=("x",), shapes=((2,),))

    def sample_flat(self, x: np.ndarray) -> np.ndarray:
        out = self.theta * x  # (n, 2)
        if self.n_replicates is None:
            return out
        return np.repeat(out[:, None, :], self.n_replicates, axis=1)


def test_outcome_model_defaults(rng):
    theta = rng.normal(size=(6, 2))
    model = _Quadratic(theta)
    x = np.array([1.0, 2.0])
    np.testing.assert_allclose(model.sample(x), theta * x)
    np.testing.assert_allclose(model.draws(x), (theta * x).sum(axis=1))
    np.testing.assert_allclose(_Quadratic(theta, reduce="mean").draws(x), (theta * x).mean(axis=1))
    reps = _Quadratic(theta, reps=3)
    assert reps.draws(x).shape == (6, 3)
    np.testing.assert_allclose(reps.draws(x)[:, 2], (theta * x).sum(axis=1))
    assert not model.has_vjp and not model.has_conditional_mean
    assert model.affine_form() is None
    with pytest.raises(NotImplementedError, match="_Quadratic has no vector-Jacobian product"):
        model.vjp(x, np.ones(6))
    with pytest.raises(NotImplementedError, match="cannot give E"):
        model.conditional_mean(x)
    with pytest.raises(NotImplementedError, match="does not support subset"):
        model.subset([0])
    with pytest.raises(DecideValueError, match=r"shape \(2,\); got shape \(3,\)"):
        model.draws([1.0, 2.0, 3.0])
