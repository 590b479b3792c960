"""The risk summary of outcome draws: one definition for Decision, policies and many."""

from __future__ import annotations

from typing import Any

import numpy as np

from decide.measures._quantile import cvar

__all__ = ["SUMMARY_COLUMNS", "SUMMARY_QUANTILES", "risk_summary"]

#: Quantile levels of the summary (columns ``q5`` ... ``q95``).
SUMMARY_QUANTILES: tuple[float, ...] = (0.05, 0.25, 0.5, 0.75, 0.95)
#: The columns of :func:`risk_summary`, in order.
SUMMARY_COLUMNS: tuple[str, ...] = (
    "mean", "sd", *(f"q{round(q * 100)}" for q in SUMMARY_QUANTILES), "cvar_5", "cvar_10",
    "prob_loss",
)


def risk_summary(draws: Any, *, target: float = 0.0, batch: bool = False) -> dict[str, Any]:
    """Mean, sd, quantiles, CVaR 5% / 10% and the probability of falling below ``target``.

    Outcomes are rewards (higher is better); CVaR is the mean of the worst
    ``alpha`` share of draws, a reward. Replicates are pooled with the samples
    into one predictive distribution.

    Parameters
    ----------
    draws : array_like of shape (n_samples,) or (n_samples, n_replicates), or with ``batch``
        of shape (n_units, n_samples) or (n_units, n_samples, n_replicates)
        Finite outcome draws.
    target : float
        ``prob_loss`` is the share of draws strictly below it.
    batch : bool
        Summarize each unit along the first axis.

    Returns
    -------
    dict of str to float (or ndarray of shape (n_units,) with ``batch``)
        Keys :data:`SUMMARY_COLUMNS`: ``mean``, ``sd``, ``q5``, ``q25``, ``q50``,
        ``q75``, ``q95``, ``cvar_5``, ``cvar_10``, ``prob_loss``.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.measures import risk_summary
    >>> s = risk_summary(np.arange(100.0))
    >>> s["mean"], s["cvar_10"], s["prob_loss"]
    (49.5, 4.5, 0.0)
    """
    x = np.asarray(draws, dtype=np.float64)
    x = x.reshape(x.shape[0], -1) if batch else x.reshape(1, -1)
    out: dict[str, Any] = {"mean": x.mean(axis=1), "sd": x.std(axis=1)}
    for q, v in zip(SUMMARY_QUANTILES, np.quantile(x, SUMMARY_QUANTILES, axis=1)):
        out[f"q{round(q * 100)}"] = v
    out["cvar_5"] = np.asarray(cvar(x, 0.05, axis=1))
    out["cvar_10"] = np.asarray(cvar(x, 0.10, axis=1))
    out["prob_loss"] = np.mean(x < target, axis=1)
    if batch:
        return out
    return {k: float(v[0]) for k, v in out.items()}
