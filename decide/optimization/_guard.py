"""Guards of :func:`decide.optimize` against answers the data cannot back.

* the extrapolation guard: the decision placed against the range of the action in the
  data the model was fitted on (``Decision.extrapolation``), an
  :class:`~decide.errors.ExtrapolationWarning` when it leaves that range, and
  ``within_observed=`` to keep it inside (a :class:`Box` on the action's elements, or
  :class:`LinearConstraints` on the model's cells for a mapped decision);
* the history guard: a space that would move the history cells of a planning window
  (carry-in periods the model was fitted on) is refused, naming them.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np
import pandas as pd

from decide import _config
from decide.errors import DecideValueError, ExtrapolationWarning
from decide.optimization._polyhedron import LinearSystem
from decide.optimization._spaces import Box, Constraints, Integer, LinearConstraints, Space
from decide.outcomes import MappedOutcome, ObservedRange, OutcomeModel

__all__ = [
    "check_factor",
    "check_history",
    "extrapolation_report",
    "keep_within",
    "pinned",
    "warn_extrapolation",
    "within_observed_space",
]


def check_factor(within_observed: Any) -> float | None:
    """``within_observed`` as a factor (None when off)."""
    if within_observed is None or within_observed is False:
        return None
    if within_observed is True:
        return 1.0
    try:
        k = float(within_observed)
    except (TypeError, ValueError):
        k = np.nan
    if isinstance(within_observed, str) or not np.isfinite(k) or k < 1.0:
        raise DecideValueError(
            "within_observed must be True (the observed range), a number >= 1 (the range "
            f"widened by that factor about its midpoint), or None; got {within_observed!r}."
        )
    return k


def pinned(outcome: OutcomeModel, space: Any) -> np.ndarray | None:
    """The elements the space fixes (``lower == upper``): not decided, so not guarded."""
    if not isinstance(space, Space) or space.discrete or not isinstance(outcome, OutcomeModel):
        return None
    if outcome.observed_range() is None:  # nothing to guard: skip building the system
        return None
    system = space.linear_constraints(outcome.action_space)
    return np.isfinite(system.lb) & (system.lb == system.ub)


def _guarded_range(outcome: OutcomeModel, fixed: np.ndarray | None) -> ObservedRange | None:
    """The outcome's observed range without the cells the space pins."""
    rng = outcome.observed_range()
    if rng is None or fixed is None or rng.index is None or not fixed[rng.index].any():
        return rng
    keep = ~fixed[rng.index]
    if not keep.any():
        return None
    return ObservedRange(
        rng.lower[keep], rng.upper[keep], tuple(np.asarray(rng.labels, dtype=object)[keep]),
        index=rng.index[keep], source=rng.source,
    )


def keep_within(outcome: OutcomeModel, space: Space, factor: float) -> Space:
    """``space`` intersected with the outcome's observed range widened by ``factor``.

    Elements the space pins (``lower == upper``, e.g. history or carry-out cells) are
    left as the space fixes them.

    Raises
    ------
    DecideValueError
        If the outcome declares no observed range or the space is discrete.
    """
    if outcome.observed_range() is None:
        raise DecideValueError(
            f"within_observed={factor:g}: {type(outcome).__name__} declares no observed range "
            "of its action. from_pymc reads it from the action's data (it needs at least two "
            "observed values per element); for other outcomes declare it with "
            "decide.outcomes.with_observed_range(outcome, lower, upper)."
        )
    if space.discrete:
        raise DecideValueError(
            "within_observed applies to continuous and integer spaces; for a Discrete space "
            "list only the actions inside the observed range."
        )
    rng = _guarded_range(outcome, pinned(outcome, space))
    if rng is None:
        return space
    lo, hi = rng.widened(factor)
    if rng.index is not None:
        n = outcome.action_space.size
        lb, ub = np.full(n, -np.inf), np.full(n, np.inf)
        lb[rng.index], ub[rng.index] = lo, hi
        if space.integer:
            lb, ub = np.ceil(lb), np.floor(ub)
        guard: Space = Box(lb, ub)
    else:
        assert rng.matrix is not None and rng.offset is not None
        guard = _mapped_guard(rng.matrix, lo - rng.offset, hi - rng.offset, space.integer)
    if isinstance(space, Integer):
        return Integer(Constraints(space.space, guard))
    return Constraints(space, guard)


