"""``plot_outcomes``: the outcome distributions of several policies, with their CVaR."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np

from decide._validation import as_draws, check_alpha
from decide.errors import DecideTypeError
from decide.measures import cvar
from decide.optimization import Decision
from decide.outcomes import OutcomeModel
from decide.plots._common import finish, get_ax, named_actions, readable, thousands

__all__ = ["plot_outcomes"]


def _draws(source: Any, outcome: OutcomeModel | None) -> dict[str, np.ndarray]:
    if outcome is not None:
        if not isinstance(outcome, OutcomeModel):
            raise DecideTypeError(
                f"outcome must be an OutcomeModel or None; got {type(outcome).__name__}."
            )
        return {k: outcome.draws(x).reshape(-1) for k, x in named_actions(source, outcome, "source").items()}
    if not isinstance(source, Mapping) or not source:
        raise DecideTypeError(
            "source must be a non-empty dict name -> outcome draws (or Decision), or, with "
            f"outcome=, a compare table or dict name -> action; got {type(source).__name__}."
        )
    out = {}
    for k, v in source.items():
        v = v.draws if isinstance(v, Decision) else v
        out[str(k)] = as_draws(v, f"source[{k!r}]").reshape(-1)
    return out


def plot_outcomes(
    source: Any,
    *,
    outcome: OutcomeModel | None = None,
    alpha: float = 0.05,
    bins: int = 50,
    ax: Any = None,
    show: bool = False,
) -> tuple[Any, Any]:
    r"""Overlay the outcome distributions of several policies and mark each one's CVaR.

    Outcomes are rewards (higher is better); risk lives in the lower tail and
    ``alpha`` is the tail probability. Draws put the sample axis first;
    replicates are pooled.

    Parameters
    ----------
    source : dict of str to array_like or Decision, or a compare table
        Outcome draws per policy (shape ``(n_samples,)`` or ``(n_samples,
        n_replicates)``), or Decisions (their draws). With ``outcome``: a table
        from :func:`decide.policies.compare` or a dict name -> action, whose draws
        are computed on all of the outcome's draws.
    outcome : OutcomeModel, optional
        Needed when ``source`` holds actions rather than draws.
    alpha : float, default 0.05
        Tail probability of the CVaR marks, in (0, 1).
    bins : int, default 50
        Histogram bins (shared by all policies).
    ax : matplotlib.axes.Axes, optional
        Draw into these axes; default a new figure.
    show : bool, default False
        Call ``matplotlib.pyplot.show()``.

    Returns
    -------
    fig : matplotlib.figure.Figure
    ax : matplotlib.axes.Axes
        One step histogram (density) per policy and one dashed vertical line at
        its :math:`\mathrm{CVaR}_\alpha` (the mean of its worst ``alpha`` share of
        draws), in the same colour; legend entries ``"<name> (CVaR 5% = ...)"``
        (a reward; values from 10,000 on with thousands separators, as on the
        x axis: ``"CVaR 5% = 286,000"``).

    Raises
    ------
    DecideTypeError
        If ``source`` is not one of the accepted forms.
    DecideValueError
        If ``alpha`` is outside (0, 1) or some draws are not finite.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import matplotlib.pyplot as plt
    >>> import numpy as np
    >>> from decide.plots import plot_outcomes
    >>> rng = np.random.default_rng(0)
    >>> fig, ax = plot_outcomes({"safe": rng.normal(1, 0.2, 500), "risky": rng.normal(1.3, 2, 500)})
    >>> len(ax.get_legend().get_texts())
    2
    >>> plt.close(fig)
    """
    a = check_alpha(alpha)
    draws = _draws(source, outcome)
    fig, ax = get_ax(ax)
    edges = np.histogram_bin_edges(np.concatenate(list(draws.values())), bins=int(bins))
    for name, x in draws.items():
        c = float(cvar(x, a))
        *_, patches = ax.hist(
            x, bins=edges, density=True, histtype="step", linewidth=1.5,
            label=f"{name} (CVaR {a:.0%} = {readable(c)})",
        )
        ax.axvline(c, color=patches[0].get_edgecolor(), linestyle="--", linewidth=1.2)
    thousands(ax.xaxis, edges)
    return finish(
        fig, ax, show,
        xlabel="outcome (reward, higher is better)",
        ylabel="density",
        title=f"Outcome distributions; dashed: CVaR at alpha = {a:g}",
    )
