"""Entropic measures on the reward scale: EVaR and the entropic risk, as functions and objectives.

Conventions: outcomes are rewards (higher is better); risk lives in the lower
tail and ``alpha`` is the tail probability. :func:`evar` and
:func:`entropic_risk` return *rewards* (the loss-scale risk is their
negative), and the objectives :class:`EVaR` and :class:`EntropicRisk` score
the same values. Draws put the sample axis first; ``weights`` are probability
weights, and draws of zero weight are outside the law. The draws are shifted by
the smallest one before they are exponentiated, so nothing overflows.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np

from decide._validation import check_alpha, check_in_range
from decide.measures._base import Objective, Property
from decide.measures._moments import COHERENT_LI_SSD
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
)

if TYPE_CHECKING:
    import cvxpy as cp

__all__ = ["EVaR", "EntropicRisk", "entropic_risk", "evar"]

P = Property


# -- kernels --------------------------------------------------------------------------
def k_entropic(x: np.ndarray, w: np.ndarray | None, theta: float) -> Any:
    x, w, _ = drop_zero_weights(x, w)
    lo = x.min(axis=-1, keepdims=True)
    e = np.exp((x - lo) * -theta)
    s = e.mean(axis=-1) if w is None else e @ w
    return lo[..., 0] - np.log(s) / theta


def grad_entropic(x: np.ndarray, w: np.ndarray | None, theta: float) -> np.ndarray:
    xs, ws, keep = drop_zero_weights(x, w)
    e = np.exp((xs - xs.min()) * -theta)
    if ws is not None:
        e *= ws
    e /= e.sum()
    if keep is None:
        return e
    g = np.zeros(x.shape[0])
    g[keep] = e
    return g


def _evar_t(
    y: np.ndarray, w: np.ndarray | None, log_alpha: float, t0: float
) -> tuple[float, float, np.ndarray]:
    """Minimize the convex ``phi(t) = t (log E exp(-y / t) - log alpha)`` over ``t > 0``.

    ``y >= 0`` with ``min(y) = 0``; returns ``(t, phi(t), q)`` with ``q`` the
    tilted law ``w exp(-y / t) / E[...]`` at the optimum. Safeguarded Newton.
    """
    m = y.shape[0]
    y2 = y * y
    lo, hi = 0.0, math.inf
    t = t0
    for _ in range(200):
        z = 1.0 / t
        q = np.exp(y * -z)
        if w is not None:
            q *= w
        s = q.sum()
        q /= s
        k = math.log(s) - (math.log(m) if w is None else 0.0)
        m1 = float(q @ y)
        var = max(float(q @ y2) - m1 * m1, 0.0)
        phi = t * (k - log_alpha)
        d1 = k + z * m1 - log_alpha
        d2 = var * z**3
        if d1 < 0:
            lo = t
        else:
            hi = t
        step = d1 / d2 if d2 > 0 else math.inf
        if d2 > 0 and d1 * step <= 1e-15 * max(1.0, abs(phi)):
            return t, phi, q
        t_new = t - step
        if not lo < t_new < hi:
            t_new = (
                2.0 * t if math.isinf(hi) else (0.5 * (lo + hi) if lo == 0 else math.sqrt(lo * hi))
            )
        if not math.isinf(hi) and hi - lo <= 1e-14 * hi:
            return t, phi, q
        t = t_new
    return t, phi, q  # pragma: no cover - bisection bound reached above


def evar_core(x: np.ndarray, w: np.ndarray | None, alpha: float) -> tuple[float, np.ndarray]:
    """EVaR (reward scale) of flat draws and its gradient (the optimal tilted law)."""
    xs, ws, keep = drop_zero_weights(x, w)
    m = xs.shape[0]
    lo = float(xs.min())
    r = float(xs.max()) - lo
    at_min = xs == lo
    p_min = at_min.mean() if ws is None else float(ws[at_min].sum())
    if r == 0 or p_min >= alpha * (1 - 1e-12):
        # supremum reached as z -> infinity: the worst case, tilted law on the minima
        q = at_min * (1.0 if ws is None else ws)
        q = q / q.sum()
        value = lo
    else:
        y = (xs - lo) / r
        log_alpha = math.log(alpha)
        t0 = 0.0
        if ws is None and m > 40_000:  # warm start from a strided subsample
            sub = y[:: m // 10_000]
            sub = sub - sub.min()
            if np.mean(sub == 0) < alpha and sub.max() > 0:
                t0 = _evar_t(sub, None, log_alpha, float(np.std(sub)) / math.sqrt(-2 * log_alpha))[
                    0
                ]
        if t0 <= 0:
            sd = math.sqrt(float(np.var(y) if ws is None else ws @ (y - ws @ y) ** 2))
            t0 = sd / math.sqrt(-2 * log_alpha)
        _, phi, q = _evar_t(y, ws, log_alpha, t0)
        value = lo - r * phi
    if keep is not None:
        g = np.zeros(x.shape[0])
        g[keep] = q
        q = g
    return value, q


def k_evar(x: np.ndarray, w: np.ndarray | None, alpha: float) -> Any:
    if x.ndim == 1:
        return evar_core(x, w, alpha)[0]
    flat = x.reshape(-1, x.shape[-1])
    return np.array([evar_core(row, w, alpha)[0] for row in flat]).reshape(x.shape[:-1])


def check_theta(theta: Any) -> float:
    """``theta`` as a positive finite float."""
    return check_in_range(
        theta, "theta", low=0.0, high=math.inf, low_inclusive=False, high_inclusive=False
    )


# -- public functions -----------------------------------------------------------------
_doc = fill_doc(common=DOC_DRAWS + "\n" + DOC_REDUCE, alpha=DOC_ALPHA)


@_doc
def evar(draws: Any, alpha: float, axis: Axis = 0, weights: Any = None, dims: Dims = None) -> Any:
    r"""Entropic value at risk on the reward scale.

    Parameters
    ----------
    {common}
    {alpha}

    Returns
    -------
    float, ndarray or xarray.DataArray
        A reward below :func:`cvar` and above :func:`worst_case`.

    Raises
    ------
    DecideValueError
        If ``alpha`` is outside (0, 1) or the draws are empty or not finite.

    Notes
    -----
    With the loss-scale EVaR of Ahmadi-Javid (2012),
    :math:`\mathrm{EVaR}^{loss}_\alpha(L) = \inf_{z>0} \frac1z \log(E[e^{zL}]/\alpha)`,
    the reward-scale value is :math:`-\mathrm{EVaR}^{loss}_\alpha(-X)`:

    .. math:: \mathrm{EVaR}_\alpha(X) = \sup_{z>0} -\frac1z \log\frac{E[e^{-zX}]}{\alpha}
              = \min_{Q:\, KL(Q\|P) \le -\log\alpha} E_Q[X].

    Computed by a safeguarded Newton method on the convex function
    :math:`t \mapsto t (\log E[e^{-Y/t}] - \log \alpha)` of :math:`t = 1/z`,
    with the draws shifted and scaled to [0, 1] so the exponentials cannot
    overflow. When the worst draw already carries probability at least
    ``alpha`` the supremum is the limit :math:`z \to \infty`: the worst case.
    For a normal law, :math:`\mu - \sigma\sqrt{-2\log\alpha}`.

    References
    ----------
    Ahmadi-Javid, A. (2012). Entropic value-at-risk: a new coherent risk
    measure. *J. Optim. Theory Appl.* 155, 1105-1123.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.measures import evar, cvar
    >>> x = np.random.default_rng(0).normal(size=1000)
    >>> bool(evar(x, 0.05) < cvar(x, 0.05))
    True
    """
    a = check_alpha(alpha)
    return reduce_draws(lambda x, w: k_evar(x, w, a), draws, axis=axis, weights=weights, dims=dims)


@_doc
def entropic_risk(
    draws: Any, theta: float, axis: Axis = 0, weights: Any = None, dims: Dims = None
) -> Any:
    r"""Entropic risk on the reward scale, :math:`-\frac1\theta \log E[e^{-\theta X}]`.

    Parameters
    ----------
    {common}
    theta : float
        Risk aversion, > 0.

    Returns
    -------
    float, ndarray or xarray.DataArray
        A reward: the certainty equivalent of exponential (CARA) utility with risk
        aversion ``theta``. The loss-scale entropic risk measure of Föllmer and
        Schied is its negative.

    Raises
    ------
    DecideValueError
        If ``theta`` is not positive and finite, or the draws are not finite.

    Notes
    -----
    Computed as a log-sum-exp shifted by the smallest draw (no overflow). For a
    normal law, :math:`\mu - \theta\sigma^2/2`.

    References
    ----------
    Föllmer, H., & Schied, A. (2016). *Stochastic Finance*, 4th ed., ch. 4.9.

    Examples
    --------
    >>> from decide.measures import entropic_risk
    >>> round(entropic_risk([0.0, 0.0], theta=2.0), 12)
    0.0
    """
    th = check_theta(theta)
    return reduce_draws(
        lambda x, w: k_entropic(x, w, th), draws, axis=axis, weights=weights, dims=dims
    )


# -- objectives -----------------------------------------------------------------------
class EVaR(Objective):
    r"""Entropic value at risk on the reward scale.

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
    .. math:: \mathrm{EVaR}_\alpha(X) = \sup_{z>0} -\frac1z\log\frac{E[e^{-zX}]}{\alpha}
              = \min_{Q:\,KL(Q\|P)\le\log(1/\alpha)} E_Q[X]
              = -\mathrm{EVaR}^{loss}_\alpha(-X),

    between the worst case and :class:`CVaR`; :math:`\mu - \sigma\sqrt{-2\log\alpha}`
    for a normal law. Coherent, law invariant and SSD-consistent. Gradient by
    the envelope theorem: the optimal tilted law
    :math:`q_i = w_i e^{-z^* x_i} / \sum_j w_j e^{-z^* x_j}`. DCP form: minus the
    support function of the KL ball :math:`\{q \ge 0, \sum q = 1,
    \sum_i \mathrm{rel\_entr}(q_i, w_i) \le \log(1/\alpha)\}` at ``-expr``
    (exponential cone; cvxpy dualizes it, so no constraint leaves the expression).

    References
    ----------
    Ahmadi-Javid, A. (2012). Entropic value-at-risk: a new coherent risk
    measure. *J. Optim. Theory Appl.* 155, 1105-1123.

    Examples
    --------
    >>> from decide.measures import EVaR
    >>> EVaR(0.5)([1.0, 1.0])
    1.0
    """

    _properties = COHERENT_LI_SSD

    def __init__(self, alpha: float):
        self.alpha = check_alpha(alpha)

    def _value(self, x: np.ndarray, w: np.ndarray | None) -> float:
        return float(evar_core(x, w, self.alpha)[0])

    def _grad(self, x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        return evar_core(x, w, self.alpha)[1]

    def _to_cvxpy(self, expr: cp.Expression, w: np.ndarray | None) -> cp.Expression:
        import cvxpy as cp
        from cvxpy.transforms.suppfunc import SuppFunc

        expr, w = positive_support(expr, w)
        m = expr.shape[0]
        wt = np.full(m, 1.0 / m) if w is None else w
        q = cp.Variable(m, name="evar_tilt")
        ball = [q >= 0, cp.sum(q) == 1, cp.sum(cp.rel_entr(q, wt)) <= -math.log(self.alpha)]
        return -SuppFunc(q, ball)(-expr)

    def _params(self) -> dict[str, Any]:
        return {"alpha": self.alpha}


class EntropicRisk(Objective):
    r"""Entropic risk on the reward scale, :math:`-\frac1\theta\log E[e^{-\theta X}]`.

    Parameters
    ----------
    theta : float
        Risk aversion, > 0.

    Raises
    ------
    DecideValueError
        If ``theta`` is not positive and finite.

    Notes
    -----
    The certainty equivalent of exponential utility; :math:`\mu - \theta\sigma^2/2`
    for a normal law. A convex risk measure on the reward scale: monotone,
    translation invariant, concave, law invariant and SSD-consistent, but not
    positively homogeneous. Gradient: the tilted law
    :math:`w_i e^{-\theta x_i} / E[e^{-\theta X}]`. DCP form:
    ``-log_sum_exp(-theta * expr + log w) / theta`` (exponential cone).

    Examples
    --------
    >>> from decide.measures import EntropicRisk
    >>> EntropicRisk(1.0)([2.0, 2.0])
    2.0
    """

    _properties = frozenset(
        {P.MONOTONE, P.TRANSLATION_INVARIANT, P.CONCAVE, P.LAW_INVARIANT, P.SSD_CONSISTENT}
    )

    def __init__(self, theta: float):
        self.theta = check_theta(theta)

    def _value(self, x: np.ndarray, w: np.ndarray | None) -> float:
        return float(k_entropic(x, w, self.theta))

    def _grad(self, x: np.ndarray, w: np.ndarray | None) -> np.ndarray:
        return grad_entropic(x, w, self.theta)

    def _to_cvxpy(self, expr: cp.Expression, w: np.ndarray | None) -> cp.Expression:
        return entropic_cvxpy(expr, w, self.theta)

    def _params(self) -> dict[str, Any]:
        return {"theta": self.theta}


def entropic_cvxpy(expr: cp.Expression, w: np.ndarray | None, theta: float) -> cp.Expression:
    """``-log E_w exp(-theta expr) / theta`` as a DCP-concave expression."""
    import cvxpy as cp

    expr, w = positive_support(expr, w)
    m = expr.shape[0]
    logw = np.full(m, -math.log(m)) if w is None else np.log(w)
    return -cp.log_sum_exp(-theta * expr + logw) / theta
