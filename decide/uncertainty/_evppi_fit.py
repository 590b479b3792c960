r"""The EVPPI regression: low-rank targets, spline or boosted fits, checks and a refit bootstrap.

Numpy in, numpy out. ``D`` has shape ``(n_samples, n_actions - 1)`` (the
incremental utilities against the action best in expectation) and ``X`` shape
``(n_samples, n_params)`` (the draws of the parameters learned).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.stats import norm

__all__ = ["RegressionFit", "fit_regression", "low_rank", "residual_check", "spline_basis"]

#: Largest number of regressors that get pairwise tensor-product spline interactions;
#: above it, bilinear products of the standardized regressors stand in for them.
MAX_TENSOR_DIMS = 4
#: Draws per basis column below which interaction terms are left out.
MIN_ROWS_PER_COLUMN = 4
#: Knots of the small spline bases whose pairwise products model interactions.
_TENSOR_KNOTS = 4
_N_BINS = 10
#: The residual check looks at this many actions, the best in expectation after the reference.
_CHECKED_ACTIONS = 20
#: Family-wise level of the residual check (Bonferroni over components and bins).
_RESIDUAL_LEVEL = 1e-3
#: A residual bias flagged only if it is also this large relative to the target's spread.
_RESIDUAL_MATERIAL = 0.1
#: In-sample minus cross-validated R^2 above which the fit is flagged as overfitting
#: (when the cross-validated R^2 is also below half the in-sample one).
_OVERFIT_GAP = 0.1


def overfits(r2: float, cv_r2: float) -> bool:
    """In-sample R^2 above the cross-validated one by more than 0.1 and more than twice it."""
    return r2 - cv_r2 > _OVERFIT_GAP and cv_r2 < 0.5 * r2


@dataclass(frozen=True)
class RegressionFit:
    """Fitted incremental utilities, the regression check and the standard error."""

    fitted: np.ndarray  # (n, m) in action space
    r2: float
    cv_r2: float
    residual_z: float
    residual_flag: bool
    n_components: int
    discarded: float  # RMS share of the centred utilities left out by the low-rank basis
    standard_error: float  # includes the regression's variability (refit bootstrap / cross-fitting)
    basis: str = "trees"
    #: the estimate sits at its bound 0 (no action beats the reference at any fitted value):
    #: the bootstrap of the value collapses there, so ``standard_error`` is that of ``margin``
    at_zero: bool = False
    #: the unclipped estimate E[max_a fitted gain over the reference] (negative at the bound)
    margin: float = float("nan")


def low_rank(D: np.ndarray, tol: float) -> tuple[np.ndarray, np.ndarray, np.ndarray, float]:
    """Mean, component scores ``Z`` (n, r), loadings ``V`` (r, m) and the RMS share discarded.

    Keeps the fewest principal components of the centred ``D`` whose discarded
    sum of squares is at most ``tol**2`` of the total.
    """
    mu = D.mean(axis=0)
    Dc = D - mu
    U, s, Vt = np.linalg.svd(Dc, full_matrices=False)
    total = float(np.sum(s**2))
    if total <= 0.0:
        return mu, np.zeros((D.shape[0], 0)), np.zeros((0, D.shape[1])), 0.0
    tail = np.concatenate([np.cumsum((s**2)[::-1])[::-1], [0.0]]) / total  # tail[r] = share after r
    r = int(np.argmax(tail <= tol**2))
    r = max(r, 1)
    return mu, U[:, :r] * s[:r], Vt[:r], float(np.sqrt(tail[r]))


# -- the spline regression ---------------------------------------------------------------
def _spline(x: np.ndarray, n_knots: int) -> np.ndarray:
    from sklearn.preprocessing import SplineTransformer

    st = SplineTransformer(
        n_knots=n_knots, degree=3, knots="quantile", extrapolation="linear", include_bias=False
    )
    return st.fit_transform(x[:, None])


def spline_basis(X: np.ndarray, n_knots: int) -> tuple[np.ndarray, str]:
    """Additive cubic splines plus interactions; columns with < 4 distinct values are dropped."""
    keep = [j for j in range(X.shape[1]) if np.unique(X[:, j]).size >= 4]
    if not keep:
        return np.zeros((X.shape[0], 0)), "none"
    Xk = X[:, keep]
    k = int(min(n_knots, max(2, np.unique(Xk, axis=0).shape[0] // 4)))
    mains = [_spline(Xk[:, j], k) for j in range(Xk.shape[1])]
    d = Xk.shape[1]
    parts = list(mains)
    kind = "additive"
    n_main = sum(m.shape[1] for m in mains)
    n_pairs = d * (d - 1) // 2
    small_k = min(_TENSOR_KNOTS, k)
    # interactions only with at least MIN_ROWS_PER_COLUMN draws per basis column
    room = X.shape[0] >= MIN_ROWS_PER_COLUMN * (n_main + n_pairs * (small_k + 2) ** 2)
    if 2 <= d <= MAX_TENSOR_DIMS and room:
        small = [_spline(Xk[:, j], small_k) for j in range(d)]
        for i in range(d):
            for j in range(i + 1, d):
                parts.append((small[i][:, :, None] * small[j][:, None, :]).reshape(X.shape[0], -1))
        kind = "tensor"
    elif d >= 2 and X.shape[0] >= MIN_ROWS_PER_COLUMN * (n_main + n_pairs):
        sd = Xk.std(axis=0)
        Zs = (Xk - Xk.mean(axis=0)) / np.where(sd > 0, sd, 1.0)
        iu = np.triu_indices(d, 1)
        parts.append(Zs[:, iu[0]] * Zs[:, iu[1]])
        kind = "additive+bilinear"
    return np.concatenate(parts, axis=1), kind


def _gcv_ridge(B: np.ndarray, Z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Ridge of each column of ``Z`` on centred ``B`` with its own GCV penalty.

    Returns the in-sample fitted values, the penalties, and the SVD pieces
    ``(Ub, s)`` for the bootstrap.
    """
    n = B.shape[0]
    Ub, s, _ = np.linalg.svd(B, full_matrices=False)
    s2 = s**2
    A = Ub.T @ Z  # (p, r)
    zz = np.sum(Z**2, axis=0)
    grid = (s2.max() if s2.size else 1.0) * np.logspace(-10, 1, 45)
    best = np.full(Z.shape[1], np.inf)
    alphas = np.full(Z.shape[1], grid[-1])
    for a in grid:
        f = s2 / (s2 + a)
        rss = zz - np.sum(A**2, axis=0) + np.sum(((1.0 - f)[:, None] * A) ** 2, axis=0)
        df = float(np.sum(f))
        if df > 0.5 * n:  # near-interpolating fits: GCV's 0/0, never chosen
            continue
        gcv = n * rss / (n - df) ** 2
        better = gcv < best
        best[better], alphas[better] = gcv[better], a
    F = s2[:, None] / (s2[:, None] + alphas[None, :])
    return Ub @ (F * A), alphas, Ub, s2


