"""``plot_frontier``: the mean-risk efficient frontier with the policies placed on it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from decide.errors import DecideTypeError, DecideValueError
from decide.measures import Objective
from decide.outcomes import OutcomeModel
from decide.plots._common import (
    finish,
    get_ax,
    named_actions,
    place_point_labels,
    risk_axis_label,
    thousands,
)

__all__ = ["plot_frontier"]


def plot_frontier(
    frontier: pd.DataFrame,
    *,
    policies: Any = None,
    outcome: OutcomeModel | None = None,
    outcome_label: str = "outcome",
    ax: Any = None,
    show: bool = False,
) -> tuple[Any, Any]:
    r"""Draw the efficient frontier (risk against mean) and place policies on it.

    Outcomes are rewards (higher is better). The x axis shows the risk measure
    on its own scale, as one states it (the table's ``risk_value``): a tail
    measure as a reward, higher is better, e.g. "CVaR 5% of revenue (higher is
    better)" at +286,000 rather than the loss scale's -286,000; a dispersion
    such as ``Variance()`` as itself, lower is better. The efficient side is
    up and to the right for a tail measure.

    Parameters
    ----------
    frontier : pandas.DataFrame
        The table of :func:`decide.policies.frontier` (columns ``risk``, ``mean``;
        ``attrs["risk"]`` the risk objective).
    policies : compare table or dict of str to action, optional
        Policies to mark: a table from :func:`decide.policies.compare` or a dict
        name -> action (array, dict, xarray, Decision or option label). Their
        mean and risk are computed on all of ``outcome``'s draws with the
        frontier's risk measure.
    outcome : OutcomeModel, optional
        Required with ``policies``: the outcome the frontier was traced on.
    outcome_label : str, default "outcome"
        What the outcome is, for the axis labels ("revenue", "sales"):
        "CVaR 5% of revenue (higher is better)", "expected revenue (mean)".
    ax : matplotlib.axes.Axes, optional
        Draw into these axes; default a new figure.
    show : bool, default False
        Call ``matplotlib.pyplot.show()``.

    Returns
    -------
    fig : matplotlib.figure.Figure
    ax : matplotlib.axes.Axes
        One line with markers for the frontier (legend ``"efficient frontier"``)
        and one marker per policy, named in the legend and by an annotation next
        to it; x: the risk measure on its own scale, y: mean. Values of 10,000
        and more get thousands separators.

    Raises
    ------
    DecideValueError
        If ``frontier`` lacks the ``risk`` and ``mean`` columns, or ``policies``
        is given without ``outcome``.

    Notes
    -----
    A policy below the line is inefficient: some action on the frontier has
    at least its mean with no more risk. Annotations never overprint: each
    takes the first free place on rings around its point (joined to it by a
    thin line when it had to move away); when the points are too crowded for
    a free place, the annotation is left out and the legend names the point. Policies chosen on part of the draws
    (``compare``) sit slightly below it when judged on all draws.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from decide.optimization import Budget
    >>> from decide.outcomes import linear
    >>> from decide.policies import frontier
    >>> from decide.plots import plot_frontier
    >>> R = np.random.default_rng(0).normal([0.08, 0.03], [0.3, 0.05], size=(500, 2))
    >>> table = frontier(linear(R), space=Budget(1.0), n_points=6)
    >>> fig, ax = plot_frontier(table, policies={"equal split": [0.5, 0.5]}, outcome=linear(R))
    >>> len(ax.get_legend().get_texts())
    2
    >>> ax.get_xlabel()
    'CVaR 5% of outcome (higher is better)'
    >>> bool(np.allclose(ax.get_lines()[0].get_xdata(), table["risk_value"]))
    True
    >>> plt.close(fig)
    """
    if not isinstance(frontier, pd.DataFrame) or not {"risk", "mean"} <= set(frontier.columns):
        raise DecideValueError(
            "frontier must be the table of decide.policies.frontier, with columns 'risk' and "
            "'mean'."
        )
    if not isinstance(outcome_label, str) or not outcome_label:
        raise DecideTypeError(
            f"outcome_label must be a non-empty str such as 'revenue'; got {outcome_label!r}."
        )
    risk = frontier.attrs.get("risk")
    sign = risk.conventional_sign if isinstance(risk, Objective) else 1.0
    if "risk_value" in frontier.columns:
        xs = frontier["risk_value"].to_numpy(dtype=np.float64)
    else:  # a table without the column: back from the loss scale
        xs = -sign * frontier["risk"].to_numpy(dtype=np.float64)
    ys = frontier["mean"].to_numpy(dtype=np.float64)
    created = ax is None
    fig, ax = get_ax(ax)
    ax.plot(xs, ys, marker="o", markersize=3, label="efficient frontier")
    points, names = [], []
    if policies is not None:
        if outcome is None:
            raise DecideValueError(
                "policies needs outcome= (the outcome the frontier was traced on) to compute "
                "their mean and risk."
            )
        if not isinstance(outcome, OutcomeModel):
            raise DecideTypeError(f"outcome must be an OutcomeModel; got {type(outcome).__name__}.")
        if not isinstance(risk, Objective):
            raise DecideValueError(
                "frontier.attrs['risk'] must hold the risk objective (as set by "
                "decide.policies.frontier) to place policies on it."
            )
        for name, x in named_actions(policies, outcome, "policies").items():
            y = np.asarray(outcome.draws(x), dtype=np.float64)
            m, r = float(y.mean()), sign * float(risk(y))
            ax.scatter([r], [m], s=40, zorder=3, label=name)
            points.append((r, m))
            names.append(name)
    ax.margins(0.08)
    thousands(ax.xaxis, [*xs, *(p[0] for p in points)])
    thousands(ax.yaxis, [*ys, *(p[1] for p in points)])
    labels = {
        "xlabel": risk_axis_label(risk, outcome_label),
        "ylabel": f"expected {outcome_label} (mean)",
        "title": "Mean-risk efficient frontier",
    }
    ax.set(**labels)  # before placing the annotations: the layout depends on them
    if created:  # room for long tick labels ("350,000") and the axis labels, laid out once
        fig.tight_layout()
    if points:
        place_point_labels(ax, points, names)
    return finish(fig, ax, show, **labels)
