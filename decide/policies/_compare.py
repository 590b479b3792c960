"""``compare``: optimize several policies on some draws, judge them on draws they never saw."""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from decide._config import DOMINANCE_Z, MIN_EXPONENTIAL_ESS, SOLUTION_RTOL
from decide._validation import as_rng, check_finite_scalar
from decide.errors import DecideValueError, UnreliableEstimateWarning
from decide.measures import Mean, Objective, exponential_ess, exponential_risk_aversion
from decide.optimization import Decision, optimize
from decide.outcomes import OutcomeModel
from decide.policies._common import (
    CE_LEVELS,
    NotedFrame,
    Policy,
    action_columns,
    as_outcome,
    ce_columns,
    check_holdout,
    check_levels,
    check_n_folds,
    fold_indices,
    holdout_indices,
    parse_policies,
    policy_summary,
    pooled_sd,
)
from decide.policies._dominance import dominance
from decide.policies._extrapolation import quiet_extrapolation, warn_extrapolation_summary

__all__ = ["compare"]


@dataclass
class _Fit:
    """What one policy did: its reported action and its draws on each evaluation set."""

    policy: Policy
    action: np.ndarray
    held_out: np.ndarray
    all_draws: np.ndarray
    in_sample: list[float] = field(default_factory=list)
    converged: bool = True
    verification: str = "fixed action"
    extrapolation: pd.DataFrame | None = None


def _label(d: Decision | None) -> str:
    """The verification label of a decision (see ``Verification.label``)."""
    if d is None:
        return "fixed action"
    v = d.diagnostics.verification
    return "not verified" if v is None else v.label


def _score(policy: Policy) -> Objective:
    return policy.objective if policy.objective is not None else Mean()


def _choose(
    outcome: OutcomeModel, policy: Policy, space: Any, method: str, seed: int,
    options: dict[str, Any], warm: Decision | None = None,
) -> tuple[np.ndarray, float, bool, Decision | None]:
    """The action of ``policy`` on ``outcome`` (its draws), its in-sample score, convergence.

    ``warm`` is an earlier decision on similar draws; a ``"cvar-lp"`` solve starts
    at its action (same answer, less time). The decision made is returned for the
    next call (None for a fixed action).
    """
    if policy.objective is None:
        assert policy.action is not None
        return policy.action, float(Mean()(outcome.draws(policy.action))), True, None
    opts = dict(options)
    if warm is not None and warm.diagnostics.warm_state is not None:
        opts.setdefault("warm_start", warm)
    d = optimize(outcome, policy.objective, space=space, method=method, random_seed=seed, **opts)
    return np.asarray(d.flat_action, dtype=np.float64), d.value, d.converged, d


def _report(outcome: OutcomeModel, x: np.ndarray, space: Any, d: Decision | None) -> Any:
    """The action against the observed range (None without a range).

    The decision's own report, or for a fixed plan the same report computed here
    (cells the space pins are left out, as optimize does).
    """
    if d is not None:
        return d.extrapolation
    from decide.optimization import as_space
    from decide.optimization._guard import extrapolation_report, pinned

    fixed = pinned(outcome, as_space(space)) if space is not None else None
    return extrapolation_report(outcome, np.asarray(x, dtype=np.float64).reshape(-1), fixed)


def _fit_holdout(
    outcome: OutcomeModel, policies: list[Policy], space: Any, holdout: float,
    rng: np.random.Generator, method: str, options: dict[str, Any],
) -> tuple[list[_Fit], dict[str, Any]]:
    train, test = holdout_indices(outcome.n_samples, holdout, rng)
    fit_on, judge_on = outcome.subset(train), outcome.subset(test)
    fits = []
    last: Decision | None = None
    for p in policies:
        x, value, ok, d = _choose(fit_on, p, space, method, int(rng.integers(2**31)), options, last)
        last = d if d is not None else last
        fits.append(
            _Fit(p, x, judge_on.draws(x), outcome.draws(x), in_sample=[value], converged=ok,
                 verification=_label(d), extrapolation=_report(outcome, x, space, d))
        )
    return fits, {"n_train": int(train.size), "n_test": int(test.size), "held_out": test}


