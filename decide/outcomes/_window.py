"""A declared planning window: the periods decided; every other cell of the action is fixed.

A window model (pymc-marketing's ``create_optimization_model``, or ``from_pymc(data=...)``
with the last weeks of history and weeks after the window) holds three kinds of
periods along one dim of the action: carry-in periods before the window (history,
their effect carries in), the window, and carry-out periods after it (the window's
effect carries out; nothing is spent there). decide can tell the carry-in periods from
the training labels, but not the carry-out periods from the window's own: they are new
periods too. :func:`with_window` (or ``from_pymc(..., window=)``) declares the window;
every cell outside it is then fixed like history
(:meth:`~decide.outcomes.OutcomeModel.history_flat`): :func:`decide.optimize` refuses a
space that would move it, and :func:`~decide.outcomes.plan` decides the window by
default.
"""

from __future__ import annotations

import copy
import datetime as _dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from decide._validation import label_text
from decide.errors import DecideTypeError, DecideValueError

if TYPE_CHECKING:
    from decide.outcomes._base import ActionSpec, OutcomeModel

__all__ = ["PlanningWindow", "check_new_periods", "resolve_window", "with_window"]


@dataclass(frozen=True, eq=False)
class PlanningWindow:
    """The periods of a planning window along one dim of the action (see :func:`with_window`).

    Attributes
    ----------
    dim : str
        The period dim (e.g. ``"date"``).
    start, end : str
        The first and last period of the window, as labels (:func:`label_text`).
    positions : ndarray of int
        Positions of the window's periods along ``dim`` (ascending).
    n_periods : int
        Length of ``dim``.
    before, after : ndarray of bool, shape (action_space.size,)
        The cells of the flat action in periods before the window (carry-in) and after
        it (carry-out). Variables without ``dim`` have no such cells.
    """

    dim: str
    start: str
    end: str
    positions: np.ndarray
    n_periods: int
    before: np.ndarray
    after: np.ndarray

    @property
    def outside(self) -> np.ndarray:
        """The cells outside the window (``before | after``): fixed, like history."""
        return self.before | self.after

    def __repr__(self) -> str:
        return (
            f"PlanningWindow({self.dim}: {self.start} .. {self.end}, {self.positions.size} of "
            f"{self.n_periods} periods; {int(self.before.sum())} cells before, "
            f"{int(self.after.sum())} after)"
        )


def _is_date(value: Any) -> bool:
    return isinstance(value, np.datetime64 | pd.Timestamp | _dt.date)


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float | np.integer | np.floating) and not isinstance(value, bool)


def _kind(labels: np.ndarray | None) -> str:
    if labels is None:
        return "positions"
    if np.issubdtype(labels.dtype, np.datetime64) or (
        labels.dtype == object and labels.size and all(_is_date(v) for v in labels)
    ):
        return "dates"
    if np.issubdtype(labels.dtype, np.number) and not np.issubdtype(labels.dtype, np.bool_):
        return "numbers"
    return "labels"


def _show(labels: np.ndarray | None, n: int) -> str:
    if labels is None:
        return f"positions 0 .. {n - 1}"
    return f"{label_text(labels[0])} .. {label_text(labels[-1])}"


def _bound_order(dim: str, labels: np.ndarray | None, n: int, start: Any, end: Any) -> np.ndarray:
    """Per position along the dim: -1 before the window, 0 inside, 1 after.

    Raises
    ------
    DecideValueError
        Bounds of the wrong kind for the dim's labels, ``start > end``, a bound outside
        the dim's labels, or a window holding no period.
    """
    kind = _kind(labels)
    given = f"window=({start!r}, {end!r})"
    valid = _show(labels, n)
    if kind == "dates":
        if not all(isinstance(b, str) or _is_date(b) for b in (start, end)):
            raise DecideValueError(
                f"{given}: dim {dim!r} holds dates ({valid}); give the window's first and last "
                "dates (strings such as '2025-01-05', numpy.datetime64 or pandas.Timestamp)."
            )
        try:
            lo, hi = pd.Timestamp(start), pd.Timestamp(end)
        except (TypeError, ValueError) as exc:
            raise DecideValueError(f"{given}: a bound is not a date of dim {dim!r} ({exc}).") from None
        values = pd.DatetimeIndex(list(labels))  # type: ignore[arg-type]
        if lo.tzinfo is not None or hi.tzinfo is not None or values.tz is not None:
            values, lo, hi = values.tz_localize(None), lo.tz_localize(None), hi.tz_localize(None)
        pos = values.as_unit("ns").asi8
        lo_v, hi_v = lo.as_unit("ns").value, hi.as_unit("ns").value
    elif kind == "numbers":
        if not all(_is_number(b) for b in (start, end)):
            raise DecideValueError(
                f"{given}: dim {dim!r} has numeric labels ({valid}), not dates or names; give "
                "the window's first and last labels as numbers."
            )
        pos = np.asarray(labels, dtype=np.float64)
        lo_v, hi_v = float(start), float(end)
    elif kind == "positions":
        if not all(isinstance(b, int | np.integer) and not isinstance(b, bool) for b in (start, end)):
            raise DecideValueError(
                f"{given}: dim {dim!r} has no labels; give the window's first and last "
                f"positions (integers in [0, {n - 1}])."
            )
        pos = np.arange(n, dtype=np.float64)
        lo_v, hi_v = float(start), float(end)
    else:  # names: positions of the two labels
        text = [label_text(v) for v in labels]  # type: ignore[union-attr]
        found = [text.index(label_text(b)) if label_text(b) in text else -1 for b in (start, end)]
        if -1 in found:
            raise DecideValueError(
                f"{given}: dim {dim!r} has labels {text[:6]}{' ...' if n > 6 else ''}; the "
                "window's bounds must be two of them."
            )
        pos = np.arange(n, dtype=np.float64)
        lo_v, hi_v = float(found[0]), float(found[1])
    if lo_v > hi_v:
        raise DecideValueError(f"{given}: start must be <= end along dim {dim!r} ({valid}).")
    if lo_v < np.min(pos) or hi_v > np.max(pos):
        raise DecideValueError(
            f"{given}: the window must lie within the periods of dim {dim!r}: {valid}."
        )
    order = np.where(pos < lo_v, -1, np.where(pos > hi_v, 1, 0))
    if not np.any(order == 0):
        raise DecideValueError(f"{given} holds no period of dim {dim!r} ({valid}).")
    return order


