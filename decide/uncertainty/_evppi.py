r"""Expected value of partial perfect information by regression over posterior draws.

Outcomes are rewards (higher is better). The estimator of Strong, Oakley and
Brennan (2014): regress each action's per-draw utility (relative to the action
that is best in expectation) on the draws of the parameters of interest; the
fitted values estimate :math:`E[U(a,\theta) \mid \phi]`.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from decide._posterior import posterior_dataset
from decide._validation import as_rng
from decide.errors import DecideTypeError, DecideValueError, UnreliableEstimateWarning
from decide.outcomes import OutcomeModel
from decide.uncertainty._debias import debiased_utility
from decide.uncertainty._evppi_fit import RegressionFit, fit_regression, overfits
from decide.uncertainty._evppi_params import Selection, design_matrix, parse_params
from decide.uncertainty._voi import ValueOfInformation, _levels, evpi_from_levels

if TYPE_CHECKING:
    from decide.measures import Objective

__all__ = ["RegressionCheck", "evppi"]

def _design(ds: xr.Dataset, params: Sequence[str], n_samples: int) -> np.ndarray:
    """Regressors ``(n_samples, n_columns)``: every element of each whole parameter."""
    return design_matrix(ds, [Selection(p) for p in params], n_samples)[0]


def _gam(n_knots: int) -> Any:
    from sklearn.linear_model import RidgeCV
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import SplineTransformer

    return make_pipeline(
        SplineTransformer(n_knots=n_knots, degree=3, knots="quantile", extrapolation="linear"),
        RidgeCV(alphas=np.logspace(-8, 4, 25)),
    )


def _fit_gam(X: np.ndarray, D: np.ndarray, n_knots: int) -> np.ndarray:
    """In-sample fitted values of an additive cubic spline ridge regression, per column of D."""
    keep = [j for j in range(X.shape[1]) if np.unique(X[:, j]).size >= 4]
    if not keep:
        return np.broadcast_to(D.mean(axis=0), D.shape).copy()
    Xk = X[:, keep]
    k = int(min(n_knots, max(2, np.unique(Xk, axis=0).shape[0] // 4)))
    model = _gam(k).fit(Xk, D)
    return np.asarray(model.predict(Xk)).reshape(D.shape)


def _fit_gbm(X: np.ndarray, D: np.ndarray, n_folds: int, rng: np.random.Generator) -> np.ndarray:
    """Out-of-fold predictions of gradient-boosted trees (cross-fitting), per column of D."""
    from sklearn.ensemble import HistGradientBoostingRegressor
    from sklearn.model_selection import KFold
    from threadpoolctl import threadpool_limits

    out = np.empty_like(D)
    folds = KFold(n_splits=n_folds, shuffle=True, random_state=int(rng.integers(2**31 - 1)))
    # one thread: OpenMP oversubscription on small, shared machines costs far more than it gains
    with threadpool_limits(limits=1):
        for j in range(D.shape[1]):
            for train, test in folds.split(X):
                model = HistGradientBoostingRegressor(
                    max_iter=100, learning_rate=0.1, min_samples_leaf=20,
                    random_state=int(rng.integers(2**31 - 1)),
                )
                model.fit(X[train], D[train, j])
                out[test, j] = model.predict(X[test])
    return out


def _evppi_value(G: np.ndarray) -> float:
    return float(G.max(axis=1).mean() - G.mean(axis=0).max())




@dataclass(frozen=True)
class RegressionCheck:
    r"""How well the EVPPI regression fits: reported with every EVPPI.

    The estimate is only as good as the regression of the incremental utilities
    on the parameters (Strong, Oakley and Brennan, 2014); R's voi package asks
    the user to check that the residuals have mean zero given the fitted values.

    Attributes
    ----------
    r2 : float
        In-sample :math:`R^2` of the fitted values the estimate uses, pooled over
        actions (the share of the variance of the incremental utilities explained).
    cv_r2 : float
        ``n_folds``-fold cross-validated (out-of-fold) :math:`R^2`, pooled likewise.
        Near 0 for a parameter that does not matter; ``r2 - cv_r2`` large means the
        fit chases noise (the EVPPI is then biased upward).
    residual_z : float
        The largest :math:`|z|` of the mean residual within deciles of the fitted
        values the value is computed from (in-sample for ``gam``, cross-fitted for
        ``gbm``), over the incremental utilities of the (at most 20)
        actions best in expectation after the reference one.
    ok : bool
        False when the residuals have a material, significant non-zero mean
        somewhere (structure the regression misses: the EVPPI is biased, usually
        downward) or ``r2`` exceeds ``cv_r2`` by more than 0.1 and more than
        twice (overfitting: biased upward).
    n_components : int
        Principal components of the incremental utilities regressed (see ``rank_tol``).
    discarded : float
        RMS share of the centred incremental utilities left out by those components.
    basis : str
        ``"tensor"`` (additive splines plus pairwise tensor-product splines),
        ``"additive+bilinear"``, ``"additive"``, ``"none"`` (``gam``) or ``"trees"`` (``gbm``).

    Notes
    -----
    The residual check flags a decile of the fitted values whose mean residual is
    significant at the family-wise level 0.001 (Bonferroni over actions and
    deciles) and at least 0.1 standard deviations of that incremental utility.
    """

    r2: float
    cv_r2: float
    residual_z: float
    ok: bool
    n_components: int
    discarded: float
    basis: str

    def __repr__(self) -> str:
        return (
            f"RegressionCheck(r2={self.r2:.3f}, cv_r2={self.cv_r2:.3f}, "
            f"residual_z={self.residual_z:.2g}, ok={self.ok}, n_components={self.n_components}, "
            f"basis={self.basis!r})"
        )


def _check(fit: RegressionFit, basis: str) -> RegressionCheck:
    ok = not fit.residual_flag and not overfits(fit.r2, fit.cv_r2)
    return RegressionCheck(
        r2=fit.r2, cv_r2=fit.cv_r2, residual_z=fit.residual_z, ok=ok,
        n_components=fit.n_components, discarded=fit.discarded, basis=basis,
    )


def _warn_check(
    check: RegressionCheck, labels: Sequence[str], method: str, stacklevel: int
) -> str | None:
    if check.ok:
        return None
    if overfits(check.r2, check.cv_r2):
        why = (
            f"it overfits: in-sample R^2 {check.r2:.3f} against cross-validated {check.cv_r2:.3f}, "
            "so the EVPPI is biased upward; use more posterior draws or fewer knots (n_knots)"
        )
    else:
        why = (
            f"its residuals do not have mean zero given the fitted values (|z| up "
            f"to {check.residual_z:.3g}): it misses structure or chases noise, so the EVPPI may "
            "be biased; "
            + ("try method='gbm', more knots (n_knots) or fewer parameters per set"
               if method == "gam" else "try method='gam' (smooth effects) or more posterior draws")
        )
    note = f"the EVPPI regression on {list(labels)} fits poorly: {why}."
    warnings.warn(note, UnreliableEstimateWarning, stacklevel=stacklevel)
    return note


def _parameter_draws(outcome: Any, posterior: Any, labels: Sequence[str]) -> xr.Dataset:
    if posterior is not None:
        return posterior_dataset(posterior, name="posterior")
    ds = outcome.parameters if isinstance(outcome, OutcomeModel) else None
    if ds is None:
        raise DecideValueError(
            f"no parameter draws found for params {list(labels)}: "
            f"{type(outcome).__name__} does not carry its posterior. Pass posterior= (a dict "
            "of arrays, a Dataset, InferenceData or DataTree aligned with the outcome's samples)."
        )
    return ds


def _check_args(method: Any, n_knots: Any, n_folds: Any, n_bootstrap: Any, rank_tol: Any) -> int:
    if method not in ("gam", "gbm"):
        raise DecideTypeError(f"method must be 'gam' or 'gbm'; got {method!r}.")
    if n_bootstrap is None:
        n_bootstrap = 200
    for arg, val, low in (("n_knots", n_knots, 2), ("n_folds", n_folds, 2), ("n_bootstrap", n_bootstrap, 0)):
        if isinstance(val, bool) or not isinstance(val, int | np.integer) or val < low:
            raise DecideValueError(f"{arg} must be an integer >= {low}; got {val!r}.")
    ok = isinstance(rank_tol, int | float | np.floating) and not isinstance(rank_tol, bool)
    if not ok or not (0.0 <= float(rank_tol) < 1.0):
        raise DecideValueError(f"rank_tol must be a number in [0, 1); got {rank_tol!r}.")
    return int(n_bootstrap)


def _selections(params: Any) -> tuple[Selection, ...]:
    sels = parse_params(params)
    if not sels:
        raise DecideValueError(
            "params must name at least one parameter to learn; got none. For every parameter "
            "use evpi()."
        )
    return sels


def evppi_core(
    U: np.ndarray, labels: Sequence[str], full_voi: ValueOfInformation, X: np.ndarray,
    names: tuple[str, ...], *, method: str, n_knots: int, n_folds: int, n_bootstrap: int,
    rank_tol: float, rng: np.random.Generator, n_replicates: int, stacklevel: int,
) -> ValueOfInformation:
    """EVPPI of utilities ``U`` (n, m) on regressors ``X`` (n, k)."""
    n = U.shape[0]
    means = U.mean(axis=0)
    best = int(np.argmax(means))
    D = np.delete(U - U[:, [best]], best, axis=1)
    fit = fit_regression(
        X, D, method=method, n_knots=n_knots, n_folds=n_folds, n_bootstrap=n_bootstrap,
        rank_tol=rank_tol, rng=rng,
    )
    check = _check(fit, fit.basis)
    G = np.insert(fit.fitted, best, 0.0, axis=1)
    raw = _evppi_value(G)
    full = float(full_voi.value)
    value = min(max(raw, 0.0), full)
    notes: list[str] = list(full_voi.notes)
    if raw > full:
        notes.append(
            f"the regression estimate {raw:.4g} exceeded the EVPI {full:.4g} and was clipped to it."
        )
    if fit.at_zero:
        notes.append(
            f"the estimate is at its bound 0: no action beats {labels[best]!r} at any fitted "
            f"value of the parameters (the unclipped estimate, the mean best fitted gain over "
            f"it, is {fit.margin:.4g}); the resampled values all sit at 0 too, so the standard "
            "error given is that of the unclipped estimate."
        )
    poor = _warn_check(check, names, method, stacklevel + 1)
    if poor:
        notes.append(poor)
    se = fit.standard_error
    return ValueOfInformation(
        value=value,
        standard_error=se,
        expected_utility=pd.Series(means, index=pd.Index(labels, name="action"), name="expected_utility"),
        best_action=labels[best],
        kind="evppi",
        method=method,
        n_samples=n,
        params=names,
        value_raw=raw,
        evpi=full,
        notes=tuple(notes),
        n_replicates=n_replicates,
        regression=check,
    )


def evppi(
    outcome: Any,
    actions: Any = None,
    params: Any = (),
    *,
    posterior: Any = None,
    objective: Objective | None = None,
    method: Literal["gam", "gbm"] = "gam",
    n_knots: int = 8,
    n_folds: int = 5,
    n_bootstrap: int | None = None,
    rank_tol: float = 1e-3,
    random_seed: int | np.random.Generator | None = None,
    debias: bool = True,
) -> ValueOfInformation:
    r"""Expected value of partial perfect information about the parameters ``params``.

    Outcomes are rewards (higher is better); draw arrays put the sample axis first.

    Parameters
    ----------
    outcome : OutcomeModel, pandas.DataFrame, dict or ndarray of shape (n_samples, n_actions)
        As in :func:`evpi` (finite action sets only).
    actions : list, dict, Discrete or None
        As in :func:`evpi`.
    params : str, sequence of str, or dict of str to None or dict
        The parameters that would be learned exactly: a name, a list of names, or
        a dict ``name -> selection`` where the selection is ``None`` (the whole
        parameter) or ``{dim: value}`` / ``{dim: [values]}`` picking coordinates
        of the parameter's dims, e.g. ``{"saturation_beta": {"channel": "podcast"}}``.
        Values are coordinate labels where the dim has coordinates (ArviZ and PyMC
        posteriors), else integer positions (dims of a dict posterior, named
        ``<name>_dim_<i>``). Each selected element is one regressor.
    posterior : dict, xarray.Dataset, arviz.InferenceData or xarray.DataTree, optional
        Draws of the parameters, aligned with the outcome's posterior samples
        (same number, same order: chain-major). Default: the outcome's own draws
        (``from_pymc``'s posterior, ``from_function``'s params).
    objective : Objective, optional
        As in :func:`evpi` (default: risk neutral).
    method : {"gam", "gbm"}, default "gam"
        ``"gam"``: cubic regression splines (``knots="quantile"``) per regressor
        plus, for 2 to 4 regressors, pairwise tensor products of 4-knot splines
        (interactions; more regressors get bilinear products), with a ridge
        penalty per regressed component chosen by generalized cross-validation.
        ``"gbm"``: histogram gradient-boosted trees (100 iterations) with
        ``n_folds``-fold cross-fitting (out-of-fold predictions).
    n_knots : int, default 8
        Spline knots per regressor (``"gam"``).
    n_folds : int, default 5
        Folds of the cross-validated check (and of the cross-fitting of ``"gbm"``).
    n_bootstrap : int, optional
        ``"gam"``: bootstrap resamples for the standard error, each refitting the
        regression (default 200; 0 to skip). ``"gbm"`` does not use it: its
        standard error comes from the cross-fit (see Notes).
    rank_tol : float, default 1e-3
        The incremental utilities of many actions are nearly collinear over the
        draws: their centred matrix is replaced by its leading principal
        components, keeping the fewest whose discarded root-mean-square share is
        at most ``rank_tol`` (``0`` keeps all). The regression fits one model per
        component instead of one per action.
    random_seed : int or numpy.random.Generator, optional
        Seed for the folds, the trees and the bootstrap.
    debias : bool, default True
        With utilities estimated from outcome replicates: regress the
        utilities with the measure's :math:`O(1/R)` plug-in bias removed
        (:math:`2\hat U_R - \hat U_{R/2}`), and bound by the EVPI corrected
        for replicate noise (see :func:`evpi`). ``False``: the plug-in utilities.

    Returns
    -------
    ValueOfInformation
        ``value`` (the EVPPI clipped to ``[0, EVPI]``), ``value_raw``, the
        bootstrap ``standard_error`` (at the bound 0, where every resample is 0,
        that of the unclipped estimate, the mean best fitted gain over the best
        action; a note says so), ``evpi`` on the same draws, ``params`` (the
        labels of the selections, e.g. ``"saturation_beta[channel=podcast]"``) and
        ``regression`` (a :class:`RegressionCheck`, shown in the repr).

    Raises
    ------
    DecideValueError
        If ``params`` is empty, names unknown parameters (the message lists the
        available ones), selects a dim the parameter lacks or a coordinate it
        does not have (the message lists the valid ones); if no parameter draws
        can be found, if their number of samples differs from the outcome's, or
        if fewer than two actions are given.
    DecideTypeError
        If ``method`` is not ``"gam"`` or ``"gbm"``, or ``params`` has another form.

    Warns
    -----
    UnreliableEstimateWarning
        When the regression check fails (``regression.ok`` is False): residuals
        with a non-zero mean given the fitted values, or an in-sample
        :math:`R^2` more than 0.1 above the cross-validated one and more than twice it.

    Notes
    -----
    For parameters of interest :math:`\phi` (the rest of :math:`\theta` stays uncertain),

    .. math::

        \mathrm{EVPPI}(\phi) = E_\phi\big[\max_a E[U(a,\theta) \mid \phi]\big]
        - \max_a E_\theta[U(a,\theta)].

    With :math:`a^*` the action best in expectation, the incremental utilities
    :math:`D_a = U(a,\theta_s) - U(a^*,\theta_s)` are regressed on
    :math:`\phi_s`; with fitted values :math:`\hat g_a(\phi_s)` (and
    :math:`\hat g_{a^*} = 0`) the estimate is
    :math:`\frac1S\sum_s \max_a \hat g_a(\phi_s) - \max_a \frac1S\sum_s \hat g_a(\phi_s)`
    (Strong, Oakley and Brennan, 2014). It is non-negative by construction
    (Jensen); regression error can push it above the EVPI, so it is clipped to
    :math:`[0, \mathrm{EVPI}]` (the unclipped value is ``value_raw``).

    Low rank. With :math:`D - \bar D = U S V^\top` (SVD), the regression fits
    the scores :math:`Z = U_r S_r` of the first :math:`r` components and
    reconstructs :math:`\hat g = \bar D + \hat Z V_r^\top`. For a linear smoother
    with one penalty this equals regressing every action when nothing is
    discarded; the discarded part has RMS at most ``rank_tol`` times that of
    :math:`D - \bar D` (``regression.discarded``), and since
    :math:`|\max_a x_a - \max_a y_a| \le \max_a |x_a - y_a|` the value moves by at
    most twice the mean over draws of the largest fitted discarded part.

    Interactions. The value of learning a set of parameters usually depends on
    their joint effect (a saturating response :math:`\beta x/(x+\lambda)` with
    :math:`\beta, \lambda` correlated): an additive fit misses it and can value a
    set below one of its subsets. Pairwise tensor-product splines (the default
    ``te()`` of R's voi package is a full tensor product) capture it for up to 4
    regressors; for more, ``"gbm"`` is the safer choice.

    Monotonicity. In the population, :math:`S \subseteq T` implies
    :math:`\mathrm{EVPPI}(S) \le \mathrm{EVPPI}(T) \le \mathrm{EVPI}` (the tower
    property and Jensen). A regression estimate is not monotone by construction:
    the smoother of a larger set is not an average of the smoother of a smaller
    one, and each fit carries its own error. Each value is clipped to the EVPI;
    for several sets, :func:`evppi_table` fits them on the same draws, projects
    the values onto the monotone ones and flags violations beyond their
    standard errors.

    Check. ``regression`` reports the in-sample and ``n_folds``-fold
    cross-validated :math:`R^2` and whether the residuals have mean zero
    within deciles of the fitted values the value uses (in-sample for gam,
    cross-fitted for gbm) (the check of R's voi package);
    a failed check warns.

    Standard error. Each bootstrap resample of the draws refits the regression
    and recomputes the estimate on the resample, so the standard error includes
    the regression's estimation error, not only the Monte Carlo error of the
    outer average. For ``"gam"`` the refit is one Newton step of the weighted
    ridge problem from the full-data solution (exact to first order, basis and
    penalty held fixed). For ``"gbm"`` the estimate is cross-fitted: the draws
    of each fold are predicted by trees fitted without them, so the ``n_folds``
    fold-wise estimates vary with both the draws and the fitted model, and the
    standard error is their standard deviation over :math:`\sqrt{K}` (the
    cross-fitting variance of Chernozhukov et al., 2018; with ``K - 1`` degrees
    of freedom it is itself rough: more folds make it steadier). Neither
    measures the regression's bias (a misspecified fit: see the check).

    With utilities estimated from replicates, the regression averages the
    replicate noise out of :math:`E[D_a\mid\phi]`; what remains is the
    measure's plug-in bias, removed by the half-sample extrapolation
    (``debias``); the EVPI bound is the noise-corrected EVPI of :func:`evpi`.

    References
    ----------
    .. [1] Strong, M., Oakley, J. E. and Brennan, A. (2014). Estimating
       multiparameter partial expected value of perfect information from a
       probabilistic sensitivity analysis sample: a nonparametric regression
       approach. Medical Decision Making, 34(3), 311-326.
    .. [2] Heath, A., Manolopoulou, I. and Baio, G. (2017). A review of methods
       for analysis of the expected value of information. Medical Decision
       Making, 37(7), 747-758.
    .. [3] Jackson, C., Heath, A. et al. voi: Expected Value of Information.
       R package, https://chjackson.github.io/voi/.
    .. [4] Chernozhukov, V. et al. (2018). Double/debiased machine learning for
       treatment and structural parameters. The Econometrics Journal, 21(1), C1-C68.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from decide.uncertainty import evpi, evppi
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(0.2, 1.0, 2000), rng.normal(0.0, 1.0, 2000)
    >>> draws = pd.DataFrame({"act": a, "wait": np.zeros(2000)})
    >>> post = {"a": a, "b": b}
    >>> full = evpi(draws).value
    >>> part_a = evppi(draws, params=["a"], posterior=post, random_seed=0)
    >>> part_b = evppi(draws, params=["b"], posterior=post, random_seed=0).value
    >>> bool(abs(part_a.value - full) < 0.02 and part_b < 0.03)
    True
    >>> part_a.regression.ok, round(part_a.regression.cv_r2, 2)
    (True, 1.0)
    """
    sels = _selections(params)
    names = tuple(s.label for s in sels)
    n_boot = _check_args(method, n_knots, n_folds, n_bootstrap, rank_tol)
    rng = as_rng(random_seed)
    levels = _levels(outcome, actions, objective, debias)
    U = debiased_utility(levels)
    full_voi = evpi_from_levels(levels)
    ds = _parameter_draws(outcome, posterior, names)
    X, _ = design_matrix(ds, sels, U.shape[0])
    return evppi_core(
        U, levels.labels, full_voi, X, names, method=method, n_knots=int(n_knots),
        n_folds=int(n_folds), n_bootstrap=n_boot, rank_tol=float(rank_tol), rng=rng,
        n_replicates=levels.n_replicates, stacklevel=3,
    )
