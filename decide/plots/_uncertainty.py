"""``plot_uncertainty``: the epistemic / aleatoric split per action or per outcome element."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from decide.errors import DecideTypeError, DecideValueError
from decide.plots._common import finish, fit_category_labels, get_ax

__all__ = ["plot_uncertainty"]

_NEEDED = ("epistemic_variance", "aleatoric_variance")
#: Room left after the longest bar, as a share of its length.
_ROOM = 0.06


def _rows(source: Any) -> pd.DataFrame:
    from decide.uncertainty import Decomposition

    if isinstance(source, Decomposition):
        table = source.to_dataframe()
        if len(table) > 1:  # a vector outcome: one bar per element, not the reduced total
            table = table.drop(index="total")
        return table
    if isinstance(source, Mapping) and source:
        rows = {}
        for name, d in source.items():
            if not isinstance(d, Decomposition):
                raise DecideTypeError(
                    f"decompositions[{name!r}] must be a Decomposition (from "
                    f"decide.uncertainty.decompose); got {type(d).__name__}."
                )
            rows[str(name)] = d.to_dataframe().loc["total"]
        return pd.DataFrame(rows).T
    if isinstance(source, pd.DataFrame):
        missing = [c for c in _NEEDED if c not in source.columns]
        if missing:
            raise DecideValueError(
                f"decompositions as a DataFrame needs the columns {list(_NEEDED)} (as "
                f"Decomposition.to_dataframe()); missing {missing}."
            )
        return source
    raise DecideTypeError(
        "decompositions must be a Decomposition, a non-empty dict name -> Decomposition, or "
        f"Decomposition.to_dataframe(); got {type(source).__name__}."
    )


def plot_uncertainty(
    decompositions: Any,
    *,
    share: bool = False,
    ax: Any = None,
    show: bool = False,
) -> tuple[Any, Any]:
    r"""Horizontal stacked bars: epistemic and aleatoric variance per action or element.

    Outcomes are rewards (higher is better). Epistemic variance,
    :math:`\mathrm{Var}_\theta(E[Y\mid\theta])`, is what more data would remove;
    aleatoric variance, :math:`E_\theta[\mathrm{Var}(Y\mid\theta)]`, is noise.

    Parameters
    ----------
    decompositions : Decomposition, dict of str to Decomposition, or pandas.DataFrame
        From :func:`decide.uncertainty.decompose`: one Decomposition (one bar per
        element of a vector outcome, e.g. per channel or week; a single bar for a
        scalar outcome), a dict action name -> Decomposition (one bar per action,
        its total), or a ``to_dataframe()`` table.
    share : bool, default False
        Plot the shares of the total variance (bars of length one) instead of variances.
    ax : matplotlib.axes.Axes, optional
        Draw into these axes; default a new figure.
    show : bool, default False
        Call ``matplotlib.pyplot.show()``.

    Returns
    -------
    fig : matplotlib.figure.Figure
    ax : matplotlib.axes.Axes
        Two bar containers (``"epistemic"``, ``"aleatoric"``), one bar each per row,
        labelled on the y axis with the full row names (never cut: a figure made
        here widens to the longest name, e.g.
        ``channel_data[2024-11-17, tv]``, grows about 0.32
        inch per row and is laid out once with ``tight_layout``; with ``ax=`` the caller's
        figure is left as it is).

    Raises
    ------
    DecideTypeError
        If ``decompositions`` is of another type.
    DecideValueError
        If a table lacks the variance columns.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from decide.plots import plot_uncertainty
    >>> from decide.uncertainty import decompose
    >>> rng = np.random.default_rng(0)
    >>> theta = rng.normal(0, 1, (300, 1))
    >>> parts = {"A": decompose(theta + rng.normal(0, 2, (300, 40))),
    ...          "B": decompose(3 * theta + rng.normal(0, 1, (300, 40)))}
    >>> fig, ax = plot_uncertainty(parts, share=True)
    >>> len(ax.patches)
    4
    >>> plt.close(fig)
    """
    table = _rows(decompositions)
    epi = table["epistemic_variance"].to_numpy(dtype=np.float64)
    ale = table["aleatoric_variance"].to_numpy(dtype=np.float64)
    if share:
        total = epi + ale
        with np.errstate(invalid="ignore", divide="ignore"):
            epi, ale = np.where(total > 0, epi / total, np.nan), np.where(total > 0, ale / total, np.nan)
    labels = [str(i) for i in table.index]
    y = np.arange(len(labels))
    created = ax is None
    fig, ax = get_ax(ax)
    ax.barh(y, epi, label="epistemic (more data would remove)")
    ax.barh(y, ale, left=epi, label="aleatoric (irreducible noise)")
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    # room after the longest bar: a zero-width aleatoric bar starts where its epistemic
    # bar ends, and matplotlib's sticky edge there removed the axis margin
    ends = epi + ale
    top = float(np.nanmax(ends)) if np.any(np.isfinite(ends)) else np.nan
    if np.isfinite(top) and top > 0:
        ax.set_xlim(0.0, top * (1.0 + _ROOM))
    finish(
        fig, ax, False,
        xlabel="share of the outcome variance" if share else "outcome variance",
        title="Epistemic and aleatoric uncertainty",
        legend="below",
    )
    if created:  # the figure is ours: make it wide and tall enough for every full label
        fit_category_labels(fig, ax, len(labels))
    if show:
        import matplotlib.pyplot as plt

        plt.show()
    return fig, ax