def _ridge_oof(B: np.ndarray, Z: np.ndarray, alphas: np.ndarray, folds: list[np.ndarray]) -> np.ndarray:
    out = np.empty_like(Z)
    p = B.shape[1]
    for test in folds:
        train = np.ones(B.shape[0], dtype=bool)
        train[test] = False
        bm, zm = B[train].mean(axis=0), Z[train].mean(axis=0)
        Bt, Zt = B[train] - bm, Z[train] - zm
        gram, rhs = Bt.T @ Bt, Bt.T @ Zt
        for k in range(Z.shape[1]):
            coef = np.linalg.solve(gram + alphas[k] * np.eye(p), rhs[:, k])
            out[test, k] = zm[k] + (B[test] - bm) @ coef
    return out


# -- the boosted trees -------------------------------------------------------------------
def _gbm(seed: int) -> Any:
    from sklearn.ensemble import HistGradientBoostingRegressor

    return HistGradientBoostingRegressor(
        max_iter=100, learning_rate=0.1, min_samples_leaf=20, early_stopping=False,
        random_state=seed,
    )


def _gbm_oof(X: np.ndarray, Z: np.ndarray, folds: list[np.ndarray], rng: np.random.Generator) -> np.ndarray:
    out = np.empty_like(Z)
    for test in folds:
        train = np.ones(X.shape[0], dtype=bool)
        train[test] = False
        for k in range(Z.shape[1]):
            model = _gbm(int(rng.integers(2**31 - 1))).fit(X[train], Z[train, k])
            out[test, k] = model.predict(X[test])
    return out