def within_observed_space(outcome: OutcomeModel, space: Any, factor: Any = True) -> Space:
    """The space kept within the outcome's observed range, as ``optimize(..., within_observed=)``.

    For analyses that take a space (``frontier``, ``sweep``, ``compare``,
    ``evppi``) as well as ``optimize``.

    Parameters
    ----------
    outcome : OutcomeModel
        An outcome with an :meth:`~decide.outcomes.OutcomeModel.observed_range`.
    space : Space or list of linear spaces
        The continuous or integer space to restrict.
    factor : True or float >= 1
        ``True`` (or 1): the observed range; ``k``: the range widened ``k`` times about
        its midpoint.

    Returns
    -------
    Space
        ``space`` intersected with a :class:`Box` on the action's elements (or, for a
        mapped decision, bounds and :class:`LinearConstraints` on the decided values).

    Raises
    ------
    DecideValueError
        A bad factor, an outcome without an observed range, a Discrete space.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.optimization import Budget, within_observed_space
    >>> from decide.outcomes import linear, with_observed_range
    >>> om = with_observed_range(linear(np.ones((3, 2))), lower=[0.0, 1.0], upper=[2.0, 4.0])
    >>> within_observed_space(om, Budget(3.0)).linear_constraints(om.action_space).ub.tolist()
    [2.0, 4.0]
    """
    from decide.optimization._spaces import as_space

    k = check_factor(factor)
    if k is None:
        return as_space(space)
    return keep_within(outcome, as_space(space), k)


def _mapped_guard(A: np.ndarray, lo: np.ndarray, hi: np.ndarray, integer: bool) -> Space:
    """``lo <= A z <= hi`` as bounds on ``z`` where a row moves one value, rows elsewhere.

    A flight's cells all equal its level (one nonzero per row): their rows are the
    bounds of that level, intersected, so the guard is the ``Box`` one writes by hand.
    """
    n = A.shape[1]
    z_lo, z_hi = np.full(n, -np.inf), np.full(n, np.inf)
    nonzero = A != 0.0
    single = nonzero.sum(axis=1) == 1
    for r in np.flatnonzero(single):
        j = int(np.flatnonzero(nonzero[r])[0])
        w = A[r, j]
        a, b = (lo[r] / w, hi[r] / w) if w > 0 else (hi[r] / w, lo[r] / w)
        z_lo[j], z_hi[j] = max(z_lo[j], a), min(z_hi[j], b)
    if integer:
        z_lo, z_hi = np.ceil(z_lo), np.floor(z_hi)
    if np.any(z_lo > z_hi):
        bad = int(np.flatnonzero(z_lo > z_hi)[0])
        raise DecideValueError(
            f"within_observed: the observed ranges of the cells that decided value {bad} moves "
            f"do not overlap (it would need to be >= {z_lo[bad]:.6g} and <= {z_hi[bad]:.6g}); "
            "widen the range (within_observed=k with k > 1) or change the map."
        )
    box: Space = Box(z_lo, z_hi)
    rest = ~single & nonzero.any(axis=1)
    if not rest.any():
        return box
    rows = np.unique(np.column_stack([A[rest], lo[rest], hi[rest]]), axis=0)
    return Constraints(box, LinearConstraints(rows[:, :n], rows[:, n], rows[:, n + 1]))


def extrapolation_report(
    outcome: OutcomeModel, x: np.ndarray, fixed: np.ndarray | None = None
) -> pd.DataFrame | None:
    """The decision against the observed range, one row per cell (None without a range).

    ``fixed`` marks elements the space pins: they are not decided and not reported.
    """
    rng = _guarded_range(outcome, fixed)
    if rng is None:
        return None
    table = rng.table(x, _config.EXTRAPOLATION_RTOL)
    table.attrs["source"] = rng.source
    return table


def extrapolation_note(table: pd.DataFrame | None) -> str:
    """One line for the repr: how many cells are outside, and the farthest."""
    if table is None:
        return ""
    out = table[table["outside"]]
    if out.empty:
        return f"inside the observed range ({len(table)} cells)"
    far = out["distance"].idxmax()
    row = out.loc[far]
    side = "below its min" if row["value"] < row["observed_min"] else "above its max"
    bound = row["observed_min"] if row["value"] < row["observed_min"] else row["observed_max"]
    return (
        f"{len(out)} of {len(table)} cells OUTSIDE the observed range (farthest: {far} = "
        f"{row['value']:.6g}, {row['distance']:.4g} {side} {bound:.6g})"
    )


def warn_extrapolation(table: pd.DataFrame | None, stacklevel: int = 3) -> None:
    """Warn when some cell of the decision is outside the observed range."""
    if table is None or not table["outside"].any():
        return
    warnings.warn(
        f"the decision leaves the range of the data the model was fitted on: "
        f"{extrapolation_note(table)}. The posterior is extrapolated there. See "
        "Decision.extrapolation; optimize(..., within_observed=True) keeps the action inside "
        "the observed range (a number >= 1 widens it).",
        ExtrapolationWarning,
        stacklevel=stacklevel,
    )


