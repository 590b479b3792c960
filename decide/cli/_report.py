"""Writing command-line results: JSON, CSV, Markdown tables and PNG figures."""

from __future__ import annotations

import json
import math
import platform
from collections.abc import Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

__all__ = [
    "decision_record",
    "markdown_table",
    "save_figure",
    "versions",
    "write_json",
]

_PACKAGES = ("bayes-decide", "numpy", "scipy", "pandas", "xarray", "cvxpy", "pymc", "pytensor", "arviz")


def versions() -> dict[str, str]:
    """Python and library versions (read from the installed metadata, nothing imported).

    Examples
    --------
    >>> sorted(versions())[:2]
    ['arviz', 'bayes-decide']
    """
    out = {"python": platform.python_version()}
    for name in _PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def _plain(value: Any) -> Any:
    """JSON-ready copy of ``value`` (numpy scalars and arrays, NaN as null)."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, np.ndarray):
        return _plain(value.tolist())
    if isinstance(value, np.generic):
        return _plain(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    return value


def write_json(path: Path, payload: dict[str, Any]) -> Path:
    """Write ``payload`` as indented JSON (numpy values converted, NaN as ``null``)."""
    path.write_text(json.dumps(_plain(payload), indent=2) + "\n", encoding="utf-8")
    return path


def decision_record(decision: Any, labels: Sequence[str]) -> dict[str, Any]:
    """The parts of a :class:`~decide.optimization.Decision` worth saving, as plain values.

    Parameters
    ----------
    decision : Decision
        The result of :func:`decide.optimize`.
    labels : sequence of str
        Labels of the flat action elements (``outcome.action_space.labels``).

    Returns
    -------
    dict
        ``action`` (label -> value), ``option``, ``objective``, ``value``,
        ``method``, ``summary`` (the risk summary row), ``constraints`` (one record
        per constraint on outcomes: value, bound, slack, binding, shadow price) and
        ``diagnostics``.
    """
    d = decision.diagnostics
    summary = decision.summary().iloc[0].to_dict()
    return {
        "action": dict(zip([str(v) for v in labels], np.asarray(decision.flat_action).tolist())),
        "option": decision.option,
        "objective": repr(decision.objective),
        "value": decision.value,
        "method": decision.method,
        "summary": summary,
        "constraints": [
            {"constraint": str(k), **{c: (v.item() if hasattr(v, "item") else v) for c, v in row.items()}}
            for k, row in decision.constraints.iterrows()
        ],
        "diagnostics": {
            "status": d.status, "converged": d.converged, "solver": d.solver,
            "iterations": d.iterations, "evaluations": d.evaluations,
            "wall_time": d.wall_time, "fallbacks": list(d.fallbacks), "notes": list(d.notes),
        },
    }


def _cell(value: Any, digits: int) -> str:
    if isinstance(value, (bool, np.bool_)):
        return "yes" if value else "no"
    if isinstance(value, (float, np.floating)):
        v = float(value)
        if not math.isfinite(v):
            return ""
        return f"{0.0 if abs(v) < 1e-12 else v:.{digits}g}"  # solver round-off shows as 0
    return str(value).replace("|", "\\|")


def markdown_table(table: pd.DataFrame, digits: int = 4) -> str:
    """A pipe table of ``table`` (index included), numbers to ``digits`` significant digits.

    Examples
    --------
    >>> import pandas as pd
    >>> print(markdown_table(pd.DataFrame({"mean": [1.23456]}, index=pd.Index(["a"], name="policy"))))
    | policy | mean |
    | --- | --- |
    | a | 1.235 |
    """
    head = [str(table.index.name or ""), *map(str, table.columns)]
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
    for idx, row in table.iterrows():
        cells = [_cell(idx, digits), *(_cell(v, digits) for v in row.tolist())]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


def save_figure(fig: Any, path: Path, dpi: int = 90) -> Path:
    """Save a matplotlib figure as PNG and close it."""
    import matplotlib.pyplot as plt

    fig.tight_layout()
    fig.savefig(path, dpi=dpi, bbox_inches="tight")  # keeps legends placed outside the axes
    plt.close(fig)
    return path
