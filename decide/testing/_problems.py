"""Hypothesis strategy for small, always feasible continuous decision problems."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from hypothesis import strategies as st

from decide.errors import DecideValueError
from decide.testing._strategies import IntLike, _int_strategy, draws

__all__ = ["DecisionProblem", "decision_problems"]


@dataclass(frozen=True)
class DecisionProblem:
    """A ``linear`` outcome and a feasible action space, for end-to-end tests of ``optimize``.

    Outcomes are rewards: ``draws(x) = scenarios @ x + intercept``.

    Attributes
    ----------
    outcome : decide.outcomes.LinearOutcome
        ``linear(scenarios, intercept)``; the action is one variable of shape ``(n_actions,)``.
    space : decide.optimization.Budget or decide.optimization.Box
        A non-empty action space.
    scenarios : ndarray of shape (n_samples, n_actions)
        Outcome per unit of each action element, one row per posterior sample.
    intercept : ndarray of shape (n_samples,)
        Outcome at the zero action.
    feasible : ndarray of shape (n_actions,)
        A point of ``space`` (a witness that the problem is feasible).
    """

    outcome: Any
    space: Any
    scenarios: np.ndarray
    intercept: np.ndarray
    feasible: np.ndarray


@st.composite
def _problems(draw: Any, n_actions: st.SearchStrategy[int], n_samples: st.SearchStrategy[int],
              space: str) -> DecisionProblem:
    from decide.optimization import Box, Budget
    from decide.outcomes import linear

    k = draw(n_actions)
    n = draw(n_samples)
    scen = draw(draws(n_samples=n, n_replicates=k, min_value=-10.0, max_value=10.0))
    icpt = draw(draws(n_samples=n, min_value=-10.0, max_value=10.0))
    kind = draw(st.sampled_from(["budget", "box"])) if space == "any" else space
    sp: Budget | Box
    if kind == "budget":
        total = draw(st.floats(0.5, 10.0))
        upper = None
        if draw(st.booleans()):
            upper = total / k * (1.0 + draw(st.floats(0.0, 2.0)))
        equality = draw(st.booleans())
        sp = Budget(total, lower=0.0, upper=upper, equality=equality)
        witness = np.full(k, total / k)
    else:
        lower = np.asarray(draw(st.lists(st.floats(-5.0, 5.0), min_size=k, max_size=k)))
        width = np.asarray(draw(st.lists(st.floats(0.0, 5.0), min_size=k, max_size=k)))
        sp = Box(lower, lower + width)
        witness = lower + width / 2.0
    return DecisionProblem(outcome=linear(scen, icpt), space=sp, scenarios=scen,
                           intercept=icpt, feasible=witness)


def decision_problems(
    *,
    n_actions: IntLike = st.integers(1, 4),  # noqa: B008
    n_samples: IntLike = st.integers(2, 40),  # noqa: B008
    space: Literal["budget", "box", "any"] = "any",
) -> st.SearchStrategy[DecisionProblem]:
    """Hypothesis strategy for a ``linear`` outcome with a feasible ``Budget`` or ``Box`` space.

    Parameters
    ----------
    n_actions : int or strategy of int, default ``st.integers(1, 4)``
        Length of the action vector.
    n_samples : int or strategy of int, default ``st.integers(2, 40)``
        Number of posterior samples (scenario rows).
    space : {"budget", "box", "any"}, default "any"
        ``"budget"``: ``Budget(total, lower=0, upper=u)`` with ``total`` in
        [0.5, 10], ``u`` either none or at least ``total / n_actions``, the sum
        equal to or at most ``total``; ``"box"``: ``Box(lower, upper)`` with
        ``lower`` in [-5, 5] and widths in [0, 5]; ``"any"``: either.

    Returns
    -------
    hypothesis.strategies.SearchStrategy of DecisionProblem
        Scenarios and intercepts in [-10, 10] (see :func:`draws`), with a
        feasible point ``problem.feasible``.

    Raises
    ------
    DecideValueError
        If ``space`` is unknown or a count is below its minimum.

    Examples
    --------
    >>> import numpy as np
    >>> from hypothesis import given, settings
    >>> from decide.measures import Mean
    >>> from decide.optimization import optimize
    >>> from decide.testing import decision_problems
    >>> @settings(max_examples=5, derandomize=True, database=None, deadline=None)
    ... @given(decision_problems(space="box"))
    ... def test_beats_a_feasible_point(p):
    ...     d = optimize(p.outcome, Mean(), p.space)
    ...     assert d.value >= Mean()(p.outcome.draws(p.feasible)) - 1e-6 * (1 + abs(d.value))
    >>> test_beats_a_feasible_point()
    """
    if space not in ("budget", "box", "any"):
        raise DecideValueError(f"space must be 'budget', 'box' or 'any'; got {space!r}.")
    na = _int_strategy(n_actions, "n_actions", 1)
    ns = _int_strategy(n_samples, "n_samples", 2)
    assert na is not None and ns is not None
    return _problems(na, ns, space)
