"""Expected value of sample information: what a realistic experiment of size ``n`` is worth.

Outcomes are rewards (higher is better); the value is in outcome (or
objective) units. Draw arrays put the sample axis first.
"""

from __future__ import annotations

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import pandas as pd

from decide._posterior import posterior_dataset
from decide._validation import as_rng
from decide.errors import DecideTypeError, DecideValueError
from decide.outcomes import OutcomeModel
from decide.uncertainty._evppi import _design, _evppi_value, _fit_gam, _fit_gbm
from decide.uncertainty._evsi_methods import ESTIMATORS, Setting, informed_rows
from decide.uncertainty._experiment import Experiment, parameter_dict
from decide.uncertainty._utility import utility_matrix

if TYPE_CHECKING:
    from decide.measures import Objective

__all__ = ["EVSI", "evsi"]


@dataclass(frozen=True)
class EVSI:
    """The expected value of sample information at several sample sizes.

    Outcomes are rewards (higher is better); values are in outcome (or
    objective) units and never negative.

    Attributes
    ----------
    table : pandas.DataFrame
        Indexed by ``n``: ``evsi`` (clipped to ``[0, evpi]``), ``standard_error``,
        ``evsi_raw`` and, where they apply, ``n_datasets``, ``n_refits``,
        ``min_ess`` (smallest effective sample size of the importance weights),
        ``seconds``.
    method : str
        ``"regression"``, ``"moment_matching"`` or ``"nested"``.
    evpi : float
        EVPI on the same draws (NaN for a continuous space).
    evppi : float
        EVPPI of the parameters the experiment informs, by regression (the
        limit of EVSI as ``n`` grows; NaN when not computed).
    best_action : str
        The action chosen without the experiment.
    experiment : str
        The experiment's name.
    params : tuple of str
        The parameters the experiment informs.
    n_samples : int
        Posterior draws used.
    notes : tuple of str
        Caveats recorded while computing.
    summary : str
        The summary of the simulated data the regression used (``method="regression"``),
        and whether it is sufficient; empty for the other methods.
    """

    table: pd.DataFrame
    method: str
    evpi: float
    evppi: float
    best_action: str
    experiment: str
    params: tuple[str, ...]
    n_samples: int
    notes: tuple[str, ...] = field(default_factory=tuple)
    summary: str = ""

    @property
    def n(self) -> np.ndarray:
        """The sample sizes, shape ``(n_sizes,)``."""
        return self.table.index.to_numpy()

    @property
    def value(self) -> pd.Series:
        """EVSI per sample size."""
        return self.table["evsi"]

    @property
    def standard_error(self) -> pd.Series:
        """Monte Carlo standard error per sample size."""
        return self.table["standard_error"]

    def __repr__(self) -> str:
        vals = ", ".join(f"{int(k)}: {v:.4g}" for k, v in self.table["evsi"].items())
        return (
            f"EVSI(method={self.method!r}, experiment={self.experiment!r}, evsi={{{vals}}}, "
            f"evppi={self.evppi:.4g}, evpi={self.evpi:.4g})"
        )


def _sizes(n: Any) -> tuple[int, ...]:
    vals = np.atleast_1d(np.asarray(n, dtype=object))
    if not all(
        isinstance(v, int | float | np.integer | np.floating) and not isinstance(v, bool | np.bool_)
        for v in vals.tolist()
    ):
        raise DecideValueError(f"n must be one or more integer sample sizes >= 1; got {n!r}.")
    vals = vals.astype(float)
    bad = [v for v in vals.tolist() if not v.is_integer() or v < 1] if vals.size else ["<empty>"]
    if bad:
        raise DecideValueError(
            f"n must be one or more integer sample sizes >= 1; got {n!r} (invalid: {bad})."
        )
    return tuple(sorted({int(v) for v in vals}))


def _check_int(name: str, val: Any, low: int) -> int:
    if isinstance(val, bool) or not isinstance(val, int | np.integer) or val < low:
        raise DecideValueError(f"{name} must be an integer >= {low}; got {val!r}.")
    return int(val)


