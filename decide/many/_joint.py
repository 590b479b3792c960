"""The joint path: every unit of a parent outcome model solved in one problem.

For decoupled units, ``sum_u E[Y_u(a_u)]`` is maximized at every unit's own
optimum, and it is the mean of the parent's draws reduced with ``"sum"`` over the
unit dim. One :func:`decide.optimize` over the stacked action (a Box built from
each unit's Box) then evaluates all units in one parent call per step and gets
every unit's gradient from one vector-Jacobian product, instead of one parent
evaluation per unit and step (a from_pymc graph over all stores costs as much for
one store as for all of them).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from decide.errors import ConvergenceWarning
from decide.many._newsvendor import NewsvendorOutcome
from decide.many._rows import solved_rows
from decide.many._solve import join_warnings
from decide.many._unit_outcome import UnitOutcome, unit_draws
from decide.many._units import Batch
from decide.measures import Mean, Objective
from decide.optimization import Box, Space, optimize

__all__ = ["joint_all"]

Rows = dict[int, dict[str, Any]]


def joint_all(
    batch: Batch,
    idx: Sequence[int],
    objective: Objective,
    spaces: Sequence[Space | None],
    method: str,
    seed: np.random.SeedSequence,
    weights: Any,
) -> tuple[Rows, list[int]]:
    """Rows of the units solved jointly, and the units left to the loop.

    Applies to a parent outcome model (not the newsvendor, which has its own
    path) with a gradient, ``reduce`` "sum" or "mean", every action variable
    along the unit dim, ``Mean()`` and a Box per unit, when every unit is in
    ``idx``. Anything else (or a joint solve that raises) leaves the units to the loop.
    """
    parent = batch.parent
    if (
        batch.kind != "parent"
        or parent is None
        or isinstance(parent, NewsvendorOutcome)
        or type(objective) is not Mean
        or method not in ("auto", "scipy")
        or not parent.has_vjp
        or parent.reduce not in ("sum", "mean")
        or sorted(idx) != list(range(batch.n_units))
        or not all(isinstance(spaces[i], Box) for i in idx)
    ):
        return {}, list(idx)
    import warnings

    try:
        units = [UnitOutcome(parent, batch.over, i, batch.n_units) for i in idx]
        if not all(u._all_over for u in units):
            return {}, list(idx)
        n = parent.action_space.size
        lb, ub = np.empty(n), np.empty(n)
        for u, i in zip(units, idx):
            system = spaces[i].linear_constraints(u.action_space)  # type: ignore[union-attr]
            pos = np.flatnonzero(u._own)
            lb[pos] = system.lb[u._lift[pos]]
            ub[pos] = system.ub[u._lift[pos]]
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            decision = optimize(
                parent, Mean(), Box(lb, ub), method=method,
                random_seed=np.random.default_rng(seed), weights=weights,
            )
        x = decision.flat_action
        out = np.asarray(parent.sample_flat(x), dtype=np.float64)
        draws = unit_draws(parent, batch.over, out)  # (n_units, S[, R])
    except Exception:
        return {}, list(idx)
    actions = np.empty((len(units), units[0].action_space.size))
    for k, u in enumerate(units):
        pos = np.flatnonzero(u._own)
        actions[k, u._lift[pos]] = x[pos]
    scores = np.array([float(objective(d, weights)) for d in draws])
    note = join_warnings([w for w in caught if not issubclass(w.category, ConvergenceWarning)])
    rows = solved_rows(
        units[0].action_space.labels, actions, scores, draws, f"joint-{decision.method}",
        converged=[decision.converged] * len(units), warnings=[note] * len(units),
    )
    return dict(zip(idx, rows)), []