def _folds(n: int, n_folds: int, rng: np.random.Generator, groups: np.ndarray | None = None) -> list[np.ndarray]:
    if groups is None:
        perm = rng.permutation(n)
        return [np.sort(f) for f in np.array_split(perm, n_folds)]
    uniq = rng.permutation(np.unique(groups))
    fold_of = dict(zip(uniq.tolist(), (np.arange(uniq.size) % n_folds).tolist(), strict=True))
    lab = np.array([fold_of[g] for g in groups.tolist()])
    return [np.flatnonzero(lab == f) for f in range(n_folds)]


# -- the checks --------------------------------------------------------------------------
def _r2(Z: np.ndarray, fitted: np.ndarray, total: float, discarded_ss: float) -> float:
    if total <= 0.0:
        return 1.0
    return 1.0 - (float(np.sum((Z - fitted) ** 2)) + discarded_ss) / total


def residual_check(Z: np.ndarray, oof: np.ndarray) -> tuple[float, bool]:
    """Largest |z| of the mean residual within deciles of the fitted values ``oof``, per column.

    The residuals of a good regression have mean zero given the fitted values
    (the check of R's voi package). Flagged when a bin's mean is significant at
    the family-wise level ``_RESIDUAL_LEVEL`` (Bonferroni) and material (at least
    ``_RESIDUAL_MATERIAL`` of the column's standard deviation).
    """
    n, r = Z.shape
    if r == 0 or n < 2 * _N_BINS:
        return 0.0, False
    crit = float(norm.isf(_RESIDUAL_LEVEL / (2 * r * _N_BINS)))
    worst, flag = 0.0, False
    for k in range(r):
        res = Z[:, k] - oof[:, k]
        sd_res, sd_z = res.std(ddof=1), Z[:, k].std(ddof=1)
        # a column constant up to round-off (an action that differs from the reference by
        # a constant) has nothing to check: its residuals are round-off, not structure
        if sd_res <= 0 or sd_z <= 1e-9 * float(np.abs(Z[:, k]).mean()):
            continue
        order = np.argsort(oof[:, k], kind="stable")
        for b in np.array_split(order, _N_BINS):
            m = float(res[b].mean())
            z = abs(m) / (sd_res / np.sqrt(b.size))
            worst = max(worst, z)
            if z > crit and abs(m) > _RESIDUAL_MATERIAL * sd_z:
                flag = True
    return worst, flag


# -- the whole fit -----------------------------------------------------------------------
def fit_regression(X: np.ndarray, D: np.ndarray, **kwargs: Any) -> RegressionFit:
    """Fit ``E[D | X]``, check it, and estimate the EVPPI's standard error (see ``_fit``).

    BLAS and OpenMP run on one thread: the matrices are small and many, and on a shared
    machine oversubscription costs far more than threads gain (5x measured here).
    """
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _fit(X, D, **kwargs)


