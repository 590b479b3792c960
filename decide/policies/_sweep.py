"""``sweep``: how the chosen action moves as one parameter of the problem changes."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd

from decide._validation import as_rng
from decide.errors import DecideTypeError, DecideValueError
from decide.measures import Objective
from decide.optimization import optimize
from decide.outcomes import OutcomeModel
from decide.policies._common import action_columns, as_outcome
from decide.policies._extrapolation import quiet_extrapolation, warn_extrapolation_summary

__all__ = ["sweep"]


def _at(thing: Any, value: Any, name: str) -> Any:
    try:
        return thing(value)
    except (TypeError, ValueError) as exc:
        raise type(exc)(f"{name}({value!r}) failed: {exc}") from exc


def sweep(
    outcome: OutcomeModel,
    objective_factory: Callable[[Any], Objective] | Objective,
    values: Any,
    space: Any = None,
    *,
    parameter: str = "value",
    method: str = "auto",
    random_seed: int | np.random.Generator | None = None,
    **options: Any,
) -> pd.DataFrame:
    r"""Optimize once per value of a parameter and tabulate the chosen actions.

    Outcomes are rewards (higher is better); risk lives in the lower tail and
    ``alpha`` is the tail probability. Draws put the sample axis first.

    Parameters
    ----------
    outcome : OutcomeModel
        Outcome draws under an action.
    objective_factory : callable or Objective
        ``value -> Objective``, e.g. ``lambda lam: Mean() + lam * CVaR(0.05)``
        (risk aversion) or ``CVaR`` (alpha); or one fixed Objective when only
        the space moves.
    values : sequence
        The parameter values, in the order to solve and report.
    space : Space or callable, optional
        The action space, or ``value -> Space`` for a parameter of the space,
        e.g. ``lambda total: Budget(total)`` (optional for ``from_draws``).
    parameter : str, default "value"
        Name of the parameter column.
    method : str, default "auto"
        Passed to :func:`~decide.optimize`.
    random_seed : int or numpy.random.Generator, optional
        Seeds the optimizers; the same seed gives the same table.
    **options
        Passed to :func:`~decide.optimize`.

    Returns
    -------
    pandas.DataFrame
        One row per value: the parameter column, one column per flat action
        element (``outcome.action_space.labels``), ``objective`` (the
        objective's score, higher is better), ``mean``, ``sd``, ``cvar_5``,
        ``cvar_10``, ``prob_loss`` (share of draws below 0) and ``converged``,
        computed on all draws at the chosen action (as in
        :meth:`~decide.optimization.Decision.summary`). ``DataFrame.attrs`` holds
        ``parameter``, ``action_columns``, ``verification`` (one
        :class:`~decide.optimization.Verification` per row, or None) and
        ``extrapolation`` (each row's ``Decision.extrapolation``, or None).

    Warns
    -----
    ExtrapolationWarning
        Once per call (not per value) when some value's action leaves the observed
        range of the training data.

    Raises
    ------
    DecideTypeError
        If ``objective_factory`` is neither callable nor an Objective, or returns
        something that is not an Objective.
    DecideValueError
        If ``values`` is empty or ``parameter`` clashes with another column.

    Notes
    -----
    Each value is an independent call to :func:`~decide.optimize`, so
    any parameter (risk aversion, ``alpha``, a budget total, a bound) can be
    swept. For the mean-risk trade-off on an affine outcome,
    :func:`~decide.policies.frontier` re-solves one convex program instead.
    Here :math:`\mathrm{cvar}_{5}` is the mean of the worst 5% of draws.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.measures import CVaR, Mean
    >>> from decide.optimization import Budget
    >>> from decide.outcomes import linear
    >>> from decide.policies import sweep
    >>> R = np.random.default_rng(0).normal([0.08, 0.03], [0.30, 0.05], size=(500, 2))
    >>> table = sweep(linear(R), CVaR, [0.5, 0.05], Budget(1.0), parameter="alpha")
    >>> bool(table["action[1]"].iloc[1] > table["action[1]"].iloc[0])   # a thinner tail: safer
    True
    >>> table = sweep(linear(R), Mean(), [1.0, 2.0], lambda t: Budget(t), parameter="total")
    >>> table[["total", "action[0]", "action[1]"]].round(6).to_numpy().tolist()
    [[1.0, 1.0, 0.0], [2.0, 2.0, 0.0]]
    """
    outcome = as_outcome(outcome)
    if not (isinstance(objective_factory, Objective) or callable(objective_factory)):
        raise DecideTypeError(
            "objective_factory must be a callable value -> Objective (e.g. lambda lam: Mean() + "
            f"lam * CVaR(0.05)) or an Objective; got {type(objective_factory).__name__}."
        )
    vals = list(values) if not isinstance(values, str) else [values]
    if not vals:
        raise DecideValueError("values must hold at least one parameter value; got none.")
    cols = action_columns(outcome)
    if parameter in cols or parameter in ("objective", "mean", "sd", "converged"):
        raise DecideValueError(
            f"parameter={parameter!r} clashes with a column of the table; choose another name."
        )
    rng = as_rng(random_seed)
    with quiet_extrapolation():
        rows, verifications, reports = _solve_all(
            outcome, objective_factory, vals, space, method, rng, options, cols, parameter
        )
    table = pd.DataFrame(rows)
    table.attrs.update(parameter=parameter, action_columns=cols, verification=verifications,
                       extrapolation=reports)
    warn_extrapolation_summary(
        dict(zip((f"{parameter}={v!r}" for v in vals), reports)), "values",
        options.get("within_observed"),
    )
    return table


def _solve_all(
    outcome: OutcomeModel, objective_factory: Any, vals: list[Any], space: Any, method: str,
    rng: np.random.Generator, options: dict[str, Any], cols: list[str], parameter: str,
) -> tuple[list[dict[str, Any]], list[Any], list[pd.DataFrame | None]]:
    """One optimize per value: the rows, their verifications and extrapolation reports."""
    rows = []
    verifications: list[Any] = []
    reports: list[pd.DataFrame | None] = []
    last = None
    for v in vals:
        if isinstance(objective_factory, Objective):
            objective = objective_factory
        else:
            objective = _at(objective_factory, v, "objective_factory")
            if not isinstance(objective, Objective):
                raise DecideTypeError(
                    f"objective_factory({v!r}) must return a decide Objective; got "
                    f"{type(objective).__name__}."
                )
        where = _at(space, v, "space") if callable(space) else space
        opts = dict(options)
        if last is not None and last.diagnostics.warm_state is not None:
            opts.setdefault("warm_start", last)  # cvar-lp: start at the previous value's action
        d = optimize(outcome, objective, space=where, method=method, random_seed=rng, **opts)
        last = d
        summary = d.summary().iloc[0]
        row: dict[str, Any] = {parameter: v}
        row.update(zip(cols, np.asarray(d.flat_action, dtype=np.float64).tolist()))
        row["objective"] = float(summary["value"])
        for key in ("mean", "sd", "cvar_5", "cvar_10", "prob_loss"):
            row[key] = float(summary[key])
        row["converged"] = bool(d.converged)
        verifications.append(d.diagnostics.verification)
        reports.append(d.extrapolation)
        rows.append(row)
    return rows, verifications, reports
