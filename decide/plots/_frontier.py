"""``plot_frontier``: the mean-risk efficient frontier with the policies placed on it."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from decide.errors import DecideTypeError, DecideValueError
from decide.measures import Objective
from decide.outcomes import OutcomeModel
from decide.plots._common import finish, get_ax, named_actions

__all__ = ["plot_frontier"]


def plot_frontier(
    frontier: pd.DataFrame,
    *,
    policies: Any = None,
    outcome: OutcomeModel | None = None,
    ax: Any = None,
    show: bool = False,
) -> tuple[Any, Any]:
    r"""Draw the efficient frontier (risk against mean) and place policies on it.

    Outcomes are rewards (higher is better); risk is on the loss scale (lower
    is better), e.g. minus the worst-5% mean for ``CVaR(0.05)``.

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
    ax : matplotlib.axes.Axes, optional
        Draw into these axes; default a new figure.
    show : bool, default False
        Call ``matplotlib.pyplot.show()``.

    Returns
    -------
    fig : matplotlib.figure.Figure
    ax : matplotlib.axes.Axes
        One line with markers for the frontier (legend ``"efficient frontier"``)
        and one labelled marker per policy; x: risk, y: mean.

    Raises
    ------
    DecideValueError
        If ``frontier`` lacks the ``risk`` and ``mean`` columns, or ``policies``
        is given without ``outcome``.

    Notes
    -----
    A policy below the line is inefficient: some action on the frontier has
    at least its mean with no more risk. Policies chosen on part of the draws
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
    >>> plt.close(fig)
    """
    if not isinstance(frontier, pd.DataFrame) or not {"risk", "mean"} <= set(frontier.columns):
        raise DecideValueError(
            "frontier must be the table of decide.policies.frontier, with columns 'risk' and "
            "'mean'."
        )
    risk = frontier.attrs.get("risk")
    fig, ax = get_ax(ax)
    ax.plot(frontier["risk"], frontier["mean"], marker="o", markersize=3, label="efficient frontier")
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
            m, r = float(y.mean()), -float(risk(y))
            ax.scatter([r], [m], s=40, zorder=3, label=name)
            ax.annotate(name, (r, m), textcoords="offset points", xytext=(5, 5), fontsize=8)
    what = repr(risk) if risk is not None else "risk"
    return finish(
        fig, ax, show,
        xlabel=f"risk: -{what} (loss scale, lower is better)",
        ylabel="expected outcome (mean)",
        title="Mean-risk efficient frontier",
    )
