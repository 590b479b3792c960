"""Value of sample information against the sample size, and value of information curves."""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from decide.errors import DecideTypeError, DecideValueError
from decide.plots._common import finish, get_ax
from decide.uncertainty import ENBS, EVSI

__all__ = ["plot_enbs", "plot_evsi", "plot_voi_curve"]


def plot_evsi(
    result: EVSI,
    *,
    enbs: ENBS | None = None,
    ax: Any = None,
    show: bool = False,
) -> tuple[Any, Any]:
    """Draw EVSI against the sample size with a two-standard-error band, EVPPI and EVPI.

    Outcomes are rewards (higher is better); values are in outcome units.

    Parameters
    ----------
    result : EVSI
        The result of :func:`decide.uncertainty.evsi`.
    enbs : ENBS, optional
        Marks its optimal ``n`` (a vertical line) when given.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes; default a new figure.
    show : bool, default False
        Call ``matplotlib.pyplot.show()``.

    Returns
    -------
    fig : matplotlib.figure.Figure
    ax : matplotlib.axes.Axes
        The EVSI line (label ``"EVSI (<method>)"``) and, where known, the
        horizontal EVPPI and EVPI bounds.

    Raises
    ------
    DecideTypeError
        If ``result`` is not an :class:`~decide.uncertainty.EVSI`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> import pandas as pd
    >>> from decide.plots import plot_evsi
    >>> from decide.uncertainty import Experiment, evsi
    >>> effect = np.random.default_rng(0).normal(0.2, 1.0, 2000)
    >>> trial = Experiment(lambda p, n, rng: rng.normal(p["effect"][:, None], 2.0, (len(p["effect"]), n)))
    >>> res = evsi(pd.DataFrame({"treat": effect, "wait": 0.0 * effect}), experiment=trial,
    ...            n=[2, 8, 32], posterior={"effect": effect}, random_seed=0)
    >>> fig, ax = plot_evsi(res)
    >>> ax.get_legend_handles_labels()[1]
    ['EVSI (regression)', 'EVPPI', 'EVPI']
    """
    if not isinstance(result, EVSI):
        raise DecideTypeError(f"result must be an EVSI result; got {type(result).__name__}.")
    fig, ax = get_ax(ax)
    n = result.n
    v = result.value.to_numpy(float)
    se = np.nan_to_num(result.standard_error.to_numpy(float))
    (line,) = ax.plot(n, v, marker="o", label=f"EVSI ({result.method})")
    ax.fill_between(n, np.clip(v - 2 * se, 0, None), v + 2 * se, color=line.get_color(), alpha=0.2)
    if not math.isnan(result.evppi):
        ax.axhline(result.evppi, color="0.4", linestyle="--", label="EVPPI")
    if not math.isnan(result.evpi):
        ax.axhline(result.evpi, color="0.2", linestyle=":", label="EVPI")
    if enbs is not None and enbs.optimal_n is not None:
        ax.axvline(enbs.optimal_n, color="C3", linewidth=1, label=f"optimal n = {enbs.optimal_n}")
    ax.set_ylim(bottom=0)
    return finish(fig, ax, show, xlabel="sample size n", ylabel="value of information",
                  title=f"EVSI of {result.experiment}")


