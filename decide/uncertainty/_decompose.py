"""Aleatoric / epistemic split of an outcome's variance and tail risk.

Outcomes are rewards (higher is better); risk is in the lower tail and
``alpha`` is the tail probability. Draw arrays put the sample axis first:
``(n_samples,)`` or ``(n_samples, n_replicates)``.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd
import xarray as xr

from decide._validation import as_draws, check_in_range, label_text
from decide.errors import DecideTypeError, DecideValueError
from decide.measures import check_exponential_ess
from decide.outcomes import MixtureOutcome, OutcomeModel, resolve_reduce
from decide.uncertainty._decomposition import Decomposition
from decide.uncertainty._split import split_exact, split_models, split_nested

if TYPE_CHECKING:
    from decide.measures import Objective

__all__ = ["Decomposition", "decompose"]

def _check_replicates(n_replicates: Any) -> int | None:
    if n_replicates is None:
        return None
    if isinstance(n_replicates, bool) or not isinstance(n_replicates, int | np.integer):
        raise DecideTypeError(
            f"n_replicates must be a positive integer or None; got {n_replicates!r}."
        )
    if n_replicates < 1:
        raise DecideValueError(f"n_replicates must be >= 1; got {n_replicates}.")
    return int(n_replicates)


def _with_replicates(
    outcome: OutcomeModel, n_replicates: int | None, random_seed: Any
) -> OutcomeModel:
    """The outcome model with ``n_replicates`` replicates per sample, if it can give them."""
    if n_replicates is None or outcome.n_replicates == n_replicates:
        return outcome
    try:
        return outcome.with_replicates(n_replicates, random_seed=random_seed)
    except DecideValueError as exc:
        raise DecideValueError(
            f"n_replicates={n_replicates} was requested: {exc} Or leave n_replicates=None."
        ) from None


def _element_labels(outcome: OutcomeModel | None, shape: tuple[int, ...]) -> list[str]:
    dims = tuple(outcome.outcome_dims) if outcome is not None else ()
    if len(dims) != len(shape):
        dims = tuple(f"dim_{i}" for i in range(len(shape)))
    coords = dict(outcome.outcome_coords) if outcome is not None else {}
    axes = []
    for d, n in zip(dims, shape):
        c = coords.get(d)
        axes.append([label_text(v) for v in np.asarray(c)] if c is not None and len(c) == n else
                    [str(i) for i in range(n)])
    return [
        ", ".join(f"{d}={axes[a][i]}" for a, (d, i) in enumerate(zip(dims, idx)))
        for idx in np.ndindex(*shape)
    ]


def _cvar(alpha: float) -> Objective:
    from decide.measures import CVaR

    return CVaR(alpha=alpha)


def _split(y: np.ndarray, mu: np.ndarray | None) -> tuple[dict[str, np.ndarray], np.ndarray, str]:
    """Return the split, the conditional means used for the tail and the method."""
    if mu is not None:
        return split_exact(y, mu), mu, "exact"
    return split_nested(y), np.mean(y, axis=1), "nested"


def _elements_table(
    outcome: OutcomeModel | None,
    y: np.ndarray,
    mu: np.ndarray | None,
    alpha: float,
    codes: np.ndarray | None = None,
) -> tuple[pd.DataFrame, xr.Dataset]:
    parts, cm, _ = _split(y, mu)
    shape = y.shape[2:]
    cvar = _cvar(alpha)
    flat_y = y.reshape(y.shape[0], y.shape[1], -1)
    flat_cm = cm.reshape(cm.shape[0], -1)
    k = flat_cm.shape[1]
    cv = np.array([cvar(flat_y[:, :, j]) for j in range(k)]).reshape(shape)
    cv_e = np.array([cvar(flat_cm[:, j]) for j in range(k)]).reshape(shape)
    total = parts["total"]
    with np.errstate(invalid="ignore", divide="ignore"):
        share = np.where(total > 0, parts["epistemic"] / np.where(total > 0, total, 1.0), np.nan)
    cols = {
        "mean": parts["mean"],
        "total_variance": total,
        "epistemic_variance": parts["epistemic"],
        "aleatoric_variance": parts["aleatoric"],
        "epistemic_share": share,
        "cvar": cv,
        "cvar_epistemic": cv_e,
        "tail_epistemic": parts["mean"] - cv_e,
        "tail_aleatoric": cv_e - cv,
    }
    if codes is not None:
        structural = split_models(y, mu, codes)
        cols["structural_variance"] = structural
        cols["parameter_variance"] = np.maximum(parts["epistemic"] - structural, 0.0)
        with np.errstate(invalid="ignore", divide="ignore"):
            cols["structural_share"] = np.where(
                total > 0, structural / np.where(total > 0, total, 1.0), np.nan)
    labels = _element_labels(outcome, shape)
    df = pd.DataFrame(
        {c: np.asarray(v).reshape(-1) for c, v in cols.items()},
        index=pd.Index(labels, name="element"),
    )
    for c in ("objective", "objective_epistemic", "objective_aleatoric"):
        df[c] = math.nan
    dims = tuple(outcome.outcome_dims) if outcome is not None else ()
    if len(dims) != len(shape):
        dims = tuple(f"dim_{i}" for i in range(len(shape)))
    coords_in = dict(outcome.outcome_coords) if outcome is not None else {}
    coords = {d: np.asarray(coords_in[d]) for d, n in zip(dims, shape)
              if d in coords_in and len(coords_in[d]) == n}
    ds = xr.Dataset({c: (dims, np.asarray(v)) for c, v in cols.items()}, coords=coords)
    return df, ds


def _objective_pair(
    objective: Objective | None, y: np.ndarray, cm: np.ndarray
) -> tuple[float | None, float | None]:
    if objective is None:
        return None, None
    check_exponential_ess(y, objective, context="decompose")
    check_exponential_ess(cm, objective, context="decompose (conditional means)")
    return float(objective(y)), float(objective(cm))


def decompose(
    outcome: OutcomeModel | Any,
    action: Any = None,
    *,
    objective: Objective | None = None,
    alpha: float = 0.05,
    n_replicates: int | None = None,
    random_seed: int | np.random.Generator | None = None,
) -> Decomposition:
    r"""Split the outcome's uncertainty at ``action`` into epistemic and aleatoric parts.

    Outcomes are rewards (higher is better); risk is in the lower tail and
    ``alpha`` is the tail probability. Draw arrays put the sample axis first.

    Parameters
    ----------
    outcome : OutcomeModel, array_like of shape (n_samples, n_replicates), or xarray.DataArray
        An outcome model, or precomputed outcome draws with several replicates
        per posterior sample (a DataArray needs the dims ``("chain", "draw")``
        or ``"sample"`` and ``"replicate"``).
    action : array_like, dict or xarray, optional
        The action at which to split (required for an outcome model, not
        allowed with an array of draws).
    objective : Objective, optional
        Any objective (e.g. ``ExpectedUtility(Exponential(...))``) to split the
        same way: its score on the full predictive against its score on the
        conditional means.
    alpha : float in (0, 1], default 0.05
        Tail probability of the CVaR split.
    n_replicates : int, optional
        Replicates per posterior sample to simulate, for outcome models that can
        change it (``with_replicates``); default: the model's own setting.
    random_seed : int or numpy.random.Generator, optional
        Seed passed to the model when it simulates new replicates.

    Returns
    -------
    Decomposition
        ``total = epistemic + aleatoric`` for the reduced outcome (for a mixture of
        candidate models also ``structural``, with ``epistemic = structural +
        parameter``), the CVaR
        split, the objective split, and for a vector outcome one row per element
        (:meth:`Decomposition.to_dataframe`, :attr:`Decomposition.by_element`).

    Raises
    ------
    DecideValueError
        If the model has no conditional mean and fewer than 2 replicates (the
        split cannot be estimated), if ``alpha`` is outside (0, 1], or if
        ``action`` is missing (model) or given (array).
    DecideTypeError
        If ``outcome`` is neither an outcome model nor numeric draws, or is a
        pandas DataFrame (ambiguous: replicates or options? pass
        ``df.to_numpy()`` for replicates, a ``from_draws`` model and the
        action for options).

    Notes
    -----
    The law of total variance, for :math:`Y` the outcome and :math:`\theta` the
    parameters,

    .. math::

        \mathrm{Var}(Y) = \underbrace{\mathrm{Var}_\theta(E[Y \mid \theta])}_{\text{epistemic}}
        + \underbrace{E_\theta[\mathrm{Var}(Y \mid \theta)]}_{\text{aleatoric}},

    with the posterior draws :math:`\theta_1..\theta_S` as the distribution of
    :math:`\theta` (population variances, ``ddof=0`` over samples).

    ``method="exact"`` (the model gives :math:`\mu_s = E[Y \mid \theta_s]`):
    epistemic :math:`= \frac1S\sum_s(\mu_s-\bar\mu)^2` exactly and aleatoric
    :math:`= \frac{1}{SR}\sum_{s,r}(y_{sr}-\mu_s)^2`, unbiased for any
    :math:`R \ge 1` because the centre is known. An outcome whose draws are
    its conditional means (no simulated noise, e.g. ``linear`` or a mean-mode
    model) is then all epistemic; a note says so.

    ``method="nested"`` (replicates :math:`y_{sr}`, :math:`R \ge 2`):
    aleatoric :math:`= \bar{s^2} = \frac1S\sum_s s_s^2` with the within-sample
    variance :math:`s_s^2` taken with ``ddof=1``, and epistemic
    :math:`= \mathrm{Var}_s(\bar y_s) - (1-\frac1S)\,\bar{s^2}/R`, which removes
    the noise left in the replicate means; both are unbiased. The epistemic
    estimate is clipped at 0 (the raw value is kept in ``epistemic_raw``).

    For a mixture of candidate models (:func:`decide.outcomes.mixture`) the
    epistemic part splits again by the law of total variance over the model
    :math:`M`,

    .. math::

        \mathrm{Var}_\theta(E[Y \mid \theta]) =
        \underbrace{\mathrm{Var}_M(E[Y \mid M])}_{\text{structural}}
        + \underbrace{E_M[\mathrm{Var}_{\theta \mid M}(E[Y \mid \theta, M])]}_{\text{parameter}},

    with the models weighted by their share of the pooled draws: ``structural``
    is the share of the variance that comes from not knowing which model is
    right. With ``"nested"`` the noise the replicate means add to the model
    means, :math:`\sum_m (1 - p_m)\, \bar{s^2_m} / (S R)` (:math:`p_m` the share of
    model :math:`m`, :math:`\bar{s^2_m}` its mean within-sample variance), is
    removed and the estimate clipped to :math:`[0, \text{epistemic}]`.

    The tail split decomposes the CVaR shortfall,
    :math:`E[Y]-\mathrm{CVaR}_\alpha(Y) = (E[Y]-\mathrm{CVaR}_\alpha(\mu))
    + (\mathrm{CVaR}_\alpha(\mu)-\mathrm{CVaR}_\alpha(Y))`: the first term
    (``tail_epistemic``) is the parameter uncertainty, the second
    (``tail_aleatoric``) what the noise adds; it is non-negative in
    expectation because :math:`\mu` dominates :math:`Y` in second-order
    stochastic dominance. With ``"nested"`` the replicate means still carry
    noise of variance :math:`\sigma^2/R`, so ``tail_epistemic`` is slightly
    overstated for small ``R``. An objective is split the same way.

    References
    ----------
    .. [1] Der Kiureghian, A. and Ditlevsen, O. (2009). Aleatory or epistemic?
       Does it matter? Structural Safety, 31(2), 105-112.
    .. [2] Depeweg, S. et al. (2018). Decomposition of uncertainty in Bayesian
       deep learning for efficient and risk-sensitive learning. ICML.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.uncertainty import decompose
    >>> rng = np.random.default_rng(0)
    >>> theta = rng.normal(0.0, 2.0, size=(2000, 1))        # epistemic sd 2
    >>> y = theta + rng.normal(0.0, 1.0, size=(2000, 50))   # aleatoric sd 1
    >>> d = decompose(y)
    >>> d.method
    'nested'
    >>> round(d.epistemic_share, 1)
    0.8
    """
    alpha = check_in_range(alpha, "alpha", low=0.0, high=1.0, low_inclusive=False)
    n_rep = _check_replicates(n_replicates)
    notes: list[str] = []
    if isinstance(outcome, pd.DataFrame):
        raise DecideTypeError(
            f"outcome is a pandas DataFrame with columns {list(map(str, outcome.columns))[:6]}: "
            "decompose splits the outcome of one action and does not guess whether the columns "
            "are replicates of that outcome or options (one column per action, as evpi reads a "
            "DataFrame). For replicates pass outcome=df.to_numpy() (shape (n_samples, "
            "n_replicates)); for options build om = from_draws({label: draws}) (with replicates) "
            "and pass the option as a one-hot action: decompose(om, [1, 0, ...])."
        )
    if not isinstance(outcome, OutcomeModel):
        if action is not None:
            raise DecideValueError(
                "action must be None when outcome is an array of draws (the draws are already at "
                f"one action); got action={action!r}."
            )
        try:
            y2 = as_draws(outcome, "outcome")
        except DecideTypeError:
            raise DecideTypeError(
                "outcome must be an OutcomeModel or numeric draws of shape (n_samples, "
                f"n_replicates); got {type(outcome).__name__}."
            ) from None
        if y2.ndim == 1 or y2.shape[1] < 2:
            raise DecideValueError(
                "outcome draws must have shape (n_samples, n_replicates) with n_replicates >= 2 "
                f"to separate noise from parameter uncertainty; got shape {y2.shape}. Simulate "
                "several outcome replicates per posterior draw."
            )
        return _finish(y2, None, None, None, alpha, objective, notes)

    if action is None:
        raise DecideValueError(
            "action is required with an outcome model: the split depends on the action. Pass "
            "the action (array, dict or xarray) at which to decompose."
        )
    model = _with_replicates(outcome, n_rep, random_seed)
    flat = model.action_space.flatten(action)
    raw = np.asarray(model.sample_flat(flat), dtype=np.float64)
    if model.n_replicates is None:
        raw = raw[:, None]
    r = raw.shape[1]
    mu = None
    if model.has_conditional_mean:
        mu = np.asarray(model.conditional_mean_flat(flat), dtype=np.float64)
        if r == 1 and np.array_equal(raw[:, 0], mu):
            notes.append(
                "the outcome draws equal the conditional means (no simulated noise), so the "
                "aleatoric part is 0 by construction; build the outcome with noisy replicates "
                "to measure the noise."
            )
    elif r < 2:
        raise DecideValueError(
            f"{type(model).__name__} gives no conditional mean and n_replicates="
            f"{model.n_replicates}, so the split cannot be estimated: nested simulation needs "
            "n_replicates >= 2 outcome replicates per posterior draw. Pass n_replicates=... "
            "(or build the outcome model with replicates)."
        )
    reduce = model.reduce
    y_red = raw if raw.ndim == 2 else resolve_reduce(reduce, 2)(raw)
    mu_red = None
    if mu is not None:
        if raw.ndim == 2 or reduce in ("sum", "mean"):
            mu_red = mu if mu.ndim == 1 else resolve_reduce(reduce, 1)(mu)
        elif r >= 2:
            notes.append(
                "the reduce callable is not linear, so E[reduce(Y) | theta] is not known: the "
                "reduced outcome is split by nested simulation."
            )
        else:
            raise DecideValueError(
                "the outcome is reduced by a callable, so its conditional mean is unknown and "
                "nested simulation needs n_replicates >= 2; pass n_replicates=..."
            )
    codes = model.model_index if isinstance(model, MixtureOutcome) else None
    return _finish(y_red, mu_red, raw if raw.ndim > 2 else None, mu, alpha, objective, notes,
                   model=model, codes=codes)


def _finish(
    y: np.ndarray,
    mu: np.ndarray | None,
    y_el: np.ndarray | None,
    mu_el: np.ndarray | None,
    alpha: float,
    objective: Objective | None,
    notes: list[str],
    model: OutcomeModel | None = None,
    codes: np.ndarray | None = None,
) -> Decomposition:
    parts, cm, method = _split(y, mu)
    structural = None
    if codes is not None:
        structural = min(float(split_models(y, mu, codes)), float(parts["epistemic"]))
    if float(parts["epistemic_raw"]) < 0:
        notes.append(
            f"the nested epistemic estimate was negative ({float(parts['epistemic_raw']):.4g}) "
            "and is reported as 0: the parameter uncertainty is below the Monte Carlo noise; "
            "use more replicates."
        )
    cvar = _cvar(alpha)
    obj_full, obj_epi = _objective_pair(objective, y, cm)
    elements = by_element = None
    if y_el is not None:
        elements, by_element = _elements_table(model, y_el, mu_el, alpha, codes)
    return Decomposition(
        mean=float(parts["mean"]),
        total=float(parts["total"]),
        epistemic=float(parts["epistemic"]),
        aleatoric=float(parts["aleatoric"]),
        epistemic_raw=float(parts["epistemic_raw"]),
        method=method,  # type: ignore[arg-type]
        n_samples=int(y.shape[0]),
        n_replicates=int(y.shape[1]),
        alpha=alpha,
        cvar=float(cvar(y)),
        cvar_epistemic=float(cvar(cm)),
        objective=objective,
        objective_value=obj_full,
        objective_epistemic=obj_epi,
        elements=elements,
        by_element=by_element,
        notes=tuple(notes),
        structural=structural,
    )
