"""Shared pieces of the policy tools: reading policies, splitting draws, risk summaries.

Outcomes are rewards (higher is better); risk lives in the lower tail and
``alpha`` is the tail probability. Draw arrays put the sample axis first,
``(n_samples,)`` or ``(n_samples, n_replicates)``.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from decide.errors import DecideTypeError, DecideValueError
from decide.measures import (
    CVaR,
    Exponential,
    Objective,
    certainty_equivalent,
    risk_summary,
)
from decide.optimization import Decision, as_action
from decide.outcomes import OutcomeModel

__all__ = [
    "CE_LEVELS",
    "NotedFrame",
    "Policy",
    "action_columns",
    "as_outcome",
    "ce_columns",
    "check_n_folds",
    "fold_indices",
    "holdout_indices",
    "parse_policies",
    "policy_summary",
    "pooled_sd",
]

#: Default CARA risk aversions of the certainty-equivalent columns, in units of 1 / sd.
CE_LEVELS: tuple[float, ...] = (0.5, 1.0, 2.0)

#: Metric columns that action labels must not shadow.
_RESERVED = {
    "mean", "sd", "cvar_5", "cvar_10", "prob_loss", "regret", "objective", "objective_in_sample",
    "objective_held_out", "optimism", "dominated", "dominated_by", "converged", "risk",
    "risk_aversion", "value", "option", "verification", "held_out", "dominance_gap",
    "dominance_se", "risk_value",
}


class NotedFrame(pd.DataFrame):
    """A DataFrame whose repr ends with the notes in ``attrs["notes"]`` (a list of str).

    Tables derived from it (a column selection, a copy) are plain DataFrames
    that keep ``attrs`` but print without the notes.
    """

    @property
    def _constructor(self) -> type[pd.DataFrame]:
        return pd.DataFrame

    def _notes(self) -> list[str]:
        return [str(n) for n in self.attrs.get("notes", [])]

    def __repr__(self) -> str:
        return super().__repr__() + "".join(f"\nnote: {n}" for n in self._notes())

    def _repr_html_(self) -> str | None:
        html = super()._repr_html_()
        if html is None:
            return None
        from html import escape

        return html + "".join(f"<p>note: {escape(n)}</p>" for n in self._notes())


@dataclass(frozen=True)
class Policy:
    """One entry of a policy dict: an objective to optimize or a fixed action."""

    name: str
    objective: Objective | None
    action: np.ndarray | None

    @property
    def fixed(self) -> bool:
        return self.objective is None


def as_outcome(outcome: Any) -> OutcomeModel:
    """Check that ``outcome`` is an :class:`~decide.outcomes.OutcomeModel`."""
    if not isinstance(outcome, OutcomeModel):
        raise DecideTypeError(
            "outcome must be an OutcomeModel (decide.outcomes.linear, from_draws, from_function, "
            f"from_pymc); got {type(outcome).__name__}."
        )
    return outcome


def parse_policies(outcome: OutcomeModel, policies: Any) -> list[Policy]:
    """Read ``policies``: a dict name -> Objective, fixed action, Decision or option label.

    Raises
    ------
    DecideTypeError
        If ``policies`` is not a dict, or an entry is neither an Objective nor an action.
    DecideValueError
        If ``policies`` is empty or a fixed action has the wrong shape.
    """
    if not isinstance(policies, Mapping):
        raise DecideTypeError(
            "policies must be a dict mapping a policy name to an Objective (Mean(), CVaR(0.05), "
            f"...) or to a fixed action; got {type(policies).__name__}."
        )
    if len(policies) == 0:
        raise DecideValueError(
            "policies must name at least one policy; got an empty dict. Pass e.g. "
            "{'risk neutral': Mean(), 'cautious': CVaR(0.05), 'status quo': current_action}."
        )
    out: list[Policy] = []
    names: set[str] = set()
    for key, spec in policies.items():
        name = str(key)
        if name in names:
            raise DecideValueError(
                f"policy names must be unique as strings; {key!r} repeats {name!r}."
            )
        names.add(name)
        if isinstance(spec, Objective):
            out.append(Policy(name, spec, None))
        elif isinstance(spec, Decision):
            out.append(Policy(name, None, outcome.action_space.flatten(spec.flat_action, name=name)))
        elif isinstance(spec, np.ndarray | list | tuple | Mapping | xr.DataArray | xr.Dataset | str | numbers.Real) and not isinstance(spec, bool):
            out.append(Policy(name, None, as_action(outcome, spec, name=f"policies[{name!r}]")))
        elif isinstance(spec, type) and issubclass(spec, Objective):
            raise DecideTypeError(
                f"policies[{name!r}] is the class {spec.__name__}; pass an instance, e.g. "
                f"{spec.__name__}(...) such as Mean() or CVaR(0.05)."
            )
        else:
            options = outcome.options
            labels = "" if options is None else f", or an option label {list(options)}"
            raise DecideTypeError(
                f"policies[{name!r}] must be a decide Objective (Mean(), CVaR(0.05), "
                "MeanVariance(1.0), ExpectedUtility(Exponential(1.0)), ...) or a fixed action "
                f"(array, dict by action name, xarray, Decision{labels}); got "
                f"{type(spec).__name__}: {spec!r:.80}."
            )
    return out


def check_holdout(holdout: Any) -> float | str:
    """``holdout`` as a fraction in (0, 1) or the string ``"crossfit"``."""
    if isinstance(holdout, str):
        if holdout != "crossfit":
            raise DecideValueError(
                f"holdout must be a fraction in (0, 1) or 'crossfit'; got {holdout!r}."
            )
        return holdout
    if isinstance(holdout, bool) or not isinstance(holdout, numbers.Real):
        raise DecideTypeError(
            "holdout must be a fraction in (0, 1) (share of draws held out) or 'crossfit'; got "
            f"{holdout!r} of type {type(holdout).__name__}."
        )
    h = float(holdout)
    if not 0.0 < h < 1.0:
        raise DecideValueError(
            f"holdout must be in (0, 1), the share of posterior draws held out for evaluation "
            f"(e.g. 0.5), or 'crossfit'; got {holdout!r}."
        )
    return h


def check_n_folds(n_folds: Any, n_samples: int) -> int:
    """``n_folds`` as an int >= 2 with at least 2 draws per fold."""
    if isinstance(n_folds, bool) or not isinstance(n_folds, numbers.Integral):
        raise DecideTypeError(f"n_folds must be an integer >= 2; got {n_folds!r}.")
    k = int(n_folds)
    if k < 2:
        raise DecideValueError(f"n_folds must be an integer >= 2; got {k}.")
    if n_samples < 2 * k:
        raise DecideValueError(
            f"n_folds={k} needs at least 2 posterior draws per fold ({2 * k} draws); the outcome "
            f"has {n_samples}. Use fewer folds (n_folds <= {n_samples // 2}) or more draws."
        )
    return k


def holdout_indices(
    n_samples: int, holdout: float, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Random ``(train, test)`` sample positions, ``round(holdout * n)`` of them held out."""
    n_test = round(holdout * n_samples)
    if n_test < 2 or n_samples - n_test < 2:
        raise DecideValueError(
            f"holdout={holdout!r} of {n_samples} posterior draws leaves {n_samples - n_test} to "
            f"optimize on and {n_test} to evaluate; both need at least 2. Use more draws or a "
            "holdout closer to 0.5."
        )
    perm = rng.permutation(n_samples)
    return np.sort(perm[n_test:]), np.sort(perm[:n_test])


