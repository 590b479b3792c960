"""EVPI and EVPPI along a willingness-to-pay or risk-aversion parameter.

Outcomes are rewards (higher is better).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from decide._validation import as_rng
from decide.errors import DecideTypeError, DecideValueError
from decide.uncertainty._evppi_table import evppi_table
from decide.uncertainty._voi import evpi

__all__ = ["voi_curve"]


def voi_curve(
    build: Callable[[float], Any],
    values: Sequence[float],
    actions: Any = None,
    *,
    params: Mapping[str, Sequence[str]] | None = None,
    posterior: Any = None,
    name: str = "parameter",
    random_seed: int | np.random.Generator | None = None,
) -> pd.DataFrame:
    r"""EVPI (and EVPPI of parameter groups) at each value of a parameter of the decision.

    Outcomes are rewards (higher is better).

    Parameters
    ----------
    build : callable ``build(value) -> outcome`` or ``-> (outcome, objective)``
        The decision at one value of the parameter: for a willingness to pay
        ``lam``, the net benefit ``lam * effect - cost``; for a risk aversion
        ``r``, the outcome and ``ExpectedUtility(Exponential(r))``. ``outcome``
        is anything :func:`evpi` accepts.
    values : sequence of float
        The parameter values (at least one, finite).
    actions : optional
        As in :func:`evpi`.
    params : dict of str to params, optional
        Groups of parameters (anything :func:`evppi` accepts as ``params``): one
        column ``"evppi[<label>]"`` per group, estimated together by
        :func:`evppi_table` (monotone over nested groups).
    posterior : optional
        Parameter draws for :func:`evppi` (default: the outcome's own).
    name : str, default "parameter"
        The name of the index.
    random_seed : int or numpy.random.Generator, optional

    Returns
    -------
    pandas.DataFrame
        Indexed by ``values`` (named ``name``): ``evpi``, ``evpi_se`` and per
        group ``evppi[label]``, ``evppi[label]_se``; ready for
        :func:`decide.plots.plot_voi_curve`.

    Raises
    ------
    DecideValueError
        If ``values`` is empty or not finite.
    DecideTypeError
        If ``build`` is not callable.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from decide.uncertainty import voi_curve
    >>> rng = np.random.default_rng(0)
    >>> effect, cost = rng.normal(1.0, 1.0, 2000), rng.normal(1.0, 0.2, 2000)
    >>> t = voi_curve(lambda lam: pd.DataFrame({"new": lam * effect - cost, "old": 0 * effect}),
    ...               [0.5, 1.0, 4.0], name="wtp")
    >>> t.index.name, bool(0 < t["evpi"].iloc[0] < t["evpi"].iloc[1])
    ('wtp', True)
    """
    if not callable(build):
        raise DecideTypeError(f"build must be callable build(value) -> outcome; got {type(build).__name__}.")
    vals = np.atleast_1d(np.asarray(values, dtype=float))
    if vals.size == 0 or not np.all(np.isfinite(vals)):
        raise DecideValueError(f"values must be one or more finite numbers; got {values!r}.")
    rng = as_rng(random_seed)
    rows = []
    for v in vals:
        built = build(float(v))
        outcome, objective = built if isinstance(built, tuple) else (built, None)
        full = evpi(outcome, actions, objective=objective)
        row = {"evpi": full.value, "evpi_se": full.standard_error}
        if params:
            table = evppi_table(outcome, actions, groups=dict(params), posterior=posterior,
                                objective=objective, random_seed=rng)
            for label in params:
                row[f"evppi[{label}]"] = float(table.loc[str(label), "value"])
                row[f"evppi[{label}]_se"] = float(table.loc[str(label), "standard_error"])
        rows.append(row)
    return pd.DataFrame(rows, index=pd.Index(vals, name=str(name)))
