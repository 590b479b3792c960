"""The polyhedron form of a linear action space.

Feasibility checks, violations, and its forms for scipy's ``linprog`` and for cvxpy.
Every backend and the CVaR LP use this one class.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

import numpy as np

from decide._config import FEASIBILITY_RTOL
from decide.errors import InfeasibleError

__all__ = ["LinearSystem"]


def _fmt(values: np.ndarray, limit: int = 8) -> str:
    vals = [f"{v:g}" for v in np.asarray(values, float).reshape(-1)]
    if len(vals) > limit:
        vals = [*vals[:limit], "..."]
    return "[" + ", ".join(vals) + "]"


@dataclass(frozen=True)
class LinearSystem:
    """The polyhedron ``lb <= x <= ub, A_ub @ x <= b_ub, A_eq @ x == b_eq``.

    Attributes
    ----------
    lb, ub : ndarray of shape (n,)
        Bounds on the flat action; ``-inf`` / ``inf`` where unbounded.
    A_ub : ndarray of shape (k_ub, n)
    b_ub : ndarray of shape (k_ub,)
    A_eq : ndarray of shape (k_eq, n)
    b_eq : ndarray of shape (k_eq,)
    rows_ub, rows_eq : tuple of str
        Which constraint each row comes from (for error messages).
    """

    lb: np.ndarray
    ub: np.ndarray
    A_ub: np.ndarray
    b_ub: np.ndarray
    A_eq: np.ndarray
    b_eq: np.ndarray
    rows_ub: tuple[str, ...] = ()
    rows_eq: tuple[str, ...] = ()
    _l1: Any = dataclasses.field(default=None, init=False, compare=False, repr=False)

    def __getstate__(self) -> dict[str, Any]:
        # the L1 projector holds a HiGHS instance, which neither pickles nor copies
        return {**self.__dict__, "_l1": None}

    @property
    def n(self) -> int:
        """Number of action variables."""
        return int(self.lb.shape[0])

    @property
    def bounded(self) -> bool:
        """Whether every variable has finite bounds."""
        return bool(np.all(np.isfinite(self.lb)) and np.all(np.isfinite(self.ub)))

    def implied_bounds(self) -> tuple[np.ndarray, np.ndarray]:
        """Tightest bounds on each element implied by all constraints (``inf`` if unbounded).

        Finite bounds are kept; each infinite one is replaced by the optimum of a
        linear program (``min x_i`` or ``max x_i`` over the polyhedron) when it is finite.
        """
        from decide.optimization.cvar_lp._highs import max_linear

        lb, ub = self.lb.copy(), self.ub.copy()
        if self.A_ub.shape[0] == 0 and self.A_eq.shape[0] == 0:
            return lb, ub
        for i in range(self.n):
            for sign, target in ((-1.0, lb), (1.0, ub)):  # max -x_i gives the lower bound
                if np.isfinite(target[i]):
                    continue
                r = np.zeros(self.n)
                r[i] = sign
                status, _, x = max_linear(r, self)
                if status == "optimal" and x is not None:
                    target[i] = float(x[i])
        return lb, ub

    @property
    def bounds(self) -> list[tuple[float | None, float | None]]:
        """Bounds as ``(lower, upper)`` pairs, ``None`` where unbounded (scipy's form)."""
        return list(zip(_none(self.lb), _none(self.ub)))

    def linprog_kwargs(self) -> dict[str, Any]:
        """Keyword arguments of :func:`scipy.optimize.linprog` for this polyhedron."""
        kw = self.as_kwargs()
        return {
            "A_ub": kw["A_ub"], "b_ub": kw["b_ub"], "A_eq": kw["A_eq"], "b_eq": kw["b_eq"],
            "bounds": self.bounds,
        }

    def cvxpy_constraints(self, x: Any, b_ub: Any = None, b_eq: Any = None) -> list[Any]:
        """The constraints on the cvxpy variable ``x`` of shape (n,).

        Parameters
        ----------
        x : cvxpy.Variable of shape (n,)
        b_ub, b_eq : cvxpy.Parameter, optional
            Right-hand sides to use instead of the constants (to re-solve with new totals).
        """
        cons = []
        fin_lo, fin_hi = np.isfinite(self.lb), np.isfinite(self.ub)
        if fin_lo.any():
            cons.append(x[np.flatnonzero(fin_lo)] >= self.lb[fin_lo])
        if fin_hi.any():
            cons.append(x[np.flatnonzero(fin_hi)] <= self.ub[fin_hi])
        if self.A_ub.shape[0]:
            cons.append(self.A_ub @ x <= (self.b_ub if b_ub is None else b_ub))
        if self.A_eq.shape[0]:
            cons.append(self.A_eq @ x == (self.b_eq if b_eq is None else b_eq))
        return cons

    def violated(self, x: np.ndarray, rtol: float) -> tuple[float, str] | None:
        """The violation and the constraint when ``x`` is outside, else None.

        Outside means by more than ``rtol * (1 + max|x|)`` (see
        :data:`decide._config.SOLUTION_RTOL`).
        """
        viol, where = self.violation(x)
        scale = 1.0 + float(np.max(np.abs(x))) if np.size(x) else 1.0
        return (viol, where) if viol > rtol * scale else None

    def max_violation(self, x: np.ndarray) -> float:
        """Largest absolute violation of any constraint at ``x`` (0 when feasible)."""
        return self.violation(x)[0]

    def scale(self, x: np.ndarray) -> float:
        """A magnitude that makes :meth:`max_violation` relative: ``max(1, |x|, |b|)``."""
        parts = [1.0, float(np.max(np.abs(x), initial=0.0))]
        for arr in (self.b_ub, self.b_eq):
            if arr.size:
                parts.append(float(np.max(np.abs(arr))))
        return max(parts)

    def project_l1(self, y: np.ndarray) -> np.ndarray | None:
        """The point of the polyhedron nearest to ``y`` in L1 distance (one LP), or None.

        ``min sum t  s.t.  t >= x - y, t >= y - x`` and the constraints on ``x``;
        None when HiGHS finds no such point (an empty polyhedron). The LP is built
        once per polyhedron on one HiGHS instance; each call changes only the rows
        that hold ``y`` and solves again from the previous basis (a probe projects
        a dozen nearby points: about 0.1 ms each instead of 2 ms through
        :func:`scipy.optimize.linprog`).
        """
        proj = self._l1
        if proj is None:
            proj = _L1Projector(self)
            object.__setattr__(self, "_l1", proj)
        return proj(np.asarray(y, dtype=np.float64).reshape(self.n))

    def feasible(self, x: np.ndarray, rtol: float = FEASIBILITY_RTOL) -> bool:
        """Whether ``x`` satisfies every constraint within ``rtol`` times :meth:`scale`."""
        return self.max_violation(x) <= rtol * self.scale(x)

    def within(self, center: np.ndarray, radius: float) -> LinearSystem:
        """The same set intersected with the box ``|x - center|_inf <= radius``."""
        return dataclasses.replace(
            self, lb=np.maximum(self.lb, center - radius), ub=np.minimum(self.ub, center + radius)
        )

    def within_box(self, lb: np.ndarray, ub: np.ndarray) -> LinearSystem:
        """The same rows with the bounds ``lb <= x <= ub`` (already intersected by the caller)."""
        return dataclasses.replace(self, lb=lb, ub=ub)

    def tighter_bound_active(self, x: np.ndarray, outer: LinearSystem) -> bool:
        """Whether ``x`` touches a bound of this set that is tighter than ``outer``'s."""
        tol = FEASIBILITY_RTOL * max(1.0, float(np.max(np.abs(x), initial=0.0)))
        hi = (self.ub < outer.ub) & (x >= self.ub - tol)
        lo = (self.lb > outer.lb) & (x <= self.lb + tol)
        return bool(np.any(hi | lo))

    def as_kwargs(self) -> dict[str, Any]:
        """Keyword arguments ``lb, ub, A_ub, b_ub, A_eq, b_eq`` (``None`` for no rows)."""
        has_ub, has_eq = self.A_ub.shape[0] > 0, self.A_eq.shape[0] > 0
        return {
            "lb": self.lb,
            "ub": self.ub,
            "A_ub": self.A_ub if has_ub else None,
            "b_ub": self.b_ub if has_ub else None,
            "A_eq": self.A_eq if has_eq else None,
            "b_eq": self.b_eq if has_eq else None,
        }

    def violation(self, x: np.ndarray) -> tuple[float, str]:
        """Largest constraint violation at ``x`` (absolute) and the constraint it belongs to."""
        worst, where = 0.0, ""
        checks = [
            (self.lb - x, "lower bound"),
            (x - self.ub, "upper bound"),
            (self.A_ub @ x - self.b_ub if self.A_ub.size else np.zeros(0), self.rows_ub),
            (np.abs(self.A_eq @ x - self.b_eq) if self.A_eq.size else np.zeros(0), self.rows_eq),
        ]
        for (viol, names), kind in zip(checks, ("", "", "inequality", "equality")):
            if viol.size and np.max(viol) > worst:
                i = int(np.argmax(viol))
                worst = float(viol[i])
                if isinstance(names, str):
                    where = f"{names} of element {i}"
                else:
                    where = names[i] if i < len(names) else f"{kind} row {i}"
        return worst, where

    def check_feasible(self) -> None:
        """Raise :class:`InfeasibleError` naming the constraint if the polyhedron is empty."""
        bad = np.flatnonzero(self.lb > self.ub + FEASIBILITY_RTOL * (1 + np.abs(self.ub)))
        if bad.size:
            i = int(bad[0])
            raise InfeasibleError(
                f"the action space is empty: element {i} has lower bound {self.lb[i]:g} above "
                f"its upper bound {self.ub[i]:g}. Lower every lower bound to at most its upper bound."
            )
        # one row at a time against the bounds: gives the numbers in the message
        for A, b, names, eq in (
            (self.A_ub, self.b_ub, self.rows_ub, False),
            (self.A_eq, self.b_eq, self.rows_eq, True),
        ):
            for i in range(A.shape[0]):
                a = A[i]
                with np.errstate(invalid="ignore"):
                    lo = np.sum(np.where(a > 0, a * self.lb, 0.0) + np.where(a < 0, a * self.ub, 0.0))
                    hi = np.sum(np.where(a > 0, a * self.ub, 0.0) + np.where(a < 0, a * self.lb, 0.0))
                tol = FEASIBILITY_RTOL * (1 + abs(b[i]))
                if lo > b[i] + tol:
                    word = "equal" if eq else "be at most"
                    raise InfeasibleError(
                        f"the action space is empty: {names[i]} needs the constrained sum to "
                        f"{word} {b[i]:g}, but the bounds force it to be at least {lo:g} (lower "
                        f"bounds {_fmt(self.lb[a != 0])}, upper bounds {_fmt(self.ub[a != 0])} of "
                        "its elements). Lower the lower bounds or raise the total."
                    )
                if eq and hi < b[i] - tol:
                    raise InfeasibleError(
                        f"the action space is empty: {names[i]} needs the constrained sum to equal "
                        f"{b[i]:g}, but the bounds allow at most {hi:g} (lower bounds "
                        f"{_fmt(self.lb[a != 0])}, upper bounds {_fmt(self.ub[a != 0])} of its "
                        "elements). Raise the upper bounds or lower the total."
                    )
        if self.A_ub.shape[0] + self.A_eq.shape[0] > 1:
            from decide.optimization.cvar_lp._highs import max_linear

            if max_linear(np.zeros(self.n), self)[0] == "infeasible":
                raise InfeasibleError(
                    "the action space is empty: the constraints "
                    f"{sorted(set(self.rows_ub + self.rows_eq))} have no common point within the "
                    f"bounds lower={_fmt(self.lb)}, upper={_fmt(self.ub)} (each holds alone). "
                    "Relax one of them."
                )


class _L1Projector:
    """``y -> argmin_x |x - y|_1`` over a :class:`LinearSystem`, on one HiGHS instance.

    Columns ``(x, t)``; rows ``x - t <= y``, ``-x - t <= -y`` (the only ones that
    change with ``y``), then the system's inequality and equality rows. Elements
    fixed by their bounds are fixed columns (HiGHS keeps them out of the basis work).
    """

    def __init__(self, system: LinearSystem):
        from scipy import sparse

        from decide.optimization.cvar_lp._highs import pass_lp, silent_highs

        n = system.n
        self.n = n
        eye = sparse.identity(n, format="csc")
        zero_ub = sparse.csc_matrix((system.A_ub.shape[0], n))
        zero_eq = sparse.csc_matrix((system.A_eq.shape[0], n))
        A = sparse.vstack([
            sparse.hstack([eye, -eye]),
            sparse.hstack([-eye, -eye]),
            sparse.hstack([sparse.csc_matrix(system.A_ub), zero_ub]),
            sparse.hstack([sparse.csc_matrix(system.A_eq), zero_eq]),
        ]).tocsc()
        A.eliminate_zeros()
        k_ub = system.A_ub.shape[0]
        inf = np.inf
        row_lower = np.concatenate([np.full(2 * n + k_ub, -inf), system.b_eq])
        row_upper = np.concatenate([np.zeros(2 * n), system.b_ub, system.b_eq])
        self.h = silent_highs()
        pass_lp(
            self.h, np.concatenate([np.zeros(n), np.ones(n)]),
            np.concatenate([system.lb, np.zeros(n)]), np.concatenate([system.ub, np.full(n, inf)]),
            row_lower, row_upper, A.indptr, A.indices, A.data,
        )
        self.rows = np.arange(2 * n, dtype=np.int32)
        self.lower = np.full(2 * n, -inf)

    def __call__(self, y: np.ndarray) -> np.ndarray | None:
        import highspy

        n = self.n
        self.h.changeRowsBounds(2 * n, self.rows, self.lower, np.concatenate([y, -y]))
        self.h.run()
        if self.h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
            return None
        return np.asarray(self.h.getSolution().col_value[:n], dtype=np.float64)


def _none(v: np.ndarray) -> list[float | None]:
    return [None if not np.isfinite(x) else float(x) for x in v]

