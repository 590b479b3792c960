"""Shared helpers for the measure tests: Monte Carlo tolerances, cvxpy and finite differences."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest


def batch_tolerance(
    estimator: Callable[[np.ndarray], float], x: np.ndarray, n_batches: int = 20, k: float = 5.0
) -> float:
    """``k`` Monte Carlo standard errors of ``estimator(x)``, by batch means."""
    batches = np.array([estimator(b) for b in np.array_split(x, n_batches)])
    return k * float(np.std(batches, ddof=1)) / np.sqrt(n_batches)


def solve_cvxpy(objective, x: np.ndarray, weights=None) -> float:
    """Maximize ``objective.to_cvxpy(expr)`` over its auxiliary variables with ``expr`` fixed to ``x``."""
    cp = pytest.importorskip("cvxpy")
    v = cp.Variable(x.shape)
    expr = objective.to_cvxpy(v, weights)
    assert expr.is_dcp() and expr.is_concave()
    prob = cp.Problem(cp.Maximize(expr), [v == x])
    prob.solve(solver="CLARABEL", tol_gap_abs=1e-9, tol_gap_rel=1e-9, tol_feas=1e-9)
    assert prob.status == "optimal"
    return float(prob.value)


def central_difference(
    f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-6
) -> np.ndarray:
    g = np.zeros_like(x)
    for idx in np.ndindex(x.shape):
        e = np.zeros_like(x)
        e[idx] = h
        g[idx] = (f(x + e) - f(x - e)) / (2 * h)
    return g


@pytest.fixture
def helpers():
    class H:
        tol = staticmethod(batch_tolerance)
        cvx = staticmethod(solve_cvxpy)
        fd = staticmethod(central_difference)

    return H
