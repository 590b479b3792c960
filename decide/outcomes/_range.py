r"""Where the data the model was fitted on puts the action: the observed range.

A posterior says little about actions far from the data it was fitted on: a
saturation curve fitted on weekly spend between 4,000 and 20,000 extrapolates below
4,000. :class:`ObservedRange` states, per element of the action, the smallest and
largest value the training data held, so that a decision can be placed against it
(``Decision.extrapolation``) and kept inside it (``optimize(..., within_observed=)``).

The range is stated on *cells* :math:`c(x) = c_0 + C x` of the flat action
:math:`x`: the elements themselves for an ordinary outcome (``index``), the model's
own action cells for a decision mapped onto them (:class:`~decide.outcomes.MappedOutcome`,
``matrix`` and ``offset``).
"""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from decide.errors import DecideTypeError, DecideValueError
from decide.outcomes._base import OutcomeModel

__all__ = ["ObservedRange", "with_observed_range"]


@dataclass(frozen=True)
class ObservedRange:
    r"""The range of the training data over cells ``c(x) = offset + matrix @ x`` of the action.

    Attributes
    ----------
    lower, upper : ndarray of shape (n_cells,)
        Smallest and largest value each cell took in the data the model was fitted on.
    labels : tuple of str
        One label per cell (the model's action labels, e.g. ``"spend[2025-01-05, tv]"``).
    index : ndarray of int of shape (n_cells,) or None
        For a range on the action's own elements: cell ``k`` is ``x[index[k]]``.
    matrix : ndarray of shape (n_cells, size) or None
        For a mapped decision: ``c(x) = offset + matrix @ x`` (``index`` is then None).
    offset : ndarray of shape (n_cells,) or None
        See ``matrix``.
    source : str
        Where the range comes from, in words (for reports).
    """

    lower: np.ndarray
    upper: np.ndarray
    labels: tuple[str, ...]
    index: np.ndarray | None = None
    matrix: np.ndarray | None = None
    offset: np.ndarray | None = None
    source: str = ""

    def __post_init__(self) -> None:
        lo = np.asarray(self.lower, dtype=np.float64).reshape(-1)
        hi = np.asarray(self.upper, dtype=np.float64).reshape(-1)
        if lo.shape != hi.shape or len(self.labels) != lo.size:
            raise DecideValueError(
                f"an observed range needs as many lower, upper and labels; got {lo.size}, "
                f"{hi.size} and {len(self.labels)}."
            )
        if (self.index is None) == (self.matrix is None):
            raise DecideValueError("an observed range needs exactly one of index or matrix.")
        if np.any(~np.isfinite(lo)) or np.any(~np.isfinite(hi)) or np.any(lo > hi):
            raise DecideValueError("an observed range needs finite lower <= upper for every cell.")
        object.__setattr__(self, "lower", lo)
        object.__setattr__(self, "upper", hi)
        object.__setattr__(self, "labels", tuple(str(v) for v in self.labels))
        if self.index is not None:
            object.__setattr__(self, "index", np.asarray(self.index, dtype=int).reshape(-1))
        else:
            m = np.asarray(self.matrix, dtype=np.float64)
            off = np.zeros(m.shape[0]) if self.offset is None else np.asarray(self.offset, float)
            object.__setattr__(self, "matrix", m)
            object.__setattr__(self, "offset", off.reshape(-1))

    @property
    def size(self) -> int:
        """Number of cells with a known range."""
        return int(self.lower.size)

    def cells(self, x: np.ndarray) -> np.ndarray:
        """The cells' values at the flat action ``x``: shape (n_cells,)."""
        x = np.asarray(x, dtype=np.float64).reshape(-1)
        if self.index is not None:
            return x[self.index]
        assert self.matrix is not None and self.offset is not None
        return self.offset + self.matrix @ x

    def widened(self, factor: float) -> tuple[np.ndarray, np.ndarray]:
        r"""The range scaled by ``factor`` about its midpoint.

        :math:`[l - \tfrac{k-1}{2}(u - l),\ u + \tfrac{k-1}{2}(u - l)]`: ``factor=1`` is
        the observed range, ``factor=2`` doubles its width.
        """
        pad = 0.5 * (float(factor) - 1.0) * (self.upper - self.lower)
        return self.lower - pad, self.upper + pad

    def table(self, x: np.ndarray, rtol: float) -> pd.DataFrame:
        """The report at the flat action ``x``: one row per cell.

        Columns ``value``, ``observed_min``, ``observed_max``, ``outside`` (beyond the
        range by more than ``rtol`` times its width, or ``rtol`` times the value's
        scale when the width is 0) and ``distance`` (how far outside, 0 inside).
        """
        v = self.cells(x)
        below, above = self.lower - v, v - self.upper
        dist = np.maximum(np.maximum(below, above), 0.0)
        scale = np.maximum(self.upper - self.lower, np.maximum(np.abs(self.lower), np.abs(self.upper)))
        tol = rtol * np.maximum(scale, 1.0)
        return pd.DataFrame(
            {
                "value": v,
                "observed_min": self.lower,
                "observed_max": self.upper,
                "outside": dist > tol,
                "distance": np.where(dist > tol, dist, 0.0),
            },
            index=pd.Index(list(self.labels), name="cell"),
        )

    def composed(self, matrix: np.ndarray, offset: np.ndarray) -> ObservedRange | None:
        """The same range for a decision ``z`` with ``x = offset + matrix @ z``.

        Only the cells the decision moves are kept (the others are fixed, e.g. history);
        None when it moves none.
        """
        if self.index is not None:
            A, c = matrix[self.index], offset[self.index]
        else:
            assert self.matrix is not None and self.offset is not None
            A, c = self.matrix @ matrix, self.offset + self.matrix @ offset
        keep = np.any(A != 0.0, axis=1)
        if not keep.any():
            return None
        return ObservedRange(
            self.lower[keep], self.upper[keep], tuple(np.asarray(self.labels, dtype=object)[keep]),
            matrix=A[keep], offset=c[keep], source=self.source,
        )


