"""Constraints on outcomes in ``optimize(..., subject_to=[...])``: checks, the table, the errors.

A constraint is an :class:`~decide.measures.OutcomeConstraint` (``CVaR(0.05) >= -100``).
Each backend that accepts constraints solves them its own way (LP rows, a
mixed-integer program, cvxpy constraints, SLSQP constraints, filtering options);
this module holds what they share: validating ``subject_to``, the table of values,
slacks and shadow prices in ``Decision.constraints``, and the
:class:`~decide.errors.InfeasibleError` that gives the closest achievable value.

Conventions: outcomes are rewards (higher is better), risk lives in the lower
tail, ``alpha`` is the tail probability.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from decide import _config
from decide.errors import DecideTypeError, DecideValueError, InfeasibleError
from decide.measures import OutcomeConstraint

if TYPE_CHECKING:
    from decide.optimization._decision import Diagnostics
    from decide.optimization._problem import Problem

__all__ = [
    "CHANCE_MODES",
    "TABLE_COLUMNS",
    "as_constraints",
    "check_chance",
    "constraint_table",
    "empty_table",
    "raise_infeasible",
]

#: Columns of ``Decision.constraints``.
TABLE_COLUMNS = ("value", "bound", "sense", "slack", "satisfied", "binding", "shadow_price")
#: Values of ``optimize(chance=...)``.
CHANCE_MODES = ("auto", "exact", "cvar")


def as_constraints(subject_to: Any) -> tuple[OutcomeConstraint, ...]:
    """``subject_to`` as a tuple of constraints (None: none).

    Raises
    ------
    DecideTypeError
        If an item is not a constraint (the message says how to make one).
    """
    if subject_to is None:
        return ()
    if isinstance(subject_to, OutcomeConstraint):
        return (subject_to,)
    if isinstance(subject_to, str | bytes) or not isinstance(subject_to, Sequence | set | frozenset):
        raise DecideTypeError(
            "subject_to must be a list of constraints made by comparing an objective with a "
            f"number (e.g. [CVaR(0.05) >= -100, Mean() >= 10]); got {type(subject_to).__name__}."
        )
    out = []
    for i, c in enumerate(subject_to):
        if not isinstance(c, OutcomeConstraint):
            raise DecideTypeError(
                f"subject_to[{i}] must be a constraint made by comparing a decide objective with a "
                f"number (CVaR(0.05) >= -100, VaR(0.1) >= 10_000, Mean() >= 0); got "
                f"{type(c).__name__} ({c!r})."
            )
        out.append(c)
    return tuple(out)


def check_chance(chance: Any) -> str:
    """Validate ``optimize(chance=...)``."""
    if chance not in CHANCE_MODES:
        raise DecideValueError(
            f"chance must be one of {list(CHANCE_MODES)} (how chance constraints such as "
            f"VaR(0.1) >= t are solved); got {chance!r}."
        )
    return str(chance)


def empty_table() -> pd.DataFrame:
    """``Decision.constraints`` without constraints: no rows, the usual columns."""
    return pd.DataFrame({c: [] for c in TABLE_COLUMNS}, index=pd.Index([], name="constraint"))


def constraint_table(
    prob: Problem, x: np.ndarray, draws: np.ndarray, shadow: Any, diag: Diagnostics
) -> pd.DataFrame:
    """Value, bound, slack, satisfied, binding and shadow price of every constraint at ``x``.

    A violated constraint sets ``diag.converged = False`` with a note: the answer is
    verified on the draws, whatever the solver said.
    """
    if not prob.constraints:
        return empty_table()
    prices = np.full(len(prob.constraints), np.nan)
    if shadow is not None:
        prices = np.asarray(shadow, dtype=np.float64).reshape(len(prob.constraints))
    rows = []
    for c, price in zip(prob.constraints, prices):
        value = c.value(draws, prob.weights, action=x)
        slack = value - c.bound if c.sense == ">=" else c.bound - value
        scale = max(1.0, abs(c.bound))
        ok = slack >= -_config.OUTCOME_CONSTRAINT_RTOL * scale
        binding = ok and slack <= _config.OUTCOME_CONSTRAINT_BINDING_RTOL * scale
        if not ok:
            diag.converged = False
            diag.notes.append(f"the constraint {c!r} is violated at the action: value {value:.6g}")
        rows.append(
            {"value": value, "bound": c.bound, "sense": c.sense, "slack": slack,
             "satisfied": bool(ok), "binding": bool(binding), "shadow_price": float(price)}
        )
    return pd.DataFrame(rows, index=pd.Index([repr(c) for c in prob.constraints], name="constraint"))


def raise_infeasible(
    prob: Problem, best: Callable[[OutcomeConstraint], float | None], how: str
) -> None:
    """Raise :class:`InfeasibleError` with the best achievable value of each constraint.

    Parameters
    ----------
    prob : Problem
    best : callable
        ``best(c)``: the largest (for ``>=``) or smallest (for ``<=``) value of the
        constraint's measure over the space alone, or None when unknown.
    how : str
        How the best values were computed (goes into the message).
    """
    parts, alone = [], []
    for c in prob.constraints:
        b = best(c)
        if b is None:
            continue
        word = "best" if c.sense == ">=" else "lowest"
        what = "floor" if c.sense == ">=" else "cap"
        reach = b >= c.bound if c.sense == ">=" else b <= c.bound
        scale = max(1.0, abs(c.bound)) * _config.OUTCOME_CONSTRAINT_RTOL
        reach = reach or abs(b - c.bound) <= scale
        if not reach:
            alone.append(
                f"the {word} {c.objective!r} in this space is {b:.6g}; the {what} asks for "
                f"{c.bound:.6g}"
            )
        parts.append(f"{c!r}: {word} alone {b:.6g}")
    if alone:
        raise InfeasibleError(
            "no action meets the constraints: " + "; ".join(alone) + f" ({how}). Relax the "
            "bound or widen the space."
        )
    unknown = [c for c in prob.constraints if best(c) is None]
    if len(prob.constraints) == 1 or len(unknown) == len(prob.constraints):
        # nothing shows that each can be met alone: do not call them contradictory
        shown = "; ".join(parts)
        raise InfeasibleError(
            f"no action meets {'the constraint' if len(prob.constraints) == 1 else 'the constraints'} "
            f"{', '.join(repr(c) for c in prob.constraints)}"
            + (f" ({shown}; {how})" if shown else "")
            + ". Relax the bound or widen the space."
        )
    raise InfeasibleError(
        "the constraints are contradictory: each can be met on its own, but no action meets "
        f"them all ({'; '.join(parts) or 'no per-constraint values available'}; {how}). "
        "Relax one of them."
    )
