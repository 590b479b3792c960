"""Argument checks shared by every public function.

Each check raises :class:`decide.errors.DecideValueError` (or ``DecideTypeError``)
with a message that names the argument, states the valid range and shows the
value received.
"""

from __future__ import annotations

import datetime as _dt
import math
from collections.abc import Sequence
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from decide._config import REPLICATE_DIM, SAMPLE_DIM, SAMPLE_DIMS
from decide.errors import DecideTypeError, DecideValueError

__all__ = [
    "as_draws",
    "as_indices",
    "as_rng",
    "as_weights",
    "check_alpha",
    "check_finite_scalar",
    "check_in_range",
    "stack_sample_dims",
]


def label_text(value: Any) -> str:
    """A coordinate label as text: a date at midnight as ``YYYY-MM-DD``, else ``str``.

    Dates read the same whether the coordinate holds ``numpy.datetime64`` (any unit),
    ``pandas.Timestamp`` or ``datetime``: ``2024-11-17``, or ``2024-11-17T06:30:00``
    with a time of day. Used for every label decide builds from coordinates (action
    cells, outcome elements).
    """
    if isinstance(value, np.datetime64 | pd.Timestamp | _dt.datetime):
        ts = pd.Timestamp(value)
        if ts is pd.NaT:
            return "NaT"
        return ts.strftime("%Y-%m-%d") if ts == ts.normalize() else ts.isoformat()
    return str(value)


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 80 else text[:77] + "..."


