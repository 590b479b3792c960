"""Plumbing of the plain-function layer: reduced axes, weights and xarray dims.

Every public function in :mod:`decide.measures` is a thin call of
:func:`reduce_draws` around a private *kernel* ``kernel(x, w)`` that reduces
the last axis of ``x`` (shape ``(..., m)``) with probability weights ``w`` of
shape ``(m,)`` or ``None`` for equal weights. The objective classes call the
same kernels on their flat draws, so each formula is written once.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from decide._config import SAMPLE_DIM, SAMPLE_DIMS
from decide._validation import as_weights
from decide.errors import DecideTypeError, DecideValueError

if TYPE_CHECKING:
    import cvxpy as cp

__all__ = ["Axis", "Dims", "drop_zero_weights", "reduce_draws"]

Axis = int | Sequence[int] | None
Dims = str | Sequence[str] | None
Kernel = Callable[[np.ndarray, np.ndarray | None], Any]


def _normalize_axes(axis: Axis, ndim: int) -> tuple[int, ...]:
    if axis is None:
        return tuple(range(ndim))
    raw = (axis,) if isinstance(axis, int | np.integer) else tuple(axis)
    out: list[int] = []
    for a in raw:
        if not isinstance(a, int | np.integer) or not -ndim <= int(a) < ndim:
            raise DecideValueError(
                f"axis must hold integers in [{-ndim}, {ndim - 1}] for an array with {ndim} "
                f"dims; got {axis!r}."
            )
        out.append(int(a) % ndim)
    if len(set(out)) != len(out) or not out:
        raise DecideValueError(f"axis must name distinct axes; got {axis!r}.")
    return tuple(out)


def _flat_weights(weights: Any, reduced_shape: tuple[int, ...]) -> np.ndarray | None:
    """Weights over the reduced axes, flattened (C order) and normalized."""
    if weights is None:
        return None
    w = np.asarray(weights, dtype=np.float64)
    m = math.prod(reduced_shape)
    if w.shape == reduced_shape:
        w = w.reshape(-1)
    elif w.ndim == 1 and len(reduced_shape) > 1 and w.shape[0] == reduced_shape[0]:
        # one weight per posterior sample, shared by its replicates
        w = np.repeat(w, m // reduced_shape[0])
    else:
        raise DecideValueError(
            f"weights must have shape {reduced_shape} (one weight per draw along the reduced "
            f"axes) or ({reduced_shape[0]},) (one per sample); got shape {w.shape}."
        )
    return as_weights(w, m)


def flatten_draws(
    draws: Any, axis: Axis, weights: Any, name: str = "draws"
) -> tuple[np.ndarray, np.ndarray | None, tuple[int, ...]]:
    """Move the reduced axes last and flatten them.

    Returns
    -------
    x : ndarray of shape (*batch, m)
    w : ndarray of shape (m,) or None
        Normalized weights.
    batch : tuple of int
        Shape of the result.
    """
    try:
        arr = np.asarray(draws, dtype=np.float64)
    except (TypeError, ValueError) as exc:
        raise DecideTypeError(
            f"{name} must be a numeric array; got {type(draws).__name__}: {exc}"
        ) from None
    if arr.ndim == 0:
        raise DecideValueError(
            f"{name} must have a sample axis, e.g. shape (n_samples,); got a 0-d value {arr.item()!r}."
        )
    axes = _normalize_axes(axis, arr.ndim)
    reduced_shape = tuple(arr.shape[a] for a in axes)
    m = math.prod(reduced_shape)
    if m == 0:
        raise DecideValueError(
            f"{name} must not be empty along axis {axis!r}; got shape {arr.shape}."
        )
    n_red = len(axes)
    target = tuple(range(arr.ndim - n_red, arr.ndim))
    if axes != target:
        arr = np.moveaxis(arr, axes, target)
    batch = arr.shape[: arr.ndim - n_red]
    x = arr.reshape(*batch, m)
    # fast path: a finite sum means finite entries (an overflowing sum is re-checked)
    if not np.isfinite(x.sum()) and not np.isfinite(x).all():
        bad = ~np.isfinite(x)
        first = x[bad][0]
        raise DecideValueError(
            f"{name} must be finite; got {first} ({int(bad.sum())} non-finite values in total). "
            "Drop or impute the failed draws first."
        )
    return x, _flat_weights(weights, reduced_shape), batch


def _reduce_dims(obj: xr.DataArray, dims: Dims) -> tuple[str, ...]:
    if dims is None:
        if all(d in obj.dims for d in SAMPLE_DIMS):
            return SAMPLE_DIMS
        if SAMPLE_DIM in obj.dims:
            return (SAMPLE_DIM,)
        raise DecideValueError(
            f"draws must have the dims ('chain', 'draw') or 'sample' to mark the posterior "
            f"sample axis, or pass dims=...; got dims {obj.dims}."
        )
    out = (dims,) if isinstance(dims, str) else tuple(dims)
    missing = [d for d in out if d not in obj.dims]
    if missing or not out:
        raise DecideValueError(f"dims must be dims of draws {obj.dims}; got {dims!r}.")
    return out


def reduce_draws(
    kernel: Kernel, draws: Any, *, axis: Axis = 0, weights: Any = None, dims: Dims = None
) -> Any:
    """Apply ``kernel`` over ``axis`` (arrays) or ``dims`` (DataArrays).

    A DataArray is reduced over ``dims`` (default ``("chain", "draw")`` when both
    are present, else ``"sample"``; ``axis`` is then ignored) and the result keeps
    the other dims and their coordinates. Arrays give a float for a full
    reduction and an ndarray otherwise.
    """
    if isinstance(draws, xr.Dataset):
        raise DecideTypeError(
            f"draws must be an array or an xarray.DataArray; got a Dataset with variables "
            f"{list(draws.data_vars)}. Select one variable."
        )
    if isinstance(draws, xr.DataArray):
        rdims = _reduce_dims(draws, dims)
        axes = tuple(draws.get_axis_num(d) for d in rdims)
        if isinstance(weights, xr.DataArray):
            weights = weights.transpose(*[d for d in rdims if d in weights.dims]).values
        values = reduce_draws(kernel, draws.values, axis=axes, weights=weights)
        keep = [d for d in draws.dims if d not in rdims]
        coords = {k: c for k, c in draws.coords.items() if set(c.dims) <= set(keep)}
        return xr.DataArray(np.asarray(values), dims=keep, coords=coords, name=draws.name)
    x, w, batch = flatten_draws(draws, axis, weights)
    out = kernel(x, w)
    if batch == ():
        return float(out)
    return np.asarray(out, dtype=np.float64).reshape(batch)


def drop_zero_weights(
    x: np.ndarray, w: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None, np.ndarray | None]:
    """Remove draws of zero weight (they are not in the support of the law).

    Returns the kept draws, their weights and the kept index mask (None when all kept).
    """
    if w is None:
        return x, None, None
    keep = w > 0
    if keep.all():
        return x, w, None
    return x[..., keep], w[keep], keep


def positive_support(
    expr: cp.Expression, w: np.ndarray | None
) -> tuple[cp.Expression, np.ndarray | None]:
    """Keep the entries of positive weight (zero-weight draws are outside the law).

    The cvxpy counterpart of :func:`drop_zero_weights`, for the objectives' DCP forms.
    """
    if w is None or np.all(w > 0):
        return expr, w
    keep = np.flatnonzero(w > 0)
    return expr[keep], w[keep]


def snap(k: float) -> float:
    """Round ``k`` to the nearest integer when it is one up to float error."""
    r = round(k)
    return float(r) if abs(k - r) <= 1e-9 * max(1.0, abs(k)) else k


#: numpydoc entries shared by the plain functions (``{common}`` in their docstrings).
DOC_DRAWS = """    draws : array_like or xarray.DataArray
        Outcome draws (rewards), sample axis first, e.g. shape (n_samples,) or
        (n_samples, n_replicates). A DataArray is reduced over ``dims``."""
DOC_ALPHA = """    alpha : float
        Tail probability in (0, 1): the share of worst outcomes considered."""
DOC_REDUCE = """    axis : int or tuple of int or None, default 0
        Axes to reduce for arrays (``None``: all). Reduce ``(0, 1)`` to pool the
        replicates of (n_samples, n_replicates) draws.
    weights : array_like, optional
        Non-negative weights with the shape of the reduced axes (or one per sample
        along the first reduced axis); normalized to sum to one.
    dims : str or sequence of str, optional
        DataArray dims to reduce; default ``("chain", "draw")`` or ``"sample"``."""


def fill_doc(**sections: str) -> Any:
    """Decorator replacing each line ``    {key}`` of a docstring by ``sections[key]``."""

    def decorate(f: Any) -> Any:
        doc = f.__doc__ or ""
        for key, text in sections.items():
            doc = doc.replace("    {" + key + "}", text)
        f.__doc__ = doc
        return f

    return decorate
