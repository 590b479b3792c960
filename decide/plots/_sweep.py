"""``plot_sweep``: the chosen action along a sweep of one parameter."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from decide.errors import DecideValueError
from decide.plots._common import action_matrix, finish, fit_outside_legend, get_ax

__all__ = ["plot_sweep"]


def plot_sweep(
    table: pd.DataFrame,
    *,
    kind: str = "auto",
    ax: Any = None,
    show: bool = False,
) -> tuple[Any, Any]:
    """Draw each action element against the swept parameter.

    Parameters
    ----------
    table : pandas.DataFrame
        The table of :func:`decide.policies.sweep`.
    kind : {"auto", "area", "line"}, default "auto"
        ``"area"``: a stacked area (a budget split: the layers add up to the
        total); ``"line"``: one line per element; ``"auto"``: area when every
        action element is non-negative, else lines.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes; default a new figure, widened to hold the legend right
        of the axes (a plain ``savefig`` shows it whole). With ``ax`` given, the
        legend is placed right of it and the figure's size is the caller's.
    show : bool, default False
        Call ``matplotlib.pyplot.show()``.

    Returns
    -------
    fig : matplotlib.figure.Figure
    ax : matplotlib.axes.Axes
        One layer (area) or line per action element, labelled by the action
        labels; x label the parameter name, y label ``"action"``.

    Raises
    ------
    DecideValueError
        If ``table`` is not a policies table, ``kind`` is unknown, or
        ``kind="area"`` with negative action values.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from decide.measures import CVaR, Mean
    >>> from decide.optimization import Budget
    >>> from decide.outcomes import linear
    >>> from decide.policies import sweep
    >>> from decide.plots import plot_sweep
    >>> R = np.random.default_rng(0).normal([0.08, 0.03], [0.3, 0.05], size=(500, 2))
    >>> table = sweep(linear(R), lambda l: Mean() + l * CVaR(0.05), [0, 0.2, 1, 5], Budget(1.0))
    >>> fig, ax = plot_sweep(table)
    >>> len(ax.collections)
    2
    >>> plt.close(fig)
    """
    if kind not in ("auto", "area", "line"):
        raise DecideValueError(f"kind must be 'auto', 'area' or 'line'; got {kind!r}.")
    labels, X = action_matrix(table, "table")
    parameter = table.attrs.get("parameter")
    if parameter not in table.columns:
        raise DecideValueError(
            "table must be the table of decide.policies.sweep (attrs['parameter'] names its "
            f"parameter column); got parameter {parameter!r}."
        )
    x = table[parameter].to_numpy(dtype=np.float64)
    order = np.argsort(x, kind="stable")
    x, X = x[order], X[order]
    tol = 1e-9 * (1.0 + float(np.max(np.abs(X))))
    nonneg = bool(np.all(X >= -tol))
    if kind == "area" and not nonneg:
        raise DecideValueError(
            "kind='area' stacks the action elements and needs them non-negative; this sweep has "
            f"a minimum of {float(X.min()):.4g}. Use kind='line'."
        )
    own = ax is None
    fig, ax = get_ax(ax)
    if kind == "area" or (kind == "auto" and nonneg):
        ax.stackplot(x, np.clip(X, 0.0, None).T, labels=labels, alpha=0.85)
    else:
        for j, lab in enumerate(labels):
            ax.plot(x, X[:, j], marker="o", markersize=3, label=lab)
    finish(
        fig, ax, False,
        xlabel=str(parameter),
        ylabel="action",
        title=f"Chosen action as {parameter} changes",
        legend="right",
    )
    if own:  # a figure made here grows to hold its legend (a plain savefig shows it whole)
        fit_outside_legend(fig, ax)
    if show:
        import matplotlib.pyplot as plt

        plt.show()
    return fig, ax