def _fit_crossfit(
    outcome: OutcomeModel, policies: list[Policy], space: Any, n_folds: int,
    rng: np.random.Generator, method: str, options: dict[str, Any],
) -> tuple[list[_Fit], dict[str, Any]]:
    n = outcome.n_samples
    folds = fold_indices(n, n_folds, rng)
    seeds = rng.integers(2**31, size=(n_folds + 1, len(policies)))
    fits = []
    last: Decision | None = None
    for j, p in enumerate(policies):
        x_all, _, ok, d_all = _choose(outcome, p, space, method, int(seeds[n_folds, j]), options, last)
        last = d_all if d_all is not None else last
        all_draws = outcome.draws(x_all)
        oof = np.empty_like(np.asarray(all_draws, dtype=np.float64))
        in_sample = []
        label = _label(d_all)
        for f, test in enumerate(folds):
            train = np.setdiff1d(np.arange(n), test, assume_unique=True)
            x, value, ok_f, d_f = _choose(
                outcome.subset(train), p, space, method, int(seeds[f, j]), options, d_all
            )
            if not ok_f:
                label += f"; fold {f}: {_label(d_f)}"
            oof[test] = outcome.subset(test).draws(x)
            in_sample.append(value)
            ok = ok and ok_f
        fits.append(_Fit(p, x_all, oof, all_draws, in_sample=in_sample, converged=ok,
                         verification=label,
                         extrapolation=_report(outcome, x_all, space, d_all)))
    sizes = [int(f.size) for f in folds]
    return fits, {"n_train": n - min(sizes), "n_test": n, "folds": folds}


def _regret(draws: dict[str, np.ndarray]) -> dict[str, float]:
    """Expected regret against the best *chosen* action, draw by draw (plug-in replicate means)."""
    if len(draws) < 2:
        return dict.fromkeys(draws, 0.0)
    from decide.uncertainty import expected_regret

    return {str(k): float(v) for k, v in expected_regret(draws, debias=False).items()}


def _fixed_outside(outcome: OutcomeModel, space: Any, fits: list[_Fit]) -> list[str]:
    """Fixed actions outside the space the other policies were optimized over, with the constraint."""
    if space is None or not any(f.policy.fixed for f in fits):
        return []
    from decide.optimization import as_space

    try:
        system = as_space(space).linear_constraints(outcome.action_space)
    except (AttributeError, NotImplementedError, TypeError, ValueError):  # Discrete, labels
        return []
    out = []
    for f in fits:
        if f.policy.fixed:
            bad = system.violated(np.asarray(f.action, dtype=np.float64).reshape(-1), SOLUTION_RTOL)
            if bad is not None:
                out.append(f"{f.policy.name!r} breaks {bad[1]} by {bad[0]:.4g}")
    return out


def _notes(table: pd.DataFrame, fits: list[_Fit], z: float) -> list[str]:
    """What a reader of the table must know: fixed plans not held out, close calls on dominance."""
    notes = []
    fixed = [f.policy.name for f in fits if f.policy.fixed]
    if fixed:
        shown = ", ".join(repr(n) for n in fixed)
        notes.append(
            f"not held out: {shown} {'is a fixed action' if len(fixed) == 1 else 'are fixed actions'} "
            "given to compare, not chosen by it on training draws. A plan chosen elsewhere may "
            "have seen the held-out draws (optimized on all of them), so its held-out columns can "
            "be optimistic and its optimism is unknown (NaN, not 0). Column held_out is False."
        )
    close = [
        (str(p), float(table.loc[p, "dominance_gap"]), float(table.loc[p, "dominance_se"]))
        for p in table.index
        if not table.loc[p, "dominated"] and float(table.loc[p, "dominance_gap"]) > 0
    ]
    for p, gap, se in close[:4]:
        notes.append(
            f"{p!r}: another policy's held-out mean is higher by {gap:.4g}, within the Monte "
            f"Carlo error ({z:g} paired standard errors = {z * se:.4g}); not flagged as dominated."
        )
    return notes


