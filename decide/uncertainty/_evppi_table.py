r"""EVPPI of several parameter sets at once, monotone in the set.

Outcomes are rewards (higher is better); draw arrays put the sample axis first.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from decide._validation import as_rng
from decide.errors import DecideTypeError, DecideValueError, UnreliableEstimateWarning
from decide.uncertainty._debias import debiased_utility
from decide.uncertainty._evppi import _check_args, _parameter_draws, _selections, evppi_core
from decide.uncertainty._evppi_params import design_matrix
from decide.uncertainty._voi import _levels, evpi_from_levels

if TYPE_CHECKING:
    from decide.measures import Objective

__all__ = ["evppi_table", "monotone_projection"]


def monotone_projection(
    values: np.ndarray, weights: np.ndarray, pairs: Sequence[tuple[int, int]], upper: float
) -> np.ndarray:
    r"""Weighted least-squares projection onto :math:`\{v: v_i \le v_j\ \forall (i,j),\ 0 \le v \le u\}`.

    Parameters
    ----------
    values : ndarray of shape (k,)
        The estimates.
    weights : ndarray of shape (k,)
        Positive weights (inverse variances).
    pairs : sequence of (i, j)
        Order constraints :math:`v_i \le v_j` (set ``i`` nested in set ``j``).
    upper : float
        The common upper bound (the EVPI).

    Returns
    -------
    ndarray of shape (k,)
        :math:`\arg\min_v \sum_i w_i (v_i - x_i)^2` under the constraints: isotonic
        regression on the partial order of the sets (solved by cvxpy).
    """
    x = np.asarray(values, dtype=float)
    if not pairs or all(x[i] <= x[j] for i, j in pairs) or upper <= 0.0:
        return np.clip(x, 0.0, upper)  # bounded isotonic on a feasible order: the clip
    import cvxpy as cp

    v = cp.Variable(x.size)  # in units of the upper bound: a well-scaled problem
    cons = [v >= 0, v <= 1.0] + [v[i] <= v[j] for i, j in pairs]
    w = np.asarray(weights, dtype=float)
    prob = cp.Problem(cp.Minimize(cp.sum(cp.multiply(w / w.max(), cp.square(v - x / upper)))), cons)
    prob.solve(solver=cp.CLARABEL)
    if v.value is None:  # pragma: no cover - a feasible convex QP
        return np.clip(x, 0.0, upper)
    out = np.clip(np.asarray(v.value, dtype=float) * upper, 0.0, upper)
    # remove solver round-off from the order constraints
    for _ in range(len(pairs)):
        for i, j in pairs:
            if out[i] > out[j]:
                out[i] = out[j]
    return out


def _groups(groups: Any) -> list[tuple[str, Any]]:
    if isinstance(groups, Mapping):
        items = [(str(k), v) for k, v in groups.items()]
    elif isinstance(groups, Sequence) and not isinstance(groups, str):
        items = []
        for g in groups:
            sels = _selections(g)
            items.append((", ".join(s.label for s in sels), g))
    else:
        raise DecideTypeError(
            "groups must be a dict label -> params (anything evppi's params accepts) or a list "
            f"of params; got {type(groups).__name__}."
        )
    if not items:
        raise DecideValueError("groups must hold at least one parameter set; got none.")
    return items


def evppi_table(
    outcome: Any,
    actions: Any = None,
    groups: Any = (),
    *,
    posterior: Any = None,
    objective: Objective | None = None,
    method: Literal["gam", "gbm"] = "gam",
    n_knots: int = 8,
    n_folds: int = 5,
    n_bootstrap: int | None = None,
    rank_tol: float = 1e-3,
    random_seed: int | np.random.Generator | None = None,
    debias: bool = True,
) -> pd.DataFrame:
    r"""EVPPI of several parameter sets, monotone in the set, with each regression's check.

    Outcomes are rewards (higher is better); draw arrays put the sample axis first.

    Parameters
    ----------
    outcome, actions, posterior, objective, method, n_knots, n_folds, n_bootstrap, rank_tol, debias
        As in :func:`evppi`.
    groups : dict of str to params, or list of params
        The parameter sets, each in any form :func:`evppi`'s ``params`` accepts
        (a name, a list of names, a dict ``name -> {dim: value}``). A list is
        labelled by the parameters' labels.
    random_seed : int or numpy.random.Generator, optional
        One seed for every set: each set is fitted with the same folds and the
        same bootstrap resamples (common random numbers), so differences between
        sets are estimated more precisely than each value.

    Returns
    -------
    pandas.DataFrame
        Indexed by group label (``"group"``), columns ``params`` (the labels),
        ``value`` (monotone, in ``[0, EVPI]``), ``standard_error`` (refit
        bootstrap), ``value_raw`` (the regression estimate), ``adjustment``
        (``value`` minus ``value_raw``), ``r2``, ``cv_r2``, ``residual_z``,
        ``regression_ok`` (see :class:`RegressionCheck`). ``attrs`` hold
        ``evpi``, ``evpi_se`` and ``notes``.

    Raises
    ------
    DecideValueError, DecideTypeError
        As in :func:`evppi`, and when ``groups`` is empty or of another form.

    Warns
    -----
    UnreliableEstimateWarning
        When a regression check fails (see :func:`evppi`), or when a set's
        estimate exceeds that of a set containing it by more than twice the
        standard error of their difference (the larger set's regression misses
        structure; its residual check usually says so).

    Notes
    -----
    Monotone by construction. For :math:`S \subseteq T` (sets of parameter
    elements: the same element selected by name or by coordinate counts once),
    :math:`\mathrm{EVPPI}(S) \le \mathrm{EVPPI}(T) \le \mathrm{EVPI}` holds in the
    population. The raw regression estimates need not respect it (each set's fit
    has its own error). ``value`` is their weighted isotonic regression on the
    partial order of the sets, with weights :math:`1/\mathrm{SE}^2` and bounds
    :math:`[0, \mathrm{EVPI}]`: the closest monotone values, which moves the less
    precise estimate more. A violation within the noise is a small
    ``adjustment``; one beyond twice the standard error of the difference is not
    noise and is flagged (a warning, and a line in ``attrs["notes"]``).

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from decide.uncertainty import evppi_table
    >>> rng = np.random.default_rng(0)
    >>> a, b = rng.normal(0.2, 1.0, 2000), rng.normal(0.0, 0.5, 2000)
    >>> draws = pd.DataFrame({"act": a + b, "wait": np.zeros(2000)})
    >>> t = evppi_table(draws, groups={"a": "a", "b": "b", "a+b": ["a", "b"]},
    ...                 posterior={"a": a, "b": b}, n_bootstrap=50, random_seed=0)
    >>> list(t.index), bool(t.loc["a", "value"] <= t.loc["a+b", "value"] <= t.attrs["evpi"])
    (['a', 'b', 'a+b'], True)
    """
    items = _groups(groups)
    sels = [_selections(spec) for _, spec in items]
    n_boot = _check_args(method, n_knots, n_folds, n_bootstrap, rank_tol)
    seed = int(as_rng(random_seed).integers(2**63 - 1))
    levels = _levels(outcome, actions, objective, debias)
    U = debiased_utility(levels)
    full_voi = evpi_from_levels(levels)
    ds = _parameter_draws(outcome, posterior, [s.label for group in sels for s in group])
    rows, ids = [], []
    for group in sels:
        X, cols = design_matrix(ds, group, U.shape[0])
        names = tuple(s.label for s in group)
        res = evppi_core(
            U, levels.labels, full_voi, X, names, method=method, n_knots=int(n_knots),
            n_folds=int(n_folds), n_bootstrap=n_boot, rank_tol=float(rank_tol),
            rng=np.random.default_rng(seed), n_replicates=levels.n_replicates, stacklevel=3,
        )
        ids.append(frozenset(cols))
        chk = res.regression
        rows.append({
            "params": ", ".join(names), "value": res.value, "standard_error": res.standard_error,
            "value_raw": res.value_raw, "r2": chk.r2, "cv_r2": chk.cv_r2,
            "residual_z": chk.residual_z, "regression_ok": chk.ok,
        })
    table = pd.DataFrame(rows, index=pd.Index([lab for lab, _ in items], name="group"))
    full = float(full_voi.value)
    pairs = [(i, j) for i in range(len(ids)) for j in range(len(ids)) if i != j and ids[i] <= ids[j]]
    se = table["standard_error"].to_numpy(dtype=float)
    finite = se[np.isfinite(se) & (se > 0)]
    floor = float(finite.min()) if finite.size else 1.0
    weights = 1.0 / np.where(np.isfinite(se) & (se > 0), se, floor) ** 2
    raw = table["value_raw"].to_numpy(dtype=float)
    table["value"] = monotone_projection(raw, weights, pairs, full)
    table["adjustment"] = table["value"] - table["value_raw"]
    notes = list(full_voi.notes)
    labels = list(table.index)
    for i, j in pairs:
        gap = raw[i] - min(raw[j], full)
        tol = 2.0 * math.sqrt(np.nan_to_num(se[i]) ** 2 + np.nan_to_num(se[j]) ** 2)
        if gap > tol:
            note = (
                f"EVPPI({labels[i]}) = {raw[i]:.4g} exceeds EVPPI({labels[j]}) = {raw[j]:.4g}, a "
                f"set that contains it, by more than twice their standard errors ({tol:.3g}): the "
                f"regression for {labels[j]!r} misses structure (see its residual check); the "
                "values were made monotone, but read them with care."
            )
            warnings.warn(note, UnreliableEstimateWarning, stacklevel=2)
            notes.append(note)
    table = table[["params", "value", "standard_error", "value_raw", "adjustment", "r2", "cv_r2",
                   "residual_z", "regression_ok"]]
    table.attrs.update(evpi=full, evpi_se=float(full_voi.standard_error), notes=tuple(notes))
    return table
