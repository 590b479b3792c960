"""Shared helpers of the plots: one figure per call, nothing shown unless asked."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from decide.errors import DecideTypeError, DecideValueError
from decide.optimization import as_action
from decide.outcomes import OutcomeModel

__all__ = [
    "action_matrix", "finish", "fit_category_labels", "get_ax", "named_actions",
    "place_point_labels", "readable", "risk_axis_label", "thousands",
]


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


def fit_category_labels(fig: Any, ax: Any, n: int, *, which: str = "y") -> None:
    """Size a figure made here so that ``n`` category tick labels show whole.

    Call it after the legend is made. The figure grows to the width of the
    longest label plus room for the axes, at least as wide as a legend centred
    under them (for ``which="y"``, horizontal bars), and to about 0.32 inch per
    category, then is laid out once with ``tight_layout``, which keeps every
    tick label, axis label and the outside legend inside the figure (no layout
    engine is left on it, so a later ``tight_layout`` does not warn). Labels
    keep their full text (no truncation, no ellipsis).
    """
    labels = ax.get_yticklabels() if which == "y" else ax.get_xticklabels()
    widths = [t.get_window_extent().width for t in labels if t.get_text()]
    longest = (max(widths) if widths else 0.0) / fig.dpi
    legend = ax.get_legend()
    # a legend centred under the axes needs axes at least as wide as itself
    room = 5.0 if legend is None else max(5.0, legend.get_window_extent().width / fig.dpi + 0.6)
    w, h = fig.get_size_inches()
    fig.set_size_inches(max(w, longest + room), max(h, 0.32 * n + 2.4))
    fig.tight_layout()  # once: no layout engine is left on the figure


def fit_outside_legend(fig: Any, ax: Any) -> None:
    """Size a figure made here so that a legend right of the axes shows whole.

    The figure grows by the legend's width (a plain ``savefig`` keeps the figure's
    size, so a legend outside it would be cut), then is laid out once with
    ``tight_layout``, which keeps the legend, the tick and axis labels inside the
    figure (no layout engine is left on it).
    """
    legend = ax.get_legend()
    if legend is None:
        return
    fig.draw_without_rendering()
    width = legend.get_window_extent().width / fig.dpi
    w, h = fig.get_size_inches()
    fig.set_size_inches(w + width + 0.3, h)
    fig.tight_layout()


def _overlaps(box: Any, boxes: list[Any], pad: float) -> bool:
    return any(
        box.x0 < b.x1 + pad and b.x0 < box.x1 + pad and box.y0 < b.y1 + pad and b.y0 < box.y1 + pad
        for b in boxes
    )


def place_point_labels(
    ax: Any, points: list[tuple[float, float]], names: list[str], *, fontsize: float = 8
) -> list[Any]:
    """Annotate each point with its name so that no two labels overlap.

    Greedy: each label tries positions around its point on rings of growing
    radius (6, 18, 30, ... points; beyond the first ring a thin line joins the
    label to its point) and takes the first whose box (measured by the
    renderer) overlaps no label already placed and no other point, and stays
    inside the axes (failing that, inside the figure). A label with no free
    position is left out (the legend still names the point). Returns the
    annotations placed.
    """
    fig = ax.figure
    fig.draw_without_rendering()  # settle the limits and the layout before measuring
    xy_pix = ax.transData.transform(np.asarray(points, dtype=np.float64).reshape(-1, 2))
    marks = [_box(x, y, 4.0) for x, y in xy_pix]
    # inside the axes if possible, else inside the figure (a margin for rendering at another dpi)
    frames = [ax.bbox.padded(-3.0), fig.bbox.padded(-0.04 * min(fig.bbox.width, fig.bbox.height))]
    placed: list[Any] = []
    boxes: list[Any] = []
    dirs = [(1, 1), (1, -1), (-1, 1), (-1, -1), (1, 0), (-1, 0), (0, 1), (0, -1)]
    for i, ((x, y), name) in enumerate(zip(points, names)):
        others = [m for j, m in enumerate(marks) if j != i]
        chosen = None
        for frame in frames:
            for radius in (6.0, 18.0, 30.0, 42.0, 54.0, 66.0, 78.0):
                for dx, dy in dirs:
                    off = (dx * radius, dy * radius)
                    ha = "left" if dx > 0 else ("right" if dx < 0 else "center")
                    va = "bottom" if dy > 0 else ("top" if dy < 0 else "center")
                    probe = ax.annotate(name, (x, y), xytext=off, textcoords="offset points",
                                        ha=ha, va=va, fontsize=fontsize)
                    box = probe.get_window_extent()
                    probe.remove()
                    if (box.x0 >= frame.x0 and box.y0 >= frame.y0 and box.x1 <= frame.x1
                            and box.y1 <= frame.y1 and not _overlaps(box, boxes, 2.0)
                            and not _overlaps(box, others, 0.0)):
                        chosen = (off, ha, va, radius, box)
                        break
                if chosen is not None:
                    break
            if chosen is not None:
                break
        if chosen is None:
            continue
        off, ha, va, radius, box = chosen
        arrow = None if radius <= 6.0 else {"arrowstyle": "-", "lw": 0.6, "color": "0.4", "shrinkA": 0, "shrinkB": 3}
        ann = ax.annotate(name, (x, y), xytext=off, textcoords="offset points", ha=ha, va=va,
                          fontsize=fontsize, arrowprops=arrow)
        ann.set_in_layout(False)  # a layout engine must not move the axes under the labels
        placed.append(ann)
        boxes.append(box)
    return placed


def _box(x: float, y: float, r: float) -> Any:
    from matplotlib.transforms import Bbox

    return Bbox([[x - r, y - r], [x + r, y + r]])


def risk_axis_label(risk: Any, outcome_label: str) -> str:
    """How a risk measure reads on an axis, on its own scale: ``"CVaR 5% of revenue (higher is better)"``."""
    alpha = getattr(risk, "alpha", None)
    name = type(risk).__name__
    if name in ("CVaR", "VaR", "EVaR") and isinstance(alpha, float | int):
        what = f"{name} {100 * float(alpha):g}%"
    elif risk is None:
        what = "risk"
    else:
        what = repr(risk)
    sign = getattr(risk, "conventional_sign", 1.0)
    return f"{what} of {outcome_label} ({'higher' if sign > 0 else 'lower'} is better)"


def readable(value: float) -> str:
    """A number as a reader expects it: ``286,000`` from 10,000 on, else 3 significant digits."""
    v = float(value)
    return f"{v:,.0f}" if abs(v) >= 1e4 else f"{v:.3g}"


def thousands(axis: Any, values: Any) -> None:
    """Thousands separators on an axis whose values reach 10,000 (``286,000`` for ``286000``).

    The decimals follow the tick step (none for a whole step, one for a step of
    2.5), so a tick never reads as a value it is not.
    """
    v = np.asarray(values, dtype=np.float64)
    v = v[np.isfinite(v)]
    if not v.size or float(np.max(np.abs(v))) < 1e4:
        return
    from matplotlib.ticker import Formatter

    class _Thousands(Formatter):
        def __call__(self, x: float, pos: Any = None) -> str:
            return f"{x:,.0f}"

        def format_ticks(self, values: Any) -> list[str]:
            ticks = np.asarray(values, dtype=np.float64)
            step = float(np.min(np.diff(ticks))) if ticks.size > 1 else 1.0
            d = 0  # the fewest decimals that write the step exactly (2.5 -> 1, 0.25 -> 2)
            while d < 6 and step > 0 and abs(step * 10**d - round(step * 10**d)) > 1e-6 * step * 10**d:
                d += 1
            return [f"{t:,.{d}f}" for t in ticks]

    axis.set_major_formatter(_Thousands())
