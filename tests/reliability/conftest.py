"""Shared helpers of the reliability tests: deep fingerprints and small real PyMC models.

``deep_fingerprint(obj)`` hashes everything a public call could change in place:

* numpy arrays (dtype, shape, bytes), pandas objects (values, index, columns, attrs),
  xarray objects (values, dims, coords, attrs, name), ``xarray.DataTree`` (every
  node), ``arviz.InferenceData`` (every group), dicts, lists and tuples;
* a ``pymc.Model``: every named variable (identity, type, graph printout), the
  free / observed / deterministic lists, ``rvs_to_values`` (value variables and
  observed data), ``rvs_to_transforms``, dims and coords, ``dim_lengths``, and
  every shared variable in the graph through ``get_value`` (``pm.Data`` values and
  the RNG states of the random variables).
"""

from __future__ import annotations

import hashlib
import io
import re
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr

sys.path.insert(0, str(Path(__file__).parent))  # fuzz_cases, shared with benchmarks/fuzz.py


def _update_array(h: Any, arr: np.ndarray) -> None:
    flags = arr.flags.writeable if isinstance(arr, np.ndarray) else None
    arr = np.asarray(arr)
    h.update(f"{arr.dtype}|{arr.shape}|{flags}|".encode())
    if arr.dtype == object:
        h.update(repr(arr.tolist()).encode())
    else:
        h.update(np.ascontiguousarray(arr).tobytes())


def _shared_value(var: Any) -> Any:
    value = var.get_value(borrow=False)
    if isinstance(value, np.random.Generator):
        return repr(value.bit_generator.state)
    if isinstance(value, np.random.RandomState):
        return repr(value.get_state(legacy=False))
    return np.asarray(value)


def _model_parts(model: Any) -> list[Any]:
    import pytensor
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.basic import Constant

    try:
        from pytensor.graph.traversal import ancestors
    except ImportError:  # pytensor < 2.32
        from pytensor.graph.basic import ancestors

    parts: list[Any] = [
        sorted(model.named_vars),
        [v.name for v in model.free_RVs],
        [v.name for v in model.observed_RVs],
        [v.name for v in model.deterministics],
        [v.name for v in model.potentials],
        {k: tuple(v) for k, v in model.named_vars_to_dims.items()},
        {k: (None if v is None else list(np.asarray(v).tolist())) for k, v in model.coords.items()},
    ]
    for name, var in sorted(model.named_vars.items()):
        buf = io.StringIO()
        pytensor.dprint(var, file=buf, print_type=True)
        # dprint shows a shared generator as "RNG(<Generator(PCG64) at 0x...>)": the address
        # is the allocator's, not the model's (the generator's state is hashed below)
        graph = re.sub(r" at 0x[0-9a-fA-F]+", "", buf.getvalue())
        parts.append((name, id(var), type(var).__name__, str(var.type), graph))
    for rv, value in model.rvs_to_values.items():
        entry: list[Any] = [rv.name, id(value), getattr(value, "name", None)]
        if isinstance(value, Constant):
            entry.append(np.asarray(value.data))
        elif isinstance(value, SharedVariable):
            entry.append(_shared_value(value))
        parts.append(entry)
    parts.append(
        sorted((rv.name, type(t).__name__) for rv, t in model.rvs_to_transforms.items())
    )
    for dim, length in model.dim_lengths.items():
        if isinstance(length, SharedVariable):
            parts.append((dim, _shared_value(length)))
        elif isinstance(length, Constant):
            parts.append((dim, np.asarray(length.data)))
    outputs = list(model.named_vars.values()) + list(model.rvs_to_values.values())
    shared = {
        id(v): v for v in ancestors(outputs) if isinstance(v, SharedVariable)
    }
    for key in sorted(shared, key=lambda k: (str(shared[k].name), k)):
        parts.append(("shared", shared[key].name, key, _shared_value(shared[key])))
    return parts


