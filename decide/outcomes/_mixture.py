"""Several candidate models of the same decision, mixed with weights: one outcome model.

Outcomes are rewards (higher is better); draw arrays put the sample axis first.
The mixture pools draws of every candidate model into one equally weighted
sample, so everything that takes an :class:`~decide.outcomes.OutcomeModel`
(optimize, decompose, evpi, compare) works on it unchanged, and keeps the
candidate models whole for the questions that are asked model by model
(:class:`decide.optimization.WorstModel`, :func:`decide.policies.robustness`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd
import xarray as xr

from decide._config import SAMPLE_DIM
from decide._validation import as_indices
from decide.errors import DecideTypeError, DecideValueError
from decide.outcomes._base import ActionSpec, OutcomeModel
from decide.outcomes._model_weights import WEIGHT_METHODS, model_weights
from decide.outcomes._range import ObservedRange
from decide.outcomes._window import PlanningWindow

__all__ = ["MixtureOutcome", "mixture"]

#: Tolerance on the sum of user weights (they are then normalized exactly).
_SUM_TOL = 1e-6


def _same_space(a: ActionSpec, b: ActionSpec) -> str | None:
    """Why two action spaces differ, or None when they are the same."""
    if a.names != b.names:
        return f"action names {a.names} vs {b.names}"
    if a.shapes != b.shapes:
        return f"action shapes {a.shapes} vs {b.shapes}"
    if a.dims != b.dims:
        return f"action dims {a.dims} vs {b.dims}"
    for d in sorted(set(a.coords) | set(b.coords)):
        la = a.coords[d].tolist() if d in a.coords else None
        lb = b.coords[d].tolist() if d in b.coords else None
        if la is not None and lb is not None and la != lb:
            return f"labels of {d!r}: {la} vs {lb}"
    return None


def _check_models(models: Any) -> dict[str, OutcomeModel]:
    if not isinstance(models, Mapping):
        raise DecideTypeError(
            "models must be a dict name -> OutcomeModel (e.g. {'confounded': out1, 'direct': "
            f"out2}}); got {type(models).__name__}."
        )
    if len(models) == 0:
        raise DecideValueError("models must hold at least one candidate model; got an empty dict.")
    out: dict[str, OutcomeModel] = {}
    for key, m in models.items():
        name = str(key)
        if name in out:
            raise DecideValueError(f"model names must be unique as strings; {key!r} repeats.")
        if not isinstance(m, OutcomeModel):
            raise DecideTypeError(
                f"models[{name!r}] must be an OutcomeModel (from_pymc, linear, from_draws, "
                f"from_function, ...); got {type(m).__name__}."
            )
        out[name] = m
    first_name, first = next(iter(out.items()))
    for name, m in out.items():
        why = _same_space(first.action_space, m.action_space)
        if why is not None:
            raise DecideValueError(
                f"every model of a mixture must share the action; models[{name!r}] differs from "
                f"models[{first_name!r}] in its {why}. Build the models with the same action "
                "variable, shape, dims and labels."
            )
        checks = (
            ("n_replicates", m.n_replicates, first.n_replicates),
            ("outcome_dims", tuple(m.outcome_dims), tuple(first.outcome_dims)),
            ("reduce", m.reduce, first.reduce),
        )
        for what, mine, theirs in checks:
            if mine != theirs:
                raise DecideValueError(
                    f"every model of a mixture must give the same kind of draws; models[{name!r}] "
                    f"has {what}={mine!r} but models[{first_name!r}] has {what}={theirs!r}."
                )
    return out


def _check_weights(weights: Any, names: Sequence[str]) -> pd.Series:
    if weights is None:
        vals = np.full(len(names), 1.0 / len(names))
    else:
        if not isinstance(weights, Mapping | pd.Series):
            raise DecideTypeError(
                "weights must be a dict model name -> weight, 'stacking', 'pseudo-bma', "
                f"'bb-pseudo-bma' or None (equal weights); got {type(weights).__name__}."
            )
        keys = [str(k) for k in weights.keys()]
        missing = [n for n in names if n not in keys]
        unknown = [k for k in keys if k not in names]
        if missing or unknown:
            raise DecideValueError(
                f"weights must give one weight per model, keys {list(names)}; missing {missing}, "
                f"unknown {unknown}."
            )
        lookup = {str(k): v for k, v in weights.items()}
        try:
            vals = np.array([float(lookup[n]) for n in names])
        except (TypeError, ValueError):
            raise DecideTypeError(f"weights must be numbers; got {dict(lookup)!r}.") from None
        if not np.all(np.isfinite(vals)) or np.any(vals < 0):
            bad = {n: v for n, v in zip(names, vals) if not (np.isfinite(v) and v >= 0)}
            raise DecideValueError(
                f"weights must be finite and non-negative (probabilities of the models); got {bad}."
            )
        total = float(vals.sum())
        if abs(total - 1.0) > _SUM_TOL:
            raise DecideValueError(
                f"weights must sum to 1 (probabilities of the models); got sum {total:.6g} from "
                f"{dict(zip(names, vals.tolist()))}. Divide them by their sum first."
            )
        vals = vals / total
    return pd.Series(vals, index=pd.Index(list(names), name="model"), name="weight")


def apportion(weights: np.ndarray, n: int) -> np.ndarray:
    """Integer counts summing to ``n`` closest to ``weights * n`` (largest remainders).

    Ties in the remainders go to the model listed first.
    """
    exact = np.asarray(weights, dtype=np.float64) * n
    counts = np.floor(exact + 1e-9).astype(np.int64)
    short = n - int(counts.sum())
    if short > 0:
        order = np.argsort(-(exact - counts), kind="stable")
        counts[order[:short]] += 1
    return counts


def pool_size(weights: np.ndarray, sizes: Sequence[int], factor: int = 4) -> int:
    """The default pool size.

    The smallest ``N`` in ``[base, factor * base]`` for which every ``weights[m] * N``
    is a whole multiple of ``sizes[m]`` (an exact pool), else ``base``; the base is the
    sum of the sizes of the models with positive weight.
    """
    w = np.asarray(weights, dtype=np.float64)
    s = np.asarray(sizes, dtype=np.float64)
    base = int(s[w > 0].sum())
    Ns = np.arange(base, factor * base + 1, dtype=np.float64)
    copies = np.outer(Ns, w) / s[None, :]
    exact = np.all(np.abs(copies - np.round(copies)) < 1e-6, axis=1)
    hit = np.flatnonzero(exact)
    return int(Ns[hit[0]]) if hit.size else base


class MixtureOutcome(OutcomeModel):
    """Candidate outcome models that share the action, mixed with weights.

    Build it with :func:`mixture`. Outcomes are rewards (higher is better); draws
    put the sample axis first. The mixture is an equally weighted pool of
    ``n_samples`` draws in which model ``m`` supplies ``counts[m]`` of them
    (:attr:`realized_weights` ``= counts / n_samples``), taken evenly along its
    own samples; pooled sample ``s`` is sample :attr:`sample_index` ``[s]`` of
    model :attr:`model_index` ``[s]``.

    Parameters
    ----------
    models : dict of str to OutcomeModel
        The candidate models (checked by :func:`mixture`).
    weights : pandas.Series
        One weight per model, summing to one.
    model_index, sample_index : ndarray of shape (n_samples,)
        The model of each pooled sample and its position among that model's samples.
    comparison : pandas.DataFrame, optional
        The ``arviz.compare`` table the weights came from.

    Attributes
    ----------
    models : mapping of str to OutcomeModel
        The candidate models, read-only, whole (also those with weight 0).
    names : tuple of str
        Model names, in order.
    weights : pandas.Series
        The weights asked for (index ``"model"``).
    realized_weights : pandas.Series
        The share of the pooled draws each model supplies.
    comparison : pandas.DataFrame or None
        ``arviz.compare``'s table when the weights were computed from log-likelihoods.
    """

    def __init__(
        self,
        models: Mapping[str, OutcomeModel],
        weights: pd.Series,
        model_index: np.ndarray,
        sample_index: np.ndarray,
        comparison: pd.DataFrame | None = None,
    ) -> None:
        self.models: Mapping[str, OutcomeModel] = MappingProxyType(dict(models))
        self.names: tuple[str, ...] = tuple(self.models)
        self.weights = weights.copy()
        mi = np.asarray(model_index, dtype=np.intp).copy()
        si = np.asarray(sample_index, dtype=np.intp).copy()
        mi.setflags(write=False)
        si.setflags(write=False)
        self.model_index, self.sample_index = mi, si
        self.comparison = comparison
        self._positions = [np.flatnonzero(mi == k) for k in range(len(self.names))]
        first = next(iter(self.models.values()))
        self.action_space = first.action_space
        self.n_samples = int(mi.size)
        self.n_replicates = first.n_replicates
        self.outcome_dims = tuple(first.outcome_dims)
        self.outcome_coords = dict(first.outcome_coords)
        self.reduce = first.reduce
        self.options = first.options
        counts = np.array([p.size for p in self._positions], dtype=np.float64)
        self.realized_weights = pd.Series(
            counts / max(self.n_samples, 1), index=self.weights.index, name="realized_weight"
        )

    def __repr__(self) -> str:
        w = ", ".join(f"{n}: {v:.3g}" for n, v in self.weights.items())
        return f"MixtureOutcome({{{w}}}, n_samples={self.n_samples})"

    def observed_range(self) -> ObservedRange | None:
        """The candidates' observed ranges joined (min of the minima, max of the maxima).

        None unless every candidate states its range on the same cells.
        """
        if self._observed_range is not None:
            return self._observed_range
        found = [m.observed_range() for m in self.models.values()]
        ranges = [r for r in found if r is not None and r.index is not None]
        if len(ranges) < len(found):
            return None
        first = ranges[0]
        if any(not np.array_equal(np.asarray(r.index), np.asarray(first.index)) for r in ranges):
            return None
        return ObservedRange(
            np.min([r.lower for r in ranges], axis=0), np.max([r.upper for r in ranges], axis=0),
            first.labels, index=first.index, source=first.source,
        )

    def history_flat(self) -> np.ndarray | None:
        """The history cells of any candidate."""
        masks = [m.history_flat() for m in self.models.values()]
        known = [np.asarray(h, dtype=bool) for h in masks if h is not None]
        return self._with_window_cells(np.any(known, axis=0) if known else None)

    def planning_window(self) -> PlanningWindow | None:
        """The declared window: the mixture's own, else the one every candidate declares."""
        if self._window is not None:
            return self._window
        found = [m.planning_window() for m in self.models.values()]
        first = found[0]
        if first is None or any(
            w is None or w.dim != first.dim or not np.array_equal(w.outside, first.outside)
            or not np.array_equal(w.positions, first.positions)
            for w in found
        ):
            return None
        return first

    # -- the pool -----------------------------------------------------------
    def _active(self) -> list[tuple[OutcomeModel, np.ndarray, np.ndarray]]:
        """(model, pooled positions, its sample positions) of the models with pooled draws."""
        return [
            (m, pos, self.sample_index[pos])
            for m, pos in zip(self.models.values(), self._positions)
            if pos.size
        ]

    def _pool(self, parts: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> np.ndarray:
        first = parts[0][0]
        out = np.empty((self.n_samples, *first.shape[1:]), dtype=np.float64)
        for arr, pos, idx in parts:
            if arr.shape[1:] != first.shape[1:]:
                raise DecideValueError(
                    f"the models of the mixture give draws of different shapes ({first.shape[1:]} "
                    f"and {arr.shape[1:]} after the sample axis); they must describe the same "
                    "outcome."
                )
            out[pos] = arr[idx]
        return out

    def sample_flat(self, x: np.ndarray) -> np.ndarray:
        return self._pool(
            [(np.asarray(m.sample_flat(x), float), pos, idx) for m, pos, idx in self._active()]
        )

    def draws_flat(self, x: np.ndarray) -> np.ndarray:
        return self._pool(
            [(np.asarray(m.draws_flat(x), float), pos, idx) for m, pos, idx in self._active()]
        )

    def conditional_mean_flat(self, x: np.ndarray) -> np.ndarray:
        return self._pool(
            [(np.asarray(m.conditional_mean_flat(x), float), pos, idx) for m, pos, idx in self._active()]
        )

    @property
    def has_vjp(self) -> bool:
        """Whether every model with pooled draws has a vector-Jacobian product."""
        return all(m.has_vjp for m, _, _ in self._active())

    @property
    def smoothness(self) -> str:
        """The least regular :attr:`~OutcomeModel.smoothness` of the models with pooled draws."""
        from decide.outcomes._base import SMOOTHNESS

        return max((m.smoothness for m, _, _ in self._active()), key=SMOOTHNESS.index)

    @property
    def has_conditional_mean(self) -> bool:
        """Whether every model with pooled draws gives its conditional mean."""
        return all(m.has_conditional_mean for m, _, _ in self._active())

    def vjp_flat(self, x: np.ndarray, cotangent: np.ndarray) -> np.ndarray:
        cot = np.asarray(cotangent, dtype=np.float64)
        expected = (self.n_samples,) if self.n_replicates is None else (
            self.n_samples, self.n_replicates)
        if cot.shape != expected:
            raise DecideValueError(
                f"cotangent must have the shape of draws(action), {expected}; got shape {cot.shape}."
            )
        g = np.zeros(self.action_space.size)
        for m, pos, idx in self._active():
            c = np.zeros((m.n_samples, *cot.shape[1:]))
            np.add.at(c, idx, cot[pos])  # a model's sample pooled twice gets both cotangents
            g += np.asarray(m.vjp_flat(x, c), dtype=np.float64).reshape(-1)
        return g

    def affine_form(self) -> tuple[np.ndarray, np.ndarray] | None:
        """``(A, b)`` of the pooled draws when every model with pooled draws is affine, else None.

        Returns
        -------
        tuple of ndarray of shapes (n_samples, size) and (n_samples,), or None
            Row ``s`` is row :attr:`sample_index` ``[s]`` of model :attr:`model_index` ``[s]``.
        """
        parts = []
        for m, pos, idx in self._active():
            aff = m.affine_form()
            if aff is None:
                return None
            A, b = (np.asarray(v, dtype=np.float64) for v in aff)
            parts.append((A, b, pos, idx))
        A = np.empty((self.n_samples, *parts[0][0].shape[1:]))
        b = np.empty((self.n_samples, *parts[0][1].shape[1:]))
        for Am, bm, pos, idx in parts:
            A[pos], b[pos] = Am[idx], bm[idx]
        return A, b

    def subset(self, indices: Sequence[int] | np.ndarray) -> MixtureOutcome:
        """The mixture restricted to the pooled samples ``indices``; the models stay whole.

        Returns
        -------
        MixtureOutcome
            With the same models and weights; :attr:`realized_weights` follow the subset.
        """
        idx = as_indices(indices, self.n_samples)
        return MixtureOutcome(
            self.models, self.weights, self.model_index[idx], self.sample_index[idx],
            self.comparison,
        )

    def with_replicates(
        self, n_replicates: int, random_seed: int | np.random.Generator | None = None
    ) -> MixtureOutcome:
        """Every model with ``n_replicates`` outcome replicates per sample (same pool).

        Each model gets its own generator, spawned from ``random_seed``.

        Raises
        ------
        DecideValueError
            If a model cannot simulate replicates (the message names it).
        """
        if isinstance(random_seed, np.random.Generator):
            seeds = random_seed.spawn(len(self.names))
        else:
            seeds = [np.random.default_rng(s) for s in np.random.SeedSequence(random_seed).spawn(len(self.names))]
        new = {}
        for (name, m), rng in zip(self.models.items(), seeds):
            try:
                new[name] = m.with_replicates(n_replicates, random_seed=rng)
            except DecideValueError as exc:
                raise DecideValueError(f"models[{name!r}]: {exc}") from None
        return MixtureOutcome(new, self.weights, self.model_index, self.sample_index, self.comparison)

    def one_hot(self, option: Any) -> np.ndarray:
        """The flat action that picks ``option``, as the models define it."""
        return next(iter(self.models.values())).one_hot(option)

    @property
    def parameters(self) -> xr.Dataset:
        """``model``: the index of the model of each pooled sample (in :attr:`names` order).

        A parameter for :func:`decide.uncertainty.evppi` (with ``method="gbm"``: the
        spline regression needs a continuous parameter): learning it is learning
        which model is right.
        """
        return xr.Dataset(
            {"model": ((SAMPLE_DIM,), np.asarray(self.model_index, dtype=np.float64))},
            attrs={"model_names": list(self.names)},
        )

    def model_draws(self, action: Any) -> dict[str, np.ndarray]:
        """Each model's own draws under ``action`` (every model, whole).

        Returns
        -------
        dict of str to ndarray of shape (n_samples_m,) or (n_samples_m, n_replicates)
        """
        x = self.action_space.flatten(action)
        return {n: np.asarray(m.draws_flat(x), dtype=np.float64) for n, m in self.models.items()}


def mixture(
    models: Mapping[str, OutcomeModel],
    weights: Mapping[str, float] | str | None = None,
    *,
    idata: Mapping[str, Any] | None = None,
    var_name: str | None = None,
    n_samples: int | None = None,
) -> MixtureOutcome:
    r"""One outcome model over several candidate models that share the action.

    Use it when more than one causal structure fits the data (with and without a
    confounder, with a mediator): the decision is then made on the mixture of the
    models' predictions. Outcomes are rewards (higher is better); draws put the
    sample axis first.

    Parameters
    ----------
    models : dict of str to OutcomeModel
        The candidate models by name. They must share the action (names, shapes,
        dims, labels), ``n_replicates``, ``outcome_dims`` and ``reduce``; each
        keeps its own number of posterior samples.
    weights : dict of str to float, {"stacking", "pseudo-bma", "bb-pseudo-bma"}, or None
        The probability of each model: a dict (non-negative, summing to 1), a
        method that computes them from the models' log-likelihoods with
        ``arviz.compare`` (``"stacking"``, ``"pseudo-BMA"``, ``"BB-pseudo-BMA"``
        there), or ``None`` for equal weights.
    idata : dict of str to arviz.InferenceData or xarray.DataTree, optional
        Required with a method: each model's posterior with a ``log_likelihood``
        group over the same observations.
    var_name : str, optional
        The observed variable to compare on when the models have several.
    n_samples : int, optional
        Size of the pooled sample. Default: the smallest size from the sum of the
        samples of the models with positive weight, :math:`\sum_m S_m`, up to four
        times it at which the pool is exact (see Notes), else :math:`\sum_m S_m`.

    Returns
    -------
    MixtureOutcome
        An :class:`OutcomeModel` with ``models``, ``weights``,
        ``realized_weights``, ``comparison`` (ArviZ's table), ``model_index``,
        ``sample_index`` and ``model_draws(action)``. It has a vjp, a
        conditional mean or an affine form when every model with pooled draws has.

    Raises
    ------
    DecideValueError
        If ``models`` is empty, the models do not share the action or the kind
        of draws, ``weights`` do not name every model, are negative or do not sum
        to 1, a method is asked without ``idata`` or a model's ``idata`` has no
        log-likelihood, or ``n_samples`` is not a positive integer.
    DecideTypeError
        If a model is not an :class:`OutcomeModel` or an argument has the wrong type.

    Notes
    -----
    The mixture's predictive distribution is :math:`p(y \mid a) = \sum_m w_m\,
    p_m(y \mid a)`. It is represented by an equally weighted pool of :math:`N`
    draws in which model :math:`m` supplies :math:`n_m` draws, the integers
    closest to :math:`w_m N` that sum to :math:`N` (largest remainders), taken
    evenly along its own :math:`S_m` samples (sample :math:`\lfloor i S_m / n_m
    \rfloor` for :math:`i < n_m`). Every downstream tool then sees the mixture as
    it sees any outcome. The representation is exact when every :math:`n_m` is a
    whole multiple of :math:`S_m` (each draw of model :math:`m` then appears
    :math:`n_m / S_m` times), which the default :math:`N` achieves whenever a size
    up to :math:`4 \sum_m S_m` allows it (equal weights and sample sizes: :math:`N =
    \sum_m S_m`; weights 1/4 and 3/4 of two models of 400 draws: :math:`N = 1600`);
    otherwise each realized weight
    :math:`n_m / N` is within :math:`1/N` of :math:`w_m` and a model's draws are
    thinned or repeated evenly. A larger ``n_samples`` makes it finer.

    Stacking chooses the weights that maximize the leave-one-out log score of
    the mixed predictive density, :math:`\max_{w \in \Delta} \sum_i \log \sum_m
    w_m \exp(\mathrm{elpd}_{m,i})`; pseudo-BMA sets :math:`w_m \propto
    \exp(\mathrm{elpd}_m)`; both from PSIS-LOO, as in ``arviz.compare``.

    References
    ----------
    .. [1] Yao, Y., Vehtari, A., Simpson, D. and Gelman, A. (2018). Using stacking
       to average Bayesian predictive distributions. Bayesian Analysis, 13(3), 917-1007.
    .. [2] Hoeting, J. A., Madigan, D., Raftery, A. E. and Volinsky, C. T. (1999).
       Bayesian model averaging: a tutorial. Statistical Science, 14(4), 382-401.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.outcomes import linear, mixture
    >>> rng = np.random.default_rng(0)
    >>> strong = linear(rng.normal([1.0, 0.5], 0.1, size=(400, 2)))
    >>> weak = linear(rng.normal([0.2, 0.5], 0.1, size=(400, 2)))
    >>> mix = mixture({"strong": strong, "weak": weak}, weights={"strong": 0.25, "weak": 0.75})
    >>> mix.n_samples, mix.realized_weights.tolist()
    (1600, [0.25, 0.75])
    >>> a = np.array([1.0, 0.0])
    >>> bool(np.isclose(mix.draws(a).mean(),
    ...                 0.25 * strong.draws(a).mean() + 0.75 * weak.draws(a).mean()))
    True
    """
    checked = _check_models(models)
    names = list(checked)
    comparison = None
    if isinstance(weights, str):
        method = weights.lower()
        if method not in WEIGHT_METHODS:
            raise DecideValueError(
                f"weights must be a dict, one of {list(WEIGHT_METHODS)} or None; got {weights!r}."
            )
        if idata is None:
            raise DecideValueError(
                f"weights={weights!r} computes the weights from each model's log-likelihood: "
                "pass idata= a dict model name -> InferenceData/DataTree with a log_likelihood "
                "group."
            )
        w, comparison = model_weights(idata, names, method, var_name)
    else:
        if idata is not None:
            raise DecideValueError(
                "idata is used only to compute weights ('stacking', 'pseudo-bma'); got idata "
                f"with weights={weights!r}. Drop idata or pass a method."
            )
        w = _check_weights(weights, names)
    sizes = [int(m.n_samples) for m in checked.values()]
    if n_samples is None:
        total = pool_size(w.to_numpy(), sizes)
    elif isinstance(n_samples, bool) or not isinstance(n_samples, int | np.integer) or n_samples < 1:
        raise DecideValueError(f"n_samples must be a positive integer; got {n_samples!r}.")
    else:
        total = int(n_samples)
    counts = apportion(w.to_numpy(), total)
    model_index = np.repeat(np.arange(len(names)), counts)
    sample_index = np.concatenate(
        [(np.arange(c, dtype=np.int64) * s) // c if c else np.zeros(0, np.int64)
         for c, s in zip(counts, sizes)]
    )
    return MixtureOutcome(checked, w, model_index, sample_index, comparison)