def fold_indices(n_samples: int, n_folds: int, rng: np.random.Generator) -> list[np.ndarray]:
    """``n_folds`` disjoint random sets of sample positions covering every draw once."""
    perm = rng.permutation(n_samples)
    return [np.sort(part) for part in np.array_split(perm, n_folds)]


def pooled_sd(draws: Sequence[np.ndarray]) -> float:
    """The sd of all draws pooled together (1.0 when they are all equal)."""
    x = np.concatenate([np.asarray(d, dtype=np.float64).reshape(-1) for d in draws])
    s = float(x.std())
    return s if s > 0 and np.isfinite(s) else 1.0


def ce_columns(levels: Sequence[float]) -> list[str]:
    """Column names ``ce_<k>`` of the certainty equivalents at relative risk aversions ``k``."""
    return [f"ce_{k:g}" for k in levels]


def check_levels(levels: Any, name: str) -> tuple[float, ...]:
    """A non-empty tuple of finite non-negative floats."""
    try:
        arr = np.asarray(levels, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise DecideTypeError(f"{name} must be a sequence of numbers >= 0; got {levels!r}.") from None
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise DecideValueError(
            f"{name} must be a non-empty sequence of finite numbers >= 0; got {arr.tolist()}."
        )
    return tuple(float(v) for v in arr)


def policy_summary(
    draws: np.ndarray, *, target: float, ce: Sequence[tuple[str, float]]
) -> dict[str, float]:
    """Mean, sd, CVaR 5% / 10%, P(outcome < target) and certainty equivalents of the draws.

    Replicates are pooled with the samples (one predictive distribution).
    ``ce`` lists ``(column, a)``: the certainty equivalent under CARA utility
    with absolute risk aversion ``a``.
    """
    x = np.asarray(draws, dtype=np.float64).reshape(-1)
    full = risk_summary(x, target=target)
    row = {k: full[k] for k in ("mean", "sd", "cvar_5", "cvar_10", "prob_loss")}
    for col, a in ce:
        row[col] = float(certainty_equivalent(x, Exponential(a)))
    return row


def action_columns(outcome: OutcomeModel) -> list[str]:
    """One column name per flat action element (the action labels, e.g. ``spend[tv]``)."""
    labels = list(outcome.action_space.labels)
    return [f"action:{lab}" if lab in _RESERVED else lab for lab in labels]


def mean_and_risk(draws: np.ndarray, risk: Objective) -> tuple[float, float]:
    """``(mean, -risk(draws))``: the mean and the loss-scale risk of the draws."""
    x = np.asarray(draws, dtype=np.float64)
    return float(x.mean()), -float(risk(x))


def default_risk() -> Objective:
    """``CVaR(0.05)``, the default risk of the frontier."""
    return CVaR(0.05)
