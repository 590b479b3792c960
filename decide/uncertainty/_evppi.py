r"""Expected value of partial perfect information by regression over posterior draws.

Outcomes are rewards (higher is better). The estimator of Strong, Oakley and
Brennan (2014): regress each action's per-draw utility (relative to the action
that is best in expectation) on the draws of the parameters of interest; the
fitted values estimate :math:`E[U(a,\theta) \mid \phi]`.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd
import xarray as xr

from decide._config import SAMPLE_DIM
from decide._posterior import posterior_dataset
from decide._validation import as_rng
from decide.errors import DecideTypeError, DecideValueError
from decide.outcomes import OutcomeModel
from decide.uncertainty._utility import utility_matrix
from decide.uncertainty._voi import ValueOfInformation

if TYPE_CHECKING:
    from decide.measures import Objective

__all__ = ["evppi"]

def _design(ds: xr.Dataset, params: Sequence[str], n_samples: int) -> np.ndarray:
    available = sorted(str(v) for v in ds.data_vars)
    unknown = [p for p in params if p not in ds.data_vars]
    if unknown:
        raise DecideValueError(
            f"params {unknown} are not in the posterior; available parameters: {available}."
        )
    if ds.sizes[SAMPLE_DIM] != n_samples:
        raise DecideValueError(
            f"the parameter draws have {ds.sizes[SAMPLE_DIM]} samples but the outcome has "
            f"{n_samples}; pass the posterior the outcome was built from (same draws, same order)."
        )
    cols = []
    for p in params:
        da = ds[p].transpose(SAMPLE_DIM, ...)
        cols.append(np.asarray(da.values, dtype=np.float64).reshape(n_samples, -1))
    X = np.concatenate(cols, axis=1)
    if not np.all(np.isfinite(X)):
        raise DecideValueError(f"the draws of params {list(params)} must be finite.")
    return X


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


def evppi(
    outcome: Any,
    actions: Any = None,
    params: Sequence[str] | str = (),
    *,
    posterior: Any = None,
    objective: Objective | None = None,
    method: Literal["gam", "gbm"] = "gam",
    n_knots: int = 8,
    n_folds: int = 5,
    n_bootstrap: int = 200,
    random_seed: int | np.random.Generator | None = None,
) -> ValueOfInformation:
    r"""Expected value of partial perfect information about the parameters ``params``.

    Outcomes are rewards (higher is better); draw arrays put the sample axis first.

    Parameters
    ----------
    outcome : OutcomeModel, pandas.DataFrame, dict or ndarray of shape (n_samples, n_actions)
        As in :func:`evpi` (finite action sets only).
    actions : list, dict, Discrete or None
        As in :func:`evpi`.
    params : str or sequence of str
        Names of the parameters that would be learned exactly. A parameter with
        extra dims contributes one regressor per element.
    posterior : dict, xarray.Dataset, arviz.InferenceData or xarray.DataTree, optional
        Draws of the parameters, aligned with the outcome's posterior samples
        (same number, same order: chain-major). Default: the outcome's own draws
        (``from_pymc``'s posterior, ``from_function``'s params).
    objective : Objective, optional
        As in :func:`evpi` (default: risk neutral).
    method : {"gam", "gbm"}, default "gam"
        ``"gam"``: additive cubic regression splines (``knots="quantile"``) with a
        ridge penalty chosen by efficient leave-one-out cross-validation
        (scikit-learn ``SplineTransformer`` + ``RidgeCV``), in-sample fitted values.
        ``"gbm"``: histogram gradient-boosted trees with ``n_folds``-fold
        cross-fitting (out-of-fold predictions); captures interactions between
        parameters at a higher cost.
    n_knots : int, default 8
        Spline knots per parameter (``"gam"``).
    n_folds : int, default 5
        Cross-fitting folds (``"gbm"``).
    n_bootstrap : int, default 200
        Bootstrap resamples for the standard error (0 to skip it).
    random_seed : int or numpy.random.Generator, optional
        Seed for the bootstrap and the folds.

    Returns
    -------
    ValueOfInformation
        ``value`` (the EVPPI clipped to ``[0, EVPI]``), ``value_raw``, the
        bootstrap ``standard_error``, ``evpi`` on the same draws, ``params``.

    Raises
    ------
    DecideValueError
        If ``params`` is empty or names unknown parameters (the message lists the
        available ones), if no parameter draws can be found, if their number of
        samples differs from the outcome's, or if fewer than two actions are given.
    DecideTypeError
        If ``method`` is not ``"gam"`` or ``"gbm"``.

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
    :math:`[0, \mathrm{EVPI}]` (the unclipped value is ``value_raw``). Flexible
    fits that chase noise bias the estimate upwards: with few draws, a parameter
    unrelated to the utility gets a small positive EVPPI.

    The standard error resamples the posterior draws (rows of the fitted values)
    ``n_bootstrap`` times and recomputes the estimate: it measures the Monte
    Carlo error given the fitted regression, not the regression's own bias.

    References
    ----------
    .. [1] Strong, M., Oakley, J. E. and Brennan, A. (2014). Estimating
       multiparameter partial expected value of perfect information from a
       probabilistic sensitivity analysis sample: a nonparametric regression
       approach. Medical Decision Making, 34(3), 311-326.
    .. [2] Heath, A., Manolopoulou, I. and Baio, G. (2017). A review of methods
       for analysis of the expected value of information. Medical Decision
       Making, 37(7), 747-758.

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
    >>> part_a = evppi(draws, params=["a"], posterior=post, random_seed=0).value
    >>> part_b = evppi(draws, params=["b"], posterior=post, random_seed=0).value
    >>> bool(abs(part_a - full) < 0.02 and part_b < 0.03)
    True
    """
    names = (params,) if isinstance(params, str) else tuple(str(p) for p in params)
    if not names:
        raise DecideValueError(
            "params must name at least one parameter to learn; got none. For every parameter "
            "use evpi()."
        )
    if method not in ("gam", "gbm"):
        raise DecideTypeError(f"method must be 'gam' or 'gbm'; got {method!r}.")
    for arg, val, low in (("n_knots", n_knots, 2), ("n_folds", n_folds, 2), ("n_bootstrap", n_bootstrap, 0)):
        if isinstance(val, bool) or not isinstance(val, int | np.integer) or val < low:
            raise DecideValueError(f"{arg} must be an integer >= {low}; got {val!r}.")
    rng = as_rng(random_seed)
    U, labels = utility_matrix(outcome, actions, objective)
    n = U.shape[0]
    if posterior is not None:
        ds = posterior_dataset(posterior, name="posterior")
    else:
        ds = outcome.parameters if isinstance(outcome, OutcomeModel) else None
        if ds is None:
            raise DecideValueError(
                f"no parameter draws found for params {list(names)}: "
                f"{type(outcome).__name__} does not carry its posterior. Pass posterior= (a dict "
                "of arrays, a Dataset or InferenceData aligned with the outcome's samples)."
            )
    X = _design(ds, names, n)
    means = U.mean(axis=0)
    best = int(np.argmax(means))
    D = np.delete(U - U[:, [best]], best, axis=1)
    if method == "gam":
        fitted = _fit_gam(X, D, int(n_knots))
    else:
        fitted = _fit_gbm(X, D, int(n_folds), rng)
    G = np.insert(fitted, best, 0.0, axis=1)
    raw = _evppi_value(G)
    full = float((U.max(axis=1) - U[:, best]).mean())
    value = min(max(raw, 0.0), full)
    notes: list[str] = []
    if raw > full:
        notes.append(
            f"the regression estimate {raw:.4g} exceeded the EVPI {full:.4g} and was clipped to it."
        )
    se = math.nan
    if n_bootstrap > 0:
        boot = np.array(
            [_evppi_value(G[rng.integers(0, n, size=n)]) for _ in range(int(n_bootstrap))]
        )
        se = float(boot.std(ddof=1))
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
    )

