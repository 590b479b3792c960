"""Which parameter draws an EVPPI learns: names, or names with a coordinate selection.

``params`` is a name, a sequence of names, or a dict ``name -> selection`` where
the selection is ``None`` (the whole variable) or a dict ``dim -> value`` (one
coordinate value, or a list of them). Values are coordinate labels where the dim
has coordinates (ArviZ / PyMC posteriors), else integer positions. Draw arrays
put the sample axis first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import xarray as xr

from decide._config import SAMPLE_DIM, SAMPLE_DIMS
from decide.errors import DecideTypeError, DecideValueError

__all__ = ["Selection", "design_matrix", "parse_params"]

_MAX_SHOWN = 20


@dataclass(frozen=True)
class Selection:
    """One parameter (``name``) and a selection of its non-sample dims (``None``: all)."""

    name: str
    sel: tuple[tuple[str, tuple[Any, ...], bool], ...] | None = None

    @property
    def label(self) -> str:
        if not self.sel:
            return self.name
        parts = [f"{dim}={'|'.join(str(v) for v in vals)}" for dim, vals, _ in self.sel]
        return f"{self.name}[{', '.join(parts)}]"


def _shown(values: Sequence[Any]) -> str:
    vals = [str(v) for v in values]
    more = f", ... ({len(vals)} in all)" if len(vals) > _MAX_SHOWN else ""
    return "[" + ", ".join(vals[:_MAX_SHOWN]) + more + "]"


def parse_params(params: Any) -> tuple[Selection, ...]:
    """Normalize ``params`` (str, sequence of str, or dict name -> selection)."""
    if isinstance(params, str):
        return (Selection(params),)
    if isinstance(params, Mapping):
        out = []
        for name, sel in params.items():
            if sel is None:
                out.append(Selection(str(name)))
                continue
            if not isinstance(sel, Mapping) or not sel:
                raise DecideTypeError(
                    f"params[{name!r}] must be None (the whole parameter) or a non-empty dict "
                    f"dim -> coordinate value(s), e.g. {{'channel': 'podcast'}}; got {sel!r}."
                )
            items = []
            for dim, val in sel.items():
                scalar = isinstance(val, str) or np.ndim(val) == 0
                vals = (val,) if scalar else tuple(np.asarray(val, dtype=object).ravel().tolist())
                if not vals:
                    raise DecideValueError(
                        f"params[{name!r}][{dim!r}] selects no coordinate; got {val!r}."
                    )
                items.append((str(dim), vals, scalar))
            out.append(Selection(str(name), tuple(items)))
        return tuple(out)
    if isinstance(params, Sequence) and all(isinstance(p, str) for p in params):
        return tuple(Selection(p) for p in params)
    raise DecideTypeError(
        "params must be a parameter name, a list of names, or a dict name -> None or "
        f"{{dim: coordinate value(s)}}; got {params!r}."
    )


def _positions(ds: xr.Dataset, s: Selection) -> dict[str, list[int]]:
    """Positional indexers of the selection, with errors naming the valid dims and coordinates."""
    da = ds[s.name]
    dims = [d for d in da.dims if d != SAMPLE_DIM]
    out: dict[str, list[int]] = {}
    for dim, vals, _ in s.sel or ():
        if dim in (SAMPLE_DIM, *SAMPLE_DIMS) or dim not in dims:
            raise DecideValueError(
                f"params[{s.name!r}] selects dim {dim!r}, which {s.name!r} does not have; "
                f"its dims are {dims} (the sample dims cannot be selected)."
            )
        size = da.sizes[dim]
        if dim in ds.indexes:
            index = ds.indexes[dim]
            coords = list(index)
            keys = {str(c): i for i, c in enumerate(coords)}
            pos = []
            for v in vals:
                hit = keys.get(str(v))
                if hit is None:  # a label of another type (a Timestamp for datetime coords)
                    try:
                        loc = index.get_loc(v)
                    except (KeyError, TypeError, ValueError):
                        loc = None
                    hit = int(loc) if isinstance(loc, int | np.integer) else None
                if hit is None:
                    raise DecideValueError(
                        f"params[{s.name!r}][{dim!r}] = {v!r} is not a coordinate of {dim!r}; "
                        f"valid values: {_shown(coords)}."
                    )
                pos.append(hit)
        else:
            pos = []
            for v in vals:
                ok = isinstance(v, int | np.integer) and not isinstance(v, bool) and 0 <= v < size
                if not ok:
                    raise DecideValueError(
                        f"params[{s.name!r}][{dim!r}] = {v!r}: {dim!r} has no coordinates, so "
                        f"select by integer position in [0, {size - 1}]."
                    )
                pos.append(int(v))
        out[dim] = pos
    return out


def design_matrix(
    ds: xr.Dataset, selections: Sequence[Selection], n_samples: int
) -> tuple[np.ndarray, tuple[tuple[str, int], ...]]:
    """Regressors of shape ``(n_samples, n_columns)`` and the identity of each column.

    A column's identity is ``(name, flat position in the parameter's element array)``,
    so two selections that pick the same element give the same identity (used to
    tell whether one parameter set is nested in another).
    """
    available = sorted(str(v) for v in ds.data_vars)
    unknown = [s.name for s in selections if s.name not in ds.data_vars]
    if unknown:
        raise DecideValueError(
            f"params {unknown} are not in the posterior; available parameters: {available}."
        )
    if ds.sizes[SAMPLE_DIM] != n_samples:
        raise DecideValueError(
            f"the parameter draws have {ds.sizes[SAMPLE_DIM]} samples but the outcome has "
            f"{n_samples}; pass the posterior the outcome was built from (same draws, same order)."
        )
    cols: list[np.ndarray] = []
    ids: list[tuple[str, int]] = []
    seen: set[tuple[str, int]] = set()
    for s in selections:
        da = ds[s.name].transpose(SAMPLE_DIM, ...)
        elem_dims = [d for d in da.dims if d != SAMPLE_DIM]
        shape = tuple(da.sizes[d] for d in elem_dims)
        flat = np.arange(int(np.prod(shape, dtype=int))).reshape(shape)
        pos = _positions(ds, s)
        index = tuple(pos.get(d, slice(None)) for d in elem_dims)
        keep = np.asarray(flat[np.ix_(*[
            np.asarray(i) if not isinstance(i, slice) else np.arange(n)
            for i, n in zip(index, shape, strict=True)
        ])] if shape else flat).ravel()
        values = np.asarray(da.values, dtype=np.float64).reshape(n_samples, -1)
        for k in keep.tolist():
            if (s.name, k) in seen:
                continue
            seen.add((s.name, k))
            ids.append((s.name, k))
            cols.append(values[:, k])
    X = np.column_stack(cols) if cols else np.empty((n_samples, 0))
    if not np.all(np.isfinite(X)):
        bad = ~np.isfinite(X)
        row, col = (int(i) for i in np.argwhere(bad)[0])
        raise DecideValueError(
            f"the draws of params {[s.label for s in selections]} must be finite; got "
            f"{X[row, col]} in sample {row} of {ids[col][0]!r} ({int(bad.sum())} non-finite "
            "values in total)."
        )
    return X, tuple(ids)
