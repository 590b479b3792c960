"""Outcome models shared by the backend tests (their expected values are computed in each test)."""

from __future__ import annotations

import numpy as np

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
