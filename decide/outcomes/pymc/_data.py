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

__all__ = [
    "history_warning",
    "model_with_data",
    "refitted_elsewhere",
    "resize_observed",
    "tied_observed",
    "training_range",
]


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
        in the model's coords, ``coords`` labels whose number differs from the new
        data's length along that dim, or new lengths that pymc cannot set (the
        message says which dim needs new ``coords``).
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
    dims_of = getattr(model, "named_vars_to_dims", {}) or {}
    for dim, labels in coords.items():
        try:
            n_labels = len(labels)
        except TypeError:
            raise DecideTypeError(
                f"coords[{dim!r}] must be a sequence of labels; got {type(labels).__name__}."
            ) from None
        for name, arr in values.items():
            for axis, d in enumerate(dims_of.get(name, ()) or ()):
                if d == dim and axis < arr.ndim and arr.shape[axis] != n_labels:
                    raise DecideValueError(
                        f"coords[{dim!r}] has {n_labels} labels but data[{name!r}] has "
                        f"{arr.shape[axis]} rows along {dim!r} (axis {axis} of shape "
                        f"{arr.shape}): give one label per row."
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


def refitted_elsewhere(model: Any, idata: Any, names: Sequence[str]) -> bool:
    """Whether the model's action data differ from the data the fit recorded.

    A planning-window model (pymc-marketing's ``create_optimization_model``, or a clone
    given the new period with ``pm.set_data``) holds another period than the fit's
    ``constant_data``: it is not the fitted history, whatever its length.
    """
    from decide._posterior import data_group

    fitted = data_group(idata, "constant_data")
    if fitted is None:
        return False
    for name in names:
        var = model.named_vars.get(name)
        if name not in fitted.data_vars or not hasattr(var, "get_value"):
            continue
        now, then = np.asarray(var.get_value()), np.asarray(fitted[name].values)
        if now.shape != then.shape or not np.array_equal(now, then):
            return True
    return False


def _observation_dims(model: Any, idata_observed: Any) -> tuple[set[str], set[int]]:
    """Dims and leading lengths of the observed variables (the model's and the fit's)."""
    dims_map = dict(getattr(model, "named_vars_to_dims", {}) or {})
    dims: set[str] = set()
    for rv in model.observed_RVs:
        dims.update(d for d in (dims_map.get(rv.name) or ()) if d is not None)
    if idata_observed is not None:
        for da in idata_observed.data_vars.values():
            dims.update(str(d) for d in da.dims)
    lengths = set()
    for rv in model.observed_RVs:
        obs = model.rvs_to_values.get(rv)
        data = getattr(obs, "data", None)
        if data is None and hasattr(obs, "get_value"):
            data = obs.get_value()
        if data is not None and np.ndim(data) and len(data) > 1:
            lengths.add(len(data))
    return dims, lengths


def _training_values(
    model: Any, fitted: Any, name: str
) -> tuple[np.ndarray, tuple[str | None, ...], dict[str, Any]] | None:
    """The action's values at fit time with their dims and labels, or None when unknown.

    ``fitted`` is the fit's ``constant_data`` group (``pm.sample`` records every
    ``pm.Data`` there): it holds the training data even when the model has been given
    another period since (a planning-window model). Else the model's own data.
    """
    from pytensor.compile.sharedvalue import SharedVariable

    if fitted is not None and name in fitted.data_vars:
        da = fitted[name]
        coords = {str(d): np.asarray(da.coords[d].values) for d in da.dims if d in da.coords}
        return np.asarray(da.values, dtype=np.float64), tuple(str(d) for d in da.dims), coords
    var = model.named_vars.get(name)
    if not isinstance(var, SharedVariable):
        return None
    value = np.asarray(var.get_value())
    if value.dtype.kind not in "iufb":
        return None
    dims = tuple((dict(getattr(model, "named_vars_to_dims", {}) or {}).get(name)) or ())
    if len(dims) != value.ndim:
        dims = (None,) * value.ndim
    coords = {d: np.asarray(model.coords[d]) for d in dims if d is not None and model.coords.get(d) is not None}
    return value.astype(np.float64), dims, coords


def training_range(model: Any, idata: Any, spec: Any) -> tuple[Any, np.ndarray | None]:
    """The observed range of each action variable and the history mask of the flat action.

    Per action variable, the training data (see :func:`_training_values`) is reduced
    (min and max) over its *observation axes*: the axes whose dim an observed variable
    carries (``date`` of an MMM's ``y``), unnamed axes as long as an observed variable,
    and axes whose length the new period's data changed; the other axes (``channel``)
    are kept and the range is broadcast over the action's observation axes. A variable
    with no observation axis, fewer than two observed values per element, or kept axes
    of another length than the action's has no range.

    History: along an observation axis labelled both in the training data and in the
    action, the action's periods whose labels are training labels, when the action
    also has new periods (the carry-in weeks of a planning window).

    Parameters
    ----------
    model : pymc.Model
        The user's model (as given to ``from_pymc``, before ``data=``).
    idata : object
        The posterior object given to ``from_pymc`` (its ``constant_data`` is read).
    spec : ActionSpec
        The outcome's action (after ``data=``).

    Returns
    -------
    tuple (ObservedRange or None, ndarray of bool of shape (spec.size,) or None)
    """
    import pandas as pd

    from decide._posterior import data_group
    from decide.outcomes._range import ObservedRange

    fitted = data_group(idata, "constant_data")
    model_dims = set(model.coords or {})
    obs_dims, obs_lengths = _observation_dims(model, data_group(idata, "observed_data"))
    lows, highs, index, sources = [], [], [], []
    history = np.zeros(spec.size, dtype=bool)
    labels = np.asarray(spec.labels, dtype=object)
    start = 0
    for name, shape, dims in zip(spec.names, spec.shapes, spec.dims):
        size = int(np.prod(shape))
        found = _training_values(model, fitted, name)
        begin, start = start, start + size
        if found is None:
            continue
        train, tdims, tcoords = found
        if train.ndim != len(shape) or not shape:
            continue
        axes = [
            i for i in range(train.ndim)
            if (tdims[i] is not None and tdims[i] in obs_dims)
            or ((tdims[i] is None or tdims[i] not in model_dims) and train.shape[i] in obs_lengths)
            or train.shape[i] != shape[i]
        ]
        kept = [i for i in range(train.ndim) if i not in axes]
        if not axes or any(train.shape[i] != shape[i] for i in kept):
            continue
        if int(np.prod([train.shape[i] for i in axes])) < 2:
            continue
        lo = np.broadcast_to(train.min(axis=tuple(axes), keepdims=True), shape).reshape(-1)
        hi = np.broadcast_to(train.max(axis=tuple(axes), keepdims=True), shape).reshape(-1)
        lows.append(lo)
        highs.append(hi)
        index.append(np.arange(begin, begin + size))
        over = ", ".join(str(tdims[i] or f"axis {i}") for i in axes)
        sources.append(f"{name}: min and max over {over} of the data the model was fitted on")
        mask = np.zeros(shape, dtype=bool)
        for i in axes:
            d = dims[i]
            new_labels = spec.coords.get(d)
            old_labels = tcoords.get(str(tdims[i])) if tdims[i] is not None else None
            if new_labels is None or old_labels is None:
                continue
            inside = np.asarray(pd.Index(list(new_labels)).isin(pd.Index(list(old_labels))))
            if inside.any() and not inside.all():
                sel: list[Any] = [slice(None)] * len(shape)
                sel[i] = np.flatnonzero(inside)
                mask[tuple(sel)] = True
        history[begin : begin + size] = mask.reshape(-1)
    rng = None
    if index:
        idx = np.concatenate(index)
        rng = ObservedRange(
            np.concatenate(lows), np.concatenate(highs), tuple(labels[idx]), index=idx,
            source="; ".join(sources),
        )
    return rng, (history if history.any() else None)