def with_observed_range(outcome: OutcomeModel, lower: Any, upper: Any, *, source: str = "") -> OutcomeModel:
    """The same outcome declaring the range of its action in the data it was fitted on.

    For outcomes that do not know their training data (``linear``, ``from_function``,
    ``from_draws`` over a continuous action); ``from_pymc`` reads it from the model
    (see ``docs/optimize.md``, "The extrapolation guard").

    Parameters
    ----------
    outcome : OutcomeModel
        The outcome (not changed: a shallow copy is returned).
    lower, upper : float, array_like of shape (size,) or the action's shape, or dict by action name
        Smallest and largest observed value per element; NaN (or a missing name in a
        dict) where the range is unknown.
    source : str
        Where the range comes from, for reports.

    Returns
    -------
    OutcomeModel
        A copy whose :meth:`~decide.outcomes.OutcomeModel.observed_range` gives the range.

    Raises
    ------
    DecideValueError
        A shape that does not fit the action, ``lower > upper``, or an infinite bound.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.outcomes import linear, with_observed_range
    >>> om = with_observed_range(linear(np.ones((3, 2))), lower=[0.0, 1.0], upper=[2.0, 4.0])
    >>> om.observed_range().table(np.array([1.0, 5.0]), 1e-6)["distance"].tolist()
    [0.0, 1.0]
    """
    if not isinstance(outcome, OutcomeModel):
        raise DecideTypeError(f"outcome must be an OutcomeModel; got {type(outcome).__name__}.")
    spec = outcome.action_space
    lo, hi = (_as_flat(v, outcome, name) for v, name in ((lower, "lower"), (upper, "upper")))
    known = ~(np.isnan(lo) | np.isnan(hi))
    if np.any(np.isinf(lo[known]) | np.isinf(hi[known])) or np.any(lo[known] > hi[known]):
        raise DecideValueError(
            "lower and upper must be finite with lower <= upper where given; got lower="
            f"{lo.tolist()[:6]}, upper={hi.tolist()[:6]}."
        )
    idx = np.flatnonzero(known)
    labels = tuple(np.asarray(spec.labels, dtype=object)[idx])
    new = copy.copy(outcome)
    new._observed_range = (
        ObservedRange(lo[idx], hi[idx], labels, index=idx, source=source or "given by the user")
        if idx.size
        else None
    )
    return new


def _as_flat(value: Any, outcome: OutcomeModel, name: str) -> np.ndarray:
    spec = outcome.action_space
    if isinstance(value, Mapping):
        parts = []
        for n, sh in zip(spec.names, spec.shapes):
            v = value.get(n, np.nan)
            parts.append(np.broadcast_to(np.asarray(v, dtype=np.float64), sh).reshape(-1))
        unknown = sorted(set(map(str, value)) - set(spec.names))
        if unknown:
            raise DecideValueError(f"{name} names unknown action variables {unknown}; variables: {list(spec.names)}.")
        return np.concatenate(parts)
    arr = np.asarray(value, dtype=np.float64)
    if arr.ndim == 0:
        return np.full(spec.size, float(arr))
    if arr.size == spec.size and arr.ndim == 1:
        return arr.copy()
    if len(spec.names) == 1:
        try:
            return np.broadcast_to(arr, spec.shapes[0]).reshape(-1).copy()
        except ValueError:
            pass
    raise DecideValueError(
        f"{name} must be a number, {spec.size} numbers, an array broadcastable to the action's "
        f"shape or a dict by action name; got shape {arr.shape}."
    )
