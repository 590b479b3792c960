"""Read posterior (or prior) draws as one Dataset whose first dim is ``"sample"``.

Inputs: ArviZ 0.x ``InferenceData``, ArviZ 1.x ``xarray.DataTree``, an
``xarray.Dataset`` or a dict of arrays; ``"sample"`` is chain x draw, chain-major.

The input object is never modified: every result is a new Dataset.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import xarray as xr

from decide._config import SAMPLE_DIM, SAMPLE_DIMS
from decide._validation import as_rng, stack_sample_dims
from decide.errors import DecideTypeError, DecideValueError

__all__ = ["data_group", "posterior_dataset", "thin"]


def _group(obj: Any, group: str) -> xr.Dataset:
    # xarray.DataTree (arviz 1.x) and arviz.InferenceData (0.x) both index groups by name
    if isinstance(obj, xr.Dataset):
        return obj
    if hasattr(xr, "DataTree") and isinstance(obj, xr.DataTree):
        named = obj.name == group or (obj.name is None and group == "posterior")
        if not obj.children and obj.data_vars and named:
            return obj.to_dataset()  # the group's own node, e.g. ``idata.posterior``
        if group not in obj.children:
            raise DecideValueError(
                f"the posterior object has no group {group!r}; groups present: "
                f"{sorted(obj.children)}."
            )
        return obj[group].to_dataset()
    groups = getattr(obj, "groups", None)
    if callable(groups):  # arviz.InferenceData
        names = list(groups())
        if group not in names:
            raise DecideValueError(
                f"the posterior object has no group {group!r}; groups present: {names}."
            )
        return getattr(obj, group)
    raise DecideTypeError(
        "idata must be an arviz.InferenceData, an xarray.DataTree, an xarray.Dataset or a "
        f"dict of arrays; got {type(obj).__name__}."
    )


def posterior_dataset(obj: Any, group: str = "posterior", name: str = "idata") -> xr.Dataset:
    """Return the draws of ``group`` as a Dataset with a leading ``"sample"`` dim.

    Parameters
    ----------
    obj : arviz.InferenceData, xarray.DataTree, xarray.Dataset or dict of array_like
        The posterior. A Dataset needs dims ``("chain", "draw")`` or ``"sample"``;
        a dict maps names to arrays whose first axis is the sample axis.
    group : str
        Group to read (``"posterior"`` or ``"prior"``).
    name : str
        Argument name for error messages.

    Returns
    -------
    xarray.Dataset
        Every variable with ``"sample"`` as its first dim.

    Raises
    ------
    DecideValueError
        If the group is missing, has no variables, or has no draws.
    """
    is_tree = hasattr(xr, "DataTree") and isinstance(obj, xr.DataTree)
    is_idata = callable(getattr(obj, "groups", None))
    if isinstance(obj, Mapping) and not (isinstance(obj, xr.Dataset) or is_tree or is_idata):
        arrays = {str(k): np.asarray(v) for k, v in obj.items()}
        if not arrays:
            raise DecideValueError(f"{name} must hold at least one parameter; got an empty dict.")
        sizes = {k: (v.shape[0] if v.ndim else None) for k, v in arrays.items()}
        if any(s is None for s in sizes.values()) or len(set(sizes.values())) != 1:
            raise DecideValueError(
                f"{name} arrays must share their first (sample) axis length; got {sizes}."
            )
        ds = xr.Dataset(
            {
                k: ((SAMPLE_DIM, *(f"{k}_dim_{i}" for i in range(v.ndim - 1))), v)
                for k, v in arrays.items()
            }
        )
    else:
        ds = _group(obj, group)
    if not ds.data_vars:
        raise DecideValueError(f"{name} group {group!r} has no variables.")
    out = {}
    for var, da in ds.data_vars.items():
        out[var] = stack_sample_dims(da, f"{name}.{group}.{var}")
    # a deep copy: stacking can return views, and the user's posterior must never change
    result = xr.Dataset(out).copy(deep=True)
    # drop MultiIndex-free coords that came from chain/draw stacking
    result = result.drop_vars([c for c in SAMPLE_DIMS if c in result.coords], errors="ignore")
    if result.sizes.get(SAMPLE_DIM, 0) == 0:
        raise DecideValueError(f"{name} group {group!r} has no draws.")
    return result


def thin(
    ds: xr.Dataset, max_draws: int | None, random_seed: int | np.random.Generator | None
) -> xr.Dataset:
    """Keep at most ``max_draws`` samples, drawn without replacement in sample order.

    Parameters
    ----------
    ds : xarray.Dataset
        Draws with a ``"sample"`` dim.
    max_draws : int or None
        Maximum number of samples kept; ``None`` keeps all.
    random_seed : int, numpy.random.Generator or None
        Seed for the choice of samples.
    """
    n = ds.sizes[SAMPLE_DIM]
    if max_draws is None or max_draws >= n:
        return ds
    if int(max_draws) < 1:
        raise DecideValueError(f"max_draws must be a positive integer or None; got {max_draws}.")
    rng = as_rng(random_seed)
    idx = np.sort(rng.choice(n, size=int(max_draws), replace=False))
    return ds.isel({SAMPLE_DIM: idx})


def data_group(obj: Any, group: str = "constant_data") -> xr.Dataset | None:
    """The ``group`` of an InferenceData / DataTree (e.g. the data a fit recorded), or None.

    ``pm.sample`` records the values of the model's ``pm.Data`` containers at fit time
    in ``constant_data``; None when ``obj`` is a Dataset or dict, or has no such group.
    """
    if isinstance(obj, xr.Dataset | dict) or obj is None:
        return None
    try:
        return _group(obj, group)
    except (DecideValueError, DecideTypeError):
        return None
