"""Expected value of perfect information, expected regret and probability of being best.

Outcomes are rewards (higher is better). ``U[s, a]`` is the utility of action
``a`` under posterior draw ``theta_s``: the conditional mean (risk neutral) or
an objective applied to that draw's outcome replicates. Draw arrays put the
sample axis first.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from decide.errors import DecideTypeError, ReplicateNoiseWarning
from decide.uncertainty._debias import debiased_per_draw, debiased_utility, debiased_with_rate_se
from decide.uncertainty._utility import UtilityLevels, utility_levels

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
        Caveats recorded while computing (shown in the repr).
    plug_in : float
        With utilities estimated from outcome replicates: the plug-in estimate
        (the maximum over actions of the noisy per-draw estimates), biased
        upward; ``value`` removes that bias (see :func:`evpi`). Else ``value``.
    n_replicates : int
        Replicates per draw the utilities were estimated from (0: exact).
    regression : RegressionCheck or None
        EVPPI only: the fit of the regression the value rests on (in-sample and
        cross-validated :math:`R^2`, the residual check; shown in the repr).
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
    plug_in: float = math.nan
    n_replicates: int = 0
    regression: Any = None

    def __float__(self) -> float:
        return float(self.value)

    def __repr__(self) -> str:
        extra = f", params={list(self.params)}" if self.params else ""
        if self.regression is not None:
            extra += f", regression={self.regression!r}"
        return (
            f"ValueOfInformation(kind={self.kind!r}, value={self.value:.4g}, "
            f"standard_error={self.standard_error:.2g}, best_action={self.best_action!r}, "
            f"method={self.method!r}, n_samples={self.n_samples}{extra}{_notes_repr(self.notes)})"
        )


def _notes_repr(notes: tuple[str, ...]) -> str:
    return f", notes={list(notes)}" if notes else ""


def _evpi_gain(best: int) -> Any:
    def stat(U: np.ndarray) -> np.ndarray:
        return U.max(axis=1) - U[:, best]

    return stat


def _regret(U: np.ndarray) -> np.ndarray:
    return U.max(axis=1, keepdims=True) - U


def _share_best(U: np.ndarray) -> np.ndarray:
    winners = U == U.max(axis=1, keepdims=True)
    return winners / winners.sum(axis=1, keepdims=True)


def _levels(outcome: Any, actions: Any, objective: Any, debias: bool) -> UtilityLevels:
    _check_args(objective, debias)
    return utility_levels(outcome, actions, objective, subsets=bool(debias))


def _check_args(objective: Any, debias: Any) -> None:
    from decide.measures import Objective

    if objective is not None and not isinstance(objective, Objective):
        raise DecideTypeError(
            "objective must be a decide Objective (Mean(), CVaR(0.1), ...) or None for the "
            f"mean; got {type(objective).__name__} {objective!r}."
        )
    if not isinstance(debias, bool | np.bool_):
        raise DecideTypeError(f"debias must be True or False; got {type(debias).__name__} {debias!r}.")


def _noise_note(value: float, plug_in: float, levels: UtilityLevels) -> list[str]:
    if not levels.noisy:
        return []
    n_rep = levels.n_replicates
    note = (
        f"utilities estimated from {n_rep} replicates per draw: the plug-in estimate "
        f"{plug_in:.4g} was corrected for replicate noise to {value:.4g}"
    )
    if plug_in - value > max(abs(value), 0.0) and plug_in > 0:
        note += (
            "; the correction exceeds the value itself, so replicate noise dominates and the "
            "estimate is rough: use more replicates per draw"
        )
        warnings.warn(note + ".", ReplicateNoiseWarning, stacklevel=4)
    return [note + "."]


def evpi_from_levels(levels: UtilityLevels) -> ValueOfInformation:
    """EVPI of a finite action set from its (possibly noisy) utility levels."""
    U, labels = levels.full, levels.labels
    means = debiased_utility(levels).mean(axis=0)
    best = int(np.argmax(means))
    gain, plug, _, rate_se = debiased_with_rate_se(levels, _evpi_gain(best))
    n = U.shape[0]
    se = float(gain.std(ddof=1) / math.sqrt(n)) if n > 1 else math.nan
    if rate_se is not None:  # the estimated rate's own error, when it is larger
        se = max(se, float(rate_se))
    raw = float(gain.mean())
    value = max(raw, 0.0)
    plug_in = float(plug.mean())
    return ValueOfInformation(
        value=value,
        standard_error=se,
        expected_utility=pd.Series(means, index=pd.Index(labels, name="action"), name="expected_utility"),
        best_action=labels[best],
        kind="evpi",
        method="discrete",
        n_samples=n,
        value_raw=raw,
        evpi=value,
        notes=tuple(_noise_note(value, plug_in, levels)),
        plug_in=plug_in,
        n_replicates=levels.n_replicates,
    )


def evpi(
    outcome: Any,
    actions: Any = None,
    *,
    objective: Objective | None = None,
    space: Any = None,
    max_draws: int | None = None,
    random_seed: int | np.random.Generator | None = None,
    debias: bool = True,
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
    debias : bool, default True
        When the utilities are estimated from outcome replicates, remove the
        upward bias the replicate noise gives a maximum over actions (see
        Notes). ``False`` gives the plug-in estimate (biased upward).

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

    Warns
    -----
    ReplicateNoiseWarning
        When the utilities come from replicates and the noise correction is
        larger than the value itself (see Notes).

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

    Replicate noise. When :math:`U(a,\theta_s)` is estimated from the ``R``
    replicates of draw ``s`` (an objective, or a model without a conditional
    mean), the plug-in :math:`\max_a \hat U(a,\theta_s)` is biased upward
    (and a risk measure's plug-in estimate has its own :math:`O(1/R)` bias).
    The per-draw gain is then also computed on two halves and, for
    ``R >= 8``, four quarters of the replicates (the same replicate indices
    for every action: common random numbers), the rate at which the bias
    shrinks is estimated from the three levels (between :math:`1/R` and
    :math:`1/\sqrt R`) and the gain is extrapolated to :math:`R=\infty`
    (Richardson / Aitken; Giles and Goda, 2019, couple half samples the same
    way). The standard error is that of the extrapolated per-draw gains, so it
    includes the replicate noise, or, when the rate is estimated (``R >= 8``)
    and it is larger, that of a bootstrap over the draws with the rate
    re-estimated on each resample. ``plug_in`` keeps the uncorrected value and
    a note in ``notes`` compares the two; when the correction is larger than
    the value, replicate noise dominates, a
    :class:`~decide.errors.ReplicateNoiseWarning` says so, and more replicates
    are needed. The
    value is the EVPI for the measure of the conditional outcome
    distribution given :math:`\theta` (what infinitely many replicates would
    give), not for the measure of ``R`` replicates.

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
    .. [3] Giles, M. B. and Goda, T. (2019). Decision-making under uncertainty:
       using MLMC for efficient estimation of EVPPI. Statistics and Computing,
       29(4), 739-751.

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

        _check_args(objective, debias)
        return evpi_continuous(
            outcome, actions, space, objective=objective, max_draws=max_draws,
            random_seed=random_seed,
        )
    return evpi_from_levels(_levels(outcome, actions, objective, debias))


def expected_regret(
    outcome: Any, actions: Any = None, *, objective: Objective | None = None, debias: bool = True
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
    debias : bool, default True
        As in :func:`evpi`: with utilities estimated from replicates, the
        regrets are extrapolated to infinitely many replicates (and clipped at 0).

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

    With utilities estimated from replicates the regrets are extrapolated to
    infinitely many replicates (see :func:`evpi`, Notes).

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
    levels = _levels(outcome, actions, objective, debias)
    labels = levels.labels
    per_draw, _, _ = debiased_per_draw(levels, _regret)
    regret = np.maximum(per_draw.mean(axis=0), 0.0)
    return pd.Series(regret, index=pd.Index(labels, name="action"), name="expected_regret")


def prob_best(
    outcome: Any, actions: Any = None, *, objective: Objective | None = None, debias: bool = True
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
    debias : bool, default True
        As in :func:`evpi`: with utilities estimated from replicates, noise
        blurs which action is best in a draw (pulling the probabilities toward
        ``1 / n_actions``); the shares are extrapolated to infinitely many
        replicates, clipped to ``[0, 1]`` and renormalized.

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
    With utilities estimated from replicates the shares are extrapolated to
    infinitely many replicates (see :func:`evpi`, Notes).

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
    levels = _levels(outcome, actions, objective, debias)
    labels = levels.labels
    per_draw, _, _ = debiased_per_draw(levels, _share_best)
    share = np.clip(per_draw.mean(axis=0), 0.0, 1.0)
    share = share / share.sum() if share.sum() > 0 else np.full(share.size, 1.0 / share.size)
    return pd.Series(share, index=pd.Index(labels, name="action"), name="prob_best")
