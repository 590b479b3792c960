"""Measures against a threshold: the shortfall probability and the expected shortfall below it.

Conventions: outcomes are rewards (higher is better). The functions
:func:`probability_of_shortfall` and :func:`expected_shortfall_below` return the
conventional (non-negative) quantities; the objectives are scores to maximize,
so both score as the negative of those. Draws put the sample axis first;
``weights`` are non-negative probability weights over the reduced axes,
normalized internally.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from decide._validation import check_finite_scalar
from decide.measures._base import Objective, Property
from decide.measures._moments import cp_mean, k_mean
from decide.measures._reduce import DOC_DRAWS, DOC_REDUCE, Axis, Dims, fill_doc, reduce_draws

if TYPE_CHECKING:
    import cvxpy as cp

__all__ = [
    "ExpectedShortfallBelow",
    "ProbabilityOfShortfall",
    "expected_shortfall_below",
    "probability_of_shortfall",
]

P = Property


# -- kernels: reduce the last axis of x (..., m) with weights w (m,) or None ----------
def k_lower_partial(x: np.ndarray, w: np.ndarray | None, threshold: float) -> Any:
    return k_mean(np.maximum(threshold - x, 0.0), w)


def k_shortfall_probability(x: np.ndarray, w: np.ndarray | None, threshold: float) -> Any:
    return k_mean((x < threshold).astype(np.float64), w)


# -- public functions ----------------------------------------------------------------
_doc = fill_doc(common=DOC_DRAWS + "\n" + DOC_REDUCE)


@_doc
def probability_of_shortfall(
    draws: Any, threshold: float = 0.0, axis: Axis = 0, weights: Any = None, dims: Dims = None
) -> Any:
    r"""Probability that the outcome falls strictly below a threshold, :math:`P(X < t)`.

    Parameters
    ----------
    {common}
    threshold : float, default 0
        The level ``t`` (with the default, the probability of a loss).

    Returns
    -------
    float, ndarray or xarray.DataArray
        In [0, 1].

    Examples
    --------
    >>> from decide.measures import probability_of_shortfall
    >>> probability_of_shortfall([-1.0, 0.0, 2.0, 3.0], threshold=0.0)
    0.25
    """
    t = check_finite_scalar(threshold, "threshold")
    return reduce_draws(
        lambda x, w: k_shortfall_probability(x, w, t), draws, axis=axis, weights=weights, dims=dims
    )


@_doc
def expected_shortfall_below(
    draws: Any, threshold: float = 0.0, axis: Axis = 0, weights: Any = None, dims: Dims = None
) -> Any:
    r"""Expected shortfall below a threshold, :math:`E[(t - X)_+]` (a non-negative number).

    Parameters
    ----------
    {common}
    threshold : float, default 0
        The level ``t``; only outcomes below it count.

    Returns
    -------
    float, ndarray or xarray.DataArray

    Notes
    -----
    The first lower partial moment (the expected regret against a target); not
    to be confused with the tail mean :func:`cvar`.

    Examples
    --------
    >>> from decide.measures import expected_shortfall_below
    >>> expected_shortfall_below([-2.0, 0.0, 1.0, 5.0], threshold=1.0)
    1.0
    """
    t = check_finite_scalar(threshold, "threshold")
    return reduce_draws(
        lambda x, w: k_lower_partial(x, w, t), draws, axis=axis, weights=weights, dims=dims
    )


# -- objectives ----------------------------------------------------------------------
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
    _conventional_sign = -1.0

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
    _conventional_sign = -1.0

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
