"""Effective sample size of the exponential weights behind CARA-utility estimates.

An estimate of :math:`E[e^{-aX}]` from draws (expected exponential utility,
its certainty equivalent, the entropic risk) is a weighted average in which
draw :math:`i` weighs :math:`p_i e^{-a x_i}`: with fat lower tails or a large
``a`` a few of the worst draws carry almost all the weight, and the estimate
is no better than one computed from those few draws. Outcomes are rewards
(higher is better); draws put the sample axis first.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from decide._validation import as_draws, as_weights, check_finite_scalar
from decide.errors import DecideValueError

__all__ = ["check_exponential_ess", "exponential_ess", "exponential_risk_aversion"]


def exponential_ess(draws: Any, risk_aversion: float, weights: Any = None) -> float:
    r"""Kish effective sample size of the exponential-utility weights of outcome draws.

    Parameters
    ----------
    draws : array_like of shape (n_samples,) or (n_samples, n_replicates)
        Outcome draws (rewards); replicates are pooled with the samples.
    risk_aversion : float
        The absolute CARA risk aversion :math:`a \ge 0` of
        :math:`u(x) = (1 - e^{-a x}) / a`.
    weights : array_like of shape (n_samples,), optional
        Probability weights of the samples (normalized internally).

    Returns
    -------
    float
        :math:`(\sum_i v_i)^2 / \sum_i v_i^2` with :math:`v_i = p_i e^{-a x_i}`:
        between 1 (one draw carries all the weight) and the number of draws
        (equal weights, e.g. ``a = 0``).

    Raises
    ------
    DecideValueError
        If ``risk_aversion`` is negative or not finite, or the draws or
        weights are invalid.

    Notes
    -----
    The weights are computed after subtracting the smallest draw (the ratio
    does not change), so they never overflow. For normal draws with standard
    deviation :math:`\sigma` the ratio to the number of draws tends to
    :math:`e^{-a^2\sigma^2}`.

    References
    ----------
    Kish, L. (1965). *Survey Sampling*. Wiley. Owen, A. B. (2013). *Monte
    Carlo theory, methods and examples*, chapter 9 (importance sampling).

    Examples
    --------
    >>> import numpy as np
    >>> from decide.measures import exponential_ess
    >>> x = np.random.default_rng(0).normal(0.0, 1.0, 100_000)
    >>> round(exponential_ess(x, 0.5) / x.size, 2)   # exp(-0.25) = 0.78
    0.78
    >>> exponential_ess(np.array([0.0, 0.0, -50.0]), 1.0)
    1.0
    """
    x = as_draws(draws)
    a = check_finite_scalar(risk_aversion, "risk_aversion")
    if a < 0:
        raise DecideValueError(f"risk_aversion must be >= 0; got {risk_aversion!r}.")
    w = as_weights(weights, x.shape[0])
    r = x.size // x.shape[0]
    flat = x.reshape(-1)
    p = np.full(flat.size, 1.0 / flat.size) if w is None else np.repeat(w / r, r)
    v = p * np.exp(-a * (flat - flat.min()))
    return float(v.sum() ** 2 / np.sum(v * v))


def exponential_risk_aversion(objective: Any) -> float | None:
    """The CARA risk aversion ``a`` behind an objective's estimate, or None.

    ``ExpectedUtility(Exponential(a))``, ``CertaintyEquivalent(Exponential(a))``
    and ``EntropicRisk(a)`` give ``a``; a weighted sum gives the largest ``a``
    of its terms; anything else None.

    Parameters
    ----------
    objective : Objective or any

    Returns
    -------
    float or None

    Examples
    --------
    >>> from decide.measures import CVaR, EntropicRisk, Mean, exponential_risk_aversion
    >>> exponential_risk_aversion(Mean() + 0.5 * EntropicRisk(2.0))
    2.0
    >>> exponential_risk_aversion(CVaR(0.1)) is None
    True
    """
    from decide.measures._base import WeightedObjective
    from decide.measures._entropic import EntropicRisk
    from decide.measures._expected_utility import CertaintyEquivalent, ExpectedUtility
    from decide.measures._utilities import Exponential

    if isinstance(objective, WeightedObjective):
        found = [exponential_risk_aversion(m) for wt, m in objective.terms if wt != 0]
        values = [a for a in found if a is not None]
        return max(values) if values else None
    if isinstance(objective, EntropicRisk):
        return float(objective.theta)
    if isinstance(objective, ExpectedUtility | CertaintyEquivalent) and isinstance(
        objective.utility, Exponential
    ):
        return float(objective.utility.risk_aversion)
    return None


def check_exponential_ess(draws: Any, objective: Any, *, context: str,
                          min_ess: float | None = None) -> float | None:
    """The effective sample size behind an objective's estimate, warning when it is too small.

    Parameters
    ----------
    draws : array_like of shape (n_samples,) or (n_samples, n_replicates)
        The outcome draws the objective is estimated from (rewards).
    objective : Objective or any
        Only objectives with a CARA risk aversion (see
        :func:`exponential_risk_aversion`) are diagnosed.
    context : str
        Where the estimate is used, for the message (e.g. ``"evpi"``).
    min_ess : float, optional
        Threshold; default ``decide._config.MIN_EXPONENTIAL_ESS`` (2: the
        estimate rests on one or two draws).

    Returns
    -------
    float or None
        :func:`exponential_ess` of the draws, or None when the objective has
        no exponential utility.

    Warns
    -----
    UnreliableEstimateWarning
        When the effective sample size is below ``min_ess``.

    Examples
    --------
    >>> import warnings
    >>> import numpy as np
    >>> from decide.measures import EntropicRisk, check_exponential_ess
    >>> x = np.r_[np.zeros(999), -40.0]
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     ess = check_exponential_ess(x, EntropicRisk(1.0), context="example")
    >>> round(ess, 3), caught[0].category.__name__
    (1.0, 'UnreliableEstimateWarning')
    """
    import warnings

    from decide._config import MIN_EXPONENTIAL_ESS
    from decide.errors import UnreliableEstimateWarning

    a = exponential_risk_aversion(objective)
    if a is None:
        return None
    ess = exponential_ess(draws, a)
    threshold = MIN_EXPONENTIAL_ESS if min_ess is None else float(min_ess)
    if ess < threshold:
        n = int(np.asarray(draws).size)
        warnings.warn(
            f"{context}: the estimate of {objective!r} rests on an effective sample size of "
            f"{ess:.2f} of {n} draws (exponential weights e^(-a x) with a = {a:g}): a few of the "
            "worst draws carry almost all the weight, so it is unreliable. Use more draws or a "
            "smaller risk aversion.",
            UnreliableEstimateWarning,
            stacklevel=3,
        )
    return ess
