"""Outcome models shared by the backend tests (their expected values are computed in each test)."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from decide.outcomes import OutcomeModel
from decide.outcomes._base import ActionSpec


class LogResponse(OutcomeModel):
    """y_s = sum_j beta_sj * log(1 + x_j): smooth, concave, with its per-draw Jacobian."""

    def __init__(self, beta: np.ndarray):
        self.beta = beta
        self.n_samples = beta.shape[0]
        self.action_space = ActionSpec(("x",), ((beta.shape[1],),))

    def sample_flat(self, x: np.ndarray) -> np.ndarray:
        return self.beta @ np.log1p(x)

    def vjp_flat(self, x: np.ndarray, cotangent: np.ndarray) -> np.ndarray:
        return (cotangent @ self.beta) / (1 + x)

    def draws_and_jacobian_flat(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return self.sample_flat(x), self.beta / (1 + x)[None, :]


def ru_cvar_optimum(
    R: np.ndarray, alpha: float, lb: np.ndarray, ub: np.ndarray, A_eq: np.ndarray,
    b_eq: np.ndarray, A_ub: np.ndarray | None = None, b_ub: np.ndarray | None = None,
) -> float:
    """max_x CVaR_alpha(R x) by the Rockafellar-Uryasev LP in scipy's linprog (independent of decide)."""
    S, n = R.shape
    if A_ub is None:
        A_ub, b_ub = np.zeros((0, n)), np.zeros(0)
    c = np.concatenate([np.zeros(n), [-1.0], np.full(S, 1.0 / (alpha * S))])
    A = np.vstack([np.hstack([-R, np.ones((S, 1)), -np.eye(S)]),
                   np.hstack([A_ub, np.zeros((A_ub.shape[0], S + 1))])])
    A_e = np.hstack([A_eq, np.zeros((A_eq.shape[0], S + 1))])
    bounds = [*zip(lb, ub), (None, None), *([(0, None)] * S)]
    res = linprog(c, A_ub=A, b_ub=np.concatenate([np.zeros(S), b_ub]), A_eq=A_e, b_eq=b_eq,
                  bounds=bounds, method="highs")
    assert res.status == 0
    return -res.fun
