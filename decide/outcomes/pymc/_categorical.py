"""Categorical actions of :func:`decide.outcomes.from_pymc`, decided as a choice among labels.

A treatment is given as one-hot or index ``pm.Data``.

A *one-hot* action has a last dim with one column per category and a single 1 per
row (``treat[i, k] = 1`` when row ``i`` gets category ``k``); an *index* action holds
the category's position (``treat_idx[i] = k``, used as ``effect[treat_idx]``).
Option ``k`` sets every row to category ``k`` (one treatment for all rows); other
assignments are ordinary actions (arrays of the same shape).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from decide.errors import DecideTypeError, DecideValueError

__all__ = ["Categorical", "resolve_categorical"]


@dataclass(frozen=True)
class Categorical:
    """One categorical action: its name, kind (``"one-hot"`` or ``"index"``) and labels."""

    name: str
    kind: str
    labels: tuple[str, ...]
    shape: tuple[int, ...]

    def action(self, label: str) -> np.ndarray:
        """The action that gives every row the category ``label``."""
        k = self.labels.index(label)
        if self.kind == "index":
            return np.full(self.shape, float(k))
        x = np.zeros(self.shape)
        x[..., k] = 1.0
        return x


def _is_one_hot(value: np.ndarray) -> bool:
    return (
        value.ndim >= 1
        and value.shape[-1] >= 2
        and value.size > 0
        and bool(np.all((value == 0) | (value == 1)))
        and bool(np.all(value.sum(axis=-1) == 1))
    )


def _current(model: Any, name: str) -> np.ndarray | None:
    get_value = getattr(model[name], "get_value", None)
    return None if get_value is None else np.asarray(get_value())


def _coords_of_last_dim(model: Any, name: str, shape: tuple[int, ...]) -> tuple[str, ...] | None:
    dims = tuple((getattr(model, "named_vars_to_dims", {}) or {}).get(name) or ())
    if len(dims) != len(shape) or not dims:
        return None
    coords = (model.coords or {}).get(dims[-1])
    if coords is None or len(coords) != shape[-1]:
        return None
    return tuple(str(c) for c in coords)


def _declared(categorical: Any, names: Sequence[str]) -> dict[str, Any] | None:
    """``categorical`` as a dict name -> labels (None: from the model), or None to detect."""
    if categorical is None:
        return None
    if categorical is False:
        return {}
    if isinstance(categorical, str):
        categorical = [categorical]
    if isinstance(categorical, Mapping):
        out = {str(k): (None if v is None else tuple(str(x) for x in v)) for k, v in categorical.items()}
    elif isinstance(categorical, list | tuple):
        out = {str(k): None for k in categorical}
    else:
        raise DecideTypeError(
            "categorical must be None (detect one-hot actions), False, an action name, a list of "
            "names or a dict name -> labels (e.g. {'treat': ['A', 'B', 'C']}); got "
            f"{type(categorical).__name__}."
        )
    unknown = [k for k in out if k not in names]
    if unknown:
        raise DecideValueError(
            f"categorical names {unknown} are not actions; actions: {list(names)}."
        )
    return out


def resolve_categorical(
    model: Any, names: Sequence[str], shapes: Sequence[tuple[int, ...]], categorical: Any
) -> Categorical | None:
    """The categorical action among ``names`` (declared or detected), or None.

    Detection: a ``pm.Data`` action whose value is one-hot along a last dim with
    coords (the labels). Declared: ``categorical`` names the action (labels from the
    last dim's coords) or maps it to its labels (needed for an index action).

    Raises
    ------
    DecideValueError
        A declared action that is neither one-hot nor an index over the labels, an index
        action without labels, or a categorical action next to other actions.
    """
    declared = _declared(categorical, names)
    if declared is None and len(names) > 1:
        return None  # detection only for a single action; declare it otherwise
    found: list[Categorical] = []
    for name, shape in zip(names, shapes):
        value = _current(model, name)
        coords = _coords_of_last_dim(model, name, shape)
        if declared is None:  # detect: one-hot data with labelled categories
            if value is not None and coords is not None and _is_one_hot(value):
                found.append(Categorical(name, "one-hot", coords, tuple(shape)))
            continue
        if name not in declared:
            continue
        labels = declared[name]
        if value is not None and _is_one_hot(value) and (labels is None or len(labels) == shape[-1]):
            labels = labels or coords
            if labels is None:
                raise DecideValueError(
                    f"categorical action {name!r} is one-hot over {shape[-1]} categories but its "
                    "last dim has no coords; give the labels: categorical={"
                    f"{name!r}: [...{shape[-1]} labels]}}."
                )
            found.append(Categorical(name, "one-hot", labels, tuple(shape)))
            continue
        is_index = (
            value is not None
            and value.size > 0
            and bool(np.all(value == np.round(value)))
            and value.min() >= 0
        )
        if not is_index or value is None:
            raise DecideValueError(
                f"categorical action {name!r} must be one-hot data (0/1 with one 1 along its last "
                "dim) or an index (non-negative integers) in pm.Data; got current value "
                f"{'unknown (not pm.Data)' if value is None else np.asarray(value).ravel()[:6]}."
            )
        if labels is None:
            raise DecideValueError(
                f"categorical action {name!r} is an index; name its categories in order: "
                f"categorical={{{name!r}: ['label of 0', 'label of 1', ...]}}."
            )
        if value.max() >= len(labels):
            raise DecideValueError(
                f"categorical action {name!r} holds index {int(value.max())} but only "
                f"{len(labels)} labels were given ({list(labels)})."
            )
        found.append(Categorical(name, "index", labels, tuple(shape)))
    if not found:
        return None
    if len(found) > 1 or len(names) > 1:
        raise DecideValueError(
            f"a categorical action ({found[0].name!r}) must be the only action of from_pymc; got "
            f"actions {list(names)}. Fix the others in the model (pm.set_data on a copy), or "
            "pass categorical=False to treat the one-hot data as numeric doses."
        )
    dup = sorted({x for x in found[0].labels if found[0].labels.count(x) > 1})
    if dup:
        raise DecideValueError(f"categorical labels must be unique; got duplicates {dup}.")
    return found[0]