def compare(
    outcome: OutcomeModel,
    policies: dict[str, Any],
    space: Any = None,
    *,
    holdout: float | str = 0.5,
    n_folds: int = 5,
    random_seed: int | np.random.Generator | None = None,
    target: float = 0.0,
    ce_risk_aversions: Any = CE_LEVELS,
    method: str = "auto",
    dominance_z: float | None = None,
    **options: Any,
) -> pd.DataFrame:
    r"""Optimize each policy on part of the posterior draws and judge it on the rest.

    Outcomes are rewards (higher is better); risk lives in the lower tail and
    ``alpha`` is the tail probability (``cvar_5`` is the mean of the worst 5% of
    outcome draws, a reward). Draws put the sample axis first.

    Parameters
    ----------
    outcome : OutcomeModel
        Any outcome model with ``subset`` (``linear``, ``from_draws``,
        ``from_function``, ``from_pymc``).
    policies : dict of str to Objective or action
        Policy name to an objective to optimize (``Mean()``, ``CVaR(0.05)``,
        ``MeanVariance(2.0)``, ``ExpectedUtility(Exponential(1.0))``, a user
        objective) or to a fixed action (the status quo, an equal split: an
        array of the action's shape, a dict by action name, an xarray object, a
        :class:`~decide.optimization.Decision`, or an option label of an
        outcome with named options: ``from_draws``, a categorical ``from_pymc``).
    space : Box, Budget, LinearConstraints, Integer, Discrete, optional
        Where the objectives are optimized, as in :func:`~decide.optimize`
        (optional for outcomes with named options: all options).
    holdout : float in (0, 1) or "crossfit", default 0.5
        Share of the posterior draws held out: the objectives are optimized on
        the other draws and every policy is judged on the held-out ones.
        ``"crossfit"`` splits the draws into ``n_folds`` folds, optimizes on
        every ``n_folds - 1`` of them and judges on the remaining fold, so every
        draw is used for judging once and no draw is wasted.
    n_folds : int, default 5
        Folds of ``holdout="crossfit"`` (at least 2 draws per fold).
    random_seed : int or numpy.random.Generator, optional
        Seeds the split and the optimizers; the same seed gives the same table.
    target : float, default 0.0
        ``prob_loss`` is the probability that the outcome falls below ``target``.
    ce_risk_aversions : sequence of float, default (0.5, 1.0, 2.0)
        Relative CARA risk aversions ``k`` of the certainty-equivalent columns;
        the absolute risk aversion is ``a = k / s`` (see Notes).
    method : str, default "auto"
        Passed to :func:`~decide.optimize`.
    dominance_z : float, optional
        Paired standard errors a difference must exceed for one policy to
        dominate another (default ``decide._config.DOMINANCE_Z`` = 3; see Notes).
        0 flags any difference beyond round-off.
    **options
        Passed to :func:`~decide.optimize` (e.g. ``n_starts``).

    Returns
    -------
    pandas.DataFrame
        One row per policy (index ``"policy"``, in the order given), columns:

        * one column per flat action element (``outcome.action_space.labels``,
          e.g. ``"spend[tv]"``): the action chosen on the optimization draws
          (with ``"crossfit"``: optimized on all draws, the action to deploy);
          for a categorical outcome (``outcome.categorical``, e.g. a one-hot
          treatment of ``from_pymc``) where every row's action is one option,
          a single ``option`` column with its label instead;
        * on the held-out draws: ``mean``, ``sd``, ``cvar_5``, ``cvar_10``,
          ``prob_loss``, ``regret``, ``ce_<k>`` for each ``k``;
        * ``objective`` (the policy's objective, ``Mean()`` for a fixed action),
          ``objective_in_sample`` (its value on the draws it was optimized on),
          ``objective_held_out`` and ``optimism`` (in-sample minus held-out: the
          optimizer's curse); NaN in-sample value and optimism for a fixed action
          (see ``held_out``);
        * the same risk columns on all draws with the suffix ``_all``
          (``mean_all``, ..., ``regret_all``);
        * ``dominated`` (bool) and ``dominated_by`` (names, comma separated):
          another policy is better beyond the Monte Carlo error (see Notes);
          ``dominance_gap`` and ``dominance_se``: the held-out mean advantage of
          the strongest challenger (the largest ``gap / se`` among the policies
          not worse in CVaR 5% beyond its error) and its paired standard error,
          so ``dominated`` is ``dominance_gap > z * dominance_se`` (zero or
          negative when no qualifying policy has a higher mean; NaN when no other
          policy qualifies);
        * ``held_out`` (bool): True when compare optimized the row's action on
          draws disjoint from the ones that judge it; False for a fixed action
          (an array, a dict, a Decision, an option label), which compare cannot
          know was chosen without the held-out draws;
        * ``converged`` (every optimization behind the row converged and was
          verified) and ``verification`` (the label of the check of the row's
          optimization, :attr:`~decide.optimization.Verification.label`, with any
          cross-fitting fold that failed; ``"fixed action"`` for a fixed action).

        ``DataFrame.attrs`` records ``holdout``, ``n_folds``, ``n_train``,
        ``n_test``, ``target``, ``ce_scale`` (``s``), ``ce_risk_aversions``
        (column to absolute ``a``), ``action_columns``, ``dominance_z``,
        ``notes`` (a list of sentences the table's repr prints after it: the
        fixed actions not held out, policies within Monte Carlo error of being
        dominated), and the sample positions
        held out: ``held_out`` (an array) or, with ``"crossfit"``, ``folds`` (a
        list of arrays); ``extrapolation``: per policy, its action against the
        observed range (``Decision.extrapolation``; the same report for a fixed
        action; None without an observed range).

    Raises
    ------
    DecideTypeError
        If ``outcome`` is not an OutcomeModel, ``policies`` not a dict, or a policy
        is neither an Objective nor an action.
    DecideValueError
        If ``policies`` is empty, ``holdout`` is outside (0, 1) (and not
        ``"crossfit"``), a split leaves fewer than 2 draws on a side, there
        are fewer than ``2 * n_folds`` draws, or ``dominance_z`` is negative.

    Warns
    -----
    ConvergenceWarning
        From :func:`~decide.optimize` when a solve did not converge
        (the row's ``converged`` is then False).
    ExtrapolationWarning
        Once per call (not per policy or fold) when some policy's action leaves the
        observed range of the training data.

    Notes
    -----
    With :math:`y_s(a)` the outcome under action :math:`a` for posterior draw
    :math:`s` and :math:`H` the held-out draws:

    * ``regret`` is the expected regret against perfect information over the
      set of chosen actions :math:`\mathcal{A}` (one per policy),
      :math:`R(a) = \frac{1}{|H|}\sum_{s \in H}\big[\max_{b \in \mathcal{A}}
      \bar y_s(b) - \bar y_s(a)\big]`, where :math:`\bar y_s` averages the
      draw's replicates; it is 0 for the policy that is best in every draw and
      for a single policy.
    * ``ce_<k>`` is the certainty equivalent under CARA utility
      :math:`u(y) = (1 - e^{-a y})/a`, :math:`-\frac1a \log \frac{1}{|H|}
      \sum_{s} e^{-a y_s}`, with :math:`a = k / s` and :math:`s` the sd of the
      outcome draws of all policies pooled (all draws), so ``k`` is unit free
      and the columns are comparable across rows. For a normal outcome
      :math:`N(\mu, \sigma^2)` it is :math:`\mu - k\sigma^2 / (2 s)`.
    * ``optimism`` is :math:`\hat\rho_{\text{train}}(a^*) - \hat\rho_H(a^*)`:
      an action chosen because it scores best on some draws is partly chosen for
      the noise of those draws, so its score there is biased upward (the
      optimizer's curse); on draws it never saw the bias is gone. A fixed action
      would show only Monte Carlo noise, if it was chosen without these draws;
      compare cannot know that (a plan optimized elsewhere on all the draws has
      seen the held-out ones, and its optimism would be 0 by construction), so
      a fixed action's row has ``held_out`` False and NaN optimism. With
      ``"crossfit"`` the in-sample value is the mean over folds and the
      held-out value is scored on the pooled out-of-fold draws (each draw
      under the action chosen without it).
    * Dominance beyond Monte Carlo error. Policy :math:`j` dominates :math:`i`
      when, on the held-out draws,

      .. math:: \bar m_j - \bar m_i > z\,\mathrm{se}(m_j - m_i)
                \quad\text{and}\quad
                c_j - c_i \ge -z\,\mathrm{se}(c_j - c_i),

      :math:`\bar m` the mean and :math:`c` the CVaR 5% (``mean``,
      ``cvar_5``), :math:`z` = ``dominance_z`` (3 by default, so that among a
      handful of policies that are equal in truth a false flag is rare). Both
      standard errors are paired: every policy is judged on the same draws, so
      the error of a difference is :math:`\mathrm{sd}(d_s)/\sqrt{n_\text{eff}}`
      of the per-draw differences :math:`d_s` (the draw's replicate mean for
      the mean; the CVaR's influence terms :math:`q + (y - q)1[y \le q]/0.05`
      averaged over the draw's replicates, :math:`q` the 5% quantile, for the
      CVaR), and :math:`n_\text{eff}` is ArviZ's effective sample size of the
      mean of :math:`d_s` in sample order (``arviz.ess(..., method="mean")``,
      at most the number of draws), which discounts autocorrelated MCMC draws.
      Two plans that are the same allocation up to solver round-off, at an
      optimum (where the mean is flat), differ by far less than this error and
      are not flagged. Away from an optimum, two different allocations can
      differ deterministically on every draw (the paired error is then tiny):
      a small but real advantage is flagged however small; read
      ``dominance_gap`` for its size.

    References
    ----------
    .. [1] Smith, J. E. and Winkler, R. L. (2006). The optimizer's curse:
       skepticism and postdecision surprise in decision analysis. Management
       Science, 52(3), 311-322.
    .. [2] Chernozhukov, V. et al. (2018). Double/debiased machine learning for
       treatment and structural parameters. The Econometrics Journal, 21(1), C1-C68.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.measures import CVaR, Mean
    >>> from decide.outcomes import from_draws
    >>> from decide.policies import compare
    >>> rng = np.random.default_rng(0)
    >>> arms = from_draws({"safe": rng.normal(1.0, 0.2, 2000),
    ...                    "risky": rng.normal(1.3, 2.0, 2000)})
    >>> table = compare(arms, {"neutral": Mean(), "cautious": CVaR(0.05),
    ...                        "status quo": "safe"}, random_seed=1)
    >>> table[["action[safe]", "action[risky]"]]
                action[safe]  action[risky]
    policy
    neutral              0.0            1.0
    cautious             1.0            0.0
    status quo           1.0            0.0
    >>> bool(table.loc["neutral", "cvar_5"] < table.loc["cautious", "cvar_5"])
    True
    >>> table["held_out"].tolist(), table["optimism"].isna().tolist()
    ([True, True, False], [False, False, True])
    >>> print(table.attrs["notes"][0][:61])
    not held out: 'status quo' is a fixed action given to compare
    """
    outcome = as_outcome(outcome)
    parsed = parse_policies(outcome, policies)
    how = check_holdout(holdout)
    target = check_finite_scalar(target, "target")
    levels = check_levels(ce_risk_aversions, "ce_risk_aversions")
    z = DOMINANCE_Z if dominance_z is None else check_finite_scalar(dominance_z, "dominance_z")
    if z < 0:
        raise DecideValueError(
            f"dominance_z must be a number >= 0 (standard errors a difference must exceed, e.g. "
            f"{DOMINANCE_Z:g}); got {dominance_z!r}."
        )
    rng = as_rng(random_seed)
    with quiet_extrapolation():  # one warning for the whole comparison, below
        if how == "crossfit":
            k = check_n_folds(n_folds, outcome.n_samples)
            fits, info = _fit_crossfit(outcome, parsed, space, k, rng, method, options)
        else:
            assert isinstance(how, float)
            fits, info = _fit_holdout(outcome, parsed, space, how, rng, method, options)
    table = _table(outcome, fits, how, n_folds, target, levels, info, z)
    outside = _fixed_outside(outcome, space, fits)
    if outside:
        note = (
            f"outside the space: {'; '.join(outside)}. The other policies were chosen within "
            f"{space!r}, so these rows compare against plans that were not allowed to do the same."
        )
        table.attrs["notes"].append(note)
        warnings.warn(f"compare: {note}", UserWarning, stacklevel=2)
    table.attrs["extrapolation"] = {f.policy.name: f.extrapolation for f in fits}
    warn_extrapolation_summary(table.attrs["extrapolation"], "policies",
                               options.get("within_observed"))
    return table


