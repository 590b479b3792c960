"""``acceptability``: the probability that each action is best, as the risk aversion grows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from decide._validation import as_draws
from decide.errors import DecideTypeError, DecideValueError
from decide.measures import Exponential, certainty_equivalent
from decide.optimization import action_set
from decide.outcomes import OutcomeModel
from decide.policies._common import NotedFrame, check_levels, pooled_sd

__all__ = ["acceptability"]

_DEFAULT_LEVELS = tuple(np.linspace(0.0, 4.0, 21).tolist())
#: Relative tolerance (to the pooled sd) under which replicate differences count as constant.
_SHIFT_RTOL = 1e-9

#: Short reasons of a flat curve (for a plot title), by cause.
_FLAT_REASONS = {
    "additive common noise": "noise additive and common to all actions: CARA cannot reorder them",
    "dominance within draws": "one action best quantile by quantile in every draw",
    "grid": "ranking unchanged on this grid of risk aversions",
}


def _flat_cause(draws: dict[str, np.ndarray], scale: float) -> str:
    """Why the ranking in every draw ignores the risk aversion (see ``acceptability`` Notes)."""
    ys = list(draws.values())
    base = ys[0]
    shifts = [y - base for y in ys[1:]]
    if all(float(np.max(np.ptp(d, axis=1))) <= _SHIFT_RTOL * scale for d in shifts):
        return "additive common noise"
    q = np.stack([np.sort(y, axis=1) for y in ys])  # (actions, samples, replicates)
    top = q.max(axis=0)
    if bool(np.all(np.any(np.all(q >= top - _SHIFT_RTOL * scale, axis=2), axis=0))):
        return "dominance within draws"
    return "grid"


def _flat_note(cause: str, levels: tuple[float, ...], relative: bool) -> str:
    what = "relative risk aversions k" if relative else "CARA risk aversions a"
    head = (
        f"flat: the acceptability curve does not change over the {what} from "
        f"{min(levels):g} to {max(levels):g}. "
    )
    if cause == "additive common noise":
        return head + (
            "Within each posterior draw the actions' outcome replicates differ by a constant: "
            "the noise is additive and common to all actions (the same noise on the outcome "
            "whatever the action, e.g. weekly sales noise that does not depend on spend). A CARA "
            "certainty equivalent moves with a constant, CE(Y + c) = CE(Y) + c, so no risk "
            "aversion can reorder the actions within a draw; risk aversion here bears only on "
            "noise the action changes (its scale or shape). The actions differ in their "
            "epistemic risk (across posterior draws): compare tail policies such as CVaR "
            "(compare, frontier) instead."
        )
    if cause == "dominance within draws":
        return head + (
            "In every posterior draw one action's outcome replicates are at least every other "
            "action's, quantile by quantile (first-order stochastic dominance within the draw), "
            "so every increasing utility ranks it first whatever the risk aversion."
        )
    return head + (
        "The certainty equivalents of the actions do not cross on this grid; larger risk "
        "aversions (risk_aversions=...) may reorder them."
    )


def _action_draws(outcome: Any, actions: Any) -> dict[str, np.ndarray]:
    if isinstance(outcome, OutcomeModel):
        labels, X = action_set(outcome, actions)
        if len(labels) < 2:
            raise DecideValueError(
                f"actions must hold at least 2 distinct actions to compare; got {len(labels)} "
                f"({labels})."
            )
        return {str(lab): np.asarray(outcome.draws_flat(x), dtype=np.float64) for lab, x in zip(labels, X)}
    if actions is not None:
        raise DecideValueError(
            "actions must be None when outcome holds precomputed draws (the keys or columns are "
            f"the actions); got actions={actions!r}."
        )
    if isinstance(outcome, pd.DataFrame):
        raise DecideValueError(
            "outcome as a DataFrame has one value per draw and action; acceptability needs "
            "several outcome replicates per posterior draw. Pass a dict action -> array of shape "
            "(n_samples, n_replicates)."
        )
    if not isinstance(outcome, Mapping):
        raise DecideTypeError(
            "outcome must be an OutcomeModel or a dict action -> draws of shape (n_samples, "
            f"n_replicates); got {type(outcome).__name__}."
        )
    return {str(k): as_draws(v, f"outcome[{k!r}]") for k, v in outcome.items()}


def acceptability(
    outcome: Any,
    actions: Any = None,
    risk_aversions: Any = _DEFAULT_LEVELS,
    *,
    relative: bool = True,
) -> pd.DataFrame:
    r"""Probability that each action is the best, as a function of the risk aversion.

    The acceptability curve: for each CARA risk aversion, the share of posterior
    draws :math:`\theta_s` under which the action has the highest certainty
    equivalent of its outcome replicates. Outcomes are rewards (higher is
    better); draws put the sample axis first.

    Parameters
    ----------
    outcome : OutcomeModel or dict of str to ndarray of shape (n_samples, n_replicates)
        An outcome model whose draws carry replicates (``n_replicates`` set), or
        precomputed draws per action with a replicate axis.
    actions : list, dict, Discrete or None
        The actions to compare, as in :func:`decide.uncertainty.prob_best`
        (``None``: every option of a ``from_draws`` outcome; must be ``None``
        for a dict of draws).
    risk_aversions : sequence of float, default 0, 0.2, ..., 4
        CARA risk aversions (non-negative); relative to the outcome's sd when
        ``relative`` (see Notes).
    relative : bool, default True
        Read ``risk_aversions`` as ``k`` with absolute risk aversion
        ``a = k / s``, ``s`` the sd of the draws of all actions pooled (as the
        certainty-equivalent columns of :func:`~decide.policies.compare`);
        ``False`` reads them as ``a``.

    Returns
    -------
    pandas.DataFrame
        Index ``risk_aversion`` (as given), one column per action; each row sums
        to one. ``DataFrame.attrs`` holds ``scale`` (``s``, or 1 when not
        relative), ``relative``, ``flat`` (True when every row is the same: the
        ranking never changes across the grid), ``flat_cause`` (None, or why:
        ``"additive common noise"``, ``"dominance within draws"``, ``"grid"``;
        see Notes), ``flat_reason`` (a short form of it, used as the plot's
        title) and ``notes`` (the explanation, printed after the table by its
        repr).

    Raises
    ------
    DecideValueError
        If the draws have no replicate axis (then the ranking in each draw does
        not depend on risk aversion), fewer than two actions are given, or a
        risk aversion is negative.
    DecideTypeError
        If ``outcome`` is of another type.

    Notes
    -----
    With :math:`y_{sr}(b)` the replicate :math:`r` of draw :math:`s` under
    action :math:`b`,

    .. math:: CE_s(b) = -\frac1a \log \frac1R \sum_r e^{-a\, y_{sr}(b)}, \qquad
              P_a(b) = \frac1S \sum_s 1\big[CE_s(b) = \max_c CE_s(c)\big]

    (ties split evenly, as in :func:`decide.uncertainty.prob_best`); at
    :math:`a = 0`, :math:`CE_s` is the replicate mean. The certainty equivalent
    prices the noise that remains when :math:`\theta` is known (aleatoric
    risk); the probability is over the posterior (epistemic uncertainty).

    A flat curve (the same probabilities at every risk aversion of a grid of
    two or more) is explained in ``attrs["notes"]``, by the first cause that
    holds:

    * ``"additive common noise"``: in every draw the replicates of each action
      differ from those of the first action by a constant,
      :math:`y_{sr}(b) = y_{sr}(b_0) + c_s(b)` (relative tolerance
      :math:`10^{-9}` of the pooled sd). CARA is translation invariant,
      :math:`CE_s(b) = CE_s(b_0) + c_s(b)` for every :math:`a`, so the ranking
      within a draw cannot depend on the risk aversion: the noise is the same
      whatever the action (a sales outcome with additive noise that spend does
      not change). The actions then differ only in their epistemic risk,
      which tail policies over the posterior (CVaR in ``compare``, ``frontier``)
      weigh instead;
    * ``"dominance within draws"``: in every draw one action's sorted
      replicates are at least every other's (first-order stochastic dominance
      within the draw), so every increasing utility ranks it first;
    * ``"grid"``: neither; the certainty equivalents just do not cross on the
      grid, and larger risk aversions may reorder the actions.

    References
    ----------
    .. [1] Fenwick, E., Claxton, K. and Sculpher, M. (2001). Representing
       uncertainty: the role of cost-effectiveness acceptability curves.
       Health Economics, 10(8), 779-787.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.policies import acceptability
    >>> rng = np.random.default_rng(0)
    >>> theta = rng.normal(0.0, 0.1, size=(400, 1))
    >>> draws = {"safe": 1.0 + theta + rng.normal(0, 0.1, (400, 50)),
    ...          "risky": 1.2 + theta + rng.normal(0, 1.0, (400, 50))}
    >>> curve = acceptability(draws, risk_aversions=[0.0, 4.0])
    >>> bool(curve.loc[0.0, "risky"] > 0.9 and curve.loc[4.0, "safe"] > 0.9)
    True
    >>> curve.attrs["flat"]
    False

    The same noise on both actions: the curve is flat, and says why.

    >>> noise = rng.normal(0, 1.0, (400, 50))
    >>> flat = acceptability({"a": 1.0 + theta + noise, "b": 1.1 - theta + noise},
    ...                      risk_aversions=[0.0, 4.0])
    >>> flat.attrs["flat_cause"]
    'additive common noise'
    >>> print(flat)  # doctest: +ELLIPSIS
    action             a      b
    risk_aversion
    0.0            0.3...  0.6...
    4.0            0.3...  0.6...
    note: flat: the acceptability curve does not change over the relative risk aversions k from 0 to 4. Within each posterior draw ...
    """
    draws = _action_draws(outcome, actions)
    if len(draws) < 2:
        raise DecideValueError(
            f"acceptability needs at least 2 actions to compare; got {len(draws)} ({list(draws)})."
        )
    flat = [k for k, v in draws.items() if v.ndim != 2 or v.shape[1] < 2]
    if flat:
        raise DecideValueError(
            f"acceptability needs several outcome replicates per posterior draw, shape (n_samples, "
            f"n_replicates); the draws of {flat} have none. Without replicates the ranking of the "
            "actions in each posterior draw does not depend on risk aversion. Use an outcome "
            "with replicates (e.g. from_pymc(..., n_replicates=...) or from_draws with a "
            "replicate axis)."
        )
    levels = check_levels(risk_aversions, "risk_aversions")
    scale = pooled_sd(list(draws.values())) if relative else 1.0
    from decide.uncertainty import prob_best

    rows = []
    for k in levels:
        utility = Exponential(k / scale)
        U = pd.DataFrame(
            {lab: certainty_equivalent(y, utility, axis=1) for lab, y in draws.items()}
        )
        rows.append(prob_best(U).to_numpy())
    P = np.array(rows)
    table = NotedFrame(P, index=pd.Index(levels, name="risk_aversion"), columns=list(draws))
    table.columns.name = "action"
    is_flat = len(levels) > 1 and bool(np.allclose(P, P[0], rtol=0.0, atol=1e-12))
    cause = _flat_cause(draws, pooled_sd(list(draws.values()))) if is_flat else None
    table.attrs.update(
        scale=scale, relative=bool(relative), flat=is_flat, flat_cause=cause,
        flat_reason=None if cause is None else _FLAT_REASONS[cause],
        notes=[_flat_note(cause, levels, relative)] if cause is not None else [],
    )
    return table