def evsi(
    outcome: Any,
    actions: Any = None,
    experiment: Experiment | None = None,
    n: Sequence[int] | int = (10,),
    *,
    method: Literal["regression", "moment_matching", "nested"] = "regression",
    space: Any = None,
    objective: Objective | None = None,
    posterior: Any = None,
    regression: Literal["gam", "gbm"] = "gam",
    n_knots: int = 8,
    n_folds: int = 5,
    n_outer: int = 200,
    n_refits: int = 30,
    n_bootstrap: int = 200,
    n_candidates: int = 40,
    client: Any = None,
    random_seed: int | np.random.Generator | None = None,
) -> EVSI:
    r"""Expected value of sample information of ``experiment`` at the sample sizes ``n``.

    Outcomes are rewards (higher is better); draw arrays put the sample axis first.

    Parameters
    ----------
    outcome : OutcomeModel, pandas.DataFrame, dict or ndarray of shape (n_samples, n_actions)
        As in :func:`evpi`. Refits (``Experiment(refit=...)``, ``from_pymc``)
        need an OutcomeModel with :meth:`~decide.outcomes.OutcomeModel.with_parameters`.
    actions : list, dict, Discrete or None
        The finite action set, as in :func:`evpi`.
    experiment : Experiment
        How the new data arise.
    n : int or sequence of int
        Sample sizes (units of the experiment), each >= 1.
    method : {"regression", "moment_matching", "nested"}, default "regression"
        The estimator (Notes).
    space : Box, Budget, LinearConstraints, optional
        A continuous action space instead of ``actions``: ``"nested"``
        re-optimizes the action for every simulated dataset; ``"regression"``
        and ``"moment_matching"`` estimate on a candidate set of actions
        optimal after ``n_candidates`` datasets (Notes), a lower bound.
    objective : Objective, optional
        Applied to each posterior draw's outcome replicates, as in :func:`evpi`
        (default: risk neutral, the conditional mean).
    posterior : dict, xarray.Dataset, arviz.InferenceData or xarray.DataTree, optional
        Parameter draws aligned with the outcome's samples (default: the outcome's own).
    regression : {"gam", "gbm"}, default "gam"
        The regression of :func:`evppi` used by ``"regression"`` and for the
        EVPPI fitted values ``"moment_matching"`` rescales.
    n_knots, n_folds : int
        As in :func:`evppi`.
    n_outer : int, default 200
        Simulated datasets of the nested estimator (each updates the posterior).
    n_refits : int, default 30
        Simulated datasets (posterior updates) of the moment-matching estimator.
    n_bootstrap : int, default 200
        Bootstrap resamples of the standard error (regression: the draws;
        moment matching: the refits). 0 skips it.
    n_candidates : int, default 40
        With ``space=`` and ``method="regression"``: the simulated datasets
        (preposterior points) at which the action is re-optimized to make the
        candidate set; with ``"moment_matching"`` the points of the
        informed parameters that join its ``n_refits`` updates.
    client : dask.distributed.Client, optional
        Runs the refits (``Experiment(refit=...)``) as tasks on this client.
    random_seed : int or numpy.random.Generator, optional
        Seed of the simulations, the choice of draws and the bootstrap.

    Returns
    -------
    EVSI
        A table indexed by ``n`` with the estimate and its standard error, plus
        EVPI and the EVPPI of the informed parameters.

    Raises
    ------
    DecideValueError
        If ``n`` holds a size below 1, if the experiment's simulated data do
        not depend on the parameters it names (it informs no parameter of the
        decision), if its parameters are not in the posterior, if a refitting
        method gets an experiment without ``refit``/``loglik``, or if
        ``space`` is given with ``actions``.
    DecideTypeError
        If ``experiment`` is not an :class:`Experiment` or ``method`` is unknown.

    Notes
    -----
    With data :math:`X` of size :math:`n` and :math:`U(a,\theta)` the per-draw utility,

    .. math::

        \mathrm{EVSI}(n) = E_X\big[\max_a E[U(a,\theta) \mid X]\big] - \max_a E_\theta[U(a,\theta)],

    so :math:`0 \le \mathrm{EVSI}(n) \le \mathrm{EVPPI}(\phi) \le \mathrm{EVPI}`
    when :math:`X` informs only :math:`\phi`; EVSI grows with :math:`n` to the EVPPI.

    * ``"regression"`` (Strong et al. 2015): simulate one dataset per posterior
      draw, :math:`X_s \sim p(X\mid\theta_s)`, regress the incremental utilities
      on the summaries :math:`T(X_s)` (the :func:`evppi` regression with
      :math:`T(X_s)` for :math:`\phi_s`); the fitted values estimate
      :math:`E[U(a,\theta)\mid T(X)]`. Standard error: bootstrap of the draws
      given the fit. Regression error biases it upwards for small ``n``.
    * ``"moment_matching"`` (Heath et al. 2018): take the EVPPI fitted values
      :math:`\hat g(\phi_s)`, update the posterior on ``n_refits`` datasets
      simulated at quantiles of :math:`\hat g`, estimate the variance of the
      preposterior mean :math:`\Sigma_X = \mathrm{Var}(D) - \bar\Sigma_q` (the mean
      posterior variance after the data) and rescale
      :math:`\tilde g = \bar g + (\hat g - \bar g)\,\Sigma_\phi^{-1/2}\Sigma_X^{1/2}`.
      Standard error: bootstrap over the refits.
    * ``"nested"``: for ``n_outer`` draws, simulate a dataset, update the
      posterior on it (refit, or importance weights :math:`w_s \propto
      p(X\mid\theta_s)`) and take :math:`\max_a E[U\mid X] - E[U(a^*)\mid X]`
      (re-optimizing over ``space`` for a continuous action); the mean is
      EVSI, its standard error the Monte Carlo one. With importance weights
      the smallest effective sample size is reported (``min_ess``): when it
      is small the posterior draws cannot represent the updated posterior.

    Over a continuous ``space``, regression and moment matching run on the
    finite candidate set :math:`C = \{a_0\} \cup \{a^*(X_k)\}_{k\le K}` of the
    prior optimum and the actions optimal after ``K`` simulated datasets: for
    the regression :math:`a^*(X_k) = \arg\max_a \sum_i w_{ki} U_i(a)` with the
    weights of a Nadaraya-Watson kernel smoother on the summaries (a linear
    smoother: weights free of :math:`a`, so one weighted optimisation per
    point); for moment matching the optimum under each posterior update.
    Since :math:`a_0 \in C \subset \mathcal A`, :math:`\mathrm{EVSI}_C \le
    \mathrm{EVSI}` up to the estimator's error; ``candidate_gap`` (the estimate
    minus that on :math:`a_0` and half the candidates) checks that more
    candidates would not raise it (a note when it exceeds two standard errors
    and 1% of the estimate). EVPI and EVPPI are not computed there (NaN).

    References
    ----------
    .. [1] Strong, M., Oakley, J. E., Brennan, A. and Breeze, P. (2015).
       Estimating the expected value of sample information using the
       probabilistic sensitivity analysis sample: a fast nonparametric
       regression-based method. Medical Decision Making, 35(5), 570-583.
    .. [2] Heath, A., Manolopoulou, I. and Baio, G. (2018). Efficient Monte
       Carlo estimation of the expected value of sample information using
       moment matching. Medical Decision Making, 38(2), 163-173.
    .. [3] Ades, A. E., Lu, G. and Claxton, K. (2004). Expected value of sample
       information calculations in medical decision modeling. Medical
       Decision Making, 24(2), 207-227.

    Examples
    --------
    >>> import numpy as np
    >>> import pandas as pd
    >>> from decide.uncertainty import Experiment, evsi
    >>> rng = np.random.default_rng(0)
    >>> effect = rng.normal(0.2, 1.0, 4000)
    >>> draws = pd.DataFrame({"treat": effect, "wait": np.zeros(4000)})
    >>> trial = Experiment(
    ...     lambda p, n, rng: rng.normal(p["effect"][:, None], 2.0, (p["effect"].size, n)),
    ...     params=["effect"],
    ... )
    >>> res = evsi(draws, experiment=trial, n=[4, 40], posterior={"effect": effect}, random_seed=1)
    >>> bool(res.value.iloc[0] < res.value.iloc[1] <= res.evpi)
    True

    A continuous action: with :math:`U(x) = x\,\theta - x^2/2` the best ``x`` after
    the data is :math:`E[\theta\mid X]`, so EVSI is half the variance of the
    preposterior mean, :math:`\tfrac12 \cdot 8/(8 + 4) = 1/3` at ``n = 8``:

    >>> from decide.optimization import Box
    >>> from decide.outcomes import from_function
    >>> quad = from_function(lambda x, p: x * p["effect"] - x**2 / 2, {"effect": effect},
    ...                      action_shape=(), conditional_mean=True)
    >>> cont = evsi(quad, experiment=trial, n=[8], space=Box(-5.0, 5.0), n_candidates=10,
    ...             random_seed=1)
    >>> round(float(cont.value.iloc[0]), 1)
    0.3
    """
    if not isinstance(experiment, Experiment):
        raise DecideTypeError(
            f"experiment must be an Experiment (how the new data arise); got {type(experiment).__name__}."
        )
    if method not in ESTIMATORS:
        raise DecideTypeError(f"method must be one of {sorted(ESTIMATORS)}; got {method!r}.")
    if regression not in ("gam", "gbm"):
        raise DecideTypeError(f"regression must be 'gam' or 'gbm'; got {regression!r}.")
    sizes = _sizes(n)
    n_knots = _check_int("n_knots", n_knots, 2)
    n_folds = _check_int("n_folds", n_folds, 2)
    n_outer = _check_int("n_outer", n_outer, 2)
    n_refits = _check_int("n_refits", n_refits, 2)
    n_bootstrap = _check_int("n_bootstrap", n_bootstrap, 0)
    n_candidates = _check_int("n_candidates", n_candidates, 1)
    if method != "regression" and not experiment.can_update:
        raise DecideValueError(
            f"method={method!r} updates the posterior on each simulated dataset: give the "
            "Experiment a refit= (conjugate update or model refit) or a loglik= (importance "
            "reweighting), or use method='regression'."
        )
    rng = as_rng(random_seed)
    own = outcome.parameters if isinstance(outcome, OutcomeModel) else None
    if posterior is not None:
        ds = posterior_dataset(posterior, name="posterior")
    else:
        if own is None:
            raise DecideValueError(
                f"no parameter draws to simulate the experiment from: {type(outcome).__name__} "
                "does not carry its posterior. Pass posterior= (a dict of arrays, a Dataset or "
                "InferenceData aligned with the outcome's samples)."
            )
        ds = own
    available = sorted(str(v) for v in ds.data_vars)
    names = experiment.params or tuple(available)
    unknown = [p for p in names if p not in ds.data_vars]
    if unknown:
        raise DecideValueError(
            f"the experiment's params {unknown} are not in the posterior; available: {available}."
        )
    params = parameter_dict(ds)
    notes: list[str] = []
    if space is not None:
        if actions is not None:
            raise DecideValueError(
                "give either actions= (a finite set) or space= (a continuous action space), not "
                f"both; got actions={actions!r} and space={space!r}."
            )
        if not isinstance(outcome, OutcomeModel):
            raise DecideTypeError(f"space= needs an OutcomeModel; got {type(outcome).__name__}.")
        U, labels, best, n_samples = None, ["(optimized)"], 0, outcome.n_samples
    else:
        U, labels = utility_matrix(outcome, actions, objective)
        n_samples = U.shape[0]
        best = int(np.argmax(U.mean(axis=0)))
    S = next(iter(params.values())).shape[0]
    if S != n_samples:
        raise DecideValueError(
            f"the parameter draws have {S} samples but the outcome has {n_samples}; pass the "
            "posterior the outcome was built from (same draws, same order)."
        )
    st = Setting(
        outcome=outcome, actions=actions, objective=objective, space=space,
        experiment=experiment, params=params, U=U, best=best, G_phi=None,
        regression=regression, n_knots=n_knots, n_folds=n_folds, n_outer=n_outer,
        n_refits=n_refits, n_bootstrap=n_bootstrap, client=client, rng=rng,
        X_phi=_design(ds, names, n_samples), n_candidates=n_candidates,
    )
    if not informed_rows(st, names, sizes[0]):
        raise DecideValueError(
            f"the experiment informs no parameter of the decision: its simulated data do not "
            f"change when the draws of its params {list(names)} change. Name the parameters "
            "simulate() reads (params=) or fix simulate()."
        )
    evpi_value, evppi_value = math.nan, math.nan
    if U is not None:
        evpi_value = float((U.max(axis=1) - U[:, best]).mean())
        X, D = st.X_phi, st.D
        assert X is not None  # the informed parameters' features exist with a finite U
        st.G_phi = (
            _fit_gam(X, D, n_knots) if regression == "gam" else _fit_gbm(X, D, n_folds, rng)
        )
        evppi_value = min(max(_evppi_value(np.insert(st.G_phi, best, 0.0, axis=1)), 0.0), evpi_value)
    rows = []
    for size in sizes:
        t0 = time.perf_counter()
        raw, se, extra = ESTIMATORS[method](st, size)
        value = max(raw, 0.0) if math.isnan(evpi_value) else min(max(raw, 0.0), evpi_value)
        rows.append({"n": size, "evsi": value, "standard_error": se, "evsi_raw": raw, **extra,
                     "seconds": time.perf_counter() - t0})
        if not math.isnan(evppi_value) and value > evppi_value + 2 * (se if se == se else 0.0):
            notes.append(
                f"at n={size} the estimate {value:.4g} exceeds the EVPPI {evppi_value:.4g} by more "
                "than two standard errors (regression or Monte Carlo error)."
            )
        if extra.get("min_ess", math.inf) < 20:
            notes.append(
                f"at n={size} an importance-weighted update kept an effective sample size of "
                f"{extra['min_ess']:.1f} draws: the posterior draws cannot represent the updated "
                "posterior; refit (Experiment(refit=...)) or use more draws."
            )
        gap = extra.get("candidate_gap", 0.0)
        if gap > max(2 * (se if se == se else 0.0), 0.01 * abs(value)):
            notes.append(
                f"at n={size} doubling the candidate actions raised the estimate by {gap:.4g}, more "
                "than two standard errors: the candidate set may be too small; raise n_candidates "
                "(regression) or n_refits (moment matching)."
            )
    summary = ""
    if method == "regression":
        summary = experiment.summary_description
        if experiment.summary_sufficient is False:
            notes.append(
                f"the summary is not sufficient ({summary}): the regression values the information "
                "in the summary only, a lower bound on EVSI; compare method='nested'."
            )
        kind = getattr(experiment._summary, "kind", None)
        linear = [size for size in sizes if kind is not None and kind(size) == "linear"]
        if linear:
            notes.append(
                f"at n={linear} the design has more than 8 distinct rows: the summary is the "
                "generalised linear model's X't(y)/n, sufficient only when the natural parameter "
                "is linear in the design columns."
            )
    table = pd.DataFrame(rows).set_index("n")
    return EVSI(
        table=table,
        method=method,
        evpi=evpi_value,
        evppi=evppi_value,
        best_action=labels[best],
        experiment=experiment.name,
        params=tuple(names),
        n_samples=n_samples,
        notes=tuple(notes),
        summary=summary,
    )
