"""A finite set of candidate actions, scored one by one by enumeration."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from decide.errors import DecideTypeError, DecideValueError
from decide.optimization._spaces import Space
from decide.outcomes import OutcomeModel

__all__ = ["Discrete", "action_set", "as_action"]


class Discrete(Space):
    """A finite set of candidate actions, scored one by one.

    Parameters
    ----------
    options : dict of str to action, array_like of shape (k, size), or sequence of str
        Named candidate actions (label -> action as accepted by
        ``ActionSpec.flatten``), an array with one candidate per row (labelled
        ``"0"``, ``"1"``, ... unless ``labels`` is given), or the labels of an
        outcome model whose actions are named options (e.g. ``from_draws``);
        ``None`` means every option of such an outcome.
    labels : sequence of str, optional
        Labels for the rows of an array of options.

    Raises
    ------
    DecideValueError
        If there are no options or two options share a label.

    Examples
    --------
    >>> from decide.optimization import Discrete
    >>> Discrete({"low": [1.0, 0.0], "high": [0.0, 1.0]})
    Discrete(['low', 'high'])
    """

    discrete = True

    def __init__(self, options: Any = None, labels: Any = None):
        self.options = options
        self._labels: tuple[Any, ...] | None = None
        if options is None:
            return
        if isinstance(options, Mapping):
            labs = list(options)
            values: Any = list(options.values())
        elif isinstance(options, np.ndarray) or (
            isinstance(options, list | tuple) and options and not isinstance(options[0], str)
        ):
            arr = np.asarray(options, dtype=float)
            if arr.ndim == 1:
                arr = arr[:, None]
            labs = [str(i) for i in range(arr.shape[0])] if labels is None else list(labels)
            if len(labs) != arr.shape[0]:
                raise DecideValueError(
                    f"labels must give one label per option ({arr.shape[0]}); got {len(labs)}."
                )
            values = list(arr)
        else:
            labs = list(options)
            values = None
        if not labs:
            raise DecideValueError(
                "Discrete needs at least one option; got none. Pass a dict label -> action or an "
                "array of shape (k, size) with k >= 1."
            )
        seen: set[str] = set()
        dup = sorted({x for x in labs if x in seen or seen.add(x)})  # type: ignore[func-returns-value]
        if dup:
            raise DecideValueError(f"Discrete option labels must be unique; got duplicates {dup}.")
        self._labels = tuple(labs)
        self._values = values

    @property
    def labels(self) -> tuple[Any, ...] | None:
        """Option labels (``None`` until resolved against an outcome's options)."""
        return self._labels

    def resolve(self, outcome: Any) -> tuple[tuple[Any, ...], np.ndarray]:
        """Labels and flat candidate actions ``(k, size)`` for ``outcome``."""
        outcome_labels = _outcome_options(outcome)
        if self._labels is None:
            if outcome_labels is None:
                raise DecideValueError(
                    "Discrete() without options needs an outcome whose actions are named options "
                    f"(e.g. from_draws); {type(outcome).__name__} has none. Pass the options."
                )
            labs = tuple(outcome_labels)
            return labs, np.stack([_option_action(outcome, lab) for lab in labs])
        if self._values is None:
            if outcome_labels is None:
                raise DecideValueError(
                    f"Discrete options {list(self._labels)} are labels, but "
                    f"{type(outcome).__name__} has no named options; pass label -> action pairs."
                )
            by_str = {str(lab): lab for lab in outcome_labels}
            unknown = [lab for lab in self._labels if lab not in outcome_labels and str(lab) not in by_str]
            if unknown:
                raise DecideValueError(
                    f"Discrete options {unknown} are not options of the outcome; valid: "
                    f"{list(outcome_labels)}."
                )
            labs = tuple(lab if lab in outcome_labels else by_str[str(lab)] for lab in self._labels)
            return labs, np.stack([_option_action(outcome, lab) for lab in labs])
        X = np.stack(
            [as_action(outcome, v, name=f"option {lab!r}") for lab, v in zip(self._labels, self._values)]
        )
        return self._labels, X

    def __repr__(self) -> str:
        return "Discrete()" if self._labels is None else f"Discrete({list(self._labels)})"


def _outcome_options(outcome: OutcomeModel) -> tuple[Any, ...] | None:
    return None if outcome.options is None else tuple(outcome.options)


def _option_action(outcome: OutcomeModel, label: Any) -> np.ndarray:
    return np.asarray(outcome.one_hot(label), dtype=float).reshape(-1)


def _is_label(value: Any, options: Sequence[Any]) -> bool:
    try:
        return any(value == o and type(value) is type(o) for o in options)
    except (TypeError, ValueError):
        return False


def as_action(outcome: OutcomeModel, value: Any, name: str = "action") -> np.ndarray:
    """One action value as a flat vector: the one parser of action-shaped values.

    Parameters
    ----------
    outcome : OutcomeModel
    value : array_like, dict, xarray, Decision or option label
        Anything :meth:`~decide.outcomes.ActionSpec.flatten` accepts, a
        :class:`~decide.optimization.Decision` (its action), or the label of one of
        the outcome's named options (:attr:`~decide.outcomes.OutcomeModel.options`).
    name : str
        Argument name for error messages.

    Returns
    -------
    ndarray of shape (action_space.size,)

    Raises
    ------
    DecideTypeError
        If ``value`` is a label and the outcome has no named options.
    DecideValueError
        If a label is not an option, or an action has the wrong shape.
    """
    from decide.optimization._decision import Decision

    if isinstance(value, Decision):
        return outcome.action_space.flatten(value.flat_action, name=name)
    options = _outcome_options(outcome)
    if isinstance(value, str) or (options is not None and _is_label(value, options)):
        if options is None:
            raise DecideTypeError(
                f"{name} is the label {value!r}, but {type(outcome).__name__} has no named "
                "options; give a numeric action."
            )
        if not _is_label(value, options):
            raise DecideValueError(
                f"{name} must be an action or one of the outcome's options {list(options)}; got "
                f"the label {value!r}."
            )
        return _option_action(outcome, value)
    return outcome.action_space.flatten(value, name=name)


def action_set(outcome: OutcomeModel, actions: Any) -> tuple[list[str], np.ndarray]:
    """Labels and flat actions of a finite set of actions.

    Parameters
    ----------
    outcome : OutcomeModel
    actions : list, dict, Discrete or None
        A list of actions (each anything :func:`as_action` accepts, option labels
        included), a dict label -> action, a :class:`Discrete` space, or ``None``
        for every option of an outcome with named options (``from_draws``).

    Returns
    -------
    labels : list of str
    X : ndarray of shape (n_actions, action_space.size)

    Raises
    ------
    DecideTypeError
        If ``actions`` is a continuous space or not one of the forms above.
    """
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
        flats = [as_action(outcome, a, name=f"actions[{i}]") for i, a in enumerate(actions)]
        labels = [", ".join(f"{lab}={v:g}" for lab, v in zip(spec.labels, f)) for f in flats]
        if len(set(labels)) != len(labels):
            labels = [str(i) for i in range(len(flats))]
        return labels, (np.stack(flats) if flats else np.zeros((0, spec.size)))
    else:
        raise DecideTypeError(
            "actions must be a list of actions, a dict label -> action, a Discrete space or None "
            f"(the options of a from_draws outcome); got {type(actions).__name__}."
        )
    resolved, X = space.resolve(outcome)
    return [str(lab) for lab in resolved], np.asarray(X, dtype=np.float64)

