"""Constraints on outcomes: an objective compared with a number.

``CVaR(0.05) >= -100``, ``Mean() >= 10_000``, ``VaR(0.1) >= t`` and
``ProbabilityOfShortfall(0) <= 0.05`` are :class:`OutcomeConstraint` objects,
passed to ``optimize(..., subject_to=[...])``.

Conventions: outcomes are rewards (higher is better), risk lives in the lower
tail and ``alpha`` is the tail probability. A constraint compares the measure's
*conventional* value: the score for rewards (``Mean``, ``CVaR``, ``VaR``, ...),
and the dispersion or probability itself for measures that score as their
negative (``Variance() <= 4`` bounds the variance, ``ProbabilityOfShortfall(0)
<= 0.05`` bounds ``P(X < 0)``).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from decide._validation import check_finite_scalar
from decide.errors import DecideTypeError, DecideValueError
from decide.measures._base import Objective

__all__ = ["ChanceForm", "OutcomeConstraint"]

_SENSES = (">=", "<=")


@dataclass(frozen=True)
class ChanceForm:
    """The chance-constraint reading of a constraint: ``P(X < threshold)`` kept below ``prob``.

    Attributes
    ----------
    threshold : float
        The outcome level ``t``.
    prob : float
        The tail probability in (0, 1).
    strict : bool
        True for ``VaR(prob) >= t``, which holds exactly when ``P(X < t) < prob``
        (the lower ``prob``-quantile of the draws is at least ``t``); False for
        ``ProbabilityOfShortfall(t) <= prob``, which holds when ``P(X < t) <= prob``.
    """

    threshold: float
    prob: float
    strict: bool

    def max_violations(self, n: int) -> int:
        """How many of ``n`` equally weighted draws may fall below the threshold."""
        k = self.prob * n
        if self.strict:  # fewer than prob * n
            return max(math.ceil(k - 1e-9) - 1, 0)
        return math.floor(k + 1e-9)


class OutcomeConstraint:
    """A bound on a measure of the outcome draws: ``measure >= bound`` or ``measure <= bound``.

    Made by comparing an objective with a number (``CVaR(0.05) >= -100``); used as
    ``optimize(outcome, objective, space, subject_to=[...])``.

    Parameters
    ----------
    objective : Objective
        The measure (any decide objective, including weighted sums).
    sense : {">=", "<="}
    bound : float
        Compared with the measure's conventional value (see Notes).

    Attributes
    ----------
    objective, sense, bound
    direction : float
        ``+1`` when the constraint reads ``score >= score_bound`` in the objective's
        score, ``-1`` when it reads ``score <= score_bound``.
    score_bound : float
        The bound on the score scale.

    Raises
    ------
    DecideTypeError
        If ``objective`` is not an Objective or the bound is not a real number.
    DecideValueError
        If the bound is not finite, ``sense`` is not ``">="`` or ``"<="``, or a
        probability bound (``ProbabilityOfShortfall(t) <= p``) lies outside (0, 1).

    Notes
    -----
    Outcomes are rewards (higher is better); risk lives in the lower tail. The
    conventional value is the score for reward measures and minus the score for
    measures that score as a negative dispersion or probability
    (``Objective.conventional_sign``). ``VaR(alpha) >= t`` is a chance
    constraint: the lower ``alpha``-quantile of the draws is at least ``t``,
    that is ``P(X < t) < alpha`` (so ``P(X >= t) > 1 - alpha``).
    ``ProbabilityOfShortfall(t) <= p`` is ``P(X < t) <= p``.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.measures import CVaR, VaR
    >>> c = CVaR(0.25) >= -1.0
    >>> c
    CVaR(alpha=0.25) >= -1
    >>> x = np.array([-3.0, -1.0, 0.0, 2.0, 4.0, 5.0, 6.0, 7.0])
    >>> c.value(x), c.slack(x), c.satisfied(x)
    (-2.0, -1.0, False)
    >>> (VaR(0.25) >= -1.0).satisfied(x)
    True
    """

    def __init__(self, objective: Objective, sense: str, bound: float):
        if not isinstance(objective, Objective):
            raise DecideTypeError(
                f"a constraint bounds a decide Objective (Mean(), CVaR(0.05), VaR(0.1), ...); got "
                f"{type(objective).__name__}."
            )
        if sense not in _SENSES:
            raise DecideValueError(f"sense must be one of {list(_SENSES)}; got {sense!r}.")
        if isinstance(bound, bool):
            raise DecideTypeError(f"bound must be a real number; got {bound!r}.")
        self.objective = objective
        self.sense = sense
        self.bound = check_finite_scalar(bound, "bound")
        sign = objective.conventional_sign
        up = 1.0 if sense == ">=" else -1.0
        self.direction = up * sign
        self.score_bound = sign * self.bound
        self._check_probability()

    def _check_probability(self) -> None:
        from decide.measures._threshold import ProbabilityOfShortfall

        if isinstance(self.objective, ProbabilityOfShortfall) and not 0.0 < self.bound < 1.0:
            raise DecideValueError(
                f"a probability bound must lie in (0, 1); got {self!r} (bound {self.bound!r}). "
                "A bound of 0 or 1 is no chance constraint: use a floor on WorstCase() instead."
            )

    # -- reading the constraint -------------------------------------------------
    def chance_form(self) -> ChanceForm | None:
        """The chance-constraint reading, or None when this is not a chance constraint.

        ``VaR(alpha) >= t`` and ``ProbabilityOfShortfall(t) <= p`` are chance
        constraints (the other directions are not: they ask for *more* risk).
        """
        from decide.measures._quantile import VaR
        from decide.measures._threshold import ProbabilityOfShortfall

        m = self.objective
        if type(m) is VaR and self.sense == ">=":
            return ChanceForm(self.bound, m.alpha, strict=True)
        if type(m) is ProbabilityOfShortfall and self.sense == "<=":
            return ChanceForm(m.threshold, self.bound, strict=False)
        return None

    def conservative(self) -> OutcomeConstraint:
        """The constraint as convex solvers take it.

        Itself, or for a chance constraint its conservative convex inner approximation
        ``CVaR(prob) >= threshold``, which implies ``VaR(prob) >= threshold``.
        """
        form = self.chance_form()
        if form is None:
            return self
        from decide.measures._quantile import CVaR

        return CVaR(form.prob) >= form.threshold

    @property
    def kind(self) -> str:
        """The constraint's kind: ``"linear"``, ``"convex"``, ``"chance"`` or ``"general"``.

        ``"linear"``: a mean or action cost, either direction; ``"convex"``: a concave
        score kept above a floor, with a DCP form; ``"chance"``: see :meth:`chance_form`.
        """
        if _is_linear(self.objective):
            return "linear"
        if self.chance_form() is not None:
            return "chance"
        if self.direction > 0 and self.objective.has_cvxpy:
            return "convex"
        return "general"

    def value(self, draws: Any, weights: Any = None, *, action: Any = None) -> float:
        """The measure's conventional value on the draws (compared with :attr:`bound`)."""
        return self.objective.conventional_sign * self.objective(draws, weights, action=action)

    def slack(self, draws: Any, weights: Any = None, *, action: Any = None) -> float:
        """How far inside the bound the draws are (negative: violated by that much)."""
        v = self.value(draws, weights, action=action)
        return v - self.bound if self.sense == ">=" else self.bound - v

    def satisfied(self, draws: Any, weights: Any = None, *, action: Any = None, tol: float = 0.0) -> bool:
        """Whether the draws meet the bound, up to ``tol * max(1, |bound|)``."""
        return self.slack(draws, weights, action=action) >= -tol * max(1.0, abs(self.bound))

    # -- plumbing ---------------------------------------------------------------
    def __repr__(self) -> str:
        return f"{self.objective!r} {self.sense} {self.bound:g}"

    def __eq__(self, other: object) -> bool:
        return (
            isinstance(other, OutcomeConstraint)
            and self.objective == other.objective
            and self.sense == other.sense
            and self.bound == other.bound
        )

    def __hash__(self) -> int:
        return hash((self.objective, self.sense, self.bound))

    def __bool__(self) -> bool:
        raise DecideTypeError(
            f"{self!r} is a constraint, not a truth value: pass it to optimize(..., "
            "subject_to=[...]), or call .satisfied(draws) to check it on draws."
        )

    def with_bound(self, bound: float) -> OutcomeConstraint:
        """The same constraint with another bound (used to trace a frontier over a floor)."""
        return OutcomeConstraint(self.objective, self.sense, bound)


def _is_linear(m: Objective) -> bool:
    """Whether the measure is linear in the draws and the action (means and action costs)."""
    from decide.measures._action import ActionCost
    from decide.measures._base import WeightedObjective
    from decide.measures._moments import Mean

    if isinstance(m, WeightedObjective):
        return all(_is_linear(t) for _, t in m.terms)
    return type(m) in (Mean, ActionCost)


def is_linear_measure(m: Objective) -> bool:
    """Public alias of the linearity test used by the optimizers."""
    return _is_linear(m)
