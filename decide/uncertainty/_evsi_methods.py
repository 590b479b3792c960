"""The three EVSI estimators, one function each with one signature (see :func:`evsi`).

Outcomes are rewards (higher is better). Each estimator receives the per-draw
utilities ``U`` of shape ``(S, n_actions)`` (or a continuous space), the
experiment and a sample size, and returns ``(value_raw, standard_error, extra)``.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
import xarray as xr

from decide.uncertainty._evppi import _evppi_value, _fit_gam, _fit_gbm
from decide.uncertainty._experiment import Data, Experiment, _row, _rows
from decide.uncertainty._utility import _model_utility, utility_matrix

if TYPE_CHECKING:
    from decide.measures import Objective

__all__ = ["ESTIMATORS", "Setting"]


@dataclass
class Setting:
    """Everything an estimator needs that does not depend on ``n``."""

    outcome: Any
    actions: Any
    objective: Objective | None
    space: Any
    experiment: Experiment
    params: dict[str, np.ndarray]  # every parameter draw, (S, ...)
    U: np.ndarray | None  # (S, A) for a finite action set, None for a continuous space
    best: int
    G_phi: np.ndarray | None  # EVPPI fitted values of the informed parameters, (S, A - 1)
    regression: str
    n_knots: int
    n_folds: int
    n_outer: int
    n_refits: int
    n_bootstrap: int
    client: Any
    rng: np.random.Generator
    X_phi: np.ndarray | None = None  # draws of the informed parameters, (S, p)
    n_candidates: int = 40  # preposterior points generating candidate actions (continuous space)

    @property
    def S(self) -> int:
        return next(iter(self.params.values())).shape[0]

    @property
    def D(self) -> np.ndarray:
        assert self.U is not None
        return np.delete(self.U - self.U[:, [self.best]], self.best, axis=1)


def _fit(st: Setting, X: np.ndarray, D: np.ndarray) -> np.ndarray:
    if st.regression == "gam":
        return _fit_gam(X, D, st.n_knots)
    return _fit_gbm(X, D, st.n_folds, st.rng)


def _value_of(st: Setting, fitted: np.ndarray) -> tuple[float, float]:
    G = np.insert(fitted, st.best, 0.0, axis=1)
    raw = _evppi_value(G)
    se = math.nan
    if st.n_bootstrap > 0:
        S = G.shape[0]
        boot = [_evppi_value(G[st.rng.integers(0, S, size=S)]) for _ in range(st.n_bootstrap)]
        se = float(np.std(boot, ddof=1))
    return raw, se


# -- regression (Strong, Oakley, Brennan and Breeze 2015) ---------------------
def regression(st: Setting, n: int) -> tuple[float, float, dict[str, float]]:
    data = st.experiment.simulate(st.params, n, st.rng)
    T = st.experiment.summarize(data)
    if st.U is None:  # a continuous space: candidate actions from the kernel smoother
        from decide.uncertainty._evsi_continuous import candidate_estimate, regression_candidates

        x0, found = regression_candidates(st, T)
        return candidate_estimate(st, x0, found, lambda sub: (*_value_of(sub, _fit(sub, T, sub.D)), {}))
    raw, se = _value_of(st, _fit(st, T, st.D))
    return raw, se, {}


# -- posterior updates (refit or importance weights), optionally on a cluster --
def _updates(
    st: Setting, data: Data, n: int, m: int
) -> list[tuple[xr.Dataset | None, np.ndarray | None]]:
    exp = st.experiment
    seeds = [np.random.default_rng(int(s)) for s in st.rng.integers(2**63 - 1, size=m)]
    if st.client is not None and exp.refit is not None:
        futures = st.client.map(
            _refit_task, [exp] * m, [_row(data, j) for j in range(m)], [n] * m, seeds, pure=False
        )
        return [(ds, None) for ds in st.client.gather(futures)]
    return [exp.updated(_row(data, j), n, st.params, seeds[j]) for j in range(m)]


def _refit_task(exp: Experiment, data_j: Data, n: int, rng: np.random.Generator) -> xr.Dataset:
    ds, _ = exp.updated(data_j, n, {}, rng)
    assert ds is not None
    return ds


def _utilities(st: Setting, ds: xr.Dataset) -> np.ndarray:
    from decide.errors import DecideValueError
    from decide.outcomes import OutcomeModel

    if not isinstance(st.outcome, OutcomeModel):
        raise DecideValueError(
            "a refit needs an OutcomeModel to re-evaluate at the refitted draws (from_function, "
            f"from_pymc); got {type(st.outcome).__name__}. Give the Experiment a loglik= instead."
        )
    U, _ = utility_matrix(st.outcome.with_parameters(ds), st.actions, st.objective)
    return U


def _ess(w: np.ndarray) -> float:
    return float(1.0 / np.sum(w**2))


# -- nested: the posterior updated on each simulated dataset -----------------------
def nested(st: Setting, n: int) -> tuple[float, float, dict[str, float]]:
    J = min(st.n_outer, st.S)
    idx = np.sort(st.rng.choice(st.S, size=J, replace=False))
    data = st.experiment.simulate({k: v[idx] for k, v in st.params.items()}, n, st.rng)
    ups = _updates(st, data, n, J)
    if st.U is None:
        gains, ess = _nested_continuous(st, ups)
    else:
        gains, ess = np.empty(J), []
        for j, (ds, w) in enumerate(ups):
            if ds is not None:
                m = _utilities(st, ds).mean(axis=0)
            else:
                assert w is not None
                m = w @ st.U
                ess.append(_ess(w))
            gains[j] = m.max() - m[st.best]
    extra = {"n_datasets": float(J)}
    if ess:
        extra["min_ess"] = float(min(ess))
    return float(gains.mean()), float(gains.std(ddof=1) / math.sqrt(J)), extra


def _nested_continuous(
    st: Setting, ups: list[tuple[xr.Dataset | None, np.ndarray | None]]
) -> tuple[np.ndarray, list[float]]:
    from decide.uncertainty._evsi_continuous import optimum, solver

    obj, seed = solver(st)
    x0 = optimum(st, obj, seed)
    gains, ess = np.empty(len(ups)), []
    for j, (ds, w) in enumerate(ups):
        model = st.outcome if ds is None else st.outcome.with_parameters(ds)
        xj = optimum(st, obj, seed, ds=ds, w=w)
        uj, u0 = _model_utility(model, xj, st.objective), _model_utility(model, x0, st.objective)
        if w is None:
            gains[j] = max(float(uj.mean() - u0.mean()), 0.0)
        else:
            gains[j] = max(float(w @ (uj - u0)), 0.0)
            ess.append(_ess(w))
    return gains, ess


# -- moment matching (Heath, Manolopoulou and Baio 2018) ---------------------------
def _sqrtm(C: np.ndarray, inverse: bool = False) -> np.ndarray:
    vals, vecs = np.linalg.eigh((C + C.T) / 2)
    vals = np.clip(vals, 0.0, None)
    if inverse:
        tol = vals.max(initial=0.0) * 1e-10
        vals = np.where(vals > tol, 1.0 / np.sqrt(np.where(vals > tol, vals, 1.0)), 0.0)
    else:
        vals = np.sqrt(vals)
    return (vecs * vals) @ vecs.T


def _rescaled_value(
    st: Setting, G_phi: np.ndarray, cov_D: np.ndarray, covs: np.ndarray,
    inv_sqrt_phi: np.ndarray | None = None,
) -> float:
    sigma_x = cov_D - covs.mean(axis=0)
    mean = G_phi.mean(axis=0)
    if inv_sqrt_phi is None:
        inv_sqrt_phi = _sqrtm(np.atleast_2d(np.cov(G_phi, rowvar=False)), inverse=True)
    rescaled = mean + (G_phi - mean) @ (inv_sqrt_phi @ _sqrtm(sigma_x))
    return _evppi_value(np.insert(rescaled, st.best, 0.0, axis=1))


def moment_matching(st: Setting, n: int) -> tuple[float, float, dict[str, float]]:
    Q = min(st.n_refits, st.S)
    if st.U is None:  # a continuous space: candidate actions optimal after each update
        from decide.uncertainty._evsi_continuous import candidate_estimate, update_candidates

        idx = np.sort(st.rng.choice(st.S, size=Q, replace=False))
        data = st.experiment.simulate({k: v[idx] for k, v in st.params.items()}, n, st.rng)
        ups = _updates(st, data, n, Q)
        x0, found = update_candidates(st, ups)

        def on(sub: Setting) -> tuple[float, float, dict[str, float]]:
            assert sub.X_phi is not None
            sub.G_phi = _fit(sub, sub.X_phi, sub.D)
            return _matched(sub, ups)

        return candidate_estimate(st, x0, found, on)
    assert st.G_phi is not None
    # Q draws at evenly spaced quantiles of the fitted incremental benefit (Heath et al. 2018)
    order = np.argsort(st.G_phi.sum(axis=1), kind="stable")
    idx = order[((np.arange(Q) + 0.5) / Q * st.S).astype(int)]
    data = st.experiment.simulate({k: v[idx] for k, v in st.params.items()}, n, st.rng)
    return _matched(st, _updates(st, data, n, Q))


def _matched(
    st: Setting, ups: list[tuple[xr.Dataset | None, np.ndarray | None]]
) -> tuple[float, float, dict[str, float]]:
    """The moment-matching estimate from the posterior updates ``ups`` (one per dataset)."""
    assert st.G_phi is not None and st.U is not None
    D = st.D
    Q = len(ups)
    covs, ess = [], []
    for ds, w in ups:
        if ds is not None:
            Uq = _utilities(st, ds)
            Dq = np.delete(Uq - Uq[:, [st.best]], st.best, axis=1)
            covs.append(np.atleast_2d(np.cov(Dq, rowvar=False)))
        else:
            assert w is not None
            centred = D - w @ D
            covs.append((centred * w[:, None]).T @ centred)
            ess.append(_ess(w))
    C = np.array(covs)
    cov_D = np.atleast_2d(np.cov(D, rowvar=False))
    inv_sqrt_phi = _sqrtm(np.atleast_2d(np.cov(st.G_phi, rowvar=False)), inverse=True)
    raw = _rescaled_value(st, st.G_phi, cov_D, C, inv_sqrt_phi)
    se = math.nan
    if st.n_bootstrap > 0 and Q > 1:
        # resample both sources of Monte Carlo error: the posterior draws (the fitted
        # benefits and their covariance) and the Q simulated datasets (their updates)
        boot = []
        for _ in range(st.n_bootstrap):
            r = st.rng.integers(0, st.S, size=st.S)
            boot.append(_rescaled_value(
                st, st.G_phi[r], np.atleast_2d(np.cov(D[r], rowvar=False)),
                C[st.rng.integers(0, Q, size=Q)],
            ))
        se = float(np.std(boot, ddof=1))
    extra = {"n_refits": float(Q)}
    if ess:
        extra["min_ess"] = float(min(ess))
    return raw, se, extra


ESTIMATORS: dict[str, Callable[[Setting, int], tuple[float, float, dict[str, float]]]] = {
    "regression": regression,
    "moment_matching": moment_matching,
    "nested": nested,
}


def informed_rows(st: Setting, names: tuple[str, ...], n: int) -> bool:
    """Whether the simulated data change when the draws of ``names`` are shuffled (same seed)."""
    S = st.S
    k = min(S, 64)
    idx = np.arange(k)
    perm = st.rng.permutation(k)
    base = {key: v[idx] for key, v in st.params.items()}
    moved = {key: (v[idx][perm] if key in names else v[idx]) for key, v in st.params.items()}
    seed = int(st.rng.integers(2**31 - 1))
    a = st.experiment.simulate(base, n, np.random.default_rng(seed))
    b = st.experiment.simulate(moved, n, np.random.default_rng(seed))
    return not _same(_rows(a, np.arange(k)), _rows(b, np.arange(k)))


def _same(a: Data, b: Data) -> bool:
    if isinstance(a, dict):
        assert isinstance(b, dict)
        return all(np.array_equal(np.asarray(a[key]), np.asarray(b[key])) for key in a)
    return bool(np.array_equal(np.asarray(a), np.asarray(b)))
