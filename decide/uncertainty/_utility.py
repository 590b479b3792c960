"""Per-draw utilities ``U[s, a]`` of a finite set of actions, shared by the VOI functions.

Outcomes are rewards (higher is better). ``U[s, a]`` is the utility of action
``a`` if the parameters were the posterior draw ``theta_s``: the conditional
mean (risk neutral) or an objective applied to the draw's outcome replicates.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from decide._validation import as_draws
from decide.errors import DecideTypeError, DecideValueError
from decide.measures import check_exponential_ess
from decide.optimization import action_set
from decide.outcomes import OutcomeModel, resolve_reduce

if TYPE_CHECKING:
    from decide.measures import Objective

__all__ = ["UtilityLevels", "choice_set", "per_draw_utility", "utility_levels", "utility_matrix"]


def choice_set(outcome: OutcomeModel, actions: Any) -> tuple[list[str], np.ndarray]:
    """The finite action set of a value-of-information question (at least two actions).

    ``actions`` as in :func:`decide.optimization.action_set`.
    """
    labels, X = action_set(outcome, actions)
    _at_least_two(labels)
    return labels, X


def _at_least_two(labels: list[str]) -> None:
    if len(labels) < 2:
        raise DecideValueError(
            f"actions must hold at least 2 distinct actions to compare; got {len(labels)} "
            f"({labels}). With one action there is no choice, so information has no value."
        )


def per_draw_utility(draws: np.ndarray, objective: Objective | None) -> np.ndarray:
    """``U[s]``: the mean (or ``objective``) of each draw's replicates, shape ``(n_samples,)``.

    Parameters
    ----------
    draws : ndarray of shape (n_samples,) or (n_samples, n_replicates)
    objective : Objective or None
        Applied to the replicates of each posterior draw (to the single value
        when there are no replicates); ``None`` takes their mean.
    """
    if draws.ndim == 1:
        draws = draws[:, None]
    if objective is None:
        return draws.mean(axis=1)
    check_exponential_ess(draws, objective, context="value of information")
    return np.array([float(objective(row)) for row in draws])


def _exact_utility(
    outcome: OutcomeModel, x: np.ndarray, objective: Objective | None
) -> np.ndarray | None:
    """``U[s]`` from the conditional mean, or ``None`` when it must come from the draws."""
    if objective is None and outcome.has_conditional_mean:
        reduce = outcome.reduce
        cm = np.asarray(outcome.conditional_mean_flat(x), dtype=np.float64)
        if cm.ndim == 1:
            return cm
        if reduce in ("sum", "mean"):
            return resolve_reduce(reduce, 1)(cm)
    return None


def _model_utility(outcome: OutcomeModel, x: np.ndarray, objective: Objective | None) -> np.ndarray:
    exact = _exact_utility(outcome, x, objective)
    if exact is not None:
        return exact
    return per_draw_utility(np.asarray(outcome.draws_flat(x), dtype=np.float64), objective)


def _columns(outcome: Any, actions: Any, objective: Objective | None) -> tuple[list[str], list[np.ndarray]]:
    """Per action: ``U[s]`` (shape ``(n_samples, 1)``, exact) or draws ``(n_samples, n_replicates)``."""
    if isinstance(outcome, OutcomeModel):
        labels, X = choice_set(outcome, actions)
        cols: list[np.ndarray] = []
        for x in X:
            exact = _exact_utility(outcome, x, objective)
            if exact is not None:
                cols.append(exact[:, None])
            else:
                d = np.asarray(outcome.draws_flat(x), dtype=np.float64)
                cols.append(d if d.ndim == 2 else d[:, None])
        return labels, cols
    labels, raw = _precomputed(outcome, actions)
    return labels, [a if a.ndim == 2 else a[:, None] for a in raw]


def utility_matrix(
    outcome: Any, actions: Any, objective: Objective | None
) -> tuple[np.ndarray, list[str]]:
    """Per-draw utilities ``U`` of shape ``(n_samples, n_actions)`` and the action labels.

    ``outcome`` is an :class:`OutcomeModel` (with ``actions`` as in
    :func:`decide.optimization.action_set`), or precomputed outcome draws with ``actions=None``: a
    DataFrame (one column per action), a dict label -> draws of shape
    ``(n_samples,)`` or ``(n_samples, n_replicates)``, or an array
    ``(n_samples, n_actions)``. This is the plug-in matrix: with replicates,
    each entry is the objective (or mean) of that draw's replicates.
    """
    levels = utility_levels(outcome, actions, objective)
    return levels.full, levels.labels


@dataclass(frozen=True)
class UtilityLevels:
    """Plug-in utilities from all replicates and from disjoint subsets of them.

    Attributes
    ----------
    labels : list of str
        The action labels.
    full : ndarray of shape (n_samples, n_actions)
        ``U[s, a]`` from all ``n_replicates`` replicates of draw ``s``.
    subsets : list of list of ndarray of shape (n_samples, n_actions)
        ``subsets[l]`` holds the ``2 ** (l + 1)`` utility matrices computed on the
        interleaved replicate subsets ``r = j, j + 2**(l+1), ...`` (the same
        replicate indices for every action, so common random numbers are kept).
        Empty when the utilities do not come from replicates (a conditional
        mean, or one replicate per draw).
    n_replicates : int
        Replicates per draw (0 when the utilities are exact).
    """

    labels: list[str]
    full: np.ndarray
    subsets: list[list[np.ndarray]]
    n_replicates: int

    @property
    def noisy(self) -> bool:
        """Whether ``full`` is estimated from replicates (and carries their noise)."""
        return bool(self.subsets)


def utility_levels(
    outcome: Any, actions: Any, objective: Objective | None, subsets: bool = True
) -> UtilityLevels:
    """The plug-in utility matrix and its replicate-subset versions (see :class:`UtilityLevels`).

    Subsets are made of halves (for ``n_replicates >= 2``) and quarters (for
    ``n_replicates >= 8``) of each draw's replicates, each subset of
    ``n_replicates // 2**(l+1)`` replicates; ``subsets=False`` skips them.
    """
    labels, cols = _columns(outcome, actions, objective)
    sizes = {lab: c.shape[0] for lab, c in zip(labels, cols)}
    if len(set(sizes.values())) > 1:
        raise DecideValueError(
            f"every action needs the same number of posterior samples; got {sizes}."
        )
    _at_least_two(labels)
    n_rep = max(c.shape[1] for c in cols)
    full = np.column_stack([per_draw_utility(c, objective) for c in cols])
    levels: list[list[np.ndarray]] = []
    if n_rep >= 2 and subsets:
        for p in (2, 4) if n_rep >= 8 else (2,):
            h = n_rep // p
            level = []
            for j in range(p):
                level.append(np.column_stack([
                    per_draw_utility(c[:, j::p][:, :h], objective) if c.shape[1] > 1 else u
                    for c, u in zip(cols, full.T)
                ]))
            levels.append(level)
    return UtilityLevels(labels, full, levels, n_rep if n_rep >= 2 else 0)
def _precomputed(outcome: Any, actions: Any) -> tuple[list[str], list[np.ndarray]]:
    if actions is not None:
        raise DecideValueError(
            "actions must be None when outcome holds precomputed draws (the columns or keys are "
            f"the actions); got actions={actions!r}."
        )
    if isinstance(outcome, pd.DataFrame):
        cols = {str(c): outcome[c].to_numpy() for c in outcome.columns}
    elif isinstance(outcome, Mapping):
        cols = {str(k): v for k, v in outcome.items()}
    elif isinstance(outcome, np.ndarray | list | tuple):
        arr = np.asarray(outcome, dtype=np.float64)
        if arr.ndim != 2:
            raise DecideValueError(
                "outcome as an array must have shape (n_samples, n_actions), one column per "
                f"action; got shape {arr.shape}."
            )
        cols = {str(j): arr[:, j] for j in range(arr.shape[1])}
    else:
        raise DecideTypeError(
            "outcome must be an OutcomeModel, a DataFrame, a dict label -> draws or an array "
            f"(n_samples, n_actions); got {type(outcome).__name__}."
        )
    draws = [np.asarray(as_draws(v, f"outcome[{k!r}]"), dtype=np.float64) for k, v in cols.items()]
    return list(cols), draws
