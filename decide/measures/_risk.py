"""Lower-tail risk objectives on the reward scale (higher is better).

Conventions: outcomes are rewards; risk lives in the lower tail; ``alpha`` is
the tail probability, so ``CVaR(0.05)`` is the mean of the worst 5% of the
outcome draws. These scores are rewards: the loss-scale risk is their
negative. Draws put the sample axis first; see :class:`decide.measures.Objective`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import numpy as np

from decide._validation import check_alpha
from decide.measures._base import Objective, Property
from decide.measures._moments import COHERENT_LI_SSD, Mean, check_risk_aversion, cp_mean
from decide.measures._quantile import grad_cvar, grad_worst, k_cvar, k_var, k_worst
from decide.measures._reduce import positive_support

if TYPE_CHECKING:
    import cvxpy as cp

__all__ = ["CVaR", "MeanCVaR", "VaR", "WorstCase"]

P = Property


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
