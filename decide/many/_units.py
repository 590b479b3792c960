"""How :func:`optimize_many` finds the units of a batch and the outcome model of each."""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import xarray as xr

from decide._config import REPLICATE_DIM, SAMPLE_DIM, SAMPLE_DIMS
from decide._validation import stack_sample_dims
from decide.errors import DecideTypeError, DecideValueError
from decide.many._newsvendor import NewsvendorOutcome
from decide.many._unit_outcome import UnitOutcome
from decide.optimization import Box, Space, as_space
from decide.outcomes import DrawsOutcome, OutcomeModel, from_draws

__all__ = ["Batch", "make_batch", "unit_outcomes"]

_SAMPLE_LIKE = (*SAMPLE_DIMS, SAMPLE_DIM, REPLICATE_DIM)


@dataclass
class Batch:
    """The units of a batch and where each unit's outcome model comes from.

    ``kind`` is ``"mapping"`` (a dict unit -> outcome model or draws table),
    ``"table"`` (draws of shape (n_units, n_options, n_samples[, n_replicates])) or
    ``"parent"`` (one outcome model with the unit dim in its outcome).
    """

    over: str
    labels: list[Hashable]
    kind: str
    mapping: dict[Hashable, Any] = field(default_factory=dict)
    table: np.ndarray | None = None
    options: tuple[Hashable, ...] = ()
    parent: OutcomeModel | None = None

    @property
    def n_units(self) -> int:
        return len(self.labels)

    def outcome(self, i: int) -> OutcomeModel:
        """The outcome model of the unit at position ``i`` (raises if it cannot be built)."""
        if self.kind == "mapping":
            value = self.mapping[self.labels[i]]
            return value if isinstance(value, OutcomeModel) else from_draws(value)
        if self.kind == "table":
            assert self.table is not None
            return DrawsOutcome(self.table[i], self.options)
        assert self.parent is not None
        if isinstance(self.parent, NewsvendorOutcome):
            return self.parent.unit(i)
        return UnitOutcome(self.parent, self.over, i, self.n_units)


def _table_from_xarray(obj: xr.DataArray | xr.Dataset, over: str, option_dim: str | None) -> Batch:
    if isinstance(obj, xr.Dataset):
        obj = obj.to_dataarray(dim=option_dim or "option")
    if over not in obj.dims:
        raise DecideValueError(
            f"over={over!r} must be a dim of the draws; their dims are {tuple(obj.dims)}."
        )
    candidates = [d for d in obj.dims if d != over and d not in _SAMPLE_LIKE]
    if option_dim is None:
        if len(candidates) != 1:
            raise DecideValueError(
                f"the draws must have exactly one option dim besides over={over!r}, the sample "
                f"dims and 'replicate'; got {candidates}. Pass option_dim=... to name it."
            )
        option_dim = str(candidates[0])
    elif option_dim not in obj.dims:
        raise DecideValueError(
            f"option_dim={option_dim!r} is not a dim of the draws {tuple(obj.dims)}."
        )
    extra = [d for d in candidates if d != option_dim]
    if extra:
        raise DecideValueError(
            f"the draws have extra dims {extra}; reduce them first (e.g. .sum({extra!r}))."
        )
    stacked = stack_sample_dims(obj, "outcome")
    order = [over, option_dim, SAMPLE_DIM] + ([REPLICATE_DIM] if REPLICATE_DIM in obj.dims else [])
    stacked = stacked.transpose(*order)
    units = stacked[over].values.tolist() if over in stacked.coords else list(range(stacked.sizes[over]))
    options = (
        tuple(stacked[option_dim].values.tolist())
        if option_dim in stacked.coords
        else tuple(range(stacked.sizes[option_dim]))
    )
    table = np.array(stacked.values, dtype=np.float64)
    table.setflags(write=False)
    return Batch(over=over, labels=units, kind="table", table=table, options=options)


def _parent_units(parent: OutcomeModel, over: str, units: Sequence[Any] | None) -> list[Hashable]:
    coords = dict(parent.outcome_coords)
    spec = parent.action_space
    n: int | None = None
    if over in coords:
        n = len(coords[over])
    for sh, ds in zip(spec.shapes, spec.dims):
        if over in ds:
            n = sh[ds.index(over)]
    if units is not None:
        labels = list(units)
        if n is not None and len(labels) != n:
            raise DecideValueError(
                f"units must give one label per unit along {over!r} ({n}); got {len(labels)}."
            )
        return labels
    if over in coords:
        return list(np.asarray(coords[over]).tolist())
    if over in spec.coords:
        return list(np.asarray(spec.coords[over]).tolist())
    if n is None:
        raise DecideValueError(
            f"cannot tell how many units lie along {over!r}: the outcome has no coordinates for "
            "it and no action variable has that dim. Pass units=[...] (one label per unit)."
        )
    return list(range(n))


