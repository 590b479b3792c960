"""Moments: mean, variance, standard deviation and semivariance, as functions and as objectives.

Conventions: outcomes are rewards (higher is better). The plain functions
return the *conventional* values (a variance is positive); the objectives are
scores to maximize, so ``Variance``, ``StdDev`` and ``SemiVariance`` score as
the negative of the dispersion. Draws put the sample axis first; ``weights``
are non-negative probability weights over the reduced axes, normalized
internally. Moments are those of the (weighted) empirical law: population
moments, no ``n - 1`` correction. See :class:`decide.measures.Objective`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from decide._validation import check_finite_scalar, check_in_range
from decide.measures._base import Objective, Property
from decide.measures._reduce import DOC_DRAWS, DOC_REDUCE, Axis, Dims, fill_doc, reduce_draws

if TYPE_CHECKING:
    import cvxpy as cp

__all__ = [
    "Mean",
    "MeanVariance",
    "SemiVariance",
    "StdDev",
    "Variance",
    "mean",
    "semivariance",
    "std",
    "variance",
]

P = Property
#: The laws of the mean and the tail means (CVaR, EVaR, the worst case): coherent, law
#: invariant and consistent with second-order stochastic dominance.
COHERENT_LI_SSD = frozenset(
    {
        P.MONOTONE,
        P.TRANSLATION_INVARIANT,
        P.POSITIVELY_HOMOGENEOUS,
        P.CONCAVE,
        P.LAW_INVARIANT,
        P.SSD_CONSISTENT,
    }
)


# -- kernels: reduce the last axis of x (..., m) with weights w (m,) or None ----------
def k_mean(x: np.ndarray, w: np.ndarray | None) -> Any:
    return x.mean(axis=-1) if w is None else x @ w


def k_variance(x: np.ndarray, w: np.ndarray | None) -> Any:
    d = x - k_mean(x, w)[..., None] if x.ndim > 1 else x - k_mean(x, w)
    return k_mean(d * d, w)


def k_semivariance(x: np.ndarray, w: np.ndarray | None, target: float | None) -> Any:
    t = k_mean(x, w) if target is None else target
    d = np.maximum(np.expand_dims(t, -1) - x, 0.0)
    return k_mean(d * d, w)


# -- public functions ----------------------------------------------------------------
_doc = fill_doc(common=DOC_DRAWS + "\n" + DOC_REDUCE)


@_doc
def mean(draws: Any, axis: Axis = 0, weights: Any = None, dims: Dims = None) -> Any:
    r"""Expected outcome, :math:`\sum_i w_i x_i`.

    Parameters
    ----------
    {common}

    Returns
    -------
    float, ndarray or xarray.DataArray
        The reduced axes removed (a DataArray keeps its other dims).

    Raises
    ------
    DecideValueError
        If the draws are empty or not finite, or the weights do not match.

    Examples
    --------
    >>> from decide.measures import mean
    >>> mean([1.0, 2.0, 6.0])
    3.0
    """
    return reduce_draws(k_mean, draws, axis=axis, weights=weights, dims=dims)


@_doc
def variance(draws: Any, axis: Axis = 0, weights: Any = None, dims: Dims = None) -> Any:
    r"""Variance of the (weighted) empirical law, :math:`\sum_i w_i (x_i - \mu)^2`.

    Parameters
    ----------
    {common}

    Returns
    -------
    float, ndarray or xarray.DataArray

    Notes
    -----
    The population (plug-in) variance of the predictive distribution, no
    ``n - 1`` correction: it is a property of the law the draws represent.

    Examples
    --------
    >>> from decide.measures import variance
    >>> variance([0.0, 2.0])
    1.0
    """
    return reduce_draws(k_variance, draws, axis=axis, weights=weights, dims=dims)


@_doc
def std(draws: Any, axis: Axis = 0, weights: Any = None, dims: Dims = None) -> Any:
    r"""Standard deviation, the square root of :func:`variance`.

    Parameters
    ----------
    {common}

    Returns
    -------
    float, ndarray or xarray.DataArray

    Examples
    --------
    >>> from decide.measures import std
    >>> std([0.0, 2.0])
    1.0
    """
    return reduce_draws(
        lambda x, w: np.sqrt(k_variance(x, w)), draws, axis=axis, weights=weights, dims=dims
    )


@_doc
def semivariance(
    draws: Any, axis: Axis = 0, weights: Any = None, dims: Dims = None, target: float | None = None
) -> Any:
    r"""Downside semivariance, :math:`E[(t - X)_+^2]` with :math:`t` the mean or a target.

    Parameters
    ----------
    {common}
    target : float, optional
        Reference level ``t``; default the mean of the draws.

    Returns
    -------
    float, ndarray or xarray.DataArray

    Notes
    -----
    Only outcomes below ``t`` count (rewards: the lower side is the bad side).
    For a law symmetric about its mean it is half the variance.

    References
    ----------
    Markowitz, H. (1959). *Portfolio Selection*, ch. IX.

    Examples
    --------
    >>> from decide.measures import semivariance
    >>> semivariance([-1.0, 1.0])
    0.5
    """
    t = None if target is None else check_finite_scalar(target, "target")
    return reduce_draws(
        lambda x, w: k_semivariance(x, w, t), draws, axis=axis, weights=weights, dims=dims
    )


# -- objectives ----------------------------------------------------------------------
def cp_mean(expr: cp.Expression, w: np.ndarray | None) -> cp.Expression:
    """Weighted mean of a flat cvxpy expression."""
    import cvxpy as cp

    return cp.sum(expr) / expr.shape[0] if w is None else w @ expr


def full_weights(x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    """The weights ``w`` of the flat draws ``x``, or equal weights ``1 / m`` when ``w`` is None."""
    return np.full(x.shape[0], 1.0 / x.shape[0]) if w is None else w


class Mean(Objective):
    r"""Expected outcome :math:`E[X]` (risk neutral).

    Coherent, law invariant and SSD-consistent. Gradient: the weights ``w_i``.

    Examples
    --------
    >>> from decide.measures import Mean
    >>> Mean()([1.0, 2.0, 6.0])
    3.0
    """

    _properties = COHERENT_LI_SSD

    def _value(self, x: np.ndarray, w: np.ndarray | None) -> float:
        return float(k_mean(x, w))

    def _grad(self, x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        return full_weights(x, w).copy()

    def _to_cvxpy(self, expr: cp.Expression, w: np.ndarray | None) -> cp.Expression:
        return cp_mean(expr, w)


class Variance(Objective):
    r"""Minus the variance, :math:`-\sum_i w_i (x_i - \mu)^2` (population variance).

    Concave and law invariant, but neither monotone nor translation invariant.
    DCP form: minus a weighted sum of squares of the centered expression.

    Examples
    --------
    >>> from decide.measures import Variance
    >>> Variance()([0.0, 2.0])
    -1.0
    """

    _properties = frozenset({P.CONCAVE, P.LAW_INVARIANT})
    _conventional_sign = -1.0

    def _value(self, x: np.ndarray, w: np.ndarray | None) -> float:
        return -float(k_variance(x, w))

    def _grad(self, x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        return -2.0 * full_weights(x, w) * (x - k_mean(x, w))

    def _to_cvxpy(self, expr: cp.Expression, w: np.ndarray | None) -> cp.Expression:
        import cvxpy as cp

        centered = expr - cp_mean(expr, w)
        if w is None:
            return -cp.sum_squares(centered) / expr.shape[0]
        return -(w @ cp.square(centered))


class StdDev(Objective):
    r"""Minus the standard deviation, :math:`-\sqrt{\sum_i w_i (x_i - \mu)^2}`.

    Concave, positively homogeneous and law invariant. At zero spread the
    gradient returned is zero (a supergradient).

    Examples
    --------
    >>> from decide.measures import StdDev
    >>> StdDev()([0.0, 2.0])
    -1.0
    """

    _properties = frozenset({P.CONCAVE, P.POSITIVELY_HOMOGENEOUS, P.LAW_INVARIANT})
    _conventional_sign = -1.0

    def _value(self, x: np.ndarray, w: np.ndarray | None) -> float:
        return -math.sqrt(float(k_variance(x, w)))

    def _grad(self, x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        sd = math.sqrt(float(k_variance(x, w)))
        if sd == 0:
            return np.zeros_like(x)
        return -full_weights(x, w) * (x - k_mean(x, w)) / sd

    def _to_cvxpy(self, expr: cp.Expression, w: np.ndarray | None) -> cp.Expression:
        import cvxpy as cp

        centered = expr - cp_mean(expr, w)
        return -cp.norm2(cp.multiply(np.sqrt(full_weights(np.empty(expr.shape[0]), w)), centered))


class SemiVariance(Objective):
    r"""Minus the downside semivariance, :math:`-E[(t - X)_+^2]`.

    Parameters
    ----------
    target : float, optional
        Reference ``t``; default the mean of the draws.

    Notes
    -----
    About the mean: concave and law invariant only (adding to a high draw
    raises the mean and so the downside of the others). About a fixed target
    it is also monotone and SSD-consistent (the expected value of the
    increasing concave function :math:`-(t - x)_+^2`). Gradient about the mean:
    :math:`-2 w_j [D - (\mu - x_j)_+]` with :math:`D = E[(\mu - X)_+]`.

    Examples
    --------
    >>> from decide.measures import SemiVariance
    >>> SemiVariance()([-1.0, 1.0])
    -0.5
    """

    _properties = frozenset({P.CONCAVE, P.LAW_INVARIANT})
    _conventional_sign = -1.0

    def __init__(self, target: float | None = None):
        self.target = None if target is None else check_finite_scalar(target, "target")
        if self.target is not None:
            self._properties = frozenset({P.MONOTONE, P.CONCAVE, P.LAW_INVARIANT, P.SSD_CONSISTENT})

    def _value(self, x: np.ndarray, w: np.ndarray | None) -> float:
        return -float(k_semivariance(x, w, self.target))

    def _grad(self, x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        wt = full_weights(x, w)
        t = k_mean(x, w) if self.target is None else self.target
        d = np.maximum(t - x, 0.0)
        if self.target is not None:
            return 2.0 * wt * d
        return -2.0 * wt * (float(wt @ d) - d)

    def _to_cvxpy(self, expr: cp.Expression, w: np.ndarray | None) -> cp.Expression:
        import cvxpy as cp

        t = cp_mean(expr, w) if self.target is None else self.target
        return -cp_mean(cp.square(cp.pos(t - expr)), w)

    def _params(self) -> dict[str, Any]:
        return {"target": self.target}


def check_risk_aversion(value: Any) -> float:
    return check_in_range(value, "risk_aversion", low=0.0, high=math.inf, high_inclusive=False)


class MeanVariance(Objective):
    r"""Markowitz mean-variance score :math:`E[X] - \lambda \operatorname{Var}[X]`.

    Parameters
    ----------
    risk_aversion : float
        :math:`\lambda \ge 0`.

    Raises
    ------
    DecideValueError
        If ``risk_aversion`` is negative or not finite.

    Notes
    -----
    Concave, translation invariant and law invariant; not monotone (a large
    gain can lower the score). DCP form: a concave quadratic (a QP for linear
    outcomes).

    References
    ----------
    Markowitz, H. (1952). Portfolio selection. *Journal of Finance* 7, 77-91.

    Examples
    --------
    >>> from decide.measures import MeanVariance
    >>> MeanVariance(0.5)([0.0, 2.0])
    0.5
    """

    _properties = frozenset({P.TRANSLATION_INVARIANT, P.CONCAVE, P.LAW_INVARIANT})

    def __init__(self, risk_aversion: float):
        self.risk_aversion = check_risk_aversion(risk_aversion)
        if self.risk_aversion == 0:
            self._properties = Mean._properties

    def _value(self, x: np.ndarray, w: np.ndarray | None) -> float:
        return Mean()._value(x, w) + self.risk_aversion * Variance()._value(x, w)

    def _grad(self, x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        return Mean()._grad(x, w) + self.risk_aversion * Variance()._grad(x, w)

    def _to_cvxpy(self, expr: cp.Expression, w: np.ndarray | None) -> cp.Expression:
        return Mean()._to_cvxpy(expr, w) + self.risk_aversion * Variance()._to_cvxpy(expr, w)

    def _params(self) -> dict[str, Any]:
        return {"risk_aversion": self.risk_aversion}