def resolve_window(spec: ActionSpec, window: Any) -> PlanningWindow:
    """The :class:`PlanningWindow` that ``window`` declares on the action ``spec``.

    Parameters
    ----------
    spec : ActionSpec
        The action.
    window : tuple (start, end) or dict {dim: (start, end)}
        See :func:`with_window`.

    Raises
    ------
    DecideTypeError
        ``window`` of another form.
    DecideValueError
        An unknown dim, a dim that cannot be told (several fit: name it), bad bounds
        (see :func:`with_window`).
    """
    dims: dict[str, int] = {}
    for sh, ds in zip(spec.shapes, spec.dims):
        for d, s in zip(ds, sh):
            dims.setdefault(d, s)
    form = "window must be (start, end) or {dim: (start, end)}"
    if isinstance(window, Mapping):
        if len(window) != 1:
            raise DecideValueError(f"{form}, with one dim; got {dict(window)!r}.")
        dim, bounds = next(iter(window.items()))
        if dim not in dims:
            raise DecideValueError(
                f"window names dim {dim!r}, which the action does not have; its dims: {list(dims)}."
            )
        candidates = [str(dim)]
    else:
        bounds, candidates = window, list(dims)
    if isinstance(bounds, slice) and bounds.step is None and None not in (bounds.start, bounds.stop):
        bounds = (bounds.start, bounds.stop)  # a label slice, both ends included (as pandas')
    if isinstance(bounds, str) or not isinstance(bounds, Sequence) or len(bounds) != 2:
        raise DecideTypeError(f"{form} (the first and last period, both included); got {window!r}.")
    start, end = bounds
    if not candidates:
        raise DecideValueError(f"window={window!r}: the action {list(spec.names)} has no dims.")
    orders: dict[str, np.ndarray] = {}
    errors: dict[str, DecideValueError] = {}
    for d in candidates:
        labels = spec.coords.get(d)
        try:
            orders[d] = _bound_order(d, None if labels is None else np.asarray(labels), dims[d], start, end)
        except DecideValueError as exc:
            errors[d] = exc
    if len(candidates) > 1 and len(orders) != 1:
        dated = [d for d in orders if _kind(_coord(spec, d)) == "dates"]
        if len(orders) > 1 and len(dated) == 1:  # date bounds name the one date dim
            orders = {dated[0]: orders[dated[0]]}
        elif len(orders) > 1:
            raise DecideValueError(
                f"window={window!r} fits several dims of the action ({list(orders)}): name one, "
                f"window={{{next(iter(orders))!r}: ({start!r}, {end!r})}}."
            )
        else:
            dated = [d for d in candidates if _kind(_coord(spec, d)) == "dates"]
            if len(dated) == 1:
                raise errors[dated[0]]
            why = "; ".join(str(e) for e in errors.values())
            raise DecideValueError(
                f"window={window!r} fits no dim of the action ({list(dims)}): {why}"
            )
    if len(candidates) == 1 and errors:
        raise errors[candidates[0]]
    dim = next(iter(orders))
    order = orders[dim]
    before, after, offset = np.zeros(spec.size, bool), np.zeros(spec.size, bool), 0
    for sh, ds in zip(spec.shapes, spec.dims):
        size = int(np.prod(sh))
        if dim in ds:
            per_cell = np.broadcast_to(
                np.expand_dims(order, [a for a in range(len(sh)) if a != ds.index(dim)]), sh
            ).reshape(-1)
            before[offset : offset + size] = per_cell < 0
            after[offset : offset + size] = per_cell > 0
        offset += size
    positions = np.flatnonzero(order == 0)
    labels = _coord(spec, dim)
    first, last = (
        (label_text(labels[positions[0]]), label_text(labels[positions[-1]]))
        if labels is not None
        else (str(positions[0]), str(positions[-1]))
    )
    for arr in (before, after, positions):
        arr.setflags(write=False)
    return PlanningWindow(str(dim), first, last, positions, len(order), before, after)


