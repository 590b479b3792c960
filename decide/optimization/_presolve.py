"""Presolve of a linear action space: fixed variables and equality rows eliminated.

A Box & LinearConstraints space often leaves far fewer free dimensions than it
has action elements: a budget plan over a date x channel grid fixes every cell
outside the window by its bounds, and equality rows tie the window's cells
together (96 elements, 3 free dimensions for an 8-week, 4-channel window). The
optimizer then works in the space the constraints leave, through the affine map

.. math:: x = T y + t,

where ``y`` is a subset of the action elements (the *independent* ones, so their
bounds stay simple bounds), the fixed elements are constants in ``t`` and the
*dependent* elements solve the equality rows, ``x_B = c + D y_N``; their bounds
become inequality rows on ``y``. Every ``y`` of the reduced polyhedron maps to an
``x`` of the original one and every feasible ``x`` is ``T x_N + t``: the two
problems have the same optimum.

Reference: Andersen, E. D. and Andersen, K. D. (1995). Presolving in linear
programming. *Mathematical Programming* 71, 221-245 (fixed variables, singleton
and equality-row eliminations).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from decide._config import FEASIBILITY_RTOL
from decide.optimization._polyhedron import LinearSystem

__all__ = ["Reduction", "presolve"]


@dataclass(frozen=True)
class Reduction:
    """The reduced problem ``x = T @ y + t`` with ``y`` in :attr:`system`.

    Attributes
    ----------
    T : ndarray of shape (n, k)
    t : ndarray of shape (n,)
    system : LinearSystem
        The polyhedron of ``y`` (no equality rows).
    free : ndarray of int, shape (k,)
        The action elements that ``y`` is: ``y = x[free]``.
    n_fixed : int
        Elements fixed by their bounds.
    n_eliminated : int
        Elements eliminated through the equality rows (their rank).
    """

    T: np.ndarray
    t: np.ndarray
    system: LinearSystem
    free: np.ndarray
    n_fixed: int
    n_eliminated: int

    def lift(self, y: np.ndarray) -> np.ndarray:
        """The full action ``T @ y + t`` of shape (n,)."""
        return self.T @ y + self.t

    def project(self, x: np.ndarray) -> np.ndarray:
        """The reduced coordinates ``x[free]`` of a feasible full action."""
        return np.asarray(x, dtype=np.float64)[self.free]


def presolve(system: LinearSystem) -> Reduction | None:
    """Eliminate the fixed elements and the equality rows of ``system``.

    Parameters
    ----------
    system : LinearSystem
        ``lb <= x <= ub, A_ub x <= b_ub, A_eq x == b_eq``.

    Returns
    -------
    Reduction or None
        None when nothing is eliminated, or when the equality rows are
        inconsistent (the caller's solver then reports infeasibility).
    """
    from scipy.linalg import qr

    n = system.n
    lb, ub = system.lb, system.ub
    fixed = np.isfinite(lb) & np.isfinite(ub)
    fixed[fixed] = ub[fixed] - lb[fixed] <= FEASIBILITY_RTOL * (
        1.0 + np.maximum(np.abs(lb[fixed]), np.abs(ub[fixed]))
    )
    x_fixed = np.zeros(n)
    x_fixed[fixed] = (lb[fixed] + ub[fixed]) / 2
    rest = np.flatnonzero(~fixed)
    A_eq, b_eq = system.A_eq, system.b_eq
    dep = np.zeros(0, dtype=int)
    indep = rest
    c = np.zeros(0)
    D = np.zeros((0, rest.size))
    if A_eq.shape[0] and rest.size:
        A = A_eq[:, rest]
        r_rhs = b_eq - A_eq[:, fixed] @ x_fixed[fixed]
        _, R, piv = qr(A, mode="economic", pivoting=True)
        diag = np.abs(np.diag(R))
        rank = int(np.sum(diag > 1e-10 * max(1.0, float(diag[0]) if diag.size else 1.0)))
        if rank:
            B, N = piv[:rank], np.sort(piv[rank:])
            AB, AN = A[:, B], A[:, N]
            # x_B = c + D x_N solves the (possibly redundant) rows exactly in least squares
            sol, *_ = np.linalg.lstsq(AB, np.column_stack([r_rhs, -AN]), rcond=None)
            c, D = sol[:, 0], sol[:, 1:]
            resid = AB @ c - r_rhs
            if np.max(np.abs(resid), initial=0.0) > 1e-9 * (1 + np.max(np.abs(r_rhs), initial=0)):
                return None  # inconsistent rows: left to the solver's infeasibility report
            if np.max(np.abs(AB @ D + AN), initial=0.0) > 1e-9 * (1 + np.max(np.abs(A))):
                return None
            dep, indep = rest[B], rest[N]
    elif A_eq.shape[0]:
        if np.max(np.abs(A_eq[:, fixed] @ x_fixed[fixed] - b_eq)) > 1e-9 * (1 + np.max(np.abs(b_eq))):
            return None
    if not fixed.any() and dep.size == 0:
        return None
    k = indep.size
    T = np.zeros((n, k))
    T[indep, np.arange(k)] = 1.0
    if dep.size:
        T[dep] = D
    t = x_fixed.copy()
    if dep.size:
        t[dep] = c
    rows: list[np.ndarray] = []
    rhs: list[np.ndarray] = []
    names: list[str] = []
    if system.A_ub.shape[0]:
        rows.append(system.A_ub @ T)
        rhs.append(system.b_ub - system.A_ub @ t)
        names += list(system.rows_ub) or [f"inequality row {i}" for i in range(system.A_ub.shape[0])]
    for j, i in enumerate(dep):  # bounds of the dependent elements
        for bound, sign, word in ((ub[i], 1.0, "upper"), (lb[i], -1.0, "lower")):
            if np.isfinite(bound):
                rows.append(sign * D[j][None, :])
                rhs.append(np.array([sign * (bound - c[j])]))
                names.append(f"{word} bound of element {i}")
    A_ub = np.vstack(rows) if rows else np.zeros((0, k))
    b_ub = np.concatenate(rhs) if rhs else np.zeros(0)
    keep = np.any(np.abs(A_ub) > 0, axis=1) if A_ub.shape[0] else np.zeros(0, dtype=bool)
    if A_ub.shape[0] and not keep.all():  # constant rows: satisfied (or the space is empty)
        if np.any(b_ub[~keep] < -1e-9 * (1 + np.abs(b_ub[~keep]))):
            return None
        A_ub, b_ub = A_ub[keep], b_ub[keep]
        names = [nm for nm, kp in zip(names, keep) if kp]
    reduced = LinearSystem(
        lb[indep].copy(), ub[indep].copy(), A_ub, b_ub, np.zeros((0, k)), np.zeros(0),
        tuple(names), (),
    )
    return Reduction(T, t, reduced, indep, int(fixed.sum()), int(dep.size))
