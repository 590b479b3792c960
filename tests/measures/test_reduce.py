"""Axis, weights and xarray plumbing of the plain functions."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from decide.errors import DecideTypeError, DecideValueError
from decide.measures import cvar, mean, variance


def test_axis_variants():
    x = np.random.default_rng(0).normal(size=(5, 6, 7))
    np.testing.assert_allclose(mean(x, axis=1), x.mean(axis=1))
    np.testing.assert_allclose(variance(x, axis=(0, 2)), x.var(axis=(0, 2)))
    assert isinstance(mean(x, axis=None), float)
    np.testing.assert_allclose(cvar(x, 0.2, axis=-1)[1, 2], cvar(x[1, 2], 0.2))


def test_weights_per_sample_are_shared_by_replicates():
    x = np.random.default_rng(1).normal(size=(8, 3))
    w = np.arange(1.0, 9.0)
    full = np.repeat(w[:, None], 3, axis=1)
    assert mean(x, axis=(0, 1), weights=w) == pytest.approx(mean(x, axis=(0, 1), weights=full))
    assert mean(x, axis=(0, 1), weights=w) == pytest.approx((x * w[:, None]).sum() / (3 * w.sum()))


def test_xarray_dims_argument_and_name_kept():
    da = xr.DataArray(
        np.random.default_rng(2).normal(size=(4, 10, 2)),
        dims=("chain", "draw", "replicate"),
        name="profit",
    )
    pooled = mean(da, dims=("chain", "draw", "replicate"))
    assert pooled.dims == () and float(pooled) == pytest.approx(da.values.mean())
    per_rep = mean(da)
    assert per_rep.dims == ("replicate",) and per_rep.name == "profit"
    with pytest.raises(DecideValueError, match=r"dims must be dims of draws"):
        mean(da, dims="store")


def test_bad_inputs():
    with pytest.raises(DecideValueError, match="axis must hold integers"):
        mean(np.ones(3), axis=2)
    with pytest.raises(DecideTypeError, match="draws must be a numeric array"):
        mean(["a", "b"])
    with pytest.raises(DecideValueError, match="0-d value 1.0"):
        mean(1.0)
    with pytest.raises(DecideTypeError, match="Dataset"):
        mean(xr.Dataset({"a": ("sample", [1.0])}))
    with pytest.raises(DecideValueError, match=r"weights must have a positive sum; got sum 0.0"):
        mean([1.0, 2.0], weights=[0.0, 0.0])