def _fit(
    X: np.ndarray,
    D: np.ndarray,
    *,
    method: str,
    n_knots: int,
    n_folds: int,
    n_bootstrap: int,
    rank_tol: float,
    rng: np.random.Generator,
) -> RegressionFit:
    """Fit ``E[D | X]``, check it, and estimate the EVPPI's standard error.

    ``D`` excludes the reference action (its incremental utility is 0). The
    standard error: ``gam``, a bootstrap refitting the ridge (one Newton step);
    ``gbm``, the spread of the fold-wise estimates of the cross-fit.
    """
    n = D.shape[0]
    mu, Z, V, discarded = low_rank(D, rank_tol)
    total = float(np.sum((D - mu) ** 2))
    discarded_ss = total * discarded**2
    folds = _folds(n, n_folds, rng)
    r = Z.shape[1]

    def value(Zhat: np.ndarray, w: np.ndarray | None = None) -> float:
        # the reference action's incremental utility is 0: max(., 0) stands for its column
        G = mu + Zhat @ V
        if w is None:
            return float(np.maximum(G.max(axis=1), 0.0).mean() - max(G.mean(axis=0).max(), 0.0))
        tot = w.sum()
        return float(w @ np.maximum(G.max(axis=1), 0.0) / tot - max((w @ G / tot).max(), 0.0))

    def margin(Zhat: np.ndarray, w: np.ndarray | None = None) -> float:
        # the same without the positive part at the reference action: the mean best gain
        best = (mu + Zhat @ V).max(axis=1)
        return float(best.mean() if w is None else w @ best / w.sum())

    if method == "gam":
        B, basis = spline_basis(X, n_knots)
        if B.shape[1] == 0 or r == 0:
            const = np.broadcast_to(D.mean(axis=0), D.shape).copy()
            return RegressionFit(const, 0.0, 0.0, 0.0, False, r, discarded, 0.0, basis)
        Bc = B - B.mean(axis=0)
        zm = Z.mean(axis=0)
        fit_c, alphas, Ub, s2 = _gcv_ridge(Bc, Z - zm)
        Zhat = zm + fit_c
        oof = _ridge_oof(Bc, Z, alphas, folds)
        r2 = _r2(Z, Zhat, total, discarded_ss)
        boot, boot_margin = _gam_bootstrap(
            Z - Zhat, Zhat, Ub, s2, alphas, value, margin, n_bootstrap, rng
        )
        se = float(boot.std(ddof=1)) if boot.size > 1 else float("nan")
        at_zero = value(Zhat) <= 0.0 and not np.any(boot > 0.0)
        if at_zero and boot.size > 1:
            se = float(boot_margin.std(ddof=1))
    else:
        basis = "trees"
        oof = _gbm_oof(X, Z, folds, rng) if r else Z.copy()
        Zhat = oof
        # cross-fitting: each fold's predictions come from a model fitted without it, so the
        # spread of the fold-wise estimates carries the regression's variability too
        fold_values = np.array([value(Zhat[f]) for f in folds])
        se = float(fold_values.std(ddof=1) / np.sqrt(len(folds)))
        at_zero = value(Zhat) <= 0.0 and not np.any(fold_values > 0.0)
        if at_zero:
            fold_margins = np.array([margin(Zhat[f]) for f in folds])
            se = float(fold_margins.std(ddof=1) / np.sqrt(len(folds)))
        r2 = _r2(Z, Zhat, total, discarded_ss)
    cv_r2 = _r2(Z, oof, total, discarded_ss)
    # the check in action space, on the actions that compete with the reference one
    # (what the value depends on), not on weak components that barely move any action; on
    # the fitted values the value is computed from (in-sample for gam, cross-fitted for
    # gbm): out-of-fold predictions of a noisy but right gam overshoot in the extreme
    # deciles (regression dilution), which flagged correct linear models
    top = np.argsort(-D.mean(axis=0), kind="stable")[:_CHECKED_ACTIONS]
    rz, flag = residual_check(D[:, top], mu[top] + Zhat @ V[:, top])
    return RegressionFit(mu + Zhat @ V, r2, cv_r2, rz, flag, r, discarded, se, basis,
                         bool(at_zero), margin(Zhat))


def _gam_bootstrap(
    R: np.ndarray, Zhat: np.ndarray, Ub: np.ndarray, s2: np.ndarray, alphas: np.ndarray,
    value: Any, margin: Any, n_bootstrap: int, rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    r"""EVPPI (and its unclipped ``margin``) on resampled draws, the ridge refitted (one Newton step).

    For bootstrap counts :math:`w`, the weighted ridge solution moves by
    :math:`\delta\mu = \overline{(w-1) r}` and
    :math:`B\,\delta c = U\,\mathrm{diag}(s^2/(s^2+\alpha))\,U^\top((w-1)\odot r)`
    to first order (the Hessian at :math:`w = 1`), with the basis and the
    penalty held fixed.
    """
    n = R.shape[0]
    out = np.empty(n_bootstrap)
    out_margin = np.empty(n_bootstrap)
    chunk = max(1, min(n_bootstrap, int(2e7 // max(n * max(R.shape[1], 1), 1))))
    F = s2[:, None] / (s2[:, None] + alphas[None, :])  # (p, r)
    for start in range(0, n_bootstrap, chunk):
        m = min(chunk, n_bootstrap - start)
        W = np.stack([np.bincount(rng.integers(0, n, size=n), minlength=n) for _ in range(m)]).astype(float)
        Wm1 = W - 1.0
        delta = np.empty((m, n, R.shape[1]))
        for k in range(R.shape[1]):
            V = Wm1 * R[:, k]  # (m, n)
            delta[:, :, k] = V.mean(axis=1, keepdims=True) + ((V @ Ub) * F[:, k]) @ Ub.T
        for b in range(m):
            out[start + b] = value(Zhat + delta[b], W[b])
            out_margin[start + b] = margin(Zhat + delta[b], W[b])
    return out, out_margin
