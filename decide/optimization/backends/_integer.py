"""Integer actions for outcomes without an exact convex form: relax, round, local search.

The continuous relaxation is solved with the scipy backend, rounded to the
nearest integer point, repaired to feasibility and improved by a steepest-ascent
search over unit moves (one element +-1) and unit transfers (+1 on one element,
-1 on another, which keeps a budget's sum). The result is a local optimum over
those moves, not a certified global one; the diagnostics say so.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from decide.errors import InfeasibleError
from decide.optimization._decision import Decision, Diagnostics
from decide.optimization._polyhedron import LinearSystem, _fmt
from decide.optimization._problem import Problem
from decide.optimization.backends._scipy import solve_scipy

__all__ = ["solve_integer_search"]


def _moves(n: int) -> list[np.ndarray]:
    eye = np.eye(n)
    out = [eye[i] for i in range(n)] + [-eye[i] for i in range(n)]
    out += [eye[i] - eye[j] for i in range(n) for j in range(n) if i != j]
    return out


def _total_violation(system: LinearSystem, x: np.ndarray) -> float:
    v = float(np.sum(np.maximum(system.lb - x, 0)) + np.sum(np.maximum(x - system.ub, 0)))
    if system.A_ub.shape[0]:
        v += float(np.sum(np.maximum(system.A_ub @ x - system.b_ub, 0)))
    if system.A_eq.shape[0]:
        v += float(np.sum(np.abs(system.A_eq @ x - system.b_eq)))
    return v


def _repair(system: LinearSystem, x: np.ndarray, moves: list[np.ndarray], limit: int) -> np.ndarray:
    """Greedy unit moves that reduce the total violation until the point is feasible."""
    viol = _total_violation(system, x)
    for _ in range(limit):
        if viol <= 1e-9:
            return x
        cands = [(_total_violation(system, x + m), i) for i, m in enumerate(moves)]
        best, i = min(cands)
        if best >= viol:
            break
        x, viol = x + moves[i], best
    if viol > 1e-9:
        raise InfeasibleError(
            f"no integer action found near the continuous optimum: the best rounded point "
            f"{_fmt(x)} still violates the constraints by {viol:.3g}. The integer space may be "
            "empty; check the bounds and totals."
        )
    return x


def solve_integer_search(
    prob: Problem, *, rng: np.random.Generator, max_steps: int = 1000, **scipy_options: Any
) -> Decision:
    """Relax, round, repair and improve by local search (see the module notes).

    Parameters
    ----------
    prob : Problem
        With an :class:`~decide.optimization.Integer` space.
    rng : numpy.random.Generator
    max_steps : int
        Most improving moves taken.
    **scipy_options
        Passed to the continuous relaxation (``n_starts``, ``x0``, ...).
    """
    system = prob.system
    assert system is not None
    lb = np.where(np.isfinite(system.lb), np.ceil(system.lb - 1e-9), system.lb)
    ub = np.where(np.isfinite(system.ub), np.floor(system.ub + 1e-9), system.ub)
    x_rel, diag_rel = solve_scipy(prob, rng=rng, finish=False, **scipy_options)  # type: ignore[misc]
    diag = Diagnostics(solver=f"{diag_rel.solver} relaxation + rounding + local search")
    diag.fallbacks = diag_rel.fallbacks
    diag.notes = [
        *diag_rel.notes,
        "integer action by rounding the continuous optimum and local search over unit moves "
        "and transfers: a local optimum, not a certified global one (an affine outcome with a "
        "DCP objective gets an exact mixed-integer program with method='cvxpy')",
    ]
    if not diag_rel.converged:
        diag.notes.append(f"the continuous relaxation did not converge ({diag_rel.status})")
    moves = _moves(prob.n)
    x = _repair(system, np.clip(np.round(x_rel), lb, ub) + 0.0, moves, limit=10 * prob.n + 100)
    val = prob.value(x)
    steps, at_local_opt = 0, False
    while steps < max_steps:
        best_val, best_x = val, None
        for m in moves:
            y = x + m
            if _total_violation(system, y) > 1e-9:
                continue
            v = prob.value(y)
            if v > best_val + 1e-12 * (1 + abs(best_val)):
                best_val, best_x = v, y
        if best_x is None:
            at_local_opt = True
            break
        x, val = best_x, best_val
        steps += 1
    if not at_local_opt:
        diag.notes.append(f"local search stopped after max_steps={max_steps} moves")
    diag.status = "local optimum" if at_local_opt else "step limit"
    diag.converged = bool(diag_rel.converged) and at_local_opt
    diag.iterations = diag_rel.iterations + steps
    return prob.finish(x, "scipy", diag, value=val)
