"""Lower-tail measures as plain functions over a sample axis, on the reward scale.

Conventions: outcomes are rewards (higher is better); risk lives in the lower
tail and ``alpha`` is the tail probability. ``value_at_risk``, ``cvar``,
``evar``, ``entropic_risk`` and ``worst_case`` return *rewards* (e.g. the mean of
the worst ``alpha`` share of outcomes), so a loss-scale risk is their negative.
Draws put the sample axis first; ``weights`` are probability weights.

Quantile definition (one for the whole package): with the weighted empirical
CDF :math:`F(x) = \\sum_{i: x_i \\le x} w_i`, the alpha-quantile is the lower
quantile :math:`q_\\alpha = \\min\\{x_i : F(x_i) \\ge \\alpha\\}`. With ``n``
equal weights this is the ``ceil(alpha * n)``-th smallest draw. CVaR is the
Rockafellar-Uryasev tail mean consistent with it (interpolating the boundary
draw), so it equals the optimum of the Rockafellar-Uryasev linear program.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from decide._validation import check_alpha, check_in_range
from decide.measures._reduce import (
    DOC_DRAWS,
    DOC_REDUCE,
    Axis,
    Dims,
    drop_zero_weights,
    fill_doc,
    reduce_draws,
    snap,
)

__all__ = ["cvar", "entropic_risk", "evar", "value_at_risk", "worst_case"]

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


# -- public functions -----------------------------------------------------------------
_ALPHA = """
    alpha : float
        Tail probability in (0, 1): the share of worst outcomes considered."""


_doc = fill_doc(common=DOC_DRAWS + "\n" + DOC_REDUCE, alpha=_ALPHA.strip("\n"))


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


def check_theta(theta: Any) -> float:
    """``theta`` as a positive finite float."""
    return check_in_range(
        theta, "theta", low=0.0, high=math.inf, low_inclusive=False, high_inclusive=False
    )


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