def _cell_positions(spec: ActionSpec, dim: str) -> np.ndarray:
    """Per cell of the flat action, its position along ``dim`` (-1 for variables without it)."""
    out, offset = np.full(spec.size, -1, dtype=np.int64), 0
    for sh, ds in zip(spec.shapes, spec.dims):
        size = int(np.prod(sh))
        if dim in ds:
            axis = ds.index(dim)
            out[offset : offset + size] = np.indices(sh)[axis].reshape(-1)
        offset += size
    return out


def check_new_periods(
    spec: ActionSpec, window: PlanningWindow, history: np.ndarray | None, given: Any
) -> None:
    """Refuse a declared window that holds periods the model was fitted on.

    Parameters
    ----------
    spec : ActionSpec
        The action.
    window : PlanningWindow
        The window declared.
    history : ndarray of bool, shape (spec.size,), or None
        The outcome's history cells (training periods), without the window.
    given : Any
        The ``window`` argument as given (for the message).

    Raises
    ------
    DecideValueError
        Naming the training periods inside the window and the first period after them.
    """
    if history is None:
        return
    inside = np.asarray(history, dtype=bool) & ~window.outside
    if not inside.any():
        return
    per_cell = _cell_positions(spec, window.dim)
    trained = np.unique(per_cell[inside & (per_cell >= 0)])
    labels = _coord(spec, window.dim)
    text = [label_text(labels[p]) if labels is not None else str(p) for p in range(window.n_periods)]
    last = int(np.max(per_cell[np.asarray(history, dtype=bool) & (per_cell >= 0)]))
    start = (
        f"start it at {text[last + 1]}, the first period after the training data"
        if last + 1 < window.n_periods
        else "the action holds no period after the training data: give the new periods with from_pymc(data=..., coords=...)"
    )
    raise DecideValueError(
        f"window={given!r} ({window.dim} {window.start} .. {window.end}) holds {trained.size} "
        f"periods the model was fitted on: {_named_periods([text[p] for p in trained])}. A "
        "planning window holds the new periods to plan; the training periods before it "
        f"are carry-in, fixed at their data: {start}."
    )


def _named_periods(labels: list[str], shown: int = 6) -> str:
    more = f", ... ({len(labels)} in all)" if len(labels) > shown else ""
    return ", ".join(labels[:shown]) + more


def _coord(spec: ActionSpec, dim: str) -> np.ndarray | None:
    labels = spec.coords.get(dim)
    return None if labels is None else np.asarray(labels)


def with_window(outcome: OutcomeModel, window: Any) -> OutcomeModel:
    """The same outcome with a declared planning window: every cell outside it is fixed.

    The cells of the action in periods before the window (carry-in) and after it
    (carry-out) join the outcome's history cells
    (:meth:`~decide.outcomes.OutcomeModel.history_flat`): :func:`decide.optimize`
    refuses a space that would move them, naming them (``move_history=True`` allows
    it); :func:`~decide.outcomes.plan` decides the window by default.

    Parameters
    ----------
    outcome : OutcomeModel
        The outcome (not changed: a shallow copy is returned).
    window : tuple (start, end), slice(start, end) or dict {dim: (start, end)}
        The first and last period of the window, both included, along the period dim:
        dates for a dim of dates (``("2025-01-05", "2025-03-30")``), numbers for a
        numeric dim, two labels for a dim of names, positions for a dim without
        labels. A tuple finds the dim whose labels fit the bounds (the one dim of
        dates for date bounds); name it with a dict when several fit.

    Returns
    -------
    OutcomeModel
        A copy whose :meth:`~decide.outcomes.OutcomeModel.planning_window` is the window.

    Raises
    ------
    DecideTypeError
        ``window`` of another form.
    DecideValueError
        An unknown dim, several dims that fit, bounds of the wrong kind (dates on a
        numeric dim), ``start > end``, a bound outside the dim's periods (the message
        gives the valid range), a window holding no period, a window holding periods
        the model was fitted on (:meth:`~decide.outcomes.OutcomeModel.history_flat`;
        the message names them: a window holds new periods only).

    Examples
    --------
    >>> import numpy as np
    >>> from decide.outcomes import linear, with_window
    >>> om = linear(np.ones((2, 5)))            # 2 draws, 5 periods (no labels)
    >>> w = with_window(om, (1, 3)).planning_window()
    >>> w.positions.tolist(), w.before.tolist(), w.after.tolist()
    ([1, 2, 3], [True, False, False, False, False], [False, False, False, False, True])
    """
    from decide.outcomes._base import OutcomeModel

    if not isinstance(outcome, OutcomeModel):
        raise DecideTypeError(f"outcome must be an OutcomeModel; got {type(outcome).__name__}.")
    new = copy.copy(outcome)
    new._window = None
    declared = resolve_window(outcome.action_space, window)
    check_new_periods(outcome.action_space, declared, new.history_flat(), window)
    new._window = declared
    return new