def _walk(h: Any, obj: Any) -> None:
    import pymc as pm

    if isinstance(obj, pm.Model):
        h.update(b"<model>")
        _walk(h, _model_parts(obj))
    elif isinstance(obj, np.ndarray | np.generic):
        _update_array(h, obj)
    elif isinstance(obj, xr.DataArray):
        h.update(f"<da {obj.name!r} {obj.dims}>".encode())
        _update_array(h, obj.values)
        for name in sorted(map(str, obj.coords)):
            h.update(f"<coord {name} {obj.coords[name].dims}>".encode())
            _update_array(h, obj.coords[name].values)
        _walk(h, dict(obj.attrs))
    elif isinstance(obj, xr.Dataset):
        h.update(b"<ds>")
        for name in sorted(map(str, obj.variables)):
            var = obj.variables[name]
            h.update(f"<var {name} {var.dims}>".encode())
            _update_array(h, var.values)
            _walk(h, dict(var.attrs))
        _walk(h, dict(obj.attrs))
    elif hasattr(xr, "DataTree") and isinstance(obj, xr.DataTree):
        for node in obj.subtree:
            h.update(f"<node {node.path}>".encode())
            _walk(h, node.to_dataset(inherit=False))
    elif callable(getattr(obj, "groups", None)) and hasattr(obj, "_groups"):  # InferenceData
        for group in obj.groups():
            h.update(f"<group {group}>".encode())
            _walk(h, getattr(obj, group))
        _walk(h, dict(getattr(obj, "attrs", {}) or {}))
    elif isinstance(obj, pd.DataFrame | pd.Series):
        h.update(f"<pd {type(obj).__name__}>".encode())
        _walk(h, obj.to_numpy())
        _walk(h, list(map(repr, obj.index)))
        if isinstance(obj, pd.DataFrame):
            _walk(h, list(map(repr, obj.columns)))
        _walk(h, dict(obj.attrs))
    elif isinstance(obj, dict):
        h.update(b"<dict>")
        for k in sorted(obj, key=repr):
            h.update(repr(k).encode())
            _walk(h, obj[k])
    elif isinstance(obj, list | tuple):
        h.update(f"<{type(obj).__name__} {len(obj)}>".encode())
        for item in obj:
            _walk(h, item)
    else:
        h.update(repr(obj).encode())


def deep_fingerprint(*objs: Any) -> str:
    """A sha256 of everything a call could mutate in ``objs`` (see the module notes)."""
    h = hashlib.sha256()
    for obj in objs:
        _walk(h, obj)
    return h.hexdigest()


def as_posterior(draws: dict[str, np.ndarray], n_chains: int = 2) -> Any:
    """Known draws as the installed ArviZ's posterior: InferenceData (0.x) or DataTree (1.x)."""
    import arviz as az

    data = {}
    for k, v in draws.items():
        arr = v.reshape(n_chains, v.shape[0] // n_chains, *v.shape[1:])
        data[k] = (("chain", "draw", *(f"{k}_dim_{i}" for i in range(v.ndim - 1))), arr)
    ds = xr.Dataset(data, attrs={"created_by": "reliability tests"})
    ds["beta"].attrs["note"] = "known draws"
    if int(az.__version__.split(".")[0]) < 1:
        return az.InferenceData(posterior=ds, observed_data=xr.Dataset({"y": ("obs", np.ones(3))}))
    return xr.DataTree.from_dict(
        {"posterior": ds, "observed_data": xr.Dataset({"y": ("obs", np.ones(3))})}
    )


def spend_model(n_obs: int = 4) -> Any:
    """``sales ~ Normal(sum_c beta_c log(1 + spend_c), sigma)`` with ``spend`` a pm.Data action."""
    import pymc as pm

    coords = {"channel": ["tv", "web"], "obs": np.arange(n_obs)}
    with pm.Model(coords=coords) as model:
        spend = pm.Data("spend", np.ones(2), dims="channel")
        beta = pm.HalfNormal("beta", 1.0, dims="channel")
        sigma = pm.HalfNormal("sigma", 0.5)
        mu = pm.Deterministic("mu", (beta * pm.math.log(1.0 + spend)).sum())
        pm.Normal("sales", mu, sigma, observed=np.linspace(0.5, 1.5, n_obs), dims="obs")
        pm.Deterministic("profit", mu - 0.2 * spend.sum())
    return model


def spend_draws(n: int = 40, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "beta": np.abs(rng.normal([1.0, 0.6], [0.2, 0.1], size=(n, 2))),
        "sigma": np.abs(rng.normal(0.3, 0.05, size=n)),
    }


@pytest.fixture
def fingerprint() -> Any:
    return deep_fingerprint
