"""Fast paths that solve many units in one vectorized call instead of a Python loop.

Each fast path returns the rows of the units it solved and leaves the others
(non-finite draws, spaces it does not cover) to the per-unit loop, which records
their errors. Outcomes are rewards (higher is better).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

from decide import measures as M
from decide.many._newsvendor import NewsvendorOutcome
from decide.many._rows import solved_rows
from decide.many._scores import batch_scores, exact_scores
from decide.many._unit_outcome import UnitOutcome, unit_draws
from decide.many._units import Batch
from decide.measures import Objective
from decide.optimization import Discrete, Space
from decide.outcomes import DrawsOutcome

__all__ = ["enumerate_all", "quantile_all"]

Rows = dict[int, dict[str, Any]]
#: Scores within this relative distance of the best are re-scored exactly (tie safety).
_TIE_RTOL = 1e-9


def _same_space(spaces: Sequence[Space | None], idx: Sequence[int]) -> Space | bool | None:
    first = spaces[idx[0]]
    return first if all(spaces[i] is first for i in idx) else False


def _mapping_table(batch: Batch, idx: Sequence[int]) -> tuple[list[int], np.ndarray, DrawsOutcome] | None:
    """Stack the tables of a mapping of from_draws models that share options and shape."""
    good, tables, first = [], [], None
    for i in idx:
        try:
            model = batch.outcome(i)
        except Exception:
            continue  # the loop records the error
        if not isinstance(model, DrawsOutcome):
            return None
        if first is None:
            first = model
        elif model.options != first.options or model.table.shape != first.table.shape:
            return None
        good.append(i)
        tables.append(model.table)
    if first is None:
        return None
    return good, np.stack(tables), first


def _option_source(
    batch: Batch, idx: Sequence[int]
) -> tuple[list[int], Any, Callable[[np.ndarray], np.ndarray]] | None:
    """Units to vectorize, a model to resolve options against, and ``x -> draws (k, S[, R])``."""
    if batch.kind in ("table", "mapping"):
        if batch.kind == "table":
            assert batch.table is not None
            table = batch.table[list(idx)]
            finite = np.isfinite(table.reshape(table.shape[0], -1)).all(axis=1)
            good = [i for i, ok in zip(idx, finite) if ok]
            table = table[finite]
            dummy = DrawsOutcome(np.zeros((len(batch.options), 2)), batch.options)
        else:
            got = _mapping_table(batch, idx)
            if got is None:
                return None
            good, table, dummy = got

        def draws_at(x: np.ndarray) -> np.ndarray:
            nz = np.flatnonzero(x)
            if nz.size == 1 and x[nz[0]] == 1.0:  # one-hot: the option's draws, exactly
                return table[:, nz[0]]
            return np.tensordot(table, x, axes=(1, 0)) if table.ndim == 3 else np.einsum(
                "uksr,k->usr", table, x
            )

        return good, dummy, draws_at
    parent = batch.parent
    assert parent is not None
    unit0 = UnitOutcome(parent, batch.over, 0, batch.n_units)
    pos = np.asarray(idx)

    def parent_draws(x: np.ndarray) -> np.ndarray:
        out = np.asarray(parent.sample_flat(unit0.lift(x)))
        return unit_draws(parent, batch.over, out)[pos]

    return list(idx), unit0, parent_draws


def enumerate_all(
    batch: Batch,
    idx: Sequence[int],
    objective: Objective,
    spaces: Sequence[Space | None],
    weights: Any,
) -> tuple[Rows, list[int]]:
    """Score every option of a shared :class:`Discrete` space for all units at once.

    The decisions equal those of ``optimize(..., method="enumerate")`` unit by unit:
    the vectorized scores pick the best option, options within a relative
    ``1e-9`` of the best are re-scored with the objective itself, ties go to the
    first option listed, and the reported score is the objective's own value.
    """
    if not idx:
        return {}, []
    space = _same_space(spaces, idx)
    if space is False or not (space is None or isinstance(space, Discrete)):
        return {}, list(idx)
    source = _option_source(batch, idx)
    if source is None:
        return {}, list(idx)
    good, resolver, draws_at = source
    if not good:
        return {}, list(idx)
    try:
        labels, X = (space or Discrete()).resolve(resolver)
        scores = np.empty((len(good), len(labels)))
        finite = np.ones(len(good), dtype=bool)
        for k in range(len(labels)):
            d = draws_at(X[k])
            ok = np.isfinite(d.reshape(d.shape[0], -1)).all(axis=1)
            finite &= ok
            scores[:, k] = -np.inf
            if ok.any():
                scores[ok, k] = batch_scores(objective, d[ok], weights)
    except Exception:
        return {}, list(idx)  # the loop reproduces (and records) the failure per unit
    best = scores.max(axis=1, keepdims=True)
    near = scores >= best - _TIE_RTOL * (1.0 + np.abs(best))
    choice = np.argmax(scores, axis=1)
    tied = np.flatnonzero(finite & (near.sum(axis=1) > 1))
    if tied.size:
        exact = np.full((tied.size, len(labels)), -np.inf)
        for k in np.flatnonzero(near[tied].any(axis=0)).tolist():
            rows_k = tied[near[tied, k]]
            exact[np.searchsorted(tied, rows_k), k] = exact_scores(objective, draws_at(X[k])[rows_k], weights)
        choice[tied] = np.argmax(exact, axis=1)  # first maximum, as solve_enumerate
    rows: Rows = {}
    spec = resolver.action_space
    for k in np.unique(choice[finite]):
        members = np.flatnonzero(finite & (choice == k))
        d = draws_at(X[k])[members]
        value = exact_scores(objective, d, weights)
        got = solved_rows(
            spec.labels, np.repeat(X[k][None, :], members.size, axis=0), value, d,
            "enumerate", options=[labels[k]] * members.size,
        )
        rows.update({good[m]: r for m, r in zip(members, got)})
    return rows, [i for i in idx if i not in rows]


def quantile_all(
    batch: Batch,
    idx: Sequence[int],
    objective: Objective,
    spaces: Sequence[Space | None],
    weights: Any,
) -> tuple[Rows, list[int]]:
    """Newsvendor units under ``Mean()`` over a Box: the critical-fractile quantile, all at once.

    Applies only to a :func:`~decide.many.newsvendor` outcome with the objective
    ``Mean()``, equal sample weights and Box spaces; the per-unit optimum is the
    lower empirical quantile of demand at ``(price - cost) / (price - salvage)``,
    clipped to the box (the expected profit is concave in the order).
    """
    parent = batch.parent
    if (
        not idx
        or batch.kind != "parent"
        or not isinstance(parent, NewsvendorOutcome)
        or parent.unit_dim is None
        or type(objective) is not M.Mean
        or weights is not None
    ):
        return {}, list(idx)
    unit_spec = UnitOutcome(parent, batch.over, 0, batch.n_units).action_space
    bounds: dict[int, tuple[float, float] | None] = {}
    lo, hi, good = [], [], []
    for i in idx:
        space = spaces[i]
        key = id(space)
        if key not in bounds:
            bounds[key] = _box_bounds(space, unit_spec)
        b = bounds[key]
        if b is None or parent._bad[i]:
            continue
        good.append(i)
        lo.append(b[0])
        hi.append(b[1])
    if not good:
        return {}, list(idx)
    cols = np.asarray(good)
    demand = parent.demand[:, cols]
    frac = parent.critical_fractile[cols]
    q = np.empty(cols.size)
    for f in np.unique(frac):
        sel = frac == f
        q[sel] = M.value_at_risk(demand[:, sel], float(f), axis=0)
    q = np.clip(q, lo, hi)
    profit = (
        parent.price[cols] * np.minimum(q, demand)
        - parent.cost[cols] * q
        + parent.salvage[cols] * np.maximum(q - demand, 0.0)
    )
    draws = np.ascontiguousarray(profit.T)
    got = solved_rows(unit_spec.labels, q[:, None], M.mean(draws, axis=1), draws, "quantile")
    rows = dict(zip(good, got))
    return rows, [i for i in idx if i not in rows]


def _box_bounds(space: Space | None, spec: Any) -> tuple[float, float] | None:
    """``(lower, upper)`` of a one-element continuous space given by bounds only, else None."""
    if space is None or space.discrete or space.integer:
        return None
    try:
        system = space.linear_constraints(spec)
    except Exception:
        return None
    if system.A_ub.shape[0] or system.A_eq.shape[0] or system.n != 1:
        return None
    lb, ub = float(system.lb[0]), float(system.ub[0])
    if lb > ub:
        return None  # infeasible: the loop raises InfeasibleError for the unit
    return lb, ub
