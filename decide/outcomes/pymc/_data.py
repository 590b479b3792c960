"""Decisions about the future: the new period's data set on a copy of the model.

``from_pymc(..., data={name: values}, coords={dim: labels})`` calls
:func:`model_with_data`, which clones the model (``pymc.model.fgraph.clone_model``:
new shared data containers, the user's model untouched) and runs ``pm.set_data`` on
the clone. A likelihood written without ``shape=`` tied to the data keeps the size of
the observed array it was fitted on; when its parameters carry the data's length
(:func:`tied_observed`, read on the user's model), :func:`resize_observed` rebuilds
it at the size its parameters have with the new data. :func:`history_warning` says when an action still holds
the data the model was fitted on, the silent way to decide the past instead of the
next period.

pymc and pytensor are imported inside the functions (``import decide`` stays light).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from collections.abc import Set as AbstractSet
from typing import Any

import numpy as np

from decide.errors import DecideTypeError, DecideValueError

__all__ = ["history_warning", "model_with_data", "resize_observed", "tied_observed"]


def _data_names(model: Any) -> list[str]:
    from pytensor.compile.sharedvalue import SharedVariable

    return sorted(
        name for name, var in model.named_vars.items() if isinstance(var, SharedVariable)
    )


def model_with_data(
    model: Any, data: Mapping[str, Any] | None, coords: Mapping[str, Any] | None
) -> Any:
    """A copy of ``model`` with ``data`` and ``coords`` set (``pm.set_data`` on a clone).

    Parameters
    ----------
    model : pymc.Model
        The user's model (never modified).
    data : mapping of str to array_like or None
        New values of the model's data containers (``pm.Data``), e.g. next week's
        price or the covariates of the new period. Each keeps its number of dims.
    coords : mapping of str to sequence or None
        New labels of dims whose length changes with the data.

    Returns
    -------
    pymc.Model
        The clone, with the new data.

    Raises
    ------
    DecideTypeError
        If ``data`` or ``coords`` is not a mapping.
    DecideValueError
        A name that is not a data container of the model, values with another
        number of dims than the model's data, a non-finite value, a dim that is not
        in the model's coords, or new lengths that pymc cannot set (the message
        says which dim needs new ``coords``).
    """
    import pymc as pm
    from pymc.model.fgraph import clone_model

    data = {} if data is None else data
    coords = {} if coords is None else coords
    if not isinstance(data, Mapping):
        raise DecideTypeError(
            f"data must be a dict of data-container name -> new values; got "
            f"{type(data).__name__}."
        )
    if not isinstance(coords, Mapping):
        raise DecideTypeError(
            f"coords must be a dict of dim -> labels; got {type(coords).__name__}."
        )
    names = _data_names(model)
    values: dict[str, np.ndarray] = {}
    for name, value in data.items():
        if name not in names:
            raise DecideValueError(
                f"data[{name!r}]: {name!r} is not a data container (pm.Data) of the model; "
                f"data containers: {names or 'none'}."
            )
        old = np.asarray(model[name].get_value())
        try:
            arr = np.asarray(value, dtype=old.dtype if old.dtype.kind in "iub" else np.float64)
        except (TypeError, ValueError):
            raise DecideTypeError(
                f"data[{name!r}] must be numeric array_like; got {type(value).__name__}."
            ) from None
        if arr.ndim != old.ndim:
            raise DecideValueError(
                f"data[{name!r}] must have {old.ndim} dims like the model's data (shape "
                f"{old.shape}); got shape {arr.shape}."
            )
        if arr.dtype.kind == "f" and not np.all(np.isfinite(arr)):
            raise DecideValueError(f"data[{name!r}] must be finite; found NaN or inf.")
        values[name] = arr
    _check_covariates(model, names, values)
    known = set(model.coords or {})
    for dim in coords:
        if dim not in known:
            raise DecideValueError(
                f"coords[{dim!r}]: the model has no dim {dim!r}; dims: {sorted(known) or 'none'}."
            )
    clone = clone_model(model)
    if values or coords:
        try:
            with clone:
                pm.set_data(values, coords={k: list(v) for k, v in coords.items()})
        except (ValueError, TypeError) as exc:  # pymc's ShapeError is a ValueError
            raise DecideValueError(
                f"data / coords could not be set on the model: {exc} When a data container "
                "with dims changes length, pass the new labels of that dim in coords=."
            ) from None
    return clone


def tied_observed(model: Any) -> set[str]:
    """Names of observed variables whose size is their parameters' batch shape.

    Such a likelihood was written without ``shape=`` (its size is that of the
    observed array) but its parameters carry the data's length: with new data it must
    follow the parameters' new shape. Read on the user's model at its fitted data.
    """
    import pytensor
    import pytensor.tensor as pt
    from pytensor.tensor.random.op import RandomVariable
    from pytensor.tensor.type_other import NoneTypeT

    found: list[tuple[str, Any, list[Any]]] = []
    for rv in model.observed_RVs:
        node = rv.owner
        if node is None or not isinstance(node.op, RandomVariable):
            continue
        op = node.op
        size = op.size_param(node)
        if size is None or isinstance(size.type, NoneTypeT):
            continue
        shapes = []
        for p, core in zip(op.dist_params(node), op.ndims_params):
            shp = pt.as_tensor(p).shape
            shapes.append(shp[: pt.as_tensor(p).ndim - core])
        found.append((str(rv.name), size, shapes))
    if not found:
        return set()
    flat = [x for _, size, shapes in found for x in (size, *shapes)]
    values = pytensor.function([], flat, on_unused_input="ignore", mode="FAST_COMPILE")()
    tied, k = set(), 0
    for name, _, shapes in found:
        size = tuple(int(v) for v in values[k])
        batch = [tuple(int(v) for v in values[k + 1 + i]) for i in range(len(shapes))]
        k += 1 + len(shapes)
        try:
            params_shape = np.broadcast_shapes(*batch) if batch else ()
        except ValueError:
            continue
        if len(size) and params_shape == size:
            tied.add(name)
    return tied


def _check_covariates(model: Any, names: list[str], values: Mapping[str, np.ndarray]) -> None:
    """A data container left at the fitted period's length beside one that changed length."""
    dims_map = dict(getattr(model, "named_vars_to_dims", {}) or {})
    for name, arr in values.items():
        old = np.asarray(model[name].get_value())
        if not old.ndim or arr.shape[0] == old.shape[0] or old.shape[0] < 2:
            continue
        first = (dims_map.get(name) or (None,))[0]
        for other in names:
            if other in values:
                continue
            val = np.asarray(model[other].get_value())
            if not val.ndim:
                continue
            other_first = (dims_map.get(other) or (None,))[0]
            same_dim = first is not None and other_first == first
            unlabelled = (first is None or other_first is None) and val.shape[0] == old.shape[0]
            if same_dim or unlabelled:
                raise DecideValueError(
                    f"data[{name!r}] has {arr.shape[0]} periods but the data container "
                    f"{other!r} still holds the {val.shape[0]} values of the fitted period: "
                    f"give data[{other!r}] for the new period too (its values in the new "
                    "periods: a covariate, or placeholder values for an observed target)."
                )


