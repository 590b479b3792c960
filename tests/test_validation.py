"""Tests of decide/_validation.py: every check names the argument, the range and the value."""

from __future__ import annotations

import numpy as np
import pytest
import xarray as xr

from decide._validation import (
    as_draws,
    as_names,
    as_weights,
    check_finite_scalar,
    check_in_range,
    stack_sample_dims,
)
from decide.errors import DecideError, DecideTypeError, DecideValueError


def test_as_draws_returns_float_copy_with_sample_axis_first():
    x = [1, 2, 3]
    out = as_draws(x)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out, [1.0, 2.0, 3.0])
    two = as_draws(np.ones((4, 3)))
    assert two.shape == (4, 3)


def test_as_draws_stacks_chain_and_draw_chain_major():
    values = np.arange(6.0).reshape(2, 3)
    da = xr.DataArray(values, dims=("chain", "draw"))
    np.testing.assert_array_equal(as_draws(da), values.reshape(-1))
    # draw-major input is transposed first
    np.testing.assert_array_equal(as_draws(da.transpose("draw", "chain")), values.reshape(-1))


def test_as_draws_keeps_replicates():
    values = np.arange(12.0).reshape(2, 3, 2)
    da = xr.DataArray(values, dims=("chain", "draw", "replicate"))
    np.testing.assert_array_equal(as_draws(da), values.reshape(6, 2))


@pytest.mark.parametrize(
    ("bad", "match"),
    [
        (np.array(1.0), "0-d"),
        (np.array([]), "must not be empty"),
        (np.zeros((2, 2, 2)), r"shape \(2, 2, 2\)"),
        (np.array([1.0, np.nan, 2.0]), r"must be finite; got nan at index \(1,\)"),
        (np.array([1.0, np.inf]), "must be finite; got inf"),
    ],
)
def test_as_draws_rejects_bad_values(bad, match):
    with pytest.raises(DecideValueError, match=match) as info:
        as_draws(bad, "draws")
    assert "draws" in str(info.value)
    assert isinstance(info.value, DecideError) and isinstance(info.value, ValueError)


def test_as_draws_rejects_ragged_and_non_numeric():
    with pytest.raises(DecideTypeError, match="draws must be a numeric array"):
        as_draws([[1.0, 2.0], [3.0]])
    with pytest.raises(DecideTypeError, match="numeric"):
        as_draws(["a", "b"])


def test_as_draws_rejects_dataarray_without_sample_dims_and_extra_dims():
    with pytest.raises(DecideValueError, match=r"dims \('chain', 'draw'\) or 'sample'"):
        as_draws(xr.DataArray(np.ones(3), dims=("x",)))
    with pytest.raises(DecideValueError, match="extra dims \\['channel'\\]"):
        as_draws(xr.DataArray(np.ones((3, 2)), dims=("sample", "channel")))
    with pytest.raises(DecideTypeError, match="Select one variable"):
        as_draws(xr.Dataset({"a": ("sample", np.ones(3))}))


def test_as_draws_min_samples():
    with pytest.raises(DecideValueError, match="at least 2 samples; got 1"):
        as_draws([1.0], min_samples=2)


def test_as_weights_normalizes_and_validates():
    assert as_weights(None, 3) is None
    np.testing.assert_allclose(as_weights([1, 1, 2], 3), [0.25, 0.25, 0.5])
    with pytest.raises(DecideValueError, match=r"weights must have shape \(3,\).*got shape \(2,\)"):
        as_weights([1, 2], 3)
    with pytest.raises(DecideValueError, match="non-negative; got -1.0 at index 1"):
        as_weights([1, -1, 2], 3)
    with pytest.raises(DecideValueError, match="finite"):
        as_weights([1, np.nan, 2], 3)
    with pytest.raises(DecideValueError, match="positive sum; got sum 0.0"):
        as_weights([0, 0, 0], 3)


def test_check_in_range_messages():
    assert check_in_range(0.5, "alpha", low=0, high=1, low_inclusive=False) == 0.5
    with pytest.raises(DecideValueError, match=r"alpha must be in \(0, 1\); got 1.0"):
        check_in_range(1.0, "alpha", low=0, high=1, low_inclusive=False, high_inclusive=False)
    with pytest.raises(DecideValueError, match="got nan"):
        check_in_range(float("nan"), "risk_aversion", low=0)
    with pytest.raises(DecideTypeError, match="risk_aversion must be a real number; got 'x'"):
        check_in_range("x", "risk_aversion", low=0)


def test_check_finite_scalar():
    assert check_finite_scalar(2, "w") == 2.0
    with pytest.raises(DecideValueError, match="w must be a finite number; got inf"):
        check_finite_scalar(float("inf"), "w")
    with pytest.raises(DecideTypeError, match="w must be a real number"):
        check_finite_scalar(None, "w")


def test_as_names_rejects_duplicates():
    assert as_names("a", "names") == ("a",)
    with pytest.raises(DecideValueError, match=r"names must be unique; got duplicates \['a'\]"):
        as_names(["a", "b", "a"], "names")


def test_stack_sample_dims_keeps_other_dims_after_sample():
    da = xr.DataArray(np.zeros((2, 3, 4)), dims=("chain", "channel", "draw"))
    out = stack_sample_dims(da)
    assert out.dims == ("sample", "channel")
    assert out.shape == (8, 3)


@pytest.mark.parametrize(
    "layout", ["chain-draw", "draw-chain", "no-coords", "scalar", "coord-along-chain", "strided"]
)
def test_stack_sample_dims_is_xarrays_stack(layout: str) -> None:
    """The reshape path returns exactly what xarray's stack returns (coords, attrs, name)."""
    from decide._validation import _stacked_by_reshape, stack_sample_dims

    rng = np.random.default_rng(4)
    da = xr.DataArray(
        rng.normal(size=(3, 4, 2)), dims=("chain", "draw", "ch"), name="beta",
        coords={"chain": [0, 1, 2], "draw": [10, 11, 12, 13], "ch": ["a", "b"],
                "label": ("ch", ["tv", "web"])},
        attrs={"units": "eur"},
    )
    da["chain"].attrs["note"] = "chains"
    if layout == "draw-chain":
        da = da.transpose("draw", "chain", "ch")
    elif layout == "no-coords":
        da = da.drop_vars(["chain", "draw"])
    elif layout == "scalar":
        da = da.isel(ch=0, drop=True)
    elif layout == "coord-along-chain":
        da = da.assign_coords(seed=("chain", [7, 8, 9]))
    elif layout == "strided":
        da = da.isel(draw=slice(None, None, 2))
    rest = [d for d in da.dims if d not in ("chain", "draw")]
    ref = (
        da.transpose("chain", "draw", *rest)
        .stack(sample=("chain", "draw"), create_index=False)
        .transpose("sample", *rest)
    )
    xr.testing.assert_identical(stack_sample_dims(da), ref)  # coords' attrs included
    # every layout but a further coordinate along chain takes the reshape path
    fast = _stacked_by_reshape(da.transpose("chain", "draw", *rest))
    assert (fast is None) == (layout == "coord-along-chain")
