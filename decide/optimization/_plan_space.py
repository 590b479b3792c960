r"""The space of a planning window's decision, stated on the window's cells.

A :func:`decide.outcomes.plan` decides a small vector :math:`z` mapped onto the
window's cells :math:`x_{t,u} = (M z)_{t,u}` (period :math:`t`, unit :math:`u`, e.g.
week and channel). Budgets, per-period caps, cumulative caps and per-cell bounds are
written on the cells, as a planner states them, and become the rows and bounds of a
space in :math:`z`: a row :math:`a^\top x \le b` on the cells is
:math:`(a^\top M) z \le b`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from decide.errors import DecideTypeError, DecideValueError
from decide.optimization._spaces import Box, LinearConstraints, Space
from decide.outcomes import MappedOutcome

__all__ = ["plan_space"]


def _number(value: Any, name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise DecideTypeError(f"{name} must be a number; got {type(value).__name__} {value!r}.")
    return float(value)


def _per(value: Any, n: int, name: str) -> np.ndarray:
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        raise DecideTypeError(
            f"{name} must be a number or {n} numbers; got {type(value).__name__} {value!r}."
        ) from None
    if arr.ndim == 0:
        arr = np.full(n, float(arr))
    if arr.shape != (n,) or np.any(np.isnan(arr)):
        raise DecideValueError(f"{name} must be a number or {n} numbers; got shape {np.shape(value)}.")
    return arr


def _per_unit(value: Any, units: list[Any] | None, n: int, name: str, default: float) -> np.ndarray:
    """A bound per unit: a number, ``n`` numbers, or a dict unit -> number (others ``default``)."""
    if not isinstance(value, Mapping):
        return _per(value, n, name)
    names = [str(u) for u in (units or [])]
    unknown = [k for k in value if str(k) not in names]
    if len(names) != n or unknown:
        raise DecideValueError(
            f"{name} as a dict must name units of the plan {names}; got unknown keys {unknown}."
        )
    out = np.full(n, float(default))
    for key, v in value.items():
        out[names.index(str(key))] = _number(v, f"{name}[{key!r}]")
    if np.any(np.isnan(out)):
        raise DecideValueError(f"{name} must not be NaN; got {dict(value)!r}.")
    return out


def plan_space(
    plan: MappedOutcome,
    total: float | None = None,
    *,
    equality: bool = True,
    per_period: Any = None,
    cumulative: Any = None,
    lower: Any = 0.0,
    upper: Any = None,
) -> Space:
    r"""Constraints on a planning window's cells, as a space of its decision.

    Parameters
    ----------
    plan : MappedOutcome
        A window built by :func:`decide.outcomes.plan`.
    total : float or None
        Budget over the whole window: :math:`\sum_{t,u} x_{t,u} = \text{total}`
        (:math:`\le` with ``equality=False``).
    equality : bool
        Whether the whole budget must be spent.
    per_period : float, array_like of shape (n_periods,) or None
        Cap per window period: :math:`\sum_u x_{t,u} \le c_t`.
    cumulative : float, array_like of shape (n_periods,) or None
        Cap on the spend up to and including each period: :math:`\sum_{s \le t} \sum_u x_{s,u} \le C_t`.
    lower, upper : float, array_like of shape (n_units,), dict or None
        Bounds of every cell per unit (channel), e.g. ``lower=0`` and a channel's
        weekly capacity; a dict ``{channel: bound}`` bounds the channels it names
        (the others keep the default: ``lower`` 0, ``upper`` none).

    Returns
    -------
    Space
        A :class:`~decide.optimization.Box` on the decision, intersected with
        :class:`~decide.optimization.LinearConstraints` rows when a budget or cap is
        given.

    Raises
    ------
    DecideTypeError
        If ``plan`` is not a planning window, ``total`` or a bound is not a number.
    DecideValueError
        Caps of the wrong length or NaN, ``lower > upper``, a dict naming an unknown
        unit.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.measures import Mean
    >>> from decide.optimization import optimize, plan_space
    >>> from decide.outcomes import linear, plan
    >>> om = linear(np.array([[1.0, 2.0, 3.0, 1.0]]).repeat(4, axis=0), names="spend")
    >>> weeks = plan(om, window=[1, 2], base=np.zeros(4))     # decide weeks 1 and 2
    >>> space = plan_space(weeks, total=10.0, per_period=6.0)
    >>> optimize(weeks, Mean(), space).flat_action.round(6).tolist()
    [4.0, 6.0]
    """
    if not isinstance(plan, MappedOutcome) or plan.window_cells is None:
        raise DecideTypeError(
            "plan must be a planning window from decide.outcomes.plan(...); got "
            f"{type(plan).__name__}."
        )
    cells = plan.window_cells  # (n_periods, n_units) flat indices into the full action
    M = plan.matrix
    n_periods, n_units = cells.shape
    units = plan.window_units
    lo = _per_unit(-np.inf if lower is None else lower, units, n_units, "lower", 0.0)
    hi = _per_unit(np.inf if upper is None else upper, units, n_units, "upper", np.inf)
    if np.any(lo > hi):
        raise DecideValueError(f"lower must not exceed upper; got lower={lo.tolist()}, upper={hi.tolist()}.")
    # every cell is moved by at most one decided value (plan's maps): bounds on z are exact
    z_lo = np.full(M.shape[1], -np.inf)
    z_hi = np.full(M.shape[1], np.inf)
    for u in range(n_units):
        for t in range(n_periods):
            row = M[cells[t, u]]
            for j in np.flatnonzero(row):
                w = row[j]
                a, b = (lo[u] / w, hi[u] / w) if w > 0 else (hi[u] / w, lo[u] / w)
                z_lo[j], z_hi[j] = max(z_lo[j], a), min(z_hi[j], b)
    if np.any(z_lo > z_hi):
        raise DecideValueError("lower and upper leave no feasible value for some decided value.")
    rows, row_lo, row_hi = [], [], []
    period_rows = np.stack([M[cells[t]].sum(axis=0) for t in range(n_periods)])
    if total is not None:
        if not np.isfinite(_number(total, "total")):
            raise DecideValueError(f"total must be a finite number; got {total!r}.")
        rows.append(period_rows.sum(axis=0))
        row_lo.append(float(total) if equality else -np.inf)
        row_hi.append(float(total))
    if per_period is not None:
        cap = _per(per_period, n_periods, "per_period")
        rows.extend(period_rows)
        row_lo.extend([-np.inf] * n_periods)
        row_hi.extend(cap.tolist())
    if cumulative is not None:
        cap = _per(cumulative, n_periods, "cumulative")
        rows.extend(np.cumsum(period_rows, axis=0))
        row_lo.extend([-np.inf] * n_periods)
        row_hi.extend(cap.tolist())
    box = Box(z_lo, z_hi)
    if not rows:
        return box
    return box & LinearConstraints(np.array(rows), lb=row_lo, ub=row_hi)