def _named(labels: list[str], shown: int = 8) -> str:
    """A few labels, then the count."""
    more = f", ... ({len(labels)} in all)" if len(labels) > shown else ""
    return ", ".join(labels[:shown]) + more


def _refuse_mapped(outcome: MappedOutcome, free: np.ndarray) -> None:
    """The refusal for a mapped decision (a :func:`~decide.outcomes.plan`), in the model's cells.

    ``free`` marks the decided values that move a fixed cell of the base model; the
    message names those cells (dated, ``channel_data[2025-08-24, tv]``), those before the
    base's declared window, after it, and training periods apart, and says what to do.
    """
    base = outcome.base
    hist = base.history_flat()
    hist = np.zeros(base.action_space.size, bool) if hist is None else np.asarray(hist, bool)
    moved = hist & np.any(outcome.matrix[:, free] != 0.0, axis=1)
    labels = np.asarray(base.action_space.labels, dtype=object)
    decided = _named(np.asarray(outcome.action_space.labels, dtype=object)[free].tolist(), 4)
    window = base.planning_window()
    if window is not None:
        parts = [
            f"{int(m.sum())} {what}: {_named(labels[m].tolist())}"
            for m, what in (
                (moved & window.before, "before it (carry-in)"),
                (moved & ~window.outside, "inside it but periods the model was fitted on"),
                (moved & window.after, "after it (carry-out)"),
            )
            if m.any()
        ]
        raise DecideValueError(
            f"the plan's window reaches outside the model's declared planning window "
            f"{window.dim} {window.start} .. {window.end}: its decided values ({decided}) would "
            f"move {int(moved.sum())} cells that the declared window fixes, "
            f"{'; '.join(parts)}. Plan within {window.start} .. {window.end} "
            "(decide.outcomes.plan(outcome) without window= decides the declared window), "
            "or declare the window you mean to plan (decide.outcomes.with_window or "
            "from_pymc(..., window=)) on a model whose data holds the carry-out periods "
            "after it. Pass optimize(..., move_history=True) if moving these cells is "
            "really meant."
        )
    raise DecideValueError(
        f"the plan's window holds periods the model was fitted on: its decided values "
        f"({decided}) would move {int(moved.sum())} history cells: "
        f"{_named(labels[moved].tolist())}. Plan only the new periods (the window after "
        "the last training period), or pass optimize(..., move_history=True) if moving "
        "the past is really meant."
    )


def check_history(outcome: OutcomeModel, system: LinearSystem | None) -> None:
    """Refuse a space that lets history cells move (those the space does not pin).

    History cells are the training periods of a planning window and, when a window is
    declared (:meth:`~decide.outcomes.OutcomeModel.planning_window`), every cell
    outside it.

    Raises
    ------
    DecideValueError
        Naming the history cells the space leaves free (a few, then the count).
    """
    hist = outcome.history_flat()
    if hist is None or system is None:
        return
    hist = np.asarray(hist, dtype=bool)
    free = hist & ~(np.isfinite(system.lb) & (system.lb == system.ub))
    if not free.any():
        return
    if isinstance(outcome, MappedOutcome) and outcome.planning_window() is None:
        _refuse_mapped(outcome, free)
    labels = np.asarray(outcome.action_space.labels, dtype=object)
    window = outcome.planning_window()
    if window is not None:
        before, after = free & window.before, free & window.after
        past = free & ~window.outside
        parts = [
            f"{int(m.sum())} {what}: {_named(labels[m].tolist())}"
            for m, what in (
                (before, "before the window (carry-in)"),
                (past, "in the window but periods the model was fitted on"),
                (after, "after the window (carry-out)"),
            )
            if m.any()
        ]
        raise DecideValueError(
            f"the space would move {int(free.sum())} cells of the action outside the declared "
            f"planning window {window.dim} {window.start} .. {window.end} (fixed, like "
            f"history): {'; '.join(parts)}. Decide the window with decide.outcomes.plan(outcome) "
            "and plan_space(...), which fix every cell outside it, or pin these cells with a "
            "Box whose lower == upper (at the model's data for them). Pass "
            "optimize(..., move_history=True) if moving them is really meant."
        )
    raise DecideValueError(
        f"the space would move {int(free.sum())} history cells of the action (periods of the "
        "data the model was fitted on, e.g. the carry-in weeks of a planning window): "
        f"{_named(labels[free].tolist())}. Decide the window with "
        "decide.outcomes.plan(outcome, window=...) and plan_space(...): it fixes these cells "
        "and the weeks after the window (carry-out), which decide cannot tell from the "
        "window's own weeks unless the window is declared (from_pymc(..., window=(start, "
        "end)) or decide.outcomes.with_window). Pinning these cells with a Box whose lower == "
        "upper leaves the carry-out weeks free: pin those too. Pass "
        "optimize(..., move_history=True) if moving the past is really meant."
    )
