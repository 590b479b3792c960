"""One extrapolation warning per analysis, not one per solve.

``frontier``, ``sweep`` and ``compare`` call :func:`decide.optimize` many times; each
call warns (:class:`~decide.errors.ExtrapolationWarning`) when its action leaves the
observed range of the training data. Inside these analyses the per-solve warnings are
silenced (:func:`quiet_extrapolation`) and one warning sums them up
(:func:`warn_extrapolation_summary`); the per-row reports (``Decision.extrapolation``)
go to the table's ``attrs["extrapolation"]``.
"""

from __future__ import annotations

import contextlib
import warnings
from collections.abc import Iterator, Mapping
from typing import Any

import pandas as pd

from decide.errors import ExtrapolationWarning

__all__ = ["quiet_extrapolation", "warn_extrapolation_summary"]


@contextlib.contextmanager
def quiet_extrapolation() -> Iterator[None]:
    """Silence the :class:`~decide.errors.ExtrapolationWarning` of each solve in the block.

    Other warnings pass through the caller's filters unchanged.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", category=ExtrapolationWarning)
        yield


def warn_extrapolation_summary(
    reports: Mapping[Any, pd.DataFrame | None], what: str, within: Any = None,
    stacklevel: int = 3,
) -> None:
    """One warning when some row's action leaves the observed range.

    Parameters
    ----------
    reports : mapping of row label to DataFrame or None
        ``Decision.extrapolation`` of each row (None: no observed range, or a row not
        optimized).
    what : str
        What a row is, plural (``"points"``, ``"policies"``, ``"values"``).
    within : object
        The analysis' ``within_observed`` option: when set, leaving the range was
        allowed on purpose (a factor above 1), as :func:`decide.optimize` has it.
    stacklevel : int
        Passed to :func:`warnings.warn` (3: the caller of the analysis).
    """
    if within is not None and within is not False:
        return
    known = {k: r for k, r in reports.items() if r is not None}
    outside = {k: r for k, r in known.items() if bool(r["outside"].any())}
    if not outside:
        return
    key, rep = max(outside.items(), key=lambda kv: float(kv[1]["distance"].max()))
    cell = rep["distance"].idxmax()
    row = rep.loc[cell]
    below = row["value"] < row["observed_min"]
    bound = row["observed_min"] if below else row["observed_max"]
    side = "below its min" if below else "above its max"
    counts = ", ".join(
        f"{k}: {int(r['outside'].sum())} of {len(r)}" for k, r in list(outside.items())[:6]
    ) + (", ..." if len(outside) > 6 else "")
    warnings.warn(
        f"{len(outside)} of {len(known)} {what} leave the range of the data the model was "
        f"fitted on (cells outside: {counts}; farthest: {key}, {cell} = {row['value']:.6g}, "
        f"{row['distance']:.4g} {side} {bound:.6g}). The posterior is extrapolated there. "
        "One report per row: table.attrs['extrapolation']; within_observed=True keeps the "
        "actions inside the observed range.",
        ExtrapolationWarning,
        stacklevel=stacklevel,
    )
