"""One result row per unit, and the table that collects them."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from typing import Any

import numpy as np
import pandas as pd

from decide.measures import SUMMARY_COLUMNS, risk_summary

__all__ = ["assemble", "failed_row", "solved_rows"]

_TAIL = ("score", *SUMMARY_COLUMNS, "converged", "verification", "method", "error", "warnings")


#: The check behind each batched exact path (the labels of ``Verification.label``).
_EXACT = {"enumerate": "enumeration", "cvxpy": "certificate", "quantile": "closed form"}


def solved_rows(
    labels: Sequence[str],
    actions: np.ndarray,
    scores: np.ndarray,
    draws: np.ndarray,
    method: str,
    options: Sequence[Any] | None = None,
    converged: Sequence[bool] | None = None,
    warnings: Sequence[str | None] | None = None,
    verification: Sequence[str] | None = None,
) -> list[dict[str, Any]]:
    """Rows of ``k`` solved units: flat actions (k, size), scores (k,), draws (k, n_samples[, R]).

    ``verification`` holds each unit's ``Verification.label``; default: the batched
    path is exact (``"verified (enumeration)"``, ``"(certificate)"``, ``"(closed form)"``)
    where it converged.
    """
    summ = risk_summary(draws, batch=True)
    rows = []
    for u in range(actions.shape[0]):
        row: dict[str, Any] = dict(zip(labels, map(float, actions[u])))
        if options is not None:
            row["option"] = options[u]
        row["score"] = float(scores[u])
        row.update({k: float(v[u]) for k, v in summ.items()})
        row["converged"] = True if converged is None else bool(converged[u])
        row["verification"] = (
            verification[u] if verification is not None
            else f"verified ({_EXACT.get(method, method)})" if row["converged"] else "not verified"
        )
        row["method"] = method
        row["error"] = None
        row["warnings"] = None if warnings is None else warnings[u]
        rows.append(row)
    return rows


def failed_row(exc: BaseException) -> dict[str, Any]:
    """The row of a unit whose problem raised: NaN numbers and the error message."""
    row: dict[str, Any] = {"score": np.nan, **dict.fromkeys(SUMMARY_COLUMNS, np.nan)}
    row.update(converged=False, verification=None, method=None, error=f"{type(exc).__name__}: {exc}", warnings=None)
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
    for col in ("verification", "method", "error", "warnings"):  # text or None, whatever pandas would infer
        values = [None if v is None or (isinstance(v, float) and np.isnan(v)) else v for v in frame[col]]
        frame[col] = pd.Series(values, index=frame.index, dtype=object)
    return frame
