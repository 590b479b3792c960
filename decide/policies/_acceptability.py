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
from decide.policies._common import check_levels, pooled_sd

__all__ = ["acceptability"]

_DEFAULT_LEVELS = tuple(np.linspace(0.0, 4.0, 21).tolist())


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
        relative) and ``relative``.

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
    table = pd.DataFrame(
        np.array(rows), index=pd.Index(levels, name="risk_aversion"), columns=list(draws)
    )
    table.columns.name = "action"
    table.attrs.update(scale=scale, relative=bool(relative))
    return table