def _option_labels(outcome: OutcomeModel, actions: list[np.ndarray]) -> list[Any] | None:
    """The option label of each action of a categorical outcome, or None if one is not an option."""
    if not outcome.categorical or outcome.options is None:
        return None
    flat = {lab: outcome.one_hot(lab) for lab in outcome.options}
    out = []
    for x in actions:
        match = [lab for lab, v in flat.items() if np.array_equal(v, x)]
        if not match:
            return None
        out.append(match[0])
    return out


def _ess_columns(held_out: np.ndarray, ce: list[tuple[str, float]], score: Any) -> dict[str, float]:
    """``ess_<ce column>`` and ``ess_objective``: effective sample sizes of held-out CARA estimates.

    Kish effective sample sizes of the exponential weights behind each
    held-out CARA estimate (NaN for an objective without one).
    """
    out = {f"ess_{col}": exponential_ess(held_out, a) for col, a in ce}
    a_obj = exponential_risk_aversion(score)
    out["ess_objective"] = math.nan if a_obj is None else exponential_ess(held_out, a_obj)
    return out


def _warn_low_ess(table: pd.DataFrame, crossfit: bool) -> None:
    cols = [c for c in table.columns if c.startswith("ess_")]
    low = [(p, c[4:], float(table.loc[p, c])) for c in cols for p in table.index
           if float(table.loc[p, c]) < MIN_EXPONENTIAL_ESS]
    if low:
        shown = ", ".join(f"{c} of {p!r} (ESS {e:.1f})" for p, c, e in low[:6])
        more = "use more posterior draws" if crossfit else "hold out more draws (or use 'crossfit')"
        warnings.warn(
            f"compare: {len(low)} held-out CARA estimate(s) rest on fewer than "
            f"{MIN_EXPONENTIAL_ESS:g} effective draws: {shown}. A few of the worst draws carry "
            f"almost all the exponential weight, so these columns are unreliable; {more} or "
            "lower the risk aversion (see the ess_ columns).",
            UnreliableEstimateWarning,
            stacklevel=4,  # _warn_low_ess < _table < compare < the caller
        )