def resize_observed(
    out: Any, observed_rvs: Sequence[Any], free_rvs: Sequence[Any], names: AbstractSet[str]
) -> tuple[Any, list[Any], list[Any]]:
    """Rebuild the observed variables ``names`` with the size their parameters give.

    A likelihood written as ``pm.Poisson("y", lam, observed=y_obs)`` has the fixed
    size of ``y_obs``; when ``lam`` carries the data's length
    (:func:`tied_observed`), the variable is rebuilt with ``size=None`` so that it
    follows the new data, as if the model had been written with ``shape=`` tied to
    the data.

    Parameters
    ----------
    out : TensorVariable
        The outcome expression of the intervened model.
    observed_rvs, free_rvs : sequence of TensorVariable
        The model's observed and free random variables.
    names : set of str
        The observed variables to rebuild (from :func:`tied_observed`).

    Returns
    -------
    tuple (out, observed_rvs, free_rvs)
        The expressions with the rebuilt variables in place.
    """
    from pytensor.tensor.type_other import NoneConst

    from decide.outcomes.pymc._ops import rebuild

    repl: dict[Any, Any] = {}
    for rv in observed_rvs:
        if rv.name not in names:
            continue
        op, node = rv.owner.op, rv.owner
        new = op.make_node(op.rng_param(node), NoneConst, *op.dist_params(node)).outputs[1]
        new.name = rv.name
        repl[rv] = new
    if not repl:
        return out, list(observed_rvs), list(free_rvs)
    return (
        rebuild(out, repl),
        [rebuild(v, repl) for v in observed_rvs],
        [rebuild(v, repl) for v in free_rvs],
    )


def history_warning(model: Any, action: Sequence[str]) -> str | None:
    """A warning when an action still holds the data the model was fitted on, else None.

    The sign: an action variable of length ``n > 1`` along its first dim while an
    observed variable of the model has ``n`` values along its first dim too. That is
    the usual way of deciding the fitted history instead of the next period.
    """
    from pytensor.compile.sharedvalue import SharedVariable
    from pytensor.graph.basic import Constant

    observed_lengths = set()
    for rv in model.observed_RVs:
        shape = rv.type.shape
        if len(shape) and shape[0] is not None and shape[0] > 1:
            observed_lengths.add(int(shape[0]))
        else:
            obs = model.rvs_to_values.get(rv)
            if isinstance(obs, Constant):
                data = obs.data
            elif isinstance(obs, SharedVariable):
                data = obs.get_value()
            else:
                continue
            if np.ndim(data) and len(data) > 1:
                observed_lengths.add(len(data))
    for name in action:
        var = model[name]
        if not isinstance(var, SharedVariable):
            continue
        value = np.asarray(var.get_value())
        if value.ndim and value.shape[0] > 1 and value.shape[0] in observed_lengths:
            return (
                f"the action {name!r} has {value.shape[0]} values, as many as the observed "
                "data the model was fitted on: decide would choose the fitted history. To "
                f"decide a new period, pass the new period's data, e.g. data={{{name!r}: "
                "new_values} (and coords= for a dim that changes length); if the history is "
                "really what you decide, pass data={} to say so."
            )
    return None
