"""Dominance between policies, beyond the Monte Carlo error of paired differences.

Outcomes are rewards (higher is better); risk lives in the lower tail and
``alpha`` is the tail probability. Every policy is judged on the same held-out
posterior draws, so two policies are compared draw by draw (paired): the error
of a difference is the error of the per-draw differences, far smaller than the
two errors added when the policies move together with the parameters.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass

import numpy as np

__all__ = ["Dominance", "dominance", "effective_size", "per_draw"]

#: Tail probability of the risk side of the rule (the ``cvar_5`` column).
_ALPHA = 0.05


def effective_size(d: np.ndarray) -> float:
    """Effective sample size of the mean of ``d`` (in sample order), at most ``d.size``.

    ArviZ's ESS of the mean (``method="mean"``) of ``d`` read as one chain, so
    autocorrelation between neighbouring posterior draws lowers it; capped at the
    number of draws (independent draws may score slightly above it by chance).
    Constant or very short sequences (fewer than 8 draws) count every draw.
    """
    n = int(d.size)
    if n < 8 or not np.all(np.isfinite(d)) or float(np.ptp(d)) <= 1e-12 * (1.0 + float(np.max(np.abs(d)))):
        return float(n)
    import arviz

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ess = float(np.asarray(arviz.ess(np.asarray(d, dtype=np.float64)[None, :], method="mean")))
    return float(n) if not math.isfinite(ess) or ess <= 0 else min(float(n), ess)


def per_draw(draws: np.ndarray, alpha: float = _ALPHA) -> tuple[np.ndarray, np.ndarray]:
    r"""Per-draw contributions to the mean and to the CVaR of pooled draws.

    Parameters
    ----------
    draws : ndarray of shape (n_samples,) or (n_samples, n_replicates, ...)
        Outcome draws, sample axis first; replicates are pooled with the samples.
    alpha : float
        Tail probability of the CVaR.

    Returns
    -------
    mean : ndarray of shape (n_samples,)
        Each draw's mean over its replicates.
    cvar : ndarray of shape (n_samples,)
        Each draw's mean of the CVaR's influence terms
        :math:`q + (y - q)\,1[y \le q] / \alpha`, :math:`q` the pooled
        alpha-quantile: their average is the Rockafellar-Uryasev CVaR at
        :math:`t = q`, and their spread gives its standard error.
    """
    x = np.asarray(draws, dtype=np.float64)
    x = x.reshape(x.shape[0], -1)
    q = float(np.quantile(x, alpha, method="inverted_cdf"))
    tail = q + np.minimum(x - q, 0.0) / alpha
    return x.mean(axis=1), tail.mean(axis=1)


@dataclass(frozen=True)
class Dominance:
    """Dominance flags of the policies, one entry per policy in the given order.

    Attributes
    ----------
    dominated : list of bool
    dominated_by : list of str
        Names of the dominating policies, comma separated ("" when none).
    gap : list of float
        Held-out mean advantage of the strongest challenger (the policy with the
        largest ``gap / se`` among those not worse in CVaR 5% beyond its error);
        NaN when there is none.
    se : list of float
        Paired standard error of that advantage.
    """

    dominated: list[bool]
    dominated_by: list[str]
    gap: list[float]
    se: list[float]


def _paired_se(a: np.ndarray, b: np.ndarray) -> float:
    d = a - b
    if d.size < 2:
        return math.inf
    return float(d.std(ddof=1)) / math.sqrt(effective_size(d))


def dominance(
    names: list[str], held_out: list[np.ndarray], means: np.ndarray, cvars: np.ndarray, z: float
) -> Dominance:
    r"""Which policies are dominated beyond the Monte Carlo error (see ``compare``'s Notes).

    Parameters
    ----------
    names : list of str
        Policy names.
    held_out : list of ndarray of shape (n_samples, ...)
        Each policy's held-out draws; row ``s`` of every array is the same
        posterior draw.
    means, cvars : ndarray of shape (n_policies,)
        The held-out mean and CVaR 5% of each policy (the table's columns).
    z : float
        Standard errors a difference must exceed.

    Returns
    -------
    Dominance

    Notes
    -----
    Policy :math:`j` dominates :math:`i` when
    :math:`\bar m_j - \bar m_i > z\,\mathrm{se}(m_j - m_i)` and
    :math:`c_j - c_i \ge -z\,\mathrm{se}(c_j - c_i)`, with the standard error of
    a difference the sd of its per-draw terms over the square root of their
    effective sample size (:func:`effective_size`).
    """
    parts = [per_draw(h) for h in held_out]
    k = len(names)
    scale = 1.0 + float(np.max(np.abs(np.concatenate([means, cvars])))) if k else 1.0
    tol = 1e-9 * scale
    flags, by, gaps, ses = [], [], [], []
    for i in range(k):
        winners: list[str] = []
        best_t, best = -math.inf, (math.nan, math.nan)
        for j in range(k):
            if j == i:
                continue
            se_c = _paired_se(parts[j][1], parts[i][1])
            if cvars[j] - cvars[i] < -z * se_c - tol:
                continue  # worse in the tail beyond its error: cannot dominate
            gap = float(means[j] - means[i])
            se_m = _paired_se(parts[j][0], parts[i][0])
            if gap > z * se_m + tol:
                winners.append(names[j])
            t = gap / se_m if se_m > 0 else (math.inf if gap > tol else (0.0 if gap >= -tol else -math.inf))
            if t > best_t or math.isnan(best[0]):
                best_t, best = t, (gap, se_m)
        flags.append(bool(winners))
        by.append(", ".join(winners))
        gaps.append(best[0])
        ses.append(best[1])
    return Dominance(flags, by, gaps, ses)
