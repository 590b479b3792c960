"""Tests of decide/_posterior.py on the running stack's ArviZ objects."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import xarray as xr

from decide._posterior import posterior_dataset, thin
from decide.errors import DecideTypeError, DecideValueError


def _posterior(seed: int = 0) -> xr.Dataset:
    rng = np.random.default_rng(seed)
    return xr.Dataset(
        {
            "mu": (("chain", "draw"), rng.normal(size=(2, 5))),
            "beta": (("chain", "draw", "channel"), rng.normal(size=(2, 5, 3))),
        },
        coords={"chain": [0, 1], "draw": np.arange(5), "channel": ["a", "b", "c"]},
    )


def _arviz_object(ds: xr.Dataset):
    """InferenceData on arviz 0.x, DataTree on arviz 1.x (what pm.sample returns on each stack)."""
    import arviz as az

    if az.__version__.startswith("0."):
        return az.InferenceData(posterior=ds)
    return xr.DataTree.from_dict({"posterior": ds})


def test_posterior_dataset_from_the_stack_object_stacks_chain_major():
    ds = _posterior()
    obj = _arviz_object(ds)
    out = posterior_dataset(obj)
    assert out["mu"].dims == ("sample",)
    assert out["beta"].dims == ("sample", "channel")
    np.testing.assert_array_equal(out["mu"].values, ds["mu"].values.reshape(-1))
    np.testing.assert_array_equal(out["beta"].values, ds["beta"].values.reshape(10, 3))
    assert list(out["channel"].values) == ["a", "b", "c"]


def test_posterior_dataset_does_not_modify_input():
    ds = _posterior()
    before = copy.deepcopy(ds)
    posterior_dataset(ds)["mu"].values[:] = 0.0
    xr.testing.assert_identical(ds, before)


def test_posterior_dataset_from_dict():
    out = posterior_dataset({"a": np.arange(4.0), "b": np.ones((4, 2))})
    assert out.sizes["sample"] == 4
    assert out["b"].dims == ("sample", "b_dim_0")
    with pytest.raises(DecideValueError, match="share their first"):
        posterior_dataset({"a": np.arange(4.0), "b": np.ones(3)})
    with pytest.raises(DecideValueError, match="empty dict"):
        posterior_dataset({})


def test_posterior_dataset_missing_group_lists_groups():
    obj = _arviz_object(_posterior())
    with pytest.raises(DecideValueError, match=r"no group 'prior'; groups present: \[.*posterior"):
        posterior_dataset(obj, group="prior")


def test_posterior_dataset_rejects_other_types():
    with pytest.raises(DecideTypeError, match="idata must be an arviz.InferenceData"):
        posterior_dataset(42)


def test_thin_is_seeded_and_bounded():
    ds = posterior_dataset(_posterior())
    a = thin(ds, 4, random_seed=1)
    b = thin(ds, 4, random_seed=1)
    assert a.sizes["sample"] == 4
    xr.testing.assert_identical(a, b)
    assert thin(ds, None, random_seed=1) is ds
    with pytest.raises(DecideValueError, match="max_draws must be a positive integer"):
        thin(ds, 0, random_seed=1)


@pytest.mark.skipif(not hasattr(xr, "DataTree"), reason="xarray without DataTree")
def test_the_posterior_node_of_a_datatree_is_the_posterior():
    # arviz 1.x: idata.posterior is a DataTree node (no children), not a Dataset
    draws = np.random.default_rng(0).normal(size=(2, 50))
    ds = xr.Dataset({"b": (("chain", "draw"), draws)})
    node = xr.DataTree.from_dict({"posterior": ds, "constant_data": xr.Dataset()})["posterior"]
    got = posterior_dataset(node)
    np.testing.assert_array_equal(got["b"].values, draws.reshape(-1))
    with pytest.raises(DecideValueError, match="no group 'constant_data'"):
        posterior_dataset(node, group="constant_data")
    nameless = xr.DataTree(dataset=ds)  # a bare node stands for the posterior only
    np.testing.assert_array_equal(posterior_dataset(nameless)["b"].values, draws.reshape(-1))
    with pytest.raises(DecideValueError, match="no group 'constant_data'"):
        posterior_dataset(nameless, group="constant_data")


@pytest.mark.parametrize("order", ["chain-draw", "draw-chain"])
def test_stacking_equals_xarrays_stack(order: str) -> None:
    """The reshape path (chain, draw first) and xarray's stack (any order) agree."""
    ds = _posterior(3)
    ds["beta"].attrs["units"] = "eur"
    ds = ds.assign_coords(label=("channel", ["tv", "radio", "web"]))
    if order == "draw-chain":
        ds = ds.transpose("draw", "chain", ...)
    out = posterior_dataset(ds)
    for var in ("mu", "beta"):
        ref = ds[var].stack(sample=("chain", "draw")).transpose("sample", ...)
        np.testing.assert_array_equal(out[var].values, ref.values)
        assert out[var].dims == ref.dims
    assert out["beta"].attrs == {"units": "eur"}
    assert list(out["label"].values) == ["tv", "radio", "web"]
    assert "chain" not in out.coords and "draw" not in out.coords


def test_coords_along_chain_or_draw_are_stacked_as_xarray_does() -> None:
    """A coordinate along chain and/or draw (not chain/draw themselves) stays, per sample."""
    ds = _posterior(4).assign_coords(
        chain_label=("chain", ["warm", "cold"]),
        step=(("chain", "draw"), np.arange(10).reshape(2, 5) * 10),
    )
    before = ds.copy(deep=True)
    out = posterior_dataset(_arviz_object(ds))
    for var in ("mu", "beta"):
        ref = ds[var].stack(sample=("chain", "draw"), create_index=False)
        ref = ref.transpose("sample", ...)
        np.testing.assert_array_equal(out[var].values, ref.values)
        assert out[var].dims == ref.dims
    # chain-major: each chain's label once per draw; the (chain, draw) coord flattened
    assert list(out["chain_label"].values) == ["warm"] * 5 + ["cold"] * 5
    assert out["chain_label"].dims == ("sample",)
    np.testing.assert_array_equal(out["step"].values, np.arange(0, 100, 10))
    assert "chain" not in out.coords and "draw" not in out.coords
    assert ds.identical(before)