def _table(
    outcome: OutcomeModel, fits: list[_Fit], how: float | str, n_folds: int, target: float,
    levels: tuple[float, ...], info: dict[str, Any], z: float,
) -> pd.DataFrame:
    s = pooled_sd([f.all_draws for f in fits])
    ce = [(col, k / s) for col, k in zip(ce_columns(levels), levels)]
    cols = action_columns(outcome)
    chosen = _option_labels(outcome, [f.action for f in fits])
    if chosen is not None:  # one treatment for all rows: one column, not one per cell
        cols = ["option"]
    regret_h = _regret({f.policy.name: f.held_out for f in fits})
    regret_a = _regret({f.policy.name: f.all_draws for f in fits})
    rows = []
    for i, f in enumerate(fits):
        if chosen is not None:
            row: dict[str, Any] = {"option": chosen[i]}
        else:
            row = dict(zip(cols, f.action.tolist()))
        held = policy_summary(f.held_out, target=target, ce=ce)
        held["regret"] = regret_h[f.policy.name]
        row.update(held)
        score = _score(f.policy)
        row["objective"] = repr(score)
        row["objective_held_out"] = float(score(f.held_out))
        if f.policy.fixed:  # not optimized here: no in-sample value, no measurable optimism
            row["objective_in_sample"] = math.nan
            row["optimism"] = math.nan
        else:
            row["objective_in_sample"] = float(np.mean(f.in_sample))
            row["optimism"] = row["objective_in_sample"] - row["objective_held_out"]
        row.update(_ess_columns(f.held_out, ce, score))
        every = policy_summary(f.all_draws, target=target, ce=ce)
        every["regret"] = regret_a[f.policy.name]
        row.update({f"{k}_all": v for k, v in every.items()})
        row["converged"] = f.converged
        row["verification"] = f.verification
        rows.append(row)
    table = NotedFrame(rows, index=pd.Index([f.policy.name for f in fits], name="policy"))
    _warn_low_ess(table, how == "crossfit")
    dom = dominance(
        [f.policy.name for f in fits], [f.held_out for f in fits],
        table["mean"].to_numpy(dtype=np.float64), table["cvar_5"].to_numpy(dtype=np.float64), z,
    )
    converged = table.pop("converged")
    verification = table.pop("verification")
    table["dominated"] = dom.dominated
    table["dominated_by"] = dom.dominated_by
    table["dominance_gap"] = dom.gap
    table["dominance_se"] = dom.se
    table["held_out"] = [not f.policy.fixed for f in fits]
    table["converged"] = converged
    table["verification"] = verification
    table.attrs.update(
        dominance_z=z,
        notes=_notes(table, fits, z),
        holdout=how,
        n_folds=n_folds if how == "crossfit" else None,
        target=target,
        ce_scale=s,
        ce_risk_aversions={col: a for col, a in ce},
        action_columns=cols,
        **info,
    )
    return table
