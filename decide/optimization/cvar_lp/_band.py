"""The band of the exact CVaR solver: which scenarios are folded, free or dropped (private).

A round of ``_core.solve_core`` labels every scenario 0 (folded into the tail
with its full tail weight), 1 (in the band, its weight free) or 2 (dropped,
weight 0). The band is the scenarios near the value-at-risk level, where the
tail may change when the action moves. Outcomes are rewards, risk is the lower
tail, ``alpha`` the tail probability; scenarios are rows (sample axis first).
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "boundary_value",
    "labels_from",
    "nearest_to_boundary",
    "rank_window",
    "row_norms",
    "violators",
]


def rank_window(y: np.ndarray, lo: int, hi: int) -> np.ndarray:
    """Indices of the scenarios ranked in ``[lo, hi)`` by ``y`` (ascending)."""
    S = y.shape[0]
    lo = max(0, lo)
    hi = min(S, hi)
    if lo == 0 and hi == S:
        return np.arange(S)
    kth = [v for v in (lo, hi - 1) if 0 <= v < S]
    order = np.argpartition(y, kth)
    return order[lo:hi]


def boundary_value(y: np.ndarray, k: float) -> float:
    """The largest order statistic with positive tail weight, ``y_(ceil(k) - 1)`` (0-based)."""
    j = min(max(math.ceil(k) - 1, 0), y.shape[0] - 1)
    return float(np.partition(y, j)[j])


def nearest_to_boundary(y: np.ndarray, v: float, rnorm: np.ndarray, count: int) -> np.ndarray:
    """Indices of the ``count`` scenarios with the smallest ``|y_i - v| / rnorm_i``.

    ``rnorm_i = ||R_i - mean(R)||`` measures how fast scenario ``i`` moves
    relative to the others when ``x`` changes, so this normalized distance ranks
    the scenarios by how likely they are to cross the VaR level.
    """
    S = y.shape[0]
    if count >= S:
        return np.arange(S)
    with np.errstate(over="ignore"):  # inf: a scenario that moves with all others never crosses
        z = np.abs(y - v) / rnorm
    return np.argpartition(z, count)[:count]


def labels_from(y: np.ndarray, k: float, rnorm: np.ndarray, count: int) -> np.ndarray:
    """Label each scenario 0 (folded into the tail), 1 (band) or 2 (dropped).

    The band is the ``count`` scenarios nearest the VaR level ``v`` in
    normalized distance plus every tie with ``v``; the rest is folded when
    strictly below ``v`` and dropped when strictly above. Then
    ``#folded <= ceil(k) - 1 <= k <= #folded + #band``, so the restricted tail
    weights are a non-empty subset of the CVaR dual set.
    """
    S = y.shape[0]
    labels = np.ones(S, dtype=np.int8)
    if count >= S:
        return labels
    v = boundary_value(y, k)
    labels[y < v] = 0
    labels[y > v] = 2
    labels[nearest_to_boundary(y, v, rnorm, count)] = 1
    return labels


def row_norms(R: np.ndarray, rbar: np.ndarray) -> np.ndarray:
    """``||R_i - rbar||_2`` for every row, without an (S, n) temporary."""
    sq = np.einsum("ij,ij->i", R, R) - 2.0 * (R @ rbar) + float(rbar @ rbar)
    out = np.sqrt(np.maximum(sq, 0.0))
    tiny = 1e-12 * max(float(np.max(out, initial=0.0)), 1e-300)
    return np.maximum(out, tiny)


def violators(labels: np.ndarray, y: np.ndarray, var_pos: float) -> np.ndarray:
    """Folded scenarios at or above the VaR and dropped ones at or below it.

    A scenario tied with the VaR counts: it may carry a fractional tail weight,
    which neither label allows. With no violators the reduced model is exact at ``y``.
    """
    return ((labels == 0) & (y >= var_pos)) | ((labels == 2) & (y <= var_pos))
