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
from decide.outcomes import OutcomeModel, resolve_reduce

if TYPE_CHECKING:
    from decide.measures import Objective

__all__ = ["action_set", "per_draw_utility", "utility_matrix"]


def _label(spec: Any, flat: np.ndarray) -> str:
    return ", ".join(f"{lab}={v:g}" for lab, v in zip(spec.labels, flat))


def action_set(outcome: OutcomeModel, actions: Any) -> tuple[list[str], np.ndarray]:
    """Labels and flat actions ``(n_actions, size)`` of a finite action set.

    ``actions`` is a list of actions, a dict label -> action, a ``Discrete``
    space, a list of option labels, or ``None`` for every option of an outcome
    with named options (``from_draws``).
    """
    from decide.optimization import Discrete, Space

    spec = outcome.action_space
    if actions is None:
        space = Discrete()
    elif isinstance(actions, Discrete):
        space = actions
    elif isinstance(actions, Space):
        raise DecideTypeError(
            f"actions must be a finite set of actions; got the continuous space {actions!r}. "
            "Pass it as space= instead (EVPI then optimizes the action per posterior draw)."
        )
    elif isinstance(actions, Mapping):
        space = Discrete(dict(actions))
    elif isinstance(actions, list | tuple) and actions and all(isinstance(a, str) for a in actions):
        space = Discrete(list(actions))
    elif isinstance(actions, list | tuple | np.ndarray):
        items = list(actions)
        flats = [spec.flatten(a, name=f"actions[{i}]") for i, a in enumerate(items)]
        labels = [_label(spec, f) for f in flats]
        if len(set(labels)) != len(labels):
            labels = [str(i) for i in range(len(flats))]
        X = np.stack(flats) if flats else np.zeros((0, spec.size))
        return _check_count(labels, X)
    else:
        raise DecideTypeError(
            "actions must be a list of actions, a dict label -> action, a Discrete space or None "
            f"(the options of a from_draws outcome); got {type(actions).__name__}."
        )
    labels, X = space.resolve(outcome)
    return _check_count(list(labels), np.asarray(X, dtype=np.float64))


def _check_count(labels: list[str], X: np.ndarray) -> tuple[list[str], np.ndarray]:
    if len(labels) < 2:
        raise DecideValueError(
            f"actions must hold at least 2 distinct actions to compare; got {len(labels)} "
            f"({labels}). With one action there is no choice, so information has no value."
        )
    return labels, X


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
    :func:`action_set`), or precomputed outcome draws with ``actions=None``: a
    DataFrame (one column per action), a dict label -> draws of shape
    ``(n_samples,)`` or ``(n_samples, n_replicates)``, or an array
    ``(n_samples, n_actions)``.
    """
    if isinstance(outcome, OutcomeModel):
        labels, X = action_set(outcome, actions)
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
    labels, U = _check_count(list(us), np.column_stack(list(us.values())) if us else np.zeros((0, 0)))
    return U, labels
