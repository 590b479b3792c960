"""``plot_acceptability``: the probability that each action is best against risk aversion."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from decide.plots._common import finish, get_ax

__all__ = ["plot_acceptability"]


def plot_acceptability(
    curve: Any,
    actions: Any = None,
    *,
    ax: Any = None,
    show: bool = False,
    **kwargs: Any,
) -> tuple[Any, Any]:
    r"""Draw the acceptability curves: P(action is best) against the risk aversion.

    Outcomes are rewards (higher is better).

    Parameters
    ----------
    curve : pandas.DataFrame, OutcomeModel or dict of str to ndarray
        The table of :func:`decide.policies.acceptability`, or its ``outcome``
        argument (then it is computed with ``actions`` and ``**kwargs``).
    actions : optional
        Passed to :func:`decide.policies.acceptability` when ``curve`` is not a table.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes; default a new figure.
    show : bool, default False
        Call ``matplotlib.pyplot.show()``.
    **kwargs
        ``risk_aversions``, ``relative``: passed to :func:`decide.policies.acceptability`.

    Returns
    -------
    fig : matplotlib.figure.Figure
    ax : matplotlib.axes.Axes
        One line per action (legend: the action labels), y in [0, 1].

    Raises
    ------
    DecideValueError, DecideTypeError
        As :func:`decide.policies.acceptability`.

    Notes
    -----
    At each risk aversion the curves add up to one: the share of posterior
    draws in which each action has the highest certainty equivalent of its
    outcome replicates. A flat curve says why in its title (the short form of
    ``curve.attrs["flat_reason"]``; the full explanation is in
    ``curve.attrs["notes"]``), e.g. "noise additive and common to all actions:
    CARA cannot reorder them".

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from decide.plots import plot_acceptability
    >>> rng = np.random.default_rng(0)
    >>> theta = rng.normal(0.0, 0.1, size=(300, 1))
    >>> draws = {"safe": 1.0 + theta + rng.normal(0, 0.1, (300, 30)),
    ...          "risky": 1.2 + theta + rng.normal(0, 1.0, (300, 30))}
    >>> fig, ax = plot_acceptability(draws, risk_aversions=np.linspace(0, 3, 7))
    >>> len(ax.get_lines())
    2
    >>> plt.close(fig)
    """
    if not isinstance(curve, pd.DataFrame):
        from decide.policies import acceptability

        curve = acceptability(curve, actions, **kwargs)
    x = np.asarray(curve.index, dtype=np.float64)
    fig, ax = get_ax(ax)
    for col in curve.columns:
        ax.plot(x, curve[col].to_numpy(dtype=np.float64), marker="o", markersize=3, label=str(col))
    ax.set_ylim(-0.02, 1.02)
    relative = curve.attrs.get("relative", True)
    title = "Acceptability curves"
    reason = curve.attrs.get("flat_reason")
    if curve.attrs.get("flat") and reason:
        import textwrap

        title = "\n".join(textwrap.wrap(f"Acceptability curves are flat: {reason}", width=60))
    return finish(
        fig, ax, show,
        xlabel="relative risk aversion k (CARA a = k / sd)" if relative else "CARA risk aversion a",
        ylabel="probability best",
        title=title,
    )
