"""Scores of many draw vectors at once: one objective over the last axis of a batch.

Outcomes are rewards (higher is better); risk is in the lower tail and ``alpha``
is the tail probability. The batched score of row ``u`` equals
``objective(draws[u], weights)`` up to floating-point rounding: it calls the
plain functions of :mod:`decide.measures` (which share their kernels with the
objective classes) with ``axis=-1``. Callers that need bit-identical results
re-score the rows that matter with the objective itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np

from decide import measures as M
from decide._validation import as_weights
from decide.measures import Objective, WeightedObjective

__all__ = ["batch_scores", "exact_scores"]

Scorer = Callable[[np.ndarray, np.ndarray | None], np.ndarray]


def _flat_weights(weights: Any, n_samples: int, n_replicates: int) -> np.ndarray | None:
    """Normalized weights over the flattened draws ``(n_samples * n_replicates,)``, or None."""
    w = as_weights(weights, n_samples)
    if w is not None and n_replicates > 1:
        w = np.repeat(w / n_replicates, n_replicates)
    return w


def _scorer(obj: Objective) -> Scorer | None:
    """A batched version of ``obj`` over the last axis, or None when there is none."""
    kind = type(obj)
    if isinstance(obj, WeightedObjective) and kind is WeightedObjective:
        parts = [(wt, _scorer(m)) for wt, m in obj.terms]
        scorers = [(wt, f) for wt, f in parts if f is not None]
        if len(scorers) < len(parts):
            return None
        return lambda x, w: np.sum([wt * f(x, w) for wt, f in scorers], axis=0)
    table: dict[type, Scorer] = {
        M.Mean: lambda x, w: M.mean(x, axis=-1, weights=w),
        M.Variance: lambda x, w: -M.variance(x, axis=-1, weights=w),
        M.StdDev: lambda x, w: -M.std(x, axis=-1, weights=w),
        M.WorstCase: lambda x, w: M.worst_case(x, axis=-1, weights=w),
    }
    if kind in table:
        return table[kind]
    if kind is M.MeanVariance:
        ra = obj.risk_aversion  # type: ignore[attr-defined]
        return lambda x, w: M.mean(x, axis=-1, weights=w) - ra * M.variance(x, axis=-1, weights=w)
    if kind is M.VaR:
        a = obj.alpha  # type: ignore[attr-defined]
        return lambda x, w: M.value_at_risk(x, a, axis=-1, weights=w)
    if kind is M.CVaR:
        a = obj.alpha  # type: ignore[attr-defined]
        return lambda x, w: M.cvar(x, a, axis=-1, weights=w)
    if kind is M.MeanCVaR:
        ra, a = obj.risk_aversion, obj.alpha  # type: ignore[attr-defined]
        return lambda x, w: M.mean(x, axis=-1, weights=w) + ra * M.cvar(x, a, axis=-1, weights=w)
    if kind is M.EntropicRisk:
        th = obj.theta  # type: ignore[attr-defined]
        return lambda x, w: M.entropic_risk(x, th, axis=-1, weights=w)
    if kind is M.ProbabilityOfShortfall:
        t = obj.threshold  # type: ignore[attr-defined]
        return lambda x, w: -M.probability_of_shortfall(x, t, axis=-1, weights=w)
    if kind is M.ExpectedShortfallBelow:
        t = obj.threshold  # type: ignore[attr-defined]
        return lambda x, w: -M.expected_shortfall_below(x, t, axis=-1, weights=w)
    return None


def exact_scores(objective: Objective, draws: np.ndarray, weights: Any) -> np.ndarray:
    """``objective(draws[u], weights)`` for every unit ``u``, exactly as ``optimize`` scores.

    Parameters
    ----------
    objective : Objective
    draws : ndarray of shape (k, n_samples) or (k, n_samples, n_replicates)
    weights : array_like of shape (n_samples,) or None
    """
    return np.array([float(objective(row, weights)) for row in draws], dtype=np.float64)


def batch_scores(objective: Objective, draws: np.ndarray, weights: Any) -> np.ndarray:
    """Score the outcome draws of every unit at once.

    Parameters
    ----------
    objective : Objective
    draws : ndarray of shape (k, n_samples) or (k, n_samples, n_replicates)
        Finite outcome draws of ``k`` units, sample axis first after the unit axis.
    weights : array_like of shape (n_samples,) or None
        Probability weights of the posterior samples, shared by the units.

    Returns
    -------
    ndarray of shape (k,)
        Vectorized where the objective has a batched form (the plain functions of
        :mod:`decide.measures` with ``axis=-1``), else one objective call per unit.
    """
    k = draws.shape[0]
    if k == 0:
        return np.zeros(0)
    f = _scorer(objective)
    if f is None:
        return exact_scores(objective, draws, weights)
    n_rep = draws.shape[2] if draws.ndim == 3 else 1
    flat = draws.reshape(k, -1)
    w = _flat_weights(weights, draws.shape[1], n_rep)
    return np.asarray(f(flat, w), dtype=np.float64).reshape(k)
