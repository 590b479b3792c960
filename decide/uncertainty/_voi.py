"""Expected value of perfect information, expected regret and probability of being best.

Outcomes are rewards (higher is better). ``U[s, a]`` is the utility of action
``a`` under posterior draw ``theta_s``: the conditional mean (risk neutral) or
an objective applied to that draw's outcome replicates. Draw arrays put the
sample axis first.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from decide.uncertainty._utility import utility_matrix

if TYPE_CHECKING:
    from decide.measures import Objective

__all__ = ["ValueOfInformation", "evpi", "expected_regret", "prob_best"]


@dataclass(frozen=True)
class ValueOfInformation:
    r"""The value of (perfect or partial) information about the parameters.

    Outcomes are rewards (higher is better); the value is in outcome (or
    objective) units and is never negative. ``float(result)`` gives ``value``.

    Attributes
    ----------
    value : float
        EVPI or EVPPI.
    standard_error : float
        Monte Carlo standard error of ``value`` (see the function's Notes).
    expected_utility : pandas.Series
        :math:`E_\theta[U(a, \theta)]` per action label (for a continuous space,
        only the action chosen without information).
    best_action : str
        The action chosen without further information.
    kind : {"evpi", "evppi"}
    method : str
        ``"discrete"``, ``"continuous"``, or the EVPPI regression (``"gam"``, ``"gbm"``).
    n_samples : int
        Posterior samples used.
    params : tuple of str
        The parameters learned (EVPPI only).
    value_raw : float
        The estimate before clipping to ``[0, EVPI]`` (EVPPI only; else ``value``).
    evpi : float
        EVPI on the same draws (the upper bound of EVPPI).
    notes : tuple of str
        Caveats recorded while computing.
    """

    value: float
    standard_error: float
    expected_utility: pd.Series
    best_action: str
    kind: str
    method: str
    n_samples: int
    params: tuple[str, ...] = ()
    value_raw: float = math.nan
    evpi: float = math.nan
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __float__(self) -> float:
        return float(self.value)

    def __repr__(self) -> str:
        extra = f", params={list(self.params)}" if self.params else ""
        return (
            f"ValueOfInformation(kind={self.kind!r}, value={self.value:.4g}, "
            f"standard_error={self.standard_error:.2g}, best_action={self.best_action!r}, "
            f"method={self.method!r}, n_samples={self.n_samples}{extra})"
        )


def _evpi_from_matrix(U: np.ndarray, labels: list[str]) -> ValueOfInformation:
    means = U.mean(axis=0)
    best = int(np.argmax(means))
    gain = U.max(axis=1) - U[:, best]
    n = U.shape[0]
    se = float(gain.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    value = float(gain.mean())
    return ValueOfInformation(
        value=value,
        standard_error=se,
        expected_utility=pd.Series(means, index=pd.Index(labels, name="action"), name="expected_utility"),
        best_action=labels[best],
        kind="evpi",
        method="discrete",
        n_samples=n,
        value_raw=value,
        evpi=value,
    )


def evpi(
    outcome: Any,
    actions: Any = None,
    *,
    objective: Objective | None = None,
    space: Any = None,
    max_draws: int | None = None,
    random_seed: int | np.random.Generator | None = None,
) -> ValueOfInformation:
    r"""Expected value of perfect information about the model parameters.

    Outcomes are rewards (higher is better); draw arrays put the sample axis first.

    Parameters
    ----------
    outcome : OutcomeModel, pandas.DataFrame, dict or ndarray of shape (n_samples, n_actions)
        An outcome model, or precomputed outcome draws per action (columns or
        keys are the action labels; values of shape ``(n_samples,)`` or
        ``(n_samples, n_replicates)``) with ``actions=None``.
    actions : list, dict, Discrete or None
        The finite action set: a list of actions, a dict label -> action, a
        ``decide.optimization.Discrete`` space, or ``None`` for every option of a
        ``from_draws`` outcome. At least two actions.
    objective : Objective, optional
        Applied per posterior draw to that draw's outcome replicates, giving
        :math:`U(a,\theta_s)`. Default: risk neutral, :math:`U` is the
        conditional mean (or the mean of the replicates, or the draw itself
        when the model has neither).
    space : Box, Budget, LinearConstraints, optional
        A continuous action space instead of ``actions``: the action is
        optimized for every posterior draw (see Notes for the cost).
    max_draws : int, optional
        Continuous case only: use at most this many posterior draws (chosen with
        ``random_seed``) for the per-draw optimizations.
    random_seed : int or numpy.random.Generator, optional
        Seed for the choice of draws and the optimizer.

    Returns
    -------
    ValueOfInformation
        ``value`` (the EVPI, ``float(result)``), its standard error, the expected
        utility per action and the action chosen without information.

    Raises
    ------
    DecideValueError
        If fewer than two actions are given, or both or neither of ``actions``
        and ``space`` are usable.
    DecideTypeError
        If ``actions`` is a continuous space (pass it as ``space=``).

    Notes
    -----
    .. math::

        \mathrm{EVPI} = E_\theta\big[\max_a U(a,\theta)\big] - \max_a E_\theta\big[U(a,\theta)\big]
        = E_\theta\big[\max_a U(a,\theta) - U(a^*,\theta)\big] \ge 0,

    with :math:`a^*` the action that is best in expectation, estimated by the
    average over posterior draws. The standard error is that of the mean of
    :math:`\max_a U(a,\theta_s) - U(a^*,\theta_s)` over the draws, treating
    them as independent (MCMC draws are autocorrelated, so it is optimistic
    by the square root of the draws' inefficiency) and :math:`a^*` as fixed.
    It is also the smallest expected regret (:func:`expected_regret`).

    With an ``objective``, :math:`U(a,\theta)` is the objective of the outcome
    distribution given :math:`\theta` (its replicates): for an expected utility
    this is the classical EVPI in utility units; for a risk measure it values
    learning :math:`\theta` for a decision maker who scores each parameter
    scenario by that measure. Without replicates the objective sees one value
    per draw.

    Continuous case (``space=``): :math:`\max_a U(a,\theta_s)` is solved for
    each of the (at most ``max_draws``) draws, plus one optimization of the
    expected utility: cost :math:`S + 1` optimizations. For a ``linear``
    outcome without an objective each per-draw problem is a linear program
    (closed form for a ``Box``, vectorized over draws; HiGHS otherwise).

    References
    ----------
    .. [1] Raiffa, H. and Schlaifer, R. (1961). Applied Statistical Decision
       Theory. Harvard University Press.
    .. [2] Wilson, E. C. F. (2015). A practical guide to value of information
       analysis. PharmacoEconomics, 33(2), 105-121.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from decide.uncertainty import evpi
    >>> rng = np.random.default_rng(1)
    >>> draws = pd.DataFrame({"A": rng.normal(1.0, 1.0, 4000), "B": np.zeros(4000)})
    >>> result = evpi(draws)
    >>> result.best_action
    'A'
    >>> round(float(result), 2)   # closed form 0.083
    0.08
    """
    if space is not None:
        from decide.uncertainty._continuous import evpi_continuous

        return evpi_continuous(
            outcome, actions, space, objective=objective, max_draws=max_draws,
            random_seed=random_seed,
        )
    U, labels = utility_matrix(outcome, actions, objective)
    return _evpi_from_matrix(U, labels)


def expected_regret(
    outcome: Any, actions: Any = None, *, objective: Objective | None = None
) -> pd.Series:
    r"""Expected opportunity loss of each action against perfect information.

    Outcomes are rewards (higher is better); draw arrays put the sample axis first.

    Parameters
    ----------
    outcome : OutcomeModel, pandas.DataFrame, dict or ndarray of shape (n_samples, n_actions)
        As in :func:`evpi`.
    actions : list, dict, Discrete or None
        As in :func:`evpi`.
    objective : Objective, optional
        As in :func:`evpi` (default: risk neutral).

    Returns
    -------
    pandas.Series
        Indexed by action label (index name ``"action"``), non-negative; the
        smallest value is the EVPI.

    Raises
    ------
    DecideValueError
        If fewer than two actions are given.

    Notes
    -----
    .. math:: R(a) = E_\theta\big[\max_b U(b,\theta) - U(a,\theta)\big]

    References
    ----------
    .. [1] Raiffa, H. and Schlaifer, R. (1961). Applied Statistical Decision
       Theory. Harvard University Press.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.uncertainty import expected_regret
    >>> draws = {"A": np.array([1.0, 3.0]), "B": np.array([2.0, 2.0])}
    >>> expected_regret(draws)
    action
    A    0.5
    B    0.5
    Name: expected_regret, dtype: float64
    """
    U, labels = utility_matrix(outcome, actions, objective)
    regret = (U.max(axis=1, keepdims=True) - U).mean(axis=0)
    return pd.Series(regret, index=pd.Index(labels, name="action"), name="expected_regret")


def prob_best(
    outcome: Any, actions: Any = None, *, objective: Objective | None = None
) -> pd.Series:
    r"""Posterior probability that each action is the best one.

    Outcomes are rewards (higher is better); draw arrays put the sample axis first.

    Parameters
    ----------
    outcome : OutcomeModel, pandas.DataFrame, dict or ndarray of shape (n_samples, n_actions)
        As in :func:`evpi`.
    actions : list, dict, Discrete or None
        As in :func:`evpi`.
    objective : Objective, optional
        As in :func:`evpi` (default: risk neutral).

    Returns
    -------
    pandas.Series
        Indexed by action label (index name ``"action"``); sums to one.

    Raises
    ------
    DecideValueError
        If fewer than two actions are given.

    Notes
    -----
    .. math:: P(a) = \frac1S \sum_s \frac{1[U(a,\theta_s) = \max_b U(b,\theta_s)]}
              {\#\{b : U(b,\theta_s) = \max_c U(c,\theta_s)\}}

    Exact ties (equal floating-point values) split the draw's probability evenly.

    References
    ----------
    .. [1] Scott, S. L. (2010). A modern Bayesian look at the multi-armed bandit.
       Applied Stochastic Models in Business and Industry, 26(6), 639-658.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.uncertainty import prob_best
    >>> draws = {"A": np.array([1.0, 3.0, 2.0]), "B": np.array([2.0, 2.0, 2.0])}
    >>> prob_best(draws)
    action
    A    0.5
    B    0.5
    Name: prob_best, dtype: float64
    """
    U, labels = utility_matrix(outcome, actions, objective)
    winners = U == U.max(axis=1, keepdims=True)
    share = winners / winners.sum(axis=1, keepdims=True)
    return pd.Series(share.mean(axis=0), index=pd.Index(labels, name="action"), name="prob_best")
