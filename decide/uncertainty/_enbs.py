"""Expected net benefit of sampling: EVSI scaled to the decisions it informs, minus the cost.

Outcomes are rewards (higher is better); values are in outcome units.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from decide._validation import as_rng
from decide.errors import DecideTypeError, DecideValueError
from decide.uncertainty._evsi import EVSI

__all__ = ["ENBS", "enbs"]


@dataclass(frozen=True)
class ENBS:
    """Expected net benefit of sampling at each sample size, and the best size.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by ``n``: ``evsi``, ``population_evsi`` (EVSI times the
        discounted number of decisions), ``cost``, ``enbs``, ``standard_error``
        (of ``enbs``), ``prob_optimal`` (probability that this ``n`` is the best
        choice, including not testing, under the EVSI's sampling error).
    optimal_n : int or None
        The sample size with the largest ENBS, or ``None`` when no ``n``
        beats not testing (every ENBS <= 0).
    optimal_enbs : float
        Its ENBS (0.0 when not testing is best).
    prob_no_test : float
        Probability that not testing is best (under the EVSI's sampling error).
    n_interval : tuple of float
        The 5% and 95% quantiles of the optimal ``n`` over the resampled
        EVSI curves (``0`` stands for not testing).
    multiplier : float
        The discounted number of decisions the experiment informs.
    message : str
        A one-line conclusion (e.g. "no sample size beats not testing").
    notes : tuple of str
    """

    table: pd.DataFrame
    optimal_n: int | None
    optimal_enbs: float
    prob_no_test: float
    n_interval: tuple[float, float]
    multiplier: float
    message: str
    notes: tuple[str, ...] = field(default_factory=tuple)

    def __repr__(self) -> str:
        return f"ENBS(optimal_n={self.optimal_n}, optimal_enbs={self.optimal_enbs:.4g}, {self.message!r})"


def _nonneg(name: str, val: Any) -> float:
    try:
        v = float(val)
    except (TypeError, ValueError):
        raise DecideTypeError(f"{name} must be a number; got {type(val).__name__}.") from None
    if not math.isfinite(v) or v < 0:
        raise DecideValueError(f"{name} must be a finite number >= 0; got {val!r}.")
    return v


def enbs(
    evsi: EVSI,
    *,
    fixed_cost: float = 0.0,
    cost_per_unit: float = 0.0,
    decisions_per_period: float = 1.0,
    horizon: int = 1,
    discount_rate: float = 0.0,
    n_resamples: int = 2000,
    random_seed: int | np.random.Generator | None = None,
) -> ENBS:
    r"""Expected net benefit of sampling and the optimal sample size.

    Outcomes are rewards (higher is better); EVSI and the costs are in the same units.

    Parameters
    ----------
    evsi : EVSI
        The result of :func:`evsi` at the candidate sample sizes.
    fixed_cost : float, default 0
        Cost of running the experiment at all (any ``n`` >= 1).
    cost_per_unit : float, default 0
        Cost of each unit (week, patient, ...) of the experiment.
    decisions_per_period : float, default 1
        Decisions per period that the information improves (the population).
    horizon : int, default 1
        Periods over which the information is used.
    discount_rate : float, default 0
        Discount rate per period, ``r`` >= 0.
    n_resamples : int, default 2000
        Resampled EVSI curves (normal, with the estimator's standard errors) for
        the uncertainty of the optimal ``n``.
    random_seed : int or numpy.random.Generator, optional

    Returns
    -------
    ENBS
        The table per ``n``, the optimal ``n`` (or ``None`` with a message when
        no ``n`` beats not testing: not an error), its ENBS and its uncertainty.

    Raises
    ------
    DecideTypeError
        If ``evsi`` is not an :class:`EVSI` result.
    DecideValueError
        If a cost, the rate or the number of decisions is negative or not
        finite, or ``horizon`` is not an integer >= 1.

    Notes
    -----
    .. math::

        \mathrm{ENBS}(n) = \mathrm{EVSI}(n)\, P\sum_{t=0}^{H-1} (1+r)^{-t}
        - (c_{\mathrm{fixed}} + c_{\mathrm{unit}}\, n),

    with :math:`P` decisions per period over a horizon of :math:`H` periods.
    Not testing has :math:`\mathrm{ENBS} = 0`. The probability that each ``n``
    is optimal resamples every EVSI independently from
    :math:`N(\widehat{\mathrm{EVSI}}(n), \mathrm{se}(n)^2)`, an approximation (the
    estimates at different ``n`` share draws and are positively correlated).

    References
    ----------
    .. [1] Ades, A. E., Lu, G. and Claxton, K. (2004). Expected value of sample
       information calculations in medical decision modeling. Medical
       Decision Making, 24(2), 207-227.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from decide.uncertainty import Experiment, enbs, evsi
    >>> rng = np.random.default_rng(0)
    >>> effect = rng.normal(0.2, 1.0, 4000)
    >>> draws = pd.DataFrame({"treat": effect, "wait": np.zeros(4000)})
    >>> trial = Experiment(lambda p, n, rng: rng.normal(p["effect"][:, None], 2.0, (len(p["effect"]), n)))
    >>> res = evsi(draws, experiment=trial, n=[5, 20, 80], posterior={"effect": effect}, random_seed=1)
    >>> enbs(res, fixed_cost=5.0, cost_per_unit=0.1, decisions_per_period=100).optimal_n
    20
    >>> enbs(res, fixed_cost=1000.0).message
    'no sample size beats not testing: every ENBS is below 0 (the best, at n=80, is -999.7).'
    """
    if not isinstance(evsi, EVSI):
        raise DecideTypeError(f"evsi must be the EVSI result of decide.uncertainty.evsi; got {type(evsi).__name__}.")
    fixed = _nonneg("fixed_cost", fixed_cost)
    unit = _nonneg("cost_per_unit", cost_per_unit)
    per = _nonneg("decisions_per_period", decisions_per_period)
    rate = _nonneg("discount_rate", discount_rate)
    if isinstance(horizon, bool) or not isinstance(horizon, int | np.integer) or horizon < 1:
        raise DecideValueError(f"horizon must be an integer >= 1 (periods); got {horizon!r}.")
    if isinstance(n_resamples, bool) or not isinstance(n_resamples, int | np.integer) or n_resamples < 0:
        raise DecideValueError(f"n_resamples must be an integer >= 0; got {n_resamples!r}.")
    multiplier = per * float(np.sum((1.0 + rate) ** -np.arange(int(horizon))))
    n = evsi.n.astype(float)
    value = evsi.value.to_numpy(dtype=float)
    se = np.nan_to_num(evsi.standard_error.to_numpy(dtype=float), nan=0.0)
    cost = fixed + unit * n
    net = value * multiplier - cost
    rng = as_rng(random_seed)
    choices = np.concatenate([[0.0], n])
    if n_resamples > 0:
        sim = rng.normal(value, se, size=(int(n_resamples), n.size)).clip(0.0) * multiplier - cost
        sim = np.concatenate([np.zeros((int(n_resamples), 1)), sim], axis=1)
        pick = sim.argmax(axis=1)
        prob = np.bincount(pick, minlength=choices.size) / n_resamples
        interval = (float(np.quantile(choices[pick], 0.05)), float(np.quantile(choices[pick], 0.95)))
    else:
        prob = np.full(choices.size, math.nan)
        interval = (math.nan, math.nan)
    table = pd.DataFrame(
        {
            "evsi": value,
            "population_evsi": value * multiplier,
            "cost": cost,
            "enbs": net,
            "standard_error": se * multiplier,
            "prob_optimal": prob[1:],
        },
        index=pd.Index(evsi.n, name="n"),
    )
    k = int(np.argmax(net))
    if net[k] <= 0:
        message = (
            f"no sample size beats not testing: every ENBS is below 0 (the best, at "
            f"n={int(n[k])}, is {net[k]:.4g})."
        )
        best_n, best = None, 0.0
    else:
        best_n, best = int(n[k]), float(net[k])
        message = f"the best sample size is n={best_n} with ENBS {best:.4g}."
    notes = []
    if best_n is not None and k == n.size - 1:
        notes.append("the best n is the largest one evaluated; evaluate larger sizes.")
    return ENBS(
        table=table,
        optimal_n=best_n,
        optimal_enbs=best,
        prob_no_test=float(prob[0]),
        n_interval=interval,
        multiplier=multiplier,
        message=message,
        notes=tuple(notes),
    )
