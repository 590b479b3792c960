"""One result row per unit, and the table that collects them."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from decide import measures as M

__all__ = ["SUMMARY_COLUMNS", "assemble", "failed_row", "risk_summary"]

_QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)
#: The risk-summary columns of :meth:`decide.optimization.Decision.summary` (besides ``value``).
SUMMARY_COLUMNS: tuple[str, ...] = (
    "mean", "sd", "q5", "q25", "q50", "q75", "q95", "cvar_5", "cvar_10", "prob_loss",
)
_TAIL = ("score", *SUMMARY_COLUMNS, "converged", "method", "error", "warnings")


def risk_summary(draws: np.ndarray) -> dict[str, np.ndarray]:
    """The risk summary of :meth:`Decision.summary` for many units at once.

    Parameters
    ----------
    draws : ndarray of shape (k, n_samples) or (k, n_samples, n_replicates)
        Finite outcome draws (rewards) at each unit's action; replicates are pooled.

    Returns
    -------
    dict of str to ndarray of shape (k,)
        ``mean``, ``sd``, quantiles ``q5`` ... ``q95``, ``cvar_5``, ``cvar_10``
        (mean of the worst 5% / 10% of draws) and ``prob_loss`` (share below zero).
    """
    x = np.asarray(draws, dtype=np.float64).reshape(draws.shape[0], -1)
    out = {"mean": x.mean(axis=1), "sd": x.std(axis=1)}
    for q, v in zip(_QUANTILES, np.quantile(x, _QUANTILES, axis=1)):
        out[f"q{round(q * 100)}"] = v
    out["cvar_5"] = np.asarray(M.cvar(x, 0.05, axis=1))
    out["cvar_10"] = np.asarray(M.cvar(x, 0.10, axis=1))
    out["prob_loss"] = np.mean(x < 0, axis=1)
    return out


def solved_rows(
    labels: Sequence[str],
    actions: np.ndarray,
    scores: np.ndarray,
    draws: np.ndarray,
    method: str,
    options: Sequence[Any] | None = None,
    converged: Sequence[bool] | None = None,
    warnings: Sequence[str | None] | None = None,
) -> list[dict[str, Any]]:
    """Rows of ``k`` solved units: flat actions (k, size), scores (k,), draws (k, n_samples[, R])."""
    summ = risk_summary(draws)
    rows = []
    for u in range(actions.shape[0]):
        row: dict[str, Any] = dict(zip(labels, map(float, actions[u])))
        if options is not None:
            row["option"] = options[u]
        row["score"] = float(scores[u])
        row.update({k: float(v[u]) for k, v in summ.items()})
        row["converged"] = True if converged is None else bool(converged[u])
        row["method"] = method
        row["error"] = None
        row["warnings"] = None if warnings is None else warnings[u]
        rows.append(row)
    return rows


def failed_row(exc: BaseException) -> dict[str, Any]:
    """The row of a unit whose problem raised: NaN numbers and the error message."""
    row: dict[str, Any] = {"score": np.nan, **dict.fromkeys(SUMMARY_COLUMNS, np.nan)}
    row.update(converged=False, method=None, error=f"{type(exc).__name__}: {exc}", warnings=None)
    return row


def assemble(rows: Sequence[dict[str, Any]], index: Sequence[Hashable], over: str) -> pd.DataFrame:
    """The result table: action columns first, then option, score, risk summary, status."""
    frame = pd.DataFrame(list(rows), index=pd.Index(list(index), name=over))
    tail = [c for c in _TAIL if c in frame.columns]
    lead = [c for c in frame.columns if c not in _TAIL and c != "option"]
    if "option" in frame.columns and frame["option"].notna().any():
        lead.append("option")
    frame = frame[lead + tail]
    frame["converged"] = frame["converged"].astype(bool)
    for col in ("method", "error", "warnings"):  # text or None, whatever pandas would infer
        values = [None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in frame[col]]
        frame[col] = pd.Series(values, index=frame.index, dtype=object)
    return frame
