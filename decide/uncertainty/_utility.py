"""Per-draw utilities ``U[s, a]`` of a finite set of actions, shared by the VOI functions.

Outcomes are rewards (higher is better). ``U[s, a]`` is the utility of action
``a`` if the parameters were the posterior draw ``theta_s``: the conditional
mean (risk neutral) or an objective applied to the draw's outcome replicates.
"""

from __future__ import annotations

from collections.abc import Mapping
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

__all__ = ["choice_set", "per_draw_utility", "utility_matrix"]


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


def _model_utility(outcome: OutcomeModel, x: np.ndarray, objective: Objective | None) -> np.ndarray:
    if objective is None and outcome.has_conditional_mean:
        reduce = outcome.reduce
        cm = np.asarray(outcome.conditional_mean_flat(x), dtype=np.float64)
        if cm.ndim == 1:
            return cm
        if reduce in ("sum", "mean"):
            return resolve_reduce(reduce, 1)(cm)
    return per_draw_utility(np.asarray(outcome.draws_flat(x), dtype=np.float64), objective)


def utility_matrix(
    outcome: Any, actions: Any, objective: Objective | None
) -> tuple[np.ndarray, list[str]]:
    """Per-draw utilities ``U`` of shape ``(n_samples, n_actions)`` and the action labels.

    ``outcome`` is an :class:`OutcomeModel` (with ``actions`` as in
    :func:`decide.optimization.action_set`), or precomputed outcome draws with ``actions=None``: a
    DataFrame (one column per action), a dict label -> draws of shape
    ``(n_samples,)`` or ``(n_samples, n_replicates)``, or an array
    ``(n_samples, n_actions)``.
    """
    if isinstance(outcome, OutcomeModel):
        labels, X = choice_set(outcome, actions)
        U = np.column_stack([_model_utility(outcome, x, objective) for x in X])
        return U, labels
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
    us = {k: per_draw_utility(as_draws(v, f"outcome[{k!r}]"), objective) for k, v in cols.items()}
    sizes = {k: u.shape[0] for k, u in us.items()}
    if len(set(sizes.values())) > 1:
        raise DecideValueError(
            f"every action needs the same number of posterior samples; got {sizes}."
        )
    labels = list(us)
    _at_least_two(labels)
    return np.column_stack(list(us.values())), labels