def check_finite_scalar(value: Any, name: str) -> float:
    """Return ``value`` as a finite float or raise naming ``name``."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise DecideTypeError(
            f"{name} must be a real number; got {_short(value)} of type {type(value).__name__}."
        ) from None
    if not math.isfinite(out):
        raise DecideValueError(f"{name} must be a finite number; got {out}.")
    return out


def check_in_range(
    value: Any,
    name: str,
    *,
    low: float = -math.inf,
    high: float = math.inf,
    low_inclusive: bool = True,
    high_inclusive: bool = True,
) -> float:
    """Return ``value`` as a float after checking it lies in the given interval.

    Raises
    ------
    DecideValueError
        If ``value`` is NaN, infinite (unless the interval allows it) or outside
        the interval; the message gives the interval in bracket notation.
    """
    try:
        out = float(value)
    except (TypeError, ValueError):
        raise DecideTypeError(
            f"{name} must be a real number; got {_short(value)} of type {type(value).__name__}."
        ) from None
    left = "[" if low_inclusive else "("
    right = "]" if high_inclusive else ")"
    interval = f"{left}{low:g}, {high:g}{right}"
    ok = not math.isnan(out)
    if ok:
        ok = (out >= low if low_inclusive else out > low) and (
            out <= high if high_inclusive else out < high
        )
    if not ok:
        raise DecideValueError(f"{name} must be in {interval}; got {out!r}.")
    return out


def _stacked_by_reshape(obj: xr.DataArray) -> xr.DataArray | None:
    """The stack of ``(chain, draw, ...)`` into ``"sample"`` by a reshape, as xarray stacks.

    The same DataArray as ``obj.stack(sample=("chain", "draw"), create_index=False)``
    (chain-major; ``chain`` and ``draw`` coordinates repeated along ``"sample"``) for a
    numpy-backed array whose only coordinates along chain or draw are ``chain`` and
    ``draw`` themselves; None otherwise (xarray's ``stack``, about 1 ms per call,
    handles the rest).
    """
    if not isinstance(obj.data, np.ndarray):
        return None
    n_chain, n_draw = obj.shape[:2]
    coords: dict[Any, Any] = {}
    for k, c in obj.coords.items():
        touched = set(c.dims) & set(SAMPLE_DIMS)
        if not touched:
            coords[k] = c
        elif k == "chain" and c.dims == ("chain",):
            coords[k] = (SAMPLE_DIM, np.repeat(c.values, n_draw), c.attrs)
        elif k == "draw" and c.dims == ("draw",):
            coords[k] = (SAMPLE_DIM, np.tile(c.values, n_chain), c.attrs)
        else:
            return None
    arr = obj.data.reshape(-1, *obj.shape[2:])
    return xr.DataArray(
        arr, dims=(SAMPLE_DIM, *obj.dims[2:]), coords=coords, name=obj.name, attrs=obj.attrs
    )


def stack_sample_dims(obj: xr.DataArray, name: str = "draws") -> xr.DataArray:
    """Put the posterior sample axis first as one dim named ``"sample"``.

    Accepts a DataArray with dims ``("chain", "draw", ...)`` (stacked into
    ``"sample"``, chain-major) or already carrying a ``"sample"`` dim.
    """
    dims = obj.dims
    if all(d in dims for d in SAMPLE_DIMS):
        rest = [d for d in dims if d not in SAMPLE_DIMS]
        obj = obj.transpose(*SAMPLE_DIMS, *rest)
        fast = _stacked_by_reshape(obj)
        if fast is not None:
            return fast
        stacked = obj.stack({SAMPLE_DIM: SAMPLE_DIMS}, create_index=False)
        return stacked.transpose(SAMPLE_DIM, *rest)
    if SAMPLE_DIM in dims:
        rest = [d for d in dims if d != SAMPLE_DIM]
        return obj.transpose(SAMPLE_DIM, *rest)
    raise DecideValueError(
        f"{name} must have the dims ('chain', 'draw') or 'sample' to mark the posterior "
        f"sample axis; got dims {dims}."
    )


def as_draws(draws: Any, name: str = "draws", *, min_samples: int = 1) -> np.ndarray:
    """Return outcome draws as a float64 array with the sample axis first.

    Parameters
    ----------
    draws : array_like of shape (n_samples,) or (n_samples, n_replicates), or xarray.DataArray
        Outcome draws, one row per posterior sample. A DataArray must have dims
        ``("chain", "draw")`` or ``"sample"`` (plus optionally ``"replicate"``).
    name : str
        Argument name used in error messages.
    min_samples : int
        Smallest accepted number of rows.

    Returns
    -------
    ndarray of shape (n_samples,) or (n_samples, n_replicates)

    Raises
    ------
    DecideValueError
        If the draws are empty, 0-d, more than 2-d, or contain NaN or inf.
    DecideTypeError
        If the draws are not numeric.
    """
    if isinstance(draws, xr.Dataset):
        raise DecideTypeError(
            f"{name} must be an array or an xarray.DataArray of outcome draws; got a Dataset "
            f"with variables {list(draws.data_vars)}. Select one variable."
        )
    if isinstance(draws, xr.DataArray):
        stacked = stack_sample_dims(draws, name)
        extra = [d for d in stacked.dims if d not in (SAMPLE_DIM, REPLICATE_DIM)]
        if extra:
            raise DecideValueError(
                f"{name} must hold one scalar outcome per draw (dims 'sample' and optionally "
                f"'replicate'); got extra dims {extra}. Reduce them first (e.g. .sum({extra!r}))."
            )
        draws = stacked.values
    try:
        arr = np.asarray(draws, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DecideTypeError(
            f"{name} must be a numeric array (ragged or non-numeric input cannot be used); "
            f"got {type(draws).__name__}: {exc}"
        ) from None
    if arr.ndim == 0:
        raise DecideValueError(
            f"{name} must have a sample axis: shape (n_samples,) or (n_samples, n_replicates); "
            f"got a 0-d value {arr.item()!r}."
        )
    if arr.ndim > 2:
        raise DecideValueError(
            f"{name} must have shape (n_samples,) or (n_samples, n_replicates); got shape "
            f"{arr.shape}. Reduce a vector outcome to one scalar per draw first."
        )
    if arr.size == 0:
        raise DecideValueError(f"{name} must not be empty; got shape {arr.shape}.")
    if arr.shape[0] < min_samples:
        raise DecideValueError(
            f"{name} must have at least {min_samples} samples; got {arr.shape[0]}."
        )
    if not np.all(np.isfinite(arr)):
        bad = np.argwhere(~np.isfinite(arr))[0]
        raise DecideValueError(
            f"{name} must be finite; got {arr[tuple(bad)]} at index {tuple(int(i) for i in bad)} "
            f"({int(np.sum(~np.isfinite(arr)))} non-finite values in total)."
        )
    return arr


def as_weights(weights: Any, n_samples: int, name: str = "weights") -> np.ndarray | None:
    """Return per-draw weights normalized to sum to one, or ``None`` for equal weights.

    Parameters
    ----------
    weights : array_like of shape (n_samples,) or None
        Non-negative weights, one per posterior sample (e.g. importance weights).
    n_samples : int
        Number of samples the weights must match.

    Returns
    -------
    ndarray of shape (n_samples,) or None

    Raises
    ------
    DecideValueError
        If the shape does not match, a weight is negative or not finite, or all are zero.
    """
    if weights is None:
        return None
    if isinstance(weights, xr.DataArray):
        weights = stack_sample_dims(weights, name).values
    w = np.asarray(weights, dtype=np.float64)
    if w.shape != (n_samples,):
        raise DecideValueError(
            f"{name} must have shape ({n_samples},), one weight per sample; got shape {w.shape}."
        )
    if not np.all(np.isfinite(w)):
        raise DecideValueError(f"{name} must be finite; got {int(np.sum(~np.isfinite(w)))} non-finite values.")
    if np.any(w < 0):
        i = int(np.argmin(w))
        raise DecideValueError(f"{name} must be non-negative; got {w[i]} at index {i}.")
    total = w.sum()
    if total <= 0:
        raise DecideValueError(f"{name} must have a positive sum; got sum {total}.")
    return w / total


def as_names(names: Sequence[str] | str, name: str) -> tuple[str, ...]:
    """Return a tuple of unique strings, raising on duplicates."""
    out = (names,) if isinstance(names, str) else tuple(str(n) for n in names)
    seen: set[str] = set()
    dup = [n for n in out if n in seen or seen.add(n)]  # type: ignore[func-returns-value]
    if dup:
        raise DecideValueError(f"{name} must be unique; got duplicates {sorted(set(dup))}.")
    return out


def check_alpha(alpha: Any, *, one_allowed: bool = False) -> float:
    """``alpha`` (a tail probability) as a float in (0, 1), or (0, 1] when ``one_allowed``."""
    return check_in_range(
        alpha, "alpha", low=0.0, high=1.0, low_inclusive=False, high_inclusive=one_allowed
    )


def as_indices(indices: Any, n_samples: int, name: str = "indices") -> np.ndarray:
    """Return sample indices as a non-empty int array in ``[0, n_samples)``.

    Accepts integer positions or a boolean mask of length ``n_samples``.
    """
    idx = np.asarray(indices)
    if idx.ndim != 1 or idx.size == 0:
        raise DecideValueError(
            f"{name} must be a non-empty 1-d sequence of sample positions or a boolean mask; "
            f"got shape {idx.shape}."
        )
    if idx.dtype == bool:
        if idx.shape != (n_samples,):
            raise DecideValueError(
                f"{name} as a boolean mask must have length n_samples={n_samples}; got "
                f"length {idx.size}."
            )
        idx = np.flatnonzero(idx)
        if idx.size == 0:
            raise DecideValueError(f"{name} selects no sample; keep at least one.")
        return idx
    if not np.issubdtype(idx.dtype, np.integer):
        raise DecideTypeError(
            f"{name} must hold integer sample positions or booleans; got dtype {idx.dtype}."
        )
    bad = idx[(idx < 0) | (idx >= n_samples)]
    if bad.size:
        raise DecideValueError(
            f"{name} must lie in [0, {n_samples - 1}] (n_samples={n_samples}); got "
            f"{bad[:5].tolist()}."
        )
    return idx.astype(np.intp)


def as_rng(random_seed: Any, name: str = "random_seed") -> np.random.Generator:
    """``random_seed`` as a :class:`numpy.random.Generator` (a Generator passes through).

    Parameters
    ----------
    random_seed : int, numpy.random.Generator or None
        A non-negative integer seeds a new generator; None draws fresh entropy.
    name : str
        Argument name for error messages.

    Raises
    ------
    DecideValueError
        For a negative integer.
    DecideTypeError
        For anything else (a float, a bool, a string, a legacy RandomState).
    """
    if isinstance(random_seed, np.random.Generator):
        return random_seed
    if random_seed is None or (
        isinstance(random_seed, int | np.integer) and not isinstance(random_seed, bool)
    ):
        if random_seed is not None and random_seed < 0:
            raise DecideValueError(
                f"{name} must be a non-negative integer, a numpy.random.Generator or None; "
                f"got {random_seed!r}."
            )
        return np.random.default_rng(random_seed)
    raise DecideTypeError(
        f"{name} must be a non-negative integer, a numpy.random.Generator or None; got "
        f"{random_seed!r} of type {type(random_seed).__name__}."
    )
