"""Shared helpers of the plots: one figure per call, nothing shown unless asked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from decide.errors import DecideTypeError, DecideValueError
from decide.optimization import as_action
from decide.outcomes import OutcomeModel

__all__ = ["action_matrix", "finish", "get_ax", "named_actions"]


def get_ax(ax: Any) -> tuple[Any, Any]:
    """``(fig, ax)``: a new figure through pyplot, or the figure of the given axes."""
    if ax is not None:
        from matplotlib.axes import Axes

        if not isinstance(ax, Axes):
            raise DecideTypeError(f"ax must be a matplotlib Axes or None; got {type(ax).__name__}.")
        return ax.figure, ax
    import matplotlib.pyplot as plt

    fig, new = plt.subplots()
    return fig, new


def finish(
    fig: Any, ax: Any, show: bool, *, xlabel: str, title: str, ylabel: str | None = None,
    legend: str = "best",
) -> tuple[Any, Any]:
    """Label the axes (``ylabel`` only when given), add the title and the legend.

    ``legend``: ``"best"`` (inside, where it covers the least), ``"right"``
    (outside, right of the axes) or ``"below"`` (outside, under the x label),
    for plots whose data fill the whole axes (stacked areas, share bars).
    Show the figure only when asked; return ``(fig, ax)``.
    """
    ax.set_xlabel(xlabel)
    if ylabel is not None:
        ax.set_ylabel(ylabel)
    ax.set_title(title)
    if legend == "right":
        ax.legend(loc="upper left", bbox_to_anchor=(1.02, 1.0), borderaxespad=0.0)
    elif legend == "below":
        ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.18), borderaxespad=0.0, ncol=2)
    else:
        ax.legend(loc="best")
    if show:
        import matplotlib.pyplot as plt

        plt.show()
    return fig, ax


def action_matrix(table: pd.DataFrame, what: str) -> tuple[list[str], np.ndarray]:
    """The action columns of a policies table (``attrs["action_columns"]``) and their values."""
    cols = table.attrs.get("action_columns")
    if not cols or any(c not in table.columns for c in cols):
        raise DecideValueError(
            f"{what} must be a table returned by decide.policies (its attrs['action_columns'] "
            "names the action columns); got a DataFrame without them."
        )
    return list(cols), table[cols].to_numpy(dtype=np.float64)


def named_actions(
    policies: Any, outcome: OutcomeModel, what: str
) -> dict[str, np.ndarray]:
    """Policy name -> flat action, from a compare table or a dict name -> action / Decision."""
    if isinstance(policies, pd.DataFrame):
        _, X = action_matrix(policies, what)
        return {str(name): x for name, x in zip(policies.index, X)}
    if not isinstance(policies, Mapping):
        raise DecideTypeError(
            f"{what} must be a table from decide.policies.compare or a dict name -> action; got "
            f"{type(policies).__name__}."
        )
    out = {}
    for name, a in policies.items():
        out[str(name)] = as_action(outcome, a, name=f"{what}[{name!r}]")
    return out
