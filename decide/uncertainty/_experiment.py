"""How new data would arise: the experiment whose sample information :func:`evsi` values.

An :class:`Experiment` simulates a dataset of ``n`` new units for each posterior
draw, summarises it, and (for the refitting estimators) updates the posterior
on it: by a user's refit function (a conjugate update, a PyMC refit) or by
importance reweighting the posterior draws with the likelihood of the data.
Draw arrays put the sample axis first.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import numpy as np
import xarray as xr

from decide._config import SAMPLE_DIM
from decide._posterior import posterior_dataset
from decide.errors import DecideTypeError, DecideValueError

__all__ = ["Experiment", "default_summary"]

Data = np.ndarray | dict[str, np.ndarray]


def default_summary(data: Data) -> np.ndarray:
    """Per-variable means over the new units: shape ``(m, k)``.

    Parameters
    ----------
    data : ndarray of shape (m, n, ...) or (m,), or dict of such arrays
        ``m`` simulated datasets of ``n`` units each (axis 1 is the unit axis).

    Returns
    -------
    ndarray of shape (m, k)
        The mean over the units of every element (for a normal likelihood with
        a known design, the sufficient statistic of the location).
    """
    parts = data.values() if isinstance(data, Mapping) else [data]
    cols = []
    for arr in parts:
        a = np.asarray(arr, dtype=np.float64)
        if a.ndim == 1:
            cols.append(a[:, None])
        else:
            cols.append(a.mean(axis=1).reshape(a.shape[0], -1))
    return np.concatenate(cols, axis=1)


def _row(data: Data, j: int) -> Data:
    if isinstance(data, Mapping):
        return {k: np.asarray(v)[j] for k, v in data.items()}
    return np.asarray(data)[j]


def _rows(data: Data, idx: np.ndarray) -> Data:
    if isinstance(data, Mapping):
        return {k: np.asarray(v)[idx] for k, v in data.items()}
    return np.asarray(data)[idx]


def _n_rows(data: Data) -> int:
    if isinstance(data, Mapping):
        sizes = {np.asarray(v).shape[0] for v in data.values()}
        return sizes.pop() if len(sizes) == 1 else -1
    return int(np.asarray(data).shape[0]) if np.ndim(data) else -1


class Experiment:
    r"""How ``n`` new units of data would arise, for every posterior draw.

    Parameters
    ----------
    simulate : callable ``simulate(params, n, rng) -> data``
        Vectorized over draws: ``params`` maps each parameter name to an array of
        shape ``(m, *param_shape)`` (``m`` posterior draws), ``n`` is the sample
        size and ``rng`` a ``numpy.random.Generator``. Returns ``m`` datasets: an
        array of shape ``(m, n, ...)`` (or a dict of such arrays), row ``j``
        simulated from draw ``j``.
    summary : callable ``summary(data) -> ndarray of shape (m, k)``, optional
        The statistics the regression estimator regresses on (:func:`evsi`
        with ``method="regression"``). Default :func:`default_summary`: the
        mean over the units of each variable, sufficient for a Poisson,
        Bernoulli/Binomial or known-scale Normal likelihood but not in general
        (a Normal with unknown scale also needs the mean of squares).
        :meth:`from_pymc` defaults to the likelihood's sufficient statistics.
    loglik : callable ``loglik(params, data) -> ndarray of shape (S,)``, optional
        Log-likelihood of ONE dataset (row ``j`` of ``simulate``'s output) under
        each of the ``S`` posterior draws in ``params``. Lets the refitting
        estimators reweight the posterior draws instead of refitting
        (importance sampling, exact as ``S`` grows while the data are not too
        informative: the effective sample size is reported).
    refit : callable ``refit(data, n, rng) -> posterior``, optional
        The posterior given the original data plus ONE simulated dataset, as a
        dict of arrays (sample axis first), a Dataset or InferenceData: a
        conjugate update or a refit of the model. Takes precedence over
        ``loglik``. The outcome must support
        :meth:`decide.outcomes.OutcomeModel.with_parameters`.
    params : sequence of str, optional
        The parameters the experiment informs (the data depend on them). Used
        for the EVPPI bound and to check that the experiment informs the decision.
        Default: every parameter passed to ``simulate``.
    name : str, optional
        A label for tables and plots.

    Attributes
    ----------
    summary_description : str
        What the summary computes and whether it is sufficient (reported as
        ``EVSI.summary``).
    summary_sufficient : bool or None
        Whether the summary is known sufficient for the likelihood (``True``),
        known not to be (``False``), or unknown (``None``: a user summary, or
        :func:`default_summary` of a simulator).

    Notes
    -----
    The preposterior analysis draws :math:`\theta_s` from the posterior,
    :math:`X_s \sim p(X \mid \theta_s, n)` and values what the decision maker
    would do after seeing :math:`X_s` (see :func:`evsi`).

    Examples
    --------
    >>> import numpy as np
    >>> from decide.uncertainty import Experiment
    >>> exp = Experiment(lambda p, n, rng: rng.normal(p["effect"][:, None], 2.0, (len(p["effect"]), n)))
    >>> data = exp.simulate({"effect": np.zeros(3)}, 5, np.random.default_rng(0))
    >>> data.shape, exp.summarize(data).shape
    ((3, 5), (3, 1))
    """

    def __init__(
        self,
        simulate: Callable[[dict[str, np.ndarray], int, np.random.Generator], Data],
        *,
        summary: Callable[[Data], np.ndarray] | None = None,
        loglik: Callable[[dict[str, np.ndarray], Data], np.ndarray] | None = None,
        refit: Callable[[Data, int, np.random.Generator], Any] | None = None,
        params: Sequence[str] | str | None = None,
        name: str = "experiment",
    ) -> None:
        for arg, fn in (("simulate", simulate), ("summary", summary), ("loglik", loglik), ("refit", refit)):
            if fn is not None and not callable(fn):
                raise DecideTypeError(f"{arg} must be callable; got {type(fn).__name__}.")
        if not callable(simulate):
            raise DecideTypeError("simulate must be callable simulate(params, n, rng) -> data.")
        self._simulate = simulate
        self._summary = summary or default_summary
        # a one-line statement of the summary (reported on EVSI.summary)
        self.summary_description = (
            "per-variable means over the units (default_summary)" if summary is None
            else str(getattr(summary, "describe", lambda: "user summary")())
        )
        # whether the summary is known sufficient (True), known not (False) or unknown (None)
        self.summary_sufficient: bool | None = getattr(summary, "sufficient", None)
        self.loglik = loglik
        self.refit = refit
        self.params = (
            None if params is None else ((params,) if isinstance(params, str) else tuple(map(str, params)))
        )
        self.name = str(name)

    @property
    def can_update(self) -> bool:
        """Whether the posterior can be updated on a dataset (``refit`` or ``loglik`` given)."""
        return self.refit is not None or self.loglik is not None

    def simulate(self, params: dict[str, np.ndarray], n: int, rng: np.random.Generator) -> Data:
        """``m`` datasets of ``n`` units, one per row of the parameter draws ``params``."""
        m = next(iter(params.values())).shape[0]
        data = self._simulate(params, int(n), rng)
        if _n_rows(data) != m:
            raise DecideValueError(
                f"simulate must return one dataset per draw (leading axis of length {m}); got "
                f"{_shape_of(data)}."
            )
        return data

    def summarize(self, data: Data) -> np.ndarray:
        """The statistics of each dataset: shape ``(m, k)``, finite."""
        T = np.asarray(self._summary(data), dtype=np.float64)
        if T.ndim == 1:
            T = T[:, None]
        if T.ndim != 2 or T.shape[0] != _n_rows(data):
            raise DecideValueError(
                f"summary must return an array of shape (m, k) with m={_n_rows(data)} datasets; "
                f"got shape {T.shape}."
            )
        if not np.all(np.isfinite(T)):
            raise DecideValueError("summary returned NaN or inf for some simulated dataset.")
        return T

    def updated(
        self, data_j: Data, n: int, params: dict[str, np.ndarray], rng: np.random.Generator
    ) -> tuple[xr.Dataset | None, np.ndarray | None]:
        """The posterior given one dataset: ``(refitted draws, None)`` or ``(None, weights)``."""
        if self.refit is not None:
            return posterior_dataset(self.refit(data_j, int(n), rng), name="refit(...)"), None
        if self.loglik is None:
            raise DecideValueError(
                "this estimator updates the posterior on each simulated dataset: give the "
                "Experiment a refit= (conjugate update or model refit) or a loglik= "
                "(importance reweighting), or use method='regression'."
            )
        ll = np.asarray(self.loglik(params, data_j), dtype=np.float64).reshape(-1)
        S = next(iter(params.values())).shape[0]
        if ll.shape != (S,) or np.isnan(ll).any():
            raise DecideValueError(
                f"loglik must return {S} log-likelihoods (one per posterior draw), not NaN; got "
                f"shape {ll.shape}."
            )
        w = np.exp(ll - ll.max())
        return None, w / w.sum()

    def __repr__(self) -> str:
        how = "refit" if self.refit is not None else ("loglik" if self.loglik is not None else "none")
        return f"Experiment(name={self.name!r}, params={self.params}, update={how!r})"

    # -- PyMC -------------------------------------------------------------
    @classmethod
    def from_pymc(
        cls,
        build: Callable[[dict[str, np.ndarray]], Any],
        data: Mapping[str, Any],
        design: Mapping[str, Any] | Callable[[int], Mapping[str, Any]],
        observed: str,
        *,
        draws: int = 500,
        tune: int = 500,
        chains: int = 2,
        update: str = "refit",
        summary: Callable[[Data], np.ndarray] | None = None,
        params: Sequence[str] | str | None = None,
        name: str = "experiment",
    ) -> Experiment:
        r"""An experiment on a PyMC model: new units simulated from the model's own likelihood.

        Parameters
        ----------
        build : callable ``build(data) -> pymc.Model``
            Builds the model from a dict of data arrays (unit axis first), e.g.
            ``{"spend": (T, 2) array, "sales": (T,) array}``; the observed
            variable is named ``observed`` and takes ``data[observed]``.
        data : dict of str to array_like
            The data the posterior was fitted to (the refits append the new units to it).
        design : dict of str to array_like, or callable ``design(n) -> dict``
            The inputs of the new units under ``do(design)``: one unit's values
            (repeated ``n`` times) or a function giving the ``n`` rows.
        observed : str
            The observed variable (and its key in ``data``).
        draws, tune, chains : int
            ``pymc.sample`` settings of each refit.
        update : {"refit", "importance"}, default "refit"
            How the refitting estimators update the posterior on a simulated
            dataset: ``"refit"`` runs ``pymc.sample`` on the augmented data;
            ``"importance"`` reweights the posterior draws by the likelihood of
            the new units, the model's own ``logp`` compiled once per ``n`` and
            vectorized over the draws (no sampling; check ``min_ess``).
        summary : callable, optional
            As in :class:`Experiment`. Default: the sufficient statistics of
            the observed variable's likelihood, found from its distribution in
            the model (Notes).
        params, name
            As in :class:`Experiment`.

        Returns
        -------
        Experiment
            ``simulate`` runs ``pymc.sample_posterior_predictive`` of
            ``build(design(n))`` at the posterior draws; ``refit`` runs
            ``pymc.sample`` on ``build(data + new units)``.
            ``summary_description`` and ``summary_sufficient`` state the
            default summary.

        Notes
        -----
        For ``n`` exchangeable units from an exponential family
        :math:`p(y\mid\eta) = h(y)\exp(\eta^\top t(y) - A(\eta))`, the means
        :math:`\bar t = n^{-1}\sum_i t(y_i)` are sufficient (Fisher-Neyman).
        The default summary takes, by the observed variable's distribution
        (a parameter is *free* when it depends on a free variable of the model):

        * Normal: :math:`\bar y, \overline{y^2}` (:math:`\bar y` when sigma is fixed);
        * HalfNormal: :math:`\bar y, \overline{y^2}`;
        * LogNormal: :math:`\overline{\log y}, \overline{\log^2 y}` (the first when sigma is fixed);
        * Poisson, Bernoulli, Binomial, Geometric, Exponential: :math:`\bar y`;
        * NegativeBinomial: :math:`\bar y` when alpha is fixed;
        * Gamma: :math:`\overline{\log y}, \bar y` (:math:`\bar y` when alpha is fixed);
        * InverseGamma: :math:`\overline{\log y}, \overline{1/y}` (the second when alpha is fixed);
        * Beta: :math:`\overline{\log y}, \overline{\log(1-y)}`;

        per group of new units with the same design row (sufficient for any
        mean function of the design). With more than 8 distinct design rows
        it takes the generalised linear model's statistics
        :math:`n^{-1}X^\top t(y)`, :math:`X = [1, \text{design}]`, sufficient
        when the natural parameter is linear in the design. Other
        likelihoods (StudentT, a NegativeBinomial with a free alpha,
        mixtures, censored or multivariate ones) have no finite sufficient
        statistics: the summary is then :math:`\bar y, \overline{y^2}` per group,
        ``summary_sufficient`` is False and :func:`evsi` records a note
        (regression on it values the information in that summary only).
        """
        if not callable(build):
            raise DecideTypeError(f"build must be callable build(data) -> pymc.Model; got {type(build).__name__}.")
        base = {str(k): np.asarray(v) for k, v in data.items()}
        if observed not in base:
            raise DecideValueError(
                f"observed={observed!r} must be a key of data {sorted(base)}."
            )
        for arg, val in (("draws", draws), ("tune", tune), ("chains", chains)):
            if isinstance(val, bool) or not isinstance(val, int | np.integer) or val < 1:
                raise DecideValueError(f"{arg} must be an integer >= 1; got {val!r}.")
        if update not in ("refit", "importance"):
            raise DecideValueError(f"update must be 'refit' or 'importance'; got {update!r}.")
        runner = _PyMCRunner(build, base, design, str(observed), int(draws), int(tune), int(chains))
        if summary is None:
            from decide.uncertainty._sufficient import SufficientSummary, detect_statistics

            family, stats, sufficient = detect_statistics(build(base), str(observed))
            summary = SufficientSummary(family, stats, sufficient, runner.new_units)
        if update == "importance":
            return cls(runner.simulate, summary=summary, loglik=runner.loglik, params=params, name=name)
        return cls(runner.simulate, summary=summary, refit=runner.refit, params=params, name=name)


def _shape_of(data: Any) -> str:
    if isinstance(data, Mapping):
        return str({k: np.shape(v) for k, v in data.items()})
    return f"shape {np.shape(data)}"


class _PyMCRunner:
    """The simulate and refit functions of :meth:`Experiment.from_pymc` (picklable)."""

    def __init__(
        self,
        build: Callable[[dict[str, np.ndarray]], Any],
        data: dict[str, np.ndarray],
        design: Mapping[str, Any] | Callable[[int], Mapping[str, Any]],
        observed: str,
        draws: int,
        tune: int,
        chains: int,
    ) -> None:
        self.build, self.data, self.design, self.observed = build, data, design, observed
        self.draws, self.tune, self.chains = draws, tune, chains
        self._logp: dict[int, tuple[Any, list[str]]] = {}
        self._dtypes: dict[int, list[str]] = {}

    def new_units(self, n: int) -> dict[str, np.ndarray]:
        if callable(self.design):
            rows = {str(k): np.asarray(v) for k, v in self.design(n).items()}
        else:
            rows = {str(k): np.repeat(np.asarray(v)[None], n, axis=0) for k, v in self.design.items()}
        for k, v in rows.items():
            if k not in self.data or v.shape[0] != n or v.shape[1:] != self.data[k].shape[1:]:
                raise DecideValueError(
                    f"design[{k!r}] must be a data variable with {n} rows of shape "
                    f"{self.data[k].shape[1:] if k in self.data else '?'}; data has {sorted(self.data)}, "
                    f"got shape {v.shape}."
                )
        return rows

    def simulate(self, params: dict[str, np.ndarray], n: int, rng: np.random.Generator) -> np.ndarray:
        import pymc as pm

        rows = self.new_units(n)
        rows[self.observed] = np.zeros((n, *self.data[self.observed].shape[1:]), self.data[self.observed].dtype)
        model = self.build(rows)
        m = next(iter(params.values())).shape[0]
        free = {v.name for v in model.free_RVs}
        missing = sorted(free - set(params))
        if missing:
            raise DecideValueError(
                f"the parameter draws lack the model's free variables {missing} (the new data "
                "would be simulated from their prior); pass evsi(..., posterior=idata) with every "
                "free variable of the model."
            )
        post = xr.Dataset(
            {
                k: (("chain", "draw", *[f"{k}_dim_{i}" for i in range(np.ndim(v) - 1)]), np.asarray(v)[None])
                for k, v in params.items()
                if k in free
            },
            coords={"chain": [0], "draw": np.arange(m)},
        )
        with model:
            pp = pm.sample_posterior_predictive(
                post,
                var_names=[self.observed],
                random_seed=int(rng.integers(2**31 - 1)),
                progressbar=False,
            )
        group = pp["posterior_predictive"] if not hasattr(pp, "posterior_predictive") else pp.posterior_predictive
        arr = np.asarray(group[self.observed].values)
        return arr.reshape(m, *arr.shape[2:])

    def loglik(self, params: dict[str, np.ndarray], data_j: Data) -> np.ndarray:
        """Log-likelihood of one dataset of new units under every draw: shape ``(S,)``."""
        y = np.asarray(data_j)
        n = int(y.shape[0])
        if n not in self._logp:
            self._logp[n] = self._compile_logp(n)
        fn, names = self._logp[n]
        missing = [k for k in names if k not in params]
        if missing:
            raise DecideValueError(
                f"the parameter draws lack the model's free variables {missing}; pass "
                "evsi(..., posterior=idata) with every free variable of the model."
            )
        args = [np.asarray(params[k], dtype=dt) for k, dt in zip(names, self._dtypes[n])]
        return np.asarray(fn(*args, y), dtype=np.float64)

    def _compile_logp(self, n: int) -> tuple[Any, list[str]]:
        import pymc as pm
        import pytensor
        import pytensor.tensor as pt
        from pytensor.graph.replace import vectorize_graph

        rows = self.new_units(n)
        rows[self.observed] = np.zeros((n, *self.data[self.observed].shape[1:]), self.data[self.observed].dtype)
        model = self.build(rows)
        obs = model[self.observed]
        value = pt.tensor("new_units", shape=(None,) * obs.ndim, dtype=obs.dtype)
        logp = pm.logp(obs, value).sum()
        batched = {
            rv: pt.tensor(rv.name, shape=(None, *rv.type.shape), dtype=rv.dtype) for rv in model.free_RVs
        }
        fn = pytensor.function(
            [*batched.values(), value], vectorize_graph(logp, replace=batched), on_unused_input="ignore"
        )
        self._dtypes[n] = [rv.dtype for rv in batched]
        return fn, [rv.name for rv in batched]

    def refit(self, data_j: Data, n: int, rng: np.random.Generator) -> Any:
        import pymc as pm

        rows = self.new_units(n)
        rows[self.observed] = np.asarray(data_j)
        full = {
            k: np.concatenate([v, rows[k]], axis=0) if k in rows else v for k, v in self.data.items()
        }
        with self.build(full):
            return pm.sample(
                draws=self.draws,
                tune=self.tune,
                chains=self.chains,
                cores=1,
                random_seed=int(rng.integers(2**31 - 1)),
                progressbar=False,
                compute_convergence_checks=False,
            )


def parameter_dict(ds: xr.Dataset, names: Sequence[str] | None = None) -> dict[str, np.ndarray]:
    """``{name: array (S, ...)}`` of the Dataset's variables (sample axis first)."""
    keys = list(ds.data_vars) if names is None else list(names)
    return {str(k): np.asarray(ds[k].transpose(SAMPLE_DIM, ...).values) for k in keys}
