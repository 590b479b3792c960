r"""Removing the replicate-noise bias of value-of-information estimates.

Outcomes are rewards (higher is better). When the per-draw utility
:math:`U(a,\theta_s)` is estimated from the ``R`` outcome replicates of draw
``s`` (an objective applied to them, or their mean), the estimate carries noise,
and a maximum over actions of noisy estimates is biased upward:
:math:`E[\max_a \hat U_a] \ge \max_a U_a`. The bias shrinks as ``R`` grows, at
the rate :math:`1/R` when the posterior puts no mass on exact ties between
actions (and the measure's own plug-in bias is :math:`O(1/R)` too), slower
(down to :math:`1/\sqrt R`) when the actions are nearly tied in most draws.

The functions here evaluate a per-draw statistic on all replicates, on two
halves and (``R >= 8``) on four quarters of them (the same replicate indices
for every action: common random numbers), estimate the rate from the three
levels and extrapolate to infinitely many replicates (Richardson, with the
ratio estimated as in Aitken's :math:`\Delta^2`; Giles and Goda (2019) use the
same half-sample coupling in their antithetic multilevel EVPPI estimator).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from decide.uncertainty._utility import UtilityLevels

__all__ = ["RATE_BOUNDS", "debiased_per_draw", "debiased_utility", "debiased_with_rate_se"]

#: Bounds on the ratio of successive biases (bias at ``R`` over bias at ``R / 2``):
#: 1/2 is the ``1/R`` rate, ``1/sqrt(2)`` the ``1/sqrt(R)`` rate.
RATE_BOUNDS = (0.5, float(np.sqrt(0.5)))


def _level_means(levels: UtilityLevels, stat: Callable[[np.ndarray], np.ndarray]) -> list[np.ndarray]:
    out = [stat(levels.full)]
    for level in levels.subsets:
        out.append(np.mean([stat(U) for U in level], axis=0))
    return out


def debiased_per_draw(
    levels: UtilityLevels, stat: Callable[[np.ndarray], np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Extrapolate a per-draw statistic of the utility matrix to infinitely many replicates.

    Parameters
    ----------
    levels : UtilityLevels
        Plug-in utilities from all replicates and from halves (and quarters).
    stat : callable
        Maps a utility matrix of shape ``(n_samples, n_actions)`` to per-draw
        values of shape ``(n_samples, *k)``.

    Returns
    -------
    per_draw : ndarray of shape (n_samples, *k)
        The extrapolated per-draw values (their mean is the estimate; their
        spread over draws includes the replicate noise).
    plug_in : ndarray of shape (n_samples, *k)
        The statistic of the full plug-in matrix.
    rate : ndarray of shape k
        The bias ratio :math:`\rho` used, in ``RATE_BOUNDS``.

    Notes
    -----
    With :math:`v_0, v_1, v_2` the statistic on ``R``, ``R/2`` and ``R/4``
    replicates (averaged over the disjoint subsets), a bias
    :math:`b_l = b_0\rho^{-l}` gives :math:`v_1-v_0 = b_0(1/\rho-1)` and
    :math:`\rho=(v_1-v_0)/(v_2-v_1)`; the estimate is
    :math:`v_0-(v_1-v_0)\,\rho/(1-\rho)`. The ratio is taken on the means over
    draws, clipped to ``RATE_BOUNDS`` (1/2 when there are no quarters or the
    differences disagree in sign). With :math:`\rho=1/2` this is Richardson's
    :math:`2v_0-v_1`.
    """
    return _extrapolate(_level_means(levels, stat))


def _extrapolate(v: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """:func:`debiased_per_draw` from the statistic's values on each level."""
    plug_in = v[0]
    if len(v) == 1:
        return plug_in, plug_in, np.full(plug_in.shape[1:], 0.5)
    d1 = v[1] - v[0]
    m1 = d1.mean(axis=0)
    rho = np.full(m1.shape, RATE_BOUNDS[0])
    if len(v) == 3:
        rho = _rate(m1, (v[2] - v[1]).mean(axis=0))
    return v[0] - d1 * (rho / (1.0 - rho)), plug_in, rho


def _rate(m1: np.ndarray, m2: np.ndarray) -> np.ndarray:
    """``rho = m1 / m2`` clipped to ``RATE_BOUNDS`` (1/2 when the differences disagree in sign)."""
    m1, m2 = np.asarray(m1, dtype=np.float64), np.asarray(m2, dtype=np.float64)
    ok = (m1 * m2 > 0) & (np.abs(m2) > 0)
    ratio = np.divide(m1, m2, out=np.full(m1.shape, RATE_BOUNDS[0]), where=ok)
    return np.clip(ratio, *RATE_BOUNDS)


def debiased_with_rate_se(
    levels: UtilityLevels, stat: Callable[[np.ndarray], np.ndarray], n_boot: int = 200,
    seed: int = 0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray | None]:
    r""":func:`debiased_per_draw`, and the standard error of its mean with the rate re-estimated.

    The spread of the extrapolated per-draw values treats the rate :math:`\rho` as
    known; estimated from three levels it is a ratio of noisy means, and a rate
    estimated near :math:`1/\sqrt2` multiplies the correction by up to 2.4. Here the
    draws are resampled with replacement ``n_boot`` times (a fixed seed: the same
    error on every call), :math:`\rho` is re-estimated on each resample and the
    estimate recomputed. The statistic is evaluated once per level, for both.

    Returns
    -------
    per_draw, plug_in, rate
        As :func:`debiased_per_draw`.
    rate_se : ndarray of shape k or None
        The standard deviation of the resampled estimates; None when :math:`\rho`
        is not estimated (no quarters, or exact utilities): the per-draw spread is
        then the error.
    """
    v = _level_means(levels, stat)
    per_draw, plug_in, rate = _extrapolate(v)
    if len(v) < 3 or v[0].shape[0] < 2:
        return per_draw, plug_in, rate, None
    n = v[0].shape[0]
    d1, d2 = v[1] - v[0], v[2] - v[1]
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n_boot):
        idx = rng.integers(0, n, n)
        m1 = d1[idx].mean(axis=0)
        rho = _rate(m1, d2[idx].mean(axis=0))
        out.append(v[0][idx].mean(axis=0) - m1 * (rho / (1.0 - rho)))
    return per_draw, plug_in, rate, np.asarray(np.std(out, axis=0, ddof=1))


def debiased_utility(levels: UtilityLevels) -> np.ndarray:
    """Per-draw utilities with the measure's own ``1/R`` plug-in bias removed.

    ``2 U_R - mean(U_{R/2})`` (Richardson); shape ``(n_samples, n_actions)``.
    Equals ``levels.full`` when the utilities are exact. The noise is not
    removed: a maximum over actions of these values is still biased upward.
    """
    if not levels.noisy:
        return levels.full
    return 2.0 * levels.full - np.mean(levels.subsets[0], axis=0)