def plot_enbs(result: ENBS, *, ax: Any = None, show: bool = False) -> tuple[Any, Any]:
    """Draw the expected net benefit of sampling against ``n`` with the optimum marked.

    Outcomes are rewards (higher is better); values are in outcome units.

    Parameters
    ----------
    result : ENBS
        The result of :func:`decide.uncertainty.enbs`.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes; default a new figure.
    show : bool, default False
        Call ``matplotlib.pyplot.show()``.

    Returns
    -------
    fig : matplotlib.figure.Figure
    ax : matplotlib.axes.Axes
        Lines ``"ENBS"``, ``"population EVSI"`` and ``"cost"``, the zero line of
        not testing, and a star at the optimum (title: ``result.message``).

    Raises
    ------
    DecideTypeError
        If ``result`` is not an :class:`~decide.uncertainty.ENBS`.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> import pandas as pd
    >>> from decide.plots import plot_enbs
    >>> from decide.uncertainty import Experiment, enbs, evsi
    >>> effect = np.random.default_rng(0).normal(0.2, 1.0, 2000)
    >>> trial = Experiment(lambda p, n, rng: rng.normal(p["effect"][:, None], 2.0, (len(p["effect"]), n)))
    >>> res = evsi(pd.DataFrame({"treat": effect, "wait": 0.0 * effect}), experiment=trial,
    ...            n=[2, 8, 32], posterior={"effect": effect}, random_seed=0)
    >>> fig, ax = plot_enbs(enbs(res, fixed_cost=2.0, cost_per_unit=0.2, decisions_per_period=50))
    >>> ax.get_legend_handles_labels()[1][:3]
    ['ENBS', 'population EVSI', 'cost']
    """
    if not isinstance(result, ENBS):
        raise DecideTypeError(f"result must be an ENBS result; got {type(result).__name__}.")
    fig, ax = get_ax(ax)
    t = result.table
    n = t.index.to_numpy()
    ax.plot(n, t["enbs"], marker="o", label="ENBS")
    ax.plot(n, t["population_evsi"], linestyle="--", label="population EVSI")
    ax.plot(n, t["cost"], linestyle=":", label="cost")
    ax.axhline(0.0, color="0.5", linewidth=1)
    if result.optimal_n is not None:
        ax.plot([result.optimal_n], [result.optimal_enbs], marker="*", markersize=14,
                linestyle="none", color="C3", label=f"optimal n = {result.optimal_n}")
    return finish(fig, ax, show, xlabel="sample size n", ylabel="outcome units",
                  title=result.message)


def plot_voi_curve(
    table: pd.DataFrame,
    *,
    ax: Any = None,
    show: bool = False,
) -> tuple[Any, Any]:
    """Draw EVPI and EVPPI against a willingness-to-pay or risk-aversion parameter.

    Outcomes are rewards (higher is better).

    Parameters
    ----------
    table : pandas.DataFrame
        The table of :func:`decide.uncertainty.voi_curve`: indexed by the
        parameter, one column per value of information (``"evpi"``,
        ``"evppi[...]"``) and optional ``"<column>_se"`` standard errors.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes; default a new figure.
    show : bool, default False
        Call ``matplotlib.pyplot.show()``.

    Returns
    -------
    fig : matplotlib.figure.Figure
    ax : matplotlib.axes.Axes
        One line per value column (legend: the column names).

    Raises
    ------
    DecideValueError
        If the table has no value column.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import pandas as pd
    >>> from decide.plots import plot_voi_curve
    >>> t = pd.DataFrame({"evpi": [0.1, 0.3], "evppi[a]": [0.05, 0.2]}, index=pd.Index([1, 2], name="wtp"))
    >>> fig, ax = plot_voi_curve(t)
    >>> ax.get_xlabel(), ax.get_legend_handles_labels()[1]
    ('wtp', ['evpi', 'evppi[a]'])
    """
    if not isinstance(table, pd.DataFrame):
        raise DecideTypeError(f"table must be a DataFrame; got {type(table).__name__}.")
    cols = [c for c in table.columns if not str(c).endswith("_se")]
    if not cols:
        raise DecideValueError(
            f"table must hold at least one value column besides '_se' columns; got {list(table.columns)}."
        )
    fig, ax = get_ax(ax)
    x = table.index.to_numpy(float)
    for c in cols:
        (line,) = ax.plot(x, table[c].to_numpy(float), marker="o", label=str(c))
        if f"{c}_se" in table:
            se = np.nan_to_num(table[f"{c}_se"].to_numpy(float))
            v = table[c].to_numpy(float)
            ax.fill_between(x, np.clip(v - 2 * se, 0, None), v + 2 * se, color=line.get_color(), alpha=0.2)
    return finish(fig, ax, show, xlabel=str(table.index.name or "parameter"),
                  ylabel="value of information", title="Value of information")
