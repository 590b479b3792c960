"""Moment-based objectives: mean, dispersion (scored as its negative) and ratios.

Conventions: outcomes are rewards (higher is better) and every objective is a
score to maximize, so ``Variance``, ``StdDev`` and ``SemiVariance`` score as the
negative of the dispersion. Draws put the sample axis first; see
:class:`decide.measures.Objective`.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from decide._validation import check_finite_scalar, check_in_range
from decide.measures._base import Objective, Property
from decide.measures._moments import k_mean, k_semivariance, k_variance

if TYPE_CHECKING:
    import cvxpy as cp

__all__ = ["Mean", "MeanVariance", "SemiVariance", "StdDev", "Variance"]

P = Property


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

    _properties = frozenset(
        {
            P.MONOTONE,
            P.TRANSLATION_INVARIANT,
            P.POSITIVELY_HOMOGENEOUS,
            P.CONCAVE,
            P.LAW_INVARIANT,
            P.SSD_CONSISTENT,
        }
    )

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
