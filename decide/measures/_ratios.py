"""Reward-to-risk ratios: Sharpe and Sortino, as plain functions and as objectives.

Conventions: outcomes are rewards (higher is better); a ratio is a score to
maximize as it stands, so the function and the objective give the same value.
Draws put the sample axis first; ``weights`` are non-negative probability
weights over the reduced axes, normalized internally. Moments are those of the
(weighted) empirical law: population moments, no ``n - 1`` correction. The
ratio of draws with zero spread (Sharpe) or no downside (Sortino) is undefined
and raises.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from decide._validation import check_finite_scalar
from decide.errors import DecideValueError
from decide.measures._base import Objective, Property
from decide.measures._moments import full_weights, k_mean, k_semivariance, k_variance
from decide.measures._reduce import DOC_DRAWS, DOC_REDUCE, Axis, Dims, fill_doc, reduce_draws

__all__ = ["Sharpe", "Sortino", "sharpe", "sortino"]

P = Property


# -- kernels: reduce the last axis of x (..., m) with weights w (m,) or None ----------
def _nonzero(value: Any, what: str, measure: str) -> Any:
    arr = np.asarray(value)
    if np.any(arr <= 0):
        raise DecideValueError(
            f"draws have zero {what}, so the {measure} is undefined (division by zero); "
            "use the mean, or a measure without a ratio, for constant draws."
        )
    return value


def k_sharpe(x: np.ndarray, w: np.ndarray | None, risk_free: float) -> Any:
    sd = np.sqrt(k_variance(x, w))
    return (k_mean(x, w) - risk_free) / _nonzero(sd, "standard deviation", "Sharpe ratio")


def k_sortino(x: np.ndarray, w: np.ndarray | None, target: float) -> Any:
    dd = np.sqrt(k_semivariance(x, w, target))
    return (k_mean(x, w) - target) / _nonzero(
        dd, "downside deviation below target", "Sortino ratio"
    )


# -- public functions ----------------------------------------------------------------
_doc = fill_doc(common=DOC_DRAWS + "\n" + DOC_REDUCE)


@_doc
def sharpe(
    draws: Any, axis: Axis = 0, weights: Any = None, dims: Dims = None, risk_free: float = 0.0
) -> Any:
    r"""Sharpe ratio, :math:`(\mu - r_f) / \sigma`.

    Parameters
    ----------
    {common}
    risk_free : float, default 0
        Outcome of the riskless alternative.

    Returns
    -------
    float, ndarray or xarray.DataArray

    Raises
    ------
    DecideValueError
        If the draws have zero standard deviation (the ratio is undefined).

    References
    ----------
    Sharpe, W. F. (1966). Mutual fund performance. *Journal of Business* 39, 119-138.

    Examples
    --------
    >>> from decide.measures import sharpe
    >>> sharpe([0.0, 2.0])
    1.0
    """
    rf = check_finite_scalar(risk_free, "risk_free")
    return reduce_draws(
        lambda x, w: k_sharpe(x, w, rf), draws, axis=axis, weights=weights, dims=dims
    )


@_doc
def sortino(
    draws: Any, axis: Axis = 0, weights: Any = None, dims: Dims = None, target: float = 0.0
) -> Any:
    r"""Sortino ratio, :math:`(\mu - t) / \sqrt{E[(t - X)_+^2]}`.

    Parameters
    ----------
    {common}
    target : float, default 0
        Minimum acceptable outcome ``t``.

    Returns
    -------
    float, ndarray or xarray.DataArray

    Raises
    ------
    DecideValueError
        If no draw falls below ``target`` (zero downside deviation).

    References
    ----------
    Sortino, F. A., & Price, L. N. (1994). Performance measurement in a downside
    risk framework. *Journal of Investing* 3(3), 59-64.

    Examples
    --------
    >>> from decide.measures import sortino
    >>> sortino([-1.0, 3.0])
    1.414213...
    """
    t = check_finite_scalar(target, "target")
    return reduce_draws(
        lambda x, w: k_sortino(x, w, t), draws, axis=axis, weights=weights, dims=dims
    )


# -- objectives ----------------------------------------------------------------------
class Sharpe(Objective):
    r"""Sharpe ratio :math:`(E[X] - r_f) / \sigma(X)`.

    Parameters
    ----------
    risk_free : float, default 0
        Outcome of the riskless alternative.

    Raises
    ------
    DecideValueError
        When scoring draws with zero standard deviation.

    Notes
    -----
    Law invariant only: not concave, not monotone, and scale invariant rather
    than positively homogeneous. No DCP form. Gradient:
    :math:`w_i/\sigma - (\mu - r_f) w_i (x_i - \mu)/\sigma^3`.

    Examples
    --------
    >>> from decide.measures import Sharpe
    >>> Sharpe()([0.0, 2.0])
    1.0
    """

    _properties = frozenset({P.LAW_INVARIANT})

    def __init__(self, risk_free: float = 0.0):
        self.risk_free = check_finite_scalar(risk_free, "risk_free")

    def _value(self, x: np.ndarray, w: np.ndarray | None) -> float:
        return float(k_sharpe(x, w, self.risk_free))

    def _grad(self, x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        wt = full_weights(x, w)
        mu = k_mean(x, w)
        sd = float(np.sqrt(k_variance(x, w)))
        k_sharpe(x, w, self.risk_free)  # raises on zero spread
        # divide step by step: sd**3 underflows to 0 for a tiny (but non-zero) spread
        return (wt - (mu - self.risk_free) / sd * wt * ((x - mu) / sd)) / sd

    def _params(self) -> dict[str, Any]:
        return {"risk_free": self.risk_free}


class Sortino(Objective):
    r"""Sortino ratio :math:`(E[X] - t) / \sqrt{E[(t - X)_+^2]}`.

    Parameters
    ----------
    target : float, default 0
        Minimum acceptable outcome ``t``.

    Raises
    ------
    DecideValueError
        When scoring draws none of which falls below ``target``.

    Notes
    -----
    Law invariant only; no DCP form. Gradient:
    :math:`w_i / D + (\mu - t) w_i (t - x_i)_+ / D^3` with :math:`D` the downside deviation.

    Examples
    --------
    >>> from decide.measures import Sortino
    >>> Sortino()([-1.0, 3.0])
    1.414213...
    """

    _properties = frozenset({P.LAW_INVARIANT})

    def __init__(self, target: float = 0.0):
        self.target = check_finite_scalar(target, "target")

    def _value(self, x: np.ndarray, w: np.ndarray | None) -> float:
        return float(k_sortino(x, w, self.target))

    def _grad(self, x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        k_sortino(x, w, self.target)  # raises on zero downside
        wt = full_weights(x, w)
        d = np.maximum(self.target - x, 0.0)
        dd = math.sqrt(float(wt @ (d * d)))
        # divide step by step: dd**3 underflows to 0 for a tiny (but non-zero) downside
        return (wt + (k_mean(x, w) - self.target) / dd * wt * (d / dd)) / dd

    def _params(self) -> dict[str, Any]:
        return {"target": self.target}
