"""The result of :func:`decide.optimize`: the chosen action and how it was found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["Decision", "Diagnostics", "Verification"]


@dataclass(frozen=True)
class Verification:
    """How a decision was checked after the solve (``Decision.diagnostics.verification``).

    ``Decision.converged`` is True only when the solver stopped normally *and*
    every check here passed.

    Attributes
    ----------
    passed : bool
        Whether every check passed.
    checks : dict of str to bool
        Each check run and whether it passed:

        * ``"certificate"``: an exact solver proved optimality (cvxpy, the CVaR LP);
        * ``"enumeration"``: every option of a Discrete space was scored;
        * ``"integer_neighbours"``: no feasible unit move or transfer improves an
          integer action;
        * ``"local_probe"``: no feasible point a small step away (1% and 0.1% of the
          space's width along each direction) scores better than the decision by
          more than a tolerance, on the same draws;
        * ``"starts"``: at least two starts of a multi-start solve reached the best
          score (within a tolerance);
        * ``"optimality_gap"``: the statistical optimality gap of a sample-average
          problem (re-solved on independent batches of the draws, Mak, Morton and
          Wood 1999) has an upper 95% confidence bound within tolerance.
    details : dict of str to object
        The numbers behind each check (best probe improvement and where, start
        scores, the gap estimate and its interval, the batch solutions, ...).
    advice : str
        What to do when a check failed (empty when all passed).

    References
    ----------
    .. [1] Mak, W.-K., Morton, D. P. and Wood, R. K. (1999). Monte Carlo bounding
       techniques for determining solution quality in stochastic programs.
       Operations Research Letters, 24, 47-56.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.measures import Mean
    >>> from decide.optimization import Box, optimize
    >>> from decide.outcomes import from_function
    >>> theta = np.random.default_rng(0).normal(3.0, 0.5, size=500)
    >>> om = from_function(lambda a, p: p["t"] * a - a**2, {"t": theta}, action_shape=())
    >>> v = optimize(om, Mean(), Box(0.0, 5.0)).diagnostics.verification
    >>> v.passed, v.checks["local_probe"]
    (True, True)
    """

    passed: bool
    checks: dict[str, bool]
    details: dict[str, Any] = field(default_factory=dict)
    advice: str = ""

    @property
    def label(self) -> str:
        """A short label for tables.

        For example ``"verified (local_probe, starts)"`` or ``"FAILED local_probe"``.
        """
        if self.passed:
            return f"verified ({', '.join(self.checks)})"
        return "FAILED " + ", ".join(k for k, ok in self.checks.items() if not ok)

    def __str__(self) -> str:
        parts = ", ".join(f"{k} {'ok' if ok else 'FAILED'}" for k, ok in self.checks.items())
        return f"verified ({parts})" if self.passed else f"NOT verified ({parts}). {self.advice}"


@dataclass
class Diagnostics:
    """How the solver got to the decision.

    Attributes
    ----------
    status : str
        The solver's final status (e.g. ``"optimal"``, ``"Optimization terminated successfully"``).
    converged : bool
        Whether the chosen solve met its convergence criterion.
    iterations : int
        Iterations of the solve that produced the action (summed over starts for scipy).
    evaluations : int
        Objective evaluations (each one scores all posterior draws).
    wall_time : float
        Seconds spent in :func:`~decide.optimize`, setup included.
    solver : str
        The solver that produced the action (``"SLSQP"``, ``"CLARABEL"``, ``"HIGHS"``, ...).
    fallbacks : list of str
        Solvers that failed before ``solver`` succeeded, with the reason.
    notes : list of str
        Anything worth knowing: finite differences, rounding, scaling, constraint violation.
    starts : list of dict
        One record per start of a multi-start search (start point, value, status).
    certificate : dict or None
        Certified bounds on the optimal value, for solvers that prove them
        (``"cvar-lp"``): ``lower_bound`` (the value at the action),
        ``upper_bound``, ``gap`` (relative, see :func:`~decide.optimization.solve_cvar_lp`),
        ``band_size`` and ``rounds``. Values are on the objective's scale.
    warm_state : object or None
        Solver state the next solve of a sweep can start from: pass the decision
        as ``optimize(..., warm_start=decision)``. Set by ``"cvar-lp"`` (a
        :class:`~decide.optimization.CVaRLPWarm`), else None.
    method_reason : str
        Why this method was used: the rule of ``method="auto"`` that picked it
        (or that it was requested) and what it does for this problem.
    verification : Verification or None
        How the answer was checked after the solve (see :class:`Verification`).
    """

    status: str = ""
    converged: bool = False
    iterations: int = 0
    evaluations: int = 0
    wall_time: float = 0.0
    solver: str = ""
    fallbacks: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    starts: list[dict[str, Any]] = field(default_factory=list)
    certificate: dict[str, float] | None = None
    warm_state: Any = None
    method_reason: str = ""
    verification: Verification | None = None


class Decision:
    """A chosen action with its score, outcome draws and solver diagnostics.

    Outcomes are rewards (higher is better); risk is in the lower tail.

    Attributes
    ----------
    action : xarray.DataArray or xarray.Dataset
        The action, named and labelled as the outcome's ``action_space``.
    flat_action : ndarray of shape (size,)
        The same action as a flat vector.
    option : str or None
        The label of the chosen option for a :class:`~decide.optimization.Discrete` space.
    value : float
        The objective's score at the action (higher is better).
    draws : ndarray of shape (n_samples,) or (n_samples, n_replicates)
        Outcome draws at the action, sample axis first.
    objective : Objective
    space : Space
    method : str
        The backend that produced the action (``"cvxpy"``, ``"scipy"``, ``"enumerate"``, ...).
    diagnostics : Diagnostics
    table : pandas.DataFrame or None
        For ``method="enumerate"``: the score of every option.
    constraints : pandas.DataFrame
        One row per constraint on outcomes (``optimize(..., subject_to=[...])``),
        indexed by the constraint: ``value`` (the measure at the action), ``bound``,
        ``slack`` (distance inside the bound; negative when violated),
        ``satisfied``, ``binding`` and ``shadow_price`` (the gain of the optimal
        value per unit relaxation of the bound, NaN where the solver gives none).
        Empty without constraints.
    extrapolation : pandas.DataFrame or None
        The action against the range of the action in the data the model was fitted
        on (:meth:`~decide.outcomes.OutcomeModel.observed_range`), one row per cell
        (the model's own cells for a mapped decision): ``value``, ``observed_min``,
        ``observed_max``, ``outside`` and ``distance`` (how far outside, 0 inside).
        None when the outcome declares no observed range.
    """

    def __init__(
        self,
        *,
        action: xr.DataArray | xr.Dataset,
        flat_action: np.ndarray,
        value: float,
        draws: np.ndarray,
        objective: Any,
        space: Any,
        method: str,
        diagnostics: Diagnostics,
        option: str | None = None,
        table: pd.DataFrame | None = None,
        labels: list[str] | None = None,
        constraints: pd.DataFrame | None = None,
        extrapolation: pd.DataFrame | None = None,
    ):
        self.action = action
        self.flat_action = flat_action
        self.value = float(value)
        self.draws = draws
        self.objective = objective
        self.space = space
        self.method = method
        self.diagnostics = diagnostics
        self.option = option
        self.table = table
        self._labels = labels or [str(i) for i in range(np.size(flat_action))]
        if constraints is None:
            from decide.optimization._outcome_constraints import empty_table

            constraints = empty_table()
        self.constraints = constraints
        self.extrapolation = extrapolation

    @property
    def converged(self) -> bool:
        """Shortcut for ``diagnostics.converged``."""
        return self.diagnostics.converged

    def summary(self) -> pd.DataFrame:
        """A one-row risk summary of the outcome draws at the action.

        Returns
        -------
        pandas.DataFrame
            Columns ``value`` (the objective), ``mean``, ``sd``, quantiles ``q5``,
            ``q25``, ``q50``, ``q75``, ``q95``, ``cvar_5`` and ``cvar_10`` (mean of the
            worst 5% / 10% of draws, a reward), ``prob_loss`` (share of draws below
            zero) and ``converged``; with an observed range of the action (see
            :attr:`extrapolation`) also ``outside_observed``, the number of cells outside
            it; indexed by the option label or ``"decision"``.

        Examples
        --------
        >>> import numpy as np
        >>> from decide.measures import Mean
        >>> from decide.optimization import Budget, optimize
        >>> from decide.outcomes import linear
        >>> R = np.random.default_rng(0).normal([0.05, 0.02], [0.2, 0.05], size=(400, 2))
        >>> d = optimize(linear(R), Mean(), Budget(1.0))
        >>> list(d.summary().columns)[:3]
        ['value', 'mean', 'sd']
        """
        from decide.measures import risk_summary

        row: dict[str, Any] = {"value": self.value, **risk_summary(self.draws)}
        row["converged"] = self.diagnostics.converged
        if self.extrapolation is not None:
            row["outside_observed"] = int(self.extrapolation["outside"].sum())
        return pd.DataFrame([row], index=pd.Index([self.option or "decision"], name="decision"))

    def __repr__(self) -> str:
        d = self.diagnostics
        shown = ", ".join(f"{lab}={v:.6g}" for lab, v in zip(self._labels, self.flat_action))
        opt = f"  option: {self.option!r}\n" if self.option is not None else ""
        flag = "" if d.converged else "  (NOT CONVERGED)"
        ver = f"\n  verification: {d.verification}" if d.verification is not None else ""
        return (
            f"Decision(method={self.method!r}, solver={d.solver!r}, status={d.status!r}{flag})\n"
            f"{opt}  action: {shown}\n"
            f"  value: {self.value:.6g}   objective: {self.objective!r}\n"
            f"  space: {self.space!r}\n"
            f"{_constraint_lines(self.constraints)}"
            f"{_extrapolation_line(self.extrapolation)}"
            f"  {d.evaluations} evaluations, {d.iterations} iterations, {d.wall_time:.3g} s"
            f"{ver}"
        ) + "".join(f"\n  note: {note}" for note in d.notes)


def _extrapolation_line(table: pd.DataFrame | None) -> str:
    """The extrapolation report in one line (empty without an observed range)."""
    if table is None:
        return ""
    from decide.optimization._guard import extrapolation_note

    return f"  extrapolation: {extrapolation_note(table)}\n"


def _constraint_lines(table: pd.DataFrame) -> str:
    """One line per constraint for the repr (empty without constraints)."""
    lines = []
    for name, row in table.iterrows():
        state = "binding" if row["binding"] else ("ok" if row["satisfied"] else "VIOLATED")
        price = "" if not np.isfinite(row["shadow_price"]) else f", shadow price {row['shadow_price']:.4g}"
        lines.append(f"  subject to {name}: value {row['value']:.6g} ({state}{price})\n")
    return "".join(lines)

