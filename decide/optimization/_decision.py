"""The result of :func:`decide.optimize`: the chosen action and how it was found."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

__all__ = ["Decision", "Diagnostics"]


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
            zero) and ``converged``; indexed by the option label or ``"decision"``.

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
        return pd.DataFrame([row], index=pd.Index([self.option or "decision"], name="decision"))

    def __repr__(self) -> str:
        d = self.diagnostics
        shown = ", ".join(f"{lab}={v:.6g}" for lab, v in zip(self._labels, self.flat_action))
        opt = f"  option: {self.option!r}\n" if self.option is not None else ""
        flag = "" if d.converged else "  (NOT CONVERGED)"
        return (
            f"Decision(method={self.method!r}, solver={d.solver!r}, status={d.status!r}{flag})\n"
            f"{opt}  action: {shown}\n"
            f"  value: {self.value:.6g}   objective: {self.objective!r}\n"
            f"  space: {self.space!r}\n"
            f"{_constraint_lines(self.constraints)}"
            f"  {d.evaluations} evaluations, {d.iterations} iterations, {d.wall_time:.3g} s"
        )


def _constraint_lines(table: pd.DataFrame) -> str:
    """One line per constraint for the repr (empty without constraints)."""
    lines = []
    for name, row in table.iterrows():
        state = "binding" if row["binding"] else ("ok" if row["satisfied"] else "VIOLATED")
        price = "" if not np.isfinite(row["shadow_price"]) else f", shadow price {row['shadow_price']:.4g}"
        lines.append(f"  subject to {name}: value {row['value']:.6g} ({state}{price})\n")
    return "".join(lines)

