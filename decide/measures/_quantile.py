r"""Quantile measures on the reward scale: VaR, CVaR and the worst case, as functions and objectives.

Conventions: outcomes are rewards (higher is better); risk lives in the lower
tail and ``alpha`` is the tail probability, so ``CVaR(0.05)`` is the mean of
the worst 5% of the outcome draws. ``value_at_risk``, ``cvar`` and
``worst_case`` return *rewards*, and the objectives :class:`VaR`,
:class:`CVaR`, :class:`WorstCase` and :class:`MeanCVaR` score on the same
scale, so a loss-scale risk is their negative. Draws put the sample axis
first; ``weights`` are probability weights.

Quantile definition (one for the whole package): with the weighted empirical
CDF :math:`F(x) = \sum_{i: x_i \le x} w_i`, the alpha-quantile is the lower
quantile :math:`q_\alpha = \min\{x_i : F(x_i) \ge \alpha\}`. With ``n``
equal weights this is the ``ceil(alpha * n)``-th smallest draw. CVaR is the
Rockafellar-Uryasev tail mean consistent with it (interpolating the boundary
draw), so it equals the optimum of the Rockafellar-Uryasev linear program.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from decide._validation import check_alpha
from decide.measures._base import Objective, Property
from decide.measures._moments import COHERENT_LI_SSD, Mean, check_risk_aversion, cp_mean
from decide.measures._reduce import (
    DOC_ALPHA,
    DOC_DRAWS,
    DOC_REDUCE,
    Axis,
    Dims,
    drop_zero_weights,
    fill_doc,
    positive_support,
    reduce_draws,
    snap,
)

if TYPE_CHECKING:
    import cvxpy as cp

__all__ = ["CVaR", "MeanCVaR", "VaR", "WorstCase", "cvar", "value_at_risk", "worst_case"]

P = Property

_EPS = np.finfo(np.float64).eps


def _tail_masses(ws: np.ndarray, alpha: float) -> np.ndarray:
    """Probability mass of each sorted draw inside the lower ``alpha`` tail."""
    cum = np.cumsum(ws, axis=-1)
    prev = cum - ws
    tol = 8.0 * ws.shape[-1] * _EPS
    mass = np.clip(alpha - prev, 0.0, None)
    mass = np.minimum(mass, ws)
    mass[mass <= tol * alpha] = 0.0  # mass left by rounding of the cumulative sum
    return mass


# -- kernels --------------------------------------------------------------------------
def k_var(x: np.ndarray, w: np.ndarray | None, alpha: float) -> Any:
    m = x.shape[-1]
    if w is None:
        j = math.ceil(snap(alpha * m)) - 1
        return np.partition(x, j, axis=-1)[..., j]
    order = np.argsort(x, axis=-1, kind="stable")
    xs = np.take_along_axis(x, order, axis=-1)
    cum = np.cumsum(w[order], axis=-1)
    idx = np.argmax(cum >= alpha - 8.0 * m * _EPS, axis=-1)
    return np.take_along_axis(xs, np.expand_dims(idx, -1), axis=-1)[..., 0]


def cvar_and_var(x: np.ndarray, alpha: float) -> tuple[Any, Any]:
    """Exact CVaR and VaR of equally weighted draws along the last axis, in one partition.

    With ``k = alpha * m`` (snapped to an integer within rounding, see :func:`snap`),
    ``kf = floor(k)`` and sorted draws ``x_(0) <= x_(1) <= ...``:
    ``CVaR = (sum_{i < kf} x_(i) + (k - kf) x_(kf)) / k`` (Rockafellar-Uryasev), and
    the VaR is ``x_(ceil(k) - 1)``, the largest draw carrying tail weight.
    The single exact kernel behind :func:`cvar`, :class:`CVaR` and the CVaR LP.
    """
    m = x.shape[-1]
    k = snap(alpha * m)
    kf = math.floor(k)
    frac = k - kf
    if kf == 0:
        low = x.min(axis=-1)
        return low, low
    j = kf if frac > 0 and kf < m else kf - 1
    part = np.partition(x, j, axis=-1)
    total = part[..., :kf].sum(axis=-1)
    if frac > 0 and kf < m:
        total = total + frac * part[..., kf]
    return total / k, part[..., j]


def k_cvar(x: np.ndarray, w: np.ndarray | None, alpha: float) -> Any:
    if w is None:
        return cvar_and_var(x, alpha)[0]
    order = np.argsort(x, axis=-1)
    xs = np.take_along_axis(x, order, axis=-1)
    mass = _tail_masses(w[order], alpha)
    return (mass * xs).sum(axis=-1) / mass.sum(axis=-1)


def grad_cvar(x: np.ndarray, w: np.ndarray | None, alpha: float) -> np.ndarray:
    """Supergradient of CVaR on flat draws: ``w_i / alpha`` on the tail, boundary split."""
    m = x.shape[0]
    if w is None:
        k = snap(alpha * m)
        kf = math.floor(k)
        if kf == 0:
            g = np.zeros(m)
            g[np.argmin(x)] = 1.0
            return g
        # t is the draw the tail ends in: mass 1/k on each draw below it, the rest of the
        # unit mass split evenly over the draws tied at t (a valid supergradient). The
        # gradient is written into the partition's buffer: on these machines every fresh
        # large array costs a page fault per page, so one allocation, not four.
        j = kf if k > kf else kf - 1
        g = np.partition(x, j)
        t = g[j]
        below = x < t
        tied = x == t
        np.multiply(below, 1.0 / k, out=g)
        g[tied] = (1.0 - np.count_nonzero(below) / k) / np.count_nonzero(tied)
        return g
    g = np.zeros(m)
    order = np.argsort(x)
    mass = _tail_masses(w[order], alpha)
    g[order] = mass / mass.sum()
    return g


def k_worst(x: np.ndarray, w: np.ndarray | None) -> Any:
    x, _, _ = drop_zero_weights(x, w)
    return x.min(axis=-1)


def grad_worst(x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
    g = np.zeros(x.shape[0])
    masked = x if w is None else np.where(w > 0, x, np.inf)
    g[np.argmin(masked)] = 1.0
    return g


# -- public functions -----------------------------------------------------------------
_doc = fill_doc(common=DOC_DRAWS + "\n" + DOC_REDUCE, alpha=DOC_ALPHA)


@_doc
def value_at_risk(
    draws: Any, alpha: float, axis: Axis = 0, weights: Any = None, dims: Dims = None
) -> Any:
    r"""Value at risk on the reward scale: the lower alpha-quantile of the outcome.

    Parameters
    ----------
    {common}
    {alpha}

    Returns
    -------
    float, ndarray or xarray.DataArray
        :math:`q_\alpha = \min\{x_i : F(x_i) \ge \alpha\}` (a reward; the loss-scale
        VaR is its negative).

    Raises
    ------
    DecideValueError
        If ``alpha`` is outside (0, 1) or the draws are empty or not finite.

    Notes
    -----
    With ``n`` equal weights, the ``ceil(alpha * n)``-th smallest draw (found
    with ``np.partition``).

    Examples
    --------
    >>> from decide.measures import value_at_risk
    >>> value_at_risk([5.0, 1.0, 4.0, 2.0, 3.0], alpha=0.4)
    2.0
    """
    a = check_alpha(alpha)
    return reduce_draws(lambda x, w: k_var(x, w, a), draws, axis=axis, weights=weights, dims=dims)


@_doc
def cvar(draws: Any, alpha: float, axis: Axis = 0, weights: Any = None, dims: Dims = None) -> Any:
    r"""Conditional value at risk on the reward scale: the mean of the worst ``alpha`` tail.

    Parameters
    ----------
    {common}
    {alpha}

    Returns
    -------
    float, ndarray or xarray.DataArray
        A reward; the loss-scale CVaR (expected shortfall) is its negative.

    Raises
    ------
    DecideValueError
        If ``alpha`` is outside (0, 1) or the draws are empty or not finite.

    Notes
    -----
    Rockafellar-Uryasev on the reward scale:

    .. math:: \mathrm{CVaR}_\alpha(X) = \max_t \; t - \tfrac{1}{\alpha} E[(t - X)_+],

    attained at :math:`t = q_\alpha` (:func:`value_at_risk`). With sorted draws
    and weights it is :math:`\frac{1}{\alpha}\sum_i m_i x_{(i)}` where the tail
    masses :math:`m_i = \min(w_{(i)}, (\alpha - \sum_{j<i} w_{(j)})_+)` fill
    exactly :math:`\alpha` (the boundary draw counts in part), so it is exact
    when ``alpha * n`` is not an integer. Equals minus skfolio's
    ``cvar(returns, beta=1 - alpha)``.

    References
    ----------
    Rockafellar, R. T., & Uryasev, S. (2002). Conditional value-at-risk for
    general loss distributions. *Journal of Banking & Finance* 26, 1443-1471.

    Examples
    --------
    >>> from decide.measures import cvar
    >>> cvar([1.0, 2.0, 3.0, 4.0], alpha=0.5)
    1.5
    >>> cvar([1.0, 2.0, 3.0, 4.0], alpha=0.375)   # 1.5 draws: (1 + 0.5 * 2) / 1.5
    1.333...
    """
    a = check_alpha(alpha)
    return reduce_draws(lambda x, w: k_cvar(x, w, a), draws, axis=axis, weights=weights, dims=dims)


@_doc
def worst_case(draws: Any, axis: Axis = 0, weights: Any = None, dims: Dims = None) -> Any:
    r"""Worst outcome: the smallest draw of positive weight.

    Parameters
    ----------
    {common}

    Returns
    -------
    float, ndarray or xarray.DataArray

    Examples
    --------
    >>> from decide.measures import worst_case
    >>> worst_case([3.0, -1.0, 2.0])
    -1.0
    """
    return reduce_draws(k_worst, draws, axis=axis, weights=weights, dims=dims)


# -- objectives -----------------------------------------------------------------------
class VaR(Objective):
    r"""Value at risk on the reward scale: the lower ``alpha``-quantile of the outcome.

    Parameters
    ----------
    alpha : float
        Tail probability in (0, 1).

    Raises
    ------
    DecideValueError
        If ``alpha`` is outside (0, 1).

    Notes
    -----
    :math:`q_\alpha = \min\{x_i : F(x_i) \ge \alpha\}` with the weighted
    empirical CDF ``F`` (see :func:`decide.measures.value_at_risk`). Monotone,
    translation invariant, positively homogeneous and law invariant; not
    concave (not coherent), so it has no DCP form and no gradient is offered
    (it is piecewise constant in all draws but one).

    Examples
    --------
    >>> from decide.measures import VaR
    >>> VaR(0.4)([5.0, 1.0, 4.0, 2.0, 3.0])
    2.0
    """

    _properties = frozenset(
        {P.MONOTONE, P.TRANSLATION_INVARIANT, P.POSITIVELY_HOMOGENEOUS, P.LAW_INVARIANT}
    )

    def __init__(self, alpha: float):
        self.alpha = check_alpha(alpha)

    def _value(self, x: np.ndarray, w: np.ndarray | None) -> float:
        return float(k_var(x, w, self.alpha))

    def _params(self) -> dict[str, Any]:
        return {"alpha": self.alpha}


class CVaR(Objective):
    r"""Conditional value at risk on the reward scale: the mean of the worst ``alpha`` tail.

    Parameters
    ----------
    alpha : float
        Tail probability in (0, 1).

    Raises
    ------
    DecideValueError
        If ``alpha`` is outside (0, 1).

    Notes
    -----
    .. math:: \mathrm{CVaR}_\alpha(X) = \max_t\; t - \tfrac1\alpha E[(t - X)_+]

    (Rockafellar-Uryasev), computed exactly with the boundary draw counted in
    part, so it equals the linear-program optimum for any weights and any
    ``alpha * n``; ``np.partition`` for equal weights. Equals minus skfolio's
    ``cvar(returns, beta=1 - alpha)``. Coherent, law invariant, SSD-consistent.
    Supergradient: ``w_i / alpha`` on the draws in the tail, the boundary draw
    getting the rest so the total is one. DCP form: the RU program with an
    auxiliary variable ``t`` (an LP for linear outcomes).

    References
    ----------
    Rockafellar, R. T., & Uryasev, S. (2000). Optimization of conditional
    value-at-risk. *Journal of Risk* 2, 21-41.

    Examples
    --------
    >>> from decide.measures import CVaR
    >>> CVaR(0.5)([1.0, 2.0, 3.0, 4.0])
    1.5
    """

    _properties = COHERENT_LI_SSD

    def __init__(self, alpha: float):
        self.alpha = check_alpha(alpha)

    def _value(self, x: np.ndarray, w: np.ndarray | None) -> float:
        return float(k_cvar(x, w, self.alpha))

    def _grad(self, x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        return grad_cvar(x, w, self.alpha)

    def _to_cvxpy(self, expr: cp.Expression, w: np.ndarray | None) -> cp.Expression:
        import cvxpy as cp

        t = cp.Variable(name="cvar_level")
        return t - cp_mean(cp.pos(t - expr), w) / self.alpha

    def _params(self) -> dict[str, Any]:
        return {"alpha": self.alpha}


class WorstCase(Objective):
    r"""Worst outcome :math:`\min_i x_i` over the draws of positive weight.

    Notes
    -----
    Coherent, law invariant and SSD-consistent; the limit of :class:`CVaR` and
    :class:`EVaR` as ``alpha -> 0``. Supergradient: one on the worst draw.
    DCP form: ``cvxpy.min``.

    Examples
    --------
    >>> from decide.measures import WorstCase
    >>> WorstCase()([3.0, -1.0, 2.0])
    -1.0
    """

    _properties = COHERENT_LI_SSD

    def _value(self, x: np.ndarray, w: np.ndarray | None) -> float:
        return float(k_worst(x, w))

    def _grad(self, x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        return grad_worst(x, w)

    def _to_cvxpy(self, expr: cp.Expression, w: np.ndarray | None) -> cp.Expression:
        import cvxpy as cp

        return cp.min(positive_support(expr, w)[0])


class MeanCVaR(Objective):
    r"""Mean plus a multiple of CVaR on the reward scale: :math:`E[X] + \lambda\,\mathrm{CVaR}_\alpha(X)`.

    Parameters
    ----------
    risk_aversion : float
        :math:`\lambda \ge 0`, the weight of the tail.
    alpha : float
        Tail probability in (0, 1).

    Raises
    ------
    DecideValueError
        If ``risk_aversion`` is negative or ``alpha`` outside (0, 1).

    Notes
    -----
    Because CVaR here is a reward (the tail mean), adding it rewards a better
    tail; in loss terms the score is :math:`E[X] - \lambda\,\mathrm{CVaR}^{loss}_\alpha`
    with :math:`\mathrm{CVaR}^{loss}_\alpha = -\mathrm{CVaR}_\alpha`. Monotone,
    positively homogeneous, concave, law invariant and SSD-consistent; not
    cash additive for :math:`\lambda > 0` (adding ``c`` adds :math:`(1+\lambda)c`);
    divide by :math:`1 + \lambda` for a coherent mix. DCP: the RU program.

    Examples
    --------
    >>> from decide.measures import MeanCVaR
    >>> MeanCVaR(1.0, 0.5)([1.0, 2.0, 3.0, 4.0])   # 2.5 + 1.5
    4.0
    """

    _properties = frozenset(
        {P.MONOTONE, P.POSITIVELY_HOMOGENEOUS, P.CONCAVE, P.LAW_INVARIANT, P.SSD_CONSISTENT}
    )

    def __init__(self, risk_aversion: float, alpha: float):
        self.risk_aversion = check_risk_aversion(risk_aversion)
        self.alpha = check_alpha(alpha)
        self._cvar = CVaR(self.alpha)
        if self.risk_aversion == 0:
            self._properties = COHERENT_LI_SSD

    def _value(self, x: np.ndarray, w: np.ndarray | None) -> float:
        return Mean()._value(x, w) + self.risk_aversion * self._cvar._value(x, w)

    def _grad(self, x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        return Mean()._grad(x, w) + self.risk_aversion * self._cvar._grad(x, w)

    def _to_cvxpy(self, expr: cp.Expression, w: np.ndarray | None) -> cp.Expression:
        return cp_mean(expr, w) + self.risk_aversion * self._cvar._to_cvxpy(expr, w)

    def _params(self) -> dict[str, Any]:
        return {"risk_aversion": self.risk_aversion, "alpha": self.alpha}
