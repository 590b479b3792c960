"""Objectives against a threshold: shortfall probability and expected shortfall below it.

Conventions: outcomes are rewards (higher is better) and objectives are scores
to maximize, so both score as the negative of the conventional (non-negative)
quantity. Draws put the sample axis first.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from decide._validation import check_finite_scalar
from decide.measures._base import Objective, Property
from decide.measures._dispersion import cp_mean
from decide.measures._moments import k_lower_partial, k_shortfall_probability

if TYPE_CHECKING:
    import cvxpy as cp

__all__ = ["ExpectedShortfallBelow", "ProbabilityOfShortfall"]

P = Property


class ProbabilityOfShortfall(Objective):
    r"""Minus the probability of falling short of a threshold, :math:`-P(X < t)`.

    Parameters
    ----------
    threshold : float, default 0
        The level ``t`` (default: minus the probability of a loss).

    Raises
    ------
    DecideValueError
        If ``threshold`` is not finite.

    Notes
    -----
    Monotone and law invariant; not concave, and piecewise constant in the
    draws, so it has neither a gradient nor a DCP form (use a derivative-free
    method or :class:`ExpectedShortfallBelow`, its convex relaxation).

    Examples
    --------
    >>> from decide.measures import ProbabilityOfShortfall
    >>> ProbabilityOfShortfall(0.0)([-1.0, 0.0, 2.0, 3.0])
    -0.25
    """

    _properties = frozenset({P.MONOTONE, P.LAW_INVARIANT})

    def __init__(self, threshold: float = 0.0):
        self.threshold = check_finite_scalar(threshold, "threshold")

    def _value(self, x: np.ndarray, w: np.ndarray | None) -> float:
        return -float(k_shortfall_probability(x, w, self.threshold))

    def _params(self) -> dict[str, Any]:
        return {"threshold": self.threshold}


class ExpectedShortfallBelow(Objective):
    r"""Minus the expected shortfall below a threshold, :math:`-E[(t - X)_+]`.

    Parameters
    ----------
    threshold : float, default 0
        The level ``t``; only outcomes below it count.

    Raises
    ------
    DecideValueError
        If ``threshold`` is not finite.

    Notes
    -----
    The expected value of the increasing concave function :math:`-(t - x)_+`:
    monotone, concave, law invariant, SSD-consistent, and positively
    homogeneous when ``t = 0``. Gradient: :math:`w_i 1[x_i < t]`. DCP form:
    ``-mean(pos(t - expr))``.

    Examples
    --------
    >>> from decide.measures import ExpectedShortfallBelow
    >>> ExpectedShortfallBelow(1.0)([-2.0, 0.0, 1.0, 5.0])
    -1.0
    """

    _properties = frozenset({P.MONOTONE, P.CONCAVE, P.LAW_INVARIANT, P.SSD_CONSISTENT})

    def __init__(self, threshold: float = 0.0):
        self.threshold = check_finite_scalar(threshold, "threshold")
        if self.threshold == 0:
            self._properties = self._properties | {P.POSITIVELY_HOMOGENEOUS}

    def _value(self, x: np.ndarray, w: np.ndarray | None) -> float:
        return -float(k_lower_partial(x, w, self.threshold))

    def _grad(self, x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        wt = np.full(x.shape[0], 1.0 / x.shape[0]) if w is None else w
        return wt * (x < self.threshold)

    def _to_cvxpy(self, expr: cp.Expression, w: np.ndarray | None) -> cp.Expression:
        import cvxpy as cp

        return -cp_mean(cp.pos(self.threshold - expr), w)

    def _params(self) -> dict[str, Any]:
        return {"threshold": self.threshold}