def make_batch(
    outcome: Any, over: str, *, option_dim: str | None = None, units: Sequence[Any] | None = None
) -> Batch:
    """Resolve ``outcome`` (mapping, xarray draws or an outcome model) into a :class:`Batch`."""
    if not isinstance(over, str) or not over:
        raise DecideTypeError(f"over must be a dim name (a non-empty str); got {over!r}.")
    if isinstance(outcome, xr.DataArray | xr.Dataset):
        return _table_from_xarray(outcome, over, option_dim)
    if isinstance(outcome, Mapping):
        if not outcome:
            raise DecideValueError("outcome must hold at least one unit; got an empty mapping.")
        return Batch(over=over, labels=list(outcome), kind="mapping", mapping=dict(outcome))
    if isinstance(outcome, OutcomeModel):
        if over not in tuple(outcome.outcome_dims):
            raise DecideValueError(
                f"over={over!r} must be a dim of the outcome; {type(outcome).__name__} has "
                f"outcome_dims {tuple(outcome.outcome_dims)}. Give an outcome whose unreduced "
                "sample has the unit dim (from_pymc of a per-unit variable, from_function with "
                "outcome_dims=...), a dict unit -> outcome model, or an xarray of draws."
            )
        return Batch(over=over, labels=_parent_units(outcome, over, units), kind="parent", parent=outcome)
    raise DecideTypeError(
        "outcome must be an OutcomeModel with the unit dim in its outcome_dims, a dict unit -> "
        "OutcomeModel (or draws table), or an xarray DataArray/Dataset of draws with dims "
        f"(unit, option, sample); got {type(outcome).__name__}."
    )


def unit_spaces(space: Any, batch: Batch) -> list[Space | None]:
    """One space per unit: ``None`` (the outcome's options), one space for all, or a mapping."""
    if isinstance(space, Mapping) and space and all(isinstance(v, Space) for v in space.values()):
        missing = [lab for lab in batch.labels if lab not in space]
        unknown = [k for k in space if k not in set(batch.labels)]
        if missing or unknown:
            raise DecideValueError(
                f"a mapping of spaces needs exactly one space per unit; missing {missing[:5]}, "
                f"unknown {unknown[:5]}."
            )
        return [space[lab] for lab in batch.labels]
    resolved = None if space is None else as_space(space)
    if isinstance(resolved, Box):
        per_unit = _per_unit_boxes(resolved, batch)
        if per_unit is not None:
            return per_unit
    return [resolved] * batch.n_units


def _per_unit_boxes(box: Box, batch: Batch) -> list[Space | None] | None:
    """One Box per unit when a shared Box's bound has one entry per unit, else None.

    A bound of shape ``(n_units, *unit_shape)`` (``(n_units,)`` for a scalar unit
    action) gives unit ``i`` the bound ``[i]``; a bound that fits neither the unit's
    action nor the units is an error here, once, rather than in every unit.
    """
    bounds = {"lower": box.lower, "upper": box.upper}
    if all(b is None or np.ndim(b) == 0 or isinstance(b, Mapping | xr.DataArray | xr.Dataset)
           for b in bounds.values()):
        return None
    try:
        spec = batch.outcome(0).action_space
    except Exception:
        return None  # the loop records why the unit's model cannot be built
    n, size = batch.n_units, spec.size
    split: dict[str, Any] = {}
    for name, b in bounds.items():
        if b is None or np.ndim(b) == 0 or isinstance(b, Mapping | xr.DataArray | xr.Dataset):
            split[name] = None
            continue
        arr = np.asarray(b, dtype=float)
        fits_unit = arr.size == size and (arr.ndim == 1 or arr.shape == spec.shapes[0])
        if fits_unit:
            split[name] = None
        elif arr.shape[0] == n and arr[0].size == size:
            split[name] = arr.reshape(n, size)
        else:
            raise DecideValueError(
                f"Box {name} has shape {arr.shape}; for optimize_many give a scalar, the unit's "
                f"action shape ({size},), or one bound per unit: shape ({n},"
                f"{'' if size == 1 else f' {size}'}) for the {n} units along {batch.over!r}."
            )
    if all(v is None for v in split.values()):
        return None
    return [
        Box(
            box.lower if split["lower"] is None else split["lower"][i],
            box.upper if split["upper"] is None else split["upper"][i],
        )
        for i in range(n)
    ]


def unit_outcomes(
    outcome: Any, over: str, *, option_dim: str | None = None, units: Sequence[Any] | None = None
) -> dict[Hashable, OutcomeModel]:
    """The outcome model of every unit, as :func:`optimize_many` sees them.

    Parameters
    ----------
    outcome : OutcomeModel, dict or xarray.DataArray / Dataset
        See :func:`decide.many.optimize_many`.
    over : str
        The unit dim.
    option_dim : str, optional
        The option dim of an xarray of draws (default: the only other dim).
    units : sequence, optional
        Unit labels for an outcome model without coordinates along ``over``.

    Returns
    -------
    dict of unit label to OutcomeModel

    Raises
    ------
    DecideValueError
        If the units cannot be found, or a unit's model cannot be built (e.g. its
        draws are not finite).

    Examples
    --------
    >>> import numpy as np, xarray as xr
    >>> from decide.many import unit_outcomes
    >>> draws = xr.DataArray(np.random.default_rng(0).normal(size=(2, 3, 100)),
    ...                      dims=("store", "option", "sample"),
    ...                      coords={"store": ["a", "b"], "option": ["x", "y", "z"]})
    >>> models = unit_outcomes(draws, "store")
    >>> list(models), models["b"].options
    (['a', 'b'], ('x', 'y', 'z'))
    """
    batch = make_batch(outcome, over, option_dim=option_dim, units=units)
    return {lab: batch.outcome(i) for i, lab in enumerate(batch.labels)}
