"""``robustness``: does the choice survive each candidate model? Value, regret and rank per model."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from decide.errors import DecideTypeError, DecideValueError
from decide.measures import Mean, Objective
from decide.optimization import Decision, Discrete, RobustCriterion, optimize
from decide.outcomes import MixtureOutcome, mixture
from decide.policies._common import action_columns

__all__ = ["robustness"]

_COLUMNS = ["weight", "value", "best", "regret", "rank"]
#: Values closer than this (relative to the largest) tie in the rank: solver tolerance.
_TIE = 1e-6


def _as_mixture(models: Any) -> MixtureOutcome:
    if isinstance(models, MixtureOutcome):
        return models
    if isinstance(models, Mapping):
        return mixture(models)
    raise DecideTypeError(
        "models must be a mixture (decide.outcomes.mixture) or a dict name -> OutcomeModel; got "
        f"{type(models).__name__}."
    )


def _base(spec: Any) -> Objective | None:
    if isinstance(spec, RobustCriterion):
        return spec.base
    return spec if isinstance(spec, Objective) else None


class _Row:
    """One policy: its flat action, the objective and space it was chosen with."""

    def __init__(self, name: str, x: np.ndarray, objective: Objective | None, space: Any,
                 converged: bool = True):
        self.name, self.x, self.objective, self.space, self.converged = (
            name, x, objective, space, converged)


def _policies(
    given: Any, mix: MixtureOutcome, space: Any, method: str, rng: np.random.Generator,
    options: dict[str, Any],
) -> list[_Row]:
    if isinstance(given, Decision):
        given = {"decision": given}
    if not isinstance(given, Mapping) or not given:
        raise DecideTypeError(
            "decision_or_policies must be a Decision or a non-empty dict name -> Decision, "
            f"Objective, WorstModel or fixed action; got {type(given).__name__}."
        )
    rows = []
    for key, spec in given.items():
        name = str(key)
        if isinstance(spec, Objective | RobustCriterion):
            if space is None and mix.options is None:
                raise DecideValueError(
                    f"policies[{name!r}] is an objective to optimize: pass space= (Budget, Box, "
                    "...) for it."
                )
            d = optimize(mix, spec, space, method=method, random_seed=int(rng.integers(2**31)),
                         **options)
            rows.append(_Row(name, d.flat_action, _base(spec), d.space, d.converged))
        elif isinstance(spec, Decision):
            x = mix.action_space.flatten(spec.flat_action, name=f"policies[{name!r}]")
            rows.append(_Row(name, x, _base(spec.objective), spec.space, spec.converged))
        elif isinstance(spec, str):
            if mix.options is None:
                raise DecideTypeError(
                    f"policies[{name!r}] is the label {spec!r}, but the models have no named "
                    "options; give a Decision, an Objective or a numeric action."
                )
            rows.append(_Row(name, mix.one_hot(spec), None, None))
        else:
            rows.append(_Row(name, mix.action_space.flatten(spec, name=f"policies[{name!r}]"),
                             None, None))
    return rows


def _objective(objective: Any, rows: list[_Row]) -> tuple[Objective, str]:
    if objective is not None:
        if not isinstance(objective, Objective):
            raise DecideTypeError(
                f"objective must be a decide Objective (Mean(), CVaR(0.05), ...); got "
                f"{type(objective).__name__}."
            )
        return objective, "given"
    found: list[Objective] = []
    for r in rows:
        if r.objective is not None and r.objective not in found:
            found.append(r.objective)
    if len(found) > 1:
        raise DecideValueError(
            f"the policies were chosen with different objectives {found}; pass objective= the "
            "one to value every action with under each model."
        )
    return (found[0], "from the policies") if found else (Mean(), "default Mean()")


def robustness(
    decision_or_policies: Any,
    models: Any,
    *,
    objective: Objective | None = None,
    space: Any = None,
    model_choices: bool = True,
    method: str = "auto",
    random_seed: int | np.random.Generator | None = None,
    **options: Any,
) -> pd.DataFrame:
    r"""Value, regret and rank of each chosen action under each candidate model.

    A decision made on a mixture of candidate causal models (or under one of
    them) is valued again under every model alone: does the choice survive each
    hypothesis? Outcomes are rewards (higher is better); risk lives in the lower
    tail and ``alpha`` is the tail probability.

    Parameters
    ----------
    decision_or_policies : Decision or dict of str to Decision, Objective, WorstModel or action
        One decision, or several named policies: decisions already made, objectives
        or robust criteria (optimized here on the mixture of ``models``), or fixed
        actions (an array, a dict by action name, xarray, an option label).
    models : MixtureOutcome or dict of str to OutcomeModel
        The candidate models: a mixture (its weights are used) or a dict (equal weights).
    objective : Objective, optional
        How an action is valued under each model. Default: the objective the
        decisions were made with (the inner objective of a ``WorstModel``, the CVaR
        of a ``WassersteinCVaR``), ``Mean()`` when no policy carries one.
    space : Space, optional
        Where each model alone chooses its own action and where objective policies
        are optimized. Default: the space of the first decision given (every
        option for models with named options).
    model_choices : bool, default True
        Add one policy per model, ``"best for <model>"``: the action that model
        alone would choose (optimized with ``objective`` over ``space``).
    method : str, default "auto"
        Passed to :func:`~decide.optimize`.
    random_seed : int or numpy.random.Generator, optional
        Seeds the optimizations.
    **options
        Passed to :func:`~decide.optimize`.

    Returns
    -------
    pandas.DataFrame
        Index ``(policy, model)``; columns: one per flat action element (the
        policy's action), ``weight`` (the model's weight), ``value`` (the objective
        of the model's draws under the action), ``best`` (the best value reachable
        under the model), ``regret`` (``best - value`` >= 0) and ``rank`` (1 = the
        best policy under that model; values within ``1e-6`` relative of each other
        tie and share the smaller rank).
        ``table["regret"].unstack("model", sort=False)`` is the policies-by-models
        regret table.
        ``DataFrame.attrs`` holds ``objective`` (repr), ``objective_source``,
        ``action_columns``, ``models``, ``model_choices`` (each model's own action,
        value and convergence) and ``summary``: per policy ``expected_value`` and
        ``expected_regret`` (weighted by the model weights), ``worst_value``,
        ``max_regret``, ``max_regret_model`` and ``converged``.

    Raises
    ------
    DecideTypeError
        If ``models`` or ``decision_or_policies`` has the wrong type, or a label is
        given for models without named options.
    DecideValueError
        If policies were chosen with different objectives and none is given, a
        name repeats, an action has the wrong shape, or no space is known where one
        is needed.

    Notes
    -----
    With :math:`\rho` the objective, :math:`Y_m(a)` the draws of model :math:`m`
    under action :math:`a`, and :math:`\mathcal{P}` the policies in the table,

    .. math::

        \mathrm{best}_m = \max\big(\rho(Y_m(a^*_m)),\, \max_{p \in \mathcal{P}} \rho(Y_m(a_p))\big),
        \qquad \mathrm{regret}_{p,m} = \mathrm{best}_m - \rho(Y_m(a_p)),

    where :math:`a^*_m` is the action model :math:`m` alone chooses. The
    minimax-regret choice is the policy with the smallest ``max_regret`` (Savage);
    the max-min choice is :class:`~decide.optimization.WorstModel`. For
    ``Mean()`` and the mixture's own choice, ``expected_regret`` is the expected
    value of learning which model is right: :math:`\sum_m w_m \max_a E_m[Y(a)] -
    \max_a \sum_m w_m E_m[Y(a)]`.

    References
    ----------
    .. [1] Savage, L. J. (1951). The theory of statistical decision. Journal of the
       American Statistical Association, 46(253), 55-67.
    .. [2] Bojke, L. et al. (2009). Characterizing structural uncertainty in decision
       analytic models: a review and application of methods. Value in Health, 12(5),
       739-749.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.measures import Mean
    >>> from decide.optimization import Budget, WorstModel
    >>> from decide.outcomes import linear, mixture
    >>> from decide.policies import robustness
    >>> rng = np.random.default_rng(0)
    >>> a = linear(rng.normal([1.0, 0.4], 0.05, size=(300, 2)))
    >>> b = linear(rng.normal([0.3, 1.0], 0.05, size=(300, 2)))
    >>> mix = mixture({"a": a, "b": b}, weights={"a": 0.7, "b": 0.3})
    >>> table = robustness({"mixture": Mean(), "worst case": WorstModel(Mean())}, mix,
    ...                    space=Budget(1.0), random_seed=0)
    >>> table["rank"].unstack("model", sort=False)
    model       a  b
    policy
    mixture     1  3
    worst case  3  2
    best for a  1  3
    best for b  4  1
    >>> summary = table.attrs["summary"]
    >>> summary["max_regret"].idxmin()
    'worst case'
    """
    mix = _as_mixture(models)
    rng = random_seed if isinstance(random_seed, np.random.Generator) else np.random.default_rng(random_seed)
    rows = _policies(decision_or_policies, mix, space, method, rng, options)
    rho, source = _objective(objective, rows)
    if space is None:
        space = next((r.space for r in rows if r.space is not None), None)
    if space is None and mix.options is not None:
        space = Discrete()
    choices = []
    if model_choices:
        if space is None:
            raise DecideValueError(
                "each model's own choice needs a space: pass space= (or model_choices=False)."
            )
        taken = {r.name for r in rows}
        for name, model in mix.models.items():
            label = f"best for {name}"
            if label in taken:
                raise DecideValueError(f"the policy name {label!r} is reserved for model {name!r}'s choice.")
            d = optimize(model, rho, space, method=method, random_seed=int(rng.integers(2**31)),
                         **options)
            choices.append((name, d))
            rows.append(_Row(label, d.flat_action, rho, space, d.converged))
    names = [r.name for r in rows]
    if len(set(names)) != len(names):
        raise DecideValueError(f"policy names must be unique; got {names}.")
    values = np.array([[float(rho(m.draws_flat(r.x))) for m in mix.models.values()] for r in rows])
    best = values.max(axis=0)
    notes = []
    for j, (name, d) in enumerate(choices):
        if best[j] > d.value + 1e-9 * (1.0 + abs(d.value)):
            winner = names[int(np.argmax(values[:, j]))]
            notes.append(f"under {name!r} the policy {winner!r} beats that model's own optimized "
                         f"choice ({best[j]:.6g} > {d.value:.6g}); best uses it")
    regret = best[None, :] - values
    tol = _TIE * (1.0 + float(np.max(np.abs(values))))
    rank = 1 + (values[None, :, :] > values[:, None, :] + tol).sum(axis=1)
    cols = action_columns(mix)
    weights = mix.weights.to_numpy()
    records = []
    for i, r in enumerate(rows):
        for j in range(len(mix.names)):
            rec = dict(zip(cols, r.x.tolist()))
            rec.update(weight=weights[j], value=values[i, j], best=best[j], regret=regret[i, j],
                       rank=int(rank[i, j]))
            records.append(rec)
    index = pd.MultiIndex.from_product([names, list(mix.names)], names=["policy", "model"])
    table = pd.DataFrame(records, index=index)[[*cols, *_COLUMNS]]
    worst_j = np.argmax(regret, axis=1)
    summary = pd.DataFrame(
        {
            "expected_value": values @ weights,
            "worst_value": values.min(axis=1),
            "expected_regret": regret @ weights,
            "max_regret": regret.max(axis=1),
            "max_regret_model": [mix.names[j] for j in worst_j],
            "converged": [r.converged for r in rows],
        },
        index=pd.Index(names, name="policy"),
    )
    own = pd.DataFrame(
        [dict(zip(cols, d.flat_action.tolist()), value=d.value, converged=d.converged)
         for _, d in choices],
        index=pd.Index([n for n, _ in choices], name="model"),
    )
    table.attrs.update(
        objective=repr(rho), objective_source=source, action_columns=cols,
        models=list(mix.names), model_choices=own, summary=summary, notes=notes,
    )
    return table
