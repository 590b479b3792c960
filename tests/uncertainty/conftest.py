"""Small outcome models with known conditional means and variances, for the uncertainty tests.

Outcomes are rewards; draw arrays put the sample axis first.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pytest

from decide.outcomes import ActionSpec, OutcomeModel


class NormalModel(OutcomeModel):
    """``y | theta, x ~ Normal(theta * x, (sigma * x)^2)``, one scalar action ``x``.

    ``theta`` holds the posterior draws; each draw carries ``n_replicates``
    outcome replicates. ``exact=False`` hides the conditional mean.
    """

    def __init__(
        self,
        theta: np.ndarray,
        sigma: float | np.ndarray,
        n_replicates: int | None,
        *,
        exact: bool = True,
        seed: int = 0,
    ) -> None:
        self.theta = np.asarray(theta, dtype=float)
        self.sigma = np.broadcast_to(np.asarray(sigma, dtype=float), self.theta.shape).copy()
        self.action_space = ActionSpec(names=("x",), shapes=((),))
        self.n_samples = self.theta.shape[0]
        self.n_replicates = n_replicates
        self.exact = exact
        self.seed = seed

    @property
    def has_conditional_mean(self) -> bool:
        return self.exact

    def true_conditional_var(self, x: float) -> np.ndarray:
        return (self.sigma * x) ** 2

    def sample_flat(self, x: np.ndarray) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        r = 1 if self.n_replicates is None else self.n_replicates
        y = self.theta[:, None] * x[0] + self.sigma[:, None] * x[0] * rng.normal(
            size=(self.n_samples, r)
        )
        return y[:, 0] if self.n_replicates is None else y

    def conditional_mean_flat(self, x: np.ndarray) -> np.ndarray:
        return self.theta * x[0]

    def subset(self, indices: Sequence[int] | np.ndarray) -> NormalModel:
        idx = np.asarray(indices)
        return NormalModel(
            self.theta[idx], self.sigma[idx], self.n_replicates, exact=self.exact, seed=self.seed
        )

    def with_replicates(self, n_replicates: int, random_seed: int | None = None) -> NormalModel:
        return NormalModel(
            self.theta, self.sigma, n_replicates, exact=self.exact,
            seed=self.seed if random_seed is None else random_seed,
        )


class PoissonModel(OutcomeModel):
    """``y_w | lam, x ~ Poisson(lam_w * x)`` for weeks ``w`` (a vector outcome, dims ``("week",)``)."""

    def __init__(self, lam: np.ndarray, n_replicates: int, *, exact: bool = True, seed: int = 0):
        self.lam = np.asarray(lam, dtype=float)  # (n_samples, n_weeks)
        self.action_space = ActionSpec(names=("x",), shapes=((),))
        self.n_samples = self.lam.shape[0]
        self.n_replicates = n_replicates
        self.outcome_dims = ("week",)
        self.outcome_coords = {"week": np.array([f"w{i}" for i in range(self.lam.shape[1])])}
        self.exact = exact
        self.seed = seed

    @property
    def has_conditional_mean(self) -> bool:
        return self.exact

    def sample_flat(self, x: np.ndarray) -> np.ndarray:
        rng = np.random.default_rng(self.seed)
        rate = self.lam[:, None, :] * x[0]
        return rng.poisson(np.broadcast_to(rate, (self.n_samples, self.n_replicates, rate.shape[-1])))

    def conditional_mean_flat(self, x: np.ndarray) -> np.ndarray:
        return self.lam * x[0]


@pytest.fixture
def normal_model() -> type[NormalModel]:
    return NormalModel


@pytest.fixture
def poisson_model() -> type[PoissonModel]:
    return PoissonModel
