"""``plot_robustness``: regret (or value) of each policy under each candidate model."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from decide.errors import DecideTypeError, DecideValueError
from decide.plots._common import get_ax

__all__ = ["plot_robustness"]

_METRICS = ("regret", "value", "rank")


def plot_robustness(
    table: Any,
    metric: str = "regret",
    *,
    annotate: bool = True,
    ax: Any = None,
    show: bool = False,
) -> tuple[Any, Any]:
    r"""Draw the policies-by-models table of :func:`decide.policies.robustness` as a heat map.

    Outcomes are rewards (higher is better). One row per policy, one column per
    candidate model (with its weight), coloured by ``metric``: a choice that
    survives every model has a row of small regrets.

    Parameters
    ----------
    table : pandas.DataFrame
        The table returned by :func:`decide.policies.robustness` (index
        ``(policy, model)``).
    metric : {"regret", "value", "rank"}, default "regret"
        The column to show. Regret and rank are coloured light (good) to dark (bad),
        value dark (low) to light (high).
    annotate : bool, default True
        Write each cell's number in it.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes; default a new figure.
    show : bool, default False
        Call ``matplotlib.pyplot.show()``.

    Returns
    -------
    fig : matplotlib.figure.Figure
    ax : matplotlib.axes.Axes
        The image holds ``table[metric].unstack("model", sort=False)``.

    Raises
    ------
    DecideTypeError
        If ``table`` is not a DataFrame.
    DecideValueError
        If ``table`` is not a robustness table or ``metric`` is unknown.

    Notes
    -----
    The regret of policy :math:`p` under model :math:`m` is
    :math:`\max_a \rho(Y_m(a)) - \rho(Y_m(a_p))`; see :func:`decide.policies.robustness`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from decide.measures import Mean
    >>> from decide.optimization import Budget, WorstModel
    >>> from decide.outcomes import linear, mixture
    >>> from decide.plots import plot_robustness
    >>> from decide.policies import robustness
    >>> rng = np.random.default_rng(0)
    >>> mix = mixture({"a": linear(rng.normal([1.0, 0.4], 0.05, (200, 2))),
    ...                "b": linear(rng.normal([0.3, 1.0], 0.05, (200, 2)))})
    >>> table = robustness({"mixture": Mean(), "worst case": WorstModel(Mean())}, mix,
    ...                    space=Budget(1.0), random_seed=0)
    >>> fig, ax = plot_robustness(table)
    >>> ax.images[0].get_array().shape
    (4, 2)
    >>> plt.close(fig)
    """
    if not isinstance(table, pd.DataFrame):
        raise DecideTypeError(
            f"table must be the DataFrame of decide.policies.robustness; got {type(table).__name__}."
        )
    if metric not in _METRICS:
        raise DecideValueError(f"metric must be one of {list(_METRICS)}; got {metric!r}.")
    if list(table.index.names) != ["policy", "model"] or metric not in table.columns:
        raise DecideValueError(
            "table must be the DataFrame of decide.policies.robustness (index (policy, model), "
            f"column {metric!r}); got index {list(table.index.names)} and columns "
            f"{list(table.columns)[:8]}."
        )
    grid = table[metric].unstack("model", sort=False)
    weights = table["weight"].unstack("model", sort=False).iloc[0]
    values = grid.to_numpy(dtype=np.float64)
    fig, ax = get_ax(ax)
    cmap = "viridis" if metric == "value" else "magma_r"
    image = ax.imshow(values, cmap=cmap, aspect="auto")
    fig.colorbar(image, ax=ax, label=metric)
    ax.set_xticks(range(grid.shape[1]))
    ax.set_xticklabels([f"{m}\n(w={weights[m]:.2g})" for m in grid.columns])
    ax.set_yticks(range(grid.shape[0]))
    ax.set_yticklabels([str(p) for p in grid.index])
    if annotate:
        lo, hi = float(np.nanmin(values)), float(np.nanmax(values))
        mid = (lo + hi) / 2
        tiny = 1e-9 * (1.0 + float(np.nanmax(np.abs(values))))  # solver noise prints as 0
        for i in range(values.shape[0]):
            for j in range(values.shape[1]):
                v = values[i, j]
                dark = (v < mid) if metric == "value" else (v > mid)
                text = f"{int(v)}" if metric == "rank" else f"{(v if abs(v) > tiny else 0.0):.3g}"
                ax.text(j, i, text, ha="center", va="center", fontsize=8,
                        color="white" if dark else "black")
    ax.set_xlabel("model")
    ax.set_ylabel("policy")
    objective = table.attrs.get("objective", "")
    ax.set_title(f"{metric} under each model" + (f" ({objective})" if objective else ""))
    if show:
        import matplotlib.pyplot as plt

        plt.show()
    return fig, ax
