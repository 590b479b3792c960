"""Solve a set of units in one process: the fast paths first, then the per-unit loop."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np

from decide._progress import Progress
from decide.many._batched_cvxpy import cvxpy_all
from decide.many._joint import joint_all
from decide.many._solve import solve_unit
from decide.many._units import Batch
from decide.many._vectorized import enumerate_all, quantile_all
from decide.measures import Objective
from decide.optimization import Space

__all__ = ["solve_units"]

#: optimize options that the fast paths honour (the rest sends units to the loop).
_FAST_OPTIONS = {"weights"}


def solve_units(
    batch: Batch,
    idx: Sequence[int],
    objective: Objective,
    spaces: Sequence[Space | None],
    method: str,
    seeds: Sequence[np.random.SeedSequence],
    options: dict[str, Any],
    vectorize: bool,
    progress: Progress | None = None,
) -> tuple[dict[int, dict[str, Any]], dict[str, int]]:
    """Rows of the units ``idx`` (positions in the batch) and how many each path solved.

    ``spaces`` and ``seeds`` are indexed by position in the batch. The fast paths
    run when ``vectorize`` is true: enumeration of a shared Discrete space
    (``method`` "auto" or "enumerate"), the newsvendor quantile (``method``
    "auto") and one parametrized cvxpy program for linear units (``method`` "auto"
    or "cvxpy"), and the joint solve of a parent outcome model's units under
    ``Mean()`` over Boxes (``method`` "auto" or "scipy", see ``_joint.py``); every
    other unit goes through :func:`decide.optimize`.
    """
    rows: dict[int, dict[str, Any]] = {}
    paths = {"vectorized": 0, "loop": 0}
    rest = list(idx)
    fast_ok = vectorize and not (set(options) - _FAST_OPTIONS)
    weights = options.get("weights")
    if fast_ok and method in ("auto", "enumerate"):
        got, rest = enumerate_all(batch, rest, objective, spaces, weights)
        rows.update(got)
    if fast_ok and method == "auto":
        got, rest = quantile_all(batch, rest, objective, spaces, weights)
        rows.update(got)
    if fast_ok and method in ("auto", "cvxpy"):
        got, rest = cvxpy_all(batch, rest, objective, spaces, method, weights)
        rows.update(got)
    if fast_ok and rest and len(rest) == batch.n_units:
        got, rest = joint_all(batch, rest, objective, spaces, method, seeds[0], weights)
        rows.update(got)
    paths["vectorized"] = len(rows)
    if progress is not None and rows:
        progress.update(len(rows))
    for i in rest:
        rows[i] = solve_unit(batch, i, objective, spaces[i], method, seeds[i], options)
        paths["loop"] += 1
        if progress is not None:
            progress.update(1)
    return rows, paths
