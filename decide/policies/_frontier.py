"""``frontier``: the mean-risk efficient frontier as the risk aversion grows from 0."""

from __future__ import annotations

import numbers
from typing import Any

import numpy as np
import pandas as pd

from decide._validation import as_rng
from decide.errors import DecideTypeError, DecideValueError
from decide.measures import Mean, Objective, WeightedObjective
from decide.optimization import Decision, available_methods, choose_method, optimize
from decide.outcomes import OutcomeModel
from decide.policies._common import action_columns, as_outcome, default_risk, mean_and_risk
from decide.policies._extrapolation import quiet_extrapolation, warn_extrapolation_summary

__all__ = ["frontier"]

#: Weight kept on the mean at the minimum-risk end, so ties in risk go to the higher mean.
_TIE_BREAK = 1e-6

def _risk_terms(risk: Objective) -> list[tuple[float, Objective]]:
    return list(risk.terms) if isinstance(risk, WeightedObjective) else [(1.0, risk)]


class _Solver:
    """Solves ``max  m * E[Y] + r * risk(Y)`` for many ``(m, r)``, reusing one program if it can."""

    def __init__(
        self, outcome: OutcomeModel, risk: Objective, space: Any, method: str,
        random_seed: Any, options: dict[str, Any],
    ) -> None:
        self.outcome, self.risk, self.space, self.method = outcome, risk, space, method
        self.options = options
        self.rng = as_rng(random_seed)
        self.terms = _risk_terms(risk)
        self.program: Any = None
        self.previous: np.ndarray | None = None
        self.last: Decision | None = None
        self.solves = 0
        combined = Mean() + risk
        from decide.optimization import as_space

        resolved_space = None if space is None else as_space(space)
        if resolved_space is not None and options.get("within_observed") is not None:
            # the program path below solves without optimize: give it the guarded space
            from decide.optimization import within_observed_space

            resolved_space = within_observed_space(outcome, resolved_space, options["within_observed"])
        works = (
            available_methods(outcome, combined, resolved_space)
            if resolved_space is not None
            else ["enumerate"]
        )
        self.works = works
        # "auto" for a warm-started sequence of solves (the specialized CVaR LP pays off
        # from fewer samples than for one solve, see decide._config)
        auto = (
            choose_method(outcome, combined, resolved_space, repeated=True)
            if method == "auto" and resolved_space is not None
            else None
        )
        self.cvar_lp = auto == "cvar-lp"
        if self.cvar_lp:
            self.method = "cvar-lp"
        elif (
            (method == "cvxpy" or auto == "cvxpy")
            and "cvxpy" in works
            and all(w >= 0 for w, _ in self.terms)
        ):
            from decide.optimization import ConvexProblem

            kwargs = {"solvers": options["solvers"]} if "solvers" in options else {}
            self.program = ConvexProblem(outcome, combined, resolved_space, **kwargs)
        self.warm_start = self.program is None and (
            method in ("scipy", "scipy-global") or auto == "scipy"
        )

    @property
    def reuse(self) -> str:
        if self.program is not None:
            return "ConvexProblem (cvxpy Parameters): built once, re-solved per point"
        if self.cvar_lp:
            return (
                "optimize(method='cvar-lp') per point (the specialized mean-CVaR LP), "
                "warm-started at the previous point"
            )
        if self.warm_start:
            return "optimize per point, warm-started at the previous action"
        return "optimize per point"

    def solve(self, m: float, r: float) -> Decision:
        self.solves += 1
        weights = [m, *(r * w for w, _ in self.terms)]
        if self.program is not None:
            return self.program.solve(objective_weights=weights)
        objective = WeightedObjective(
            [(m, Mean()), *((r * w, t) for w, t in self.terms)]
        )
        options = dict(self.options)
        if self.warm_start and self.previous is not None and "x0" not in options:
            options["x0"] = self.previous
        if self.last is not None and self.last.diagnostics.warm_state is not None:
            options.setdefault("warm_start", self.last)  # cvar-lp: start at the previous point
        d = optimize(
            self.outcome, objective, space=self.space, method=self.method,
            random_seed=self.rng, **options,
        )
        self.previous = np.asarray(d.flat_action, dtype=np.float64)
        self.last = d
        return d


def _check_risk_aversion(values: Any) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise DecideTypeError(
            f"risk_aversion must be a sequence of numbers >= 0; got {values!r}."
        ) from None
    if arr.size == 0 or not np.all(np.isfinite(arr)) or np.any(arr < 0):
        raise DecideValueError(
            "risk_aversion must be a non-empty sequence of finite numbers >= 0; got "
            f"{arr.tolist()}."
        )
    return arr


def frontier(
    outcome: OutcomeModel,
    risk: Objective | None = None,
    space: Any = None,
    *,
    n_points: int = 20,
    risk_aversion: Any = None,
    floors: Any = None,
    method: str = "auto",
    random_seed: int | np.random.Generator | None = None,
    **options: Any,
) -> pd.DataFrame:
    r"""The mean-risk efficient frontier: the best action as the risk aversion grows from 0.

    Outcomes are rewards (higher is better); risk lives in the lower tail and
    ``alpha`` is the tail probability. Each point maximizes
    :math:`E[Y(a)] + \lambda\,\rho(Y(a))` where :math:`\rho` is ``risk`` as a score
    (``CVaR(0.05)`` is the mean of the worst 5% of draws; ``Variance()`` scores
    as minus the variance).

    Parameters
    ----------
    outcome : OutcomeModel
        Outcome draws under an action, e.g. :func:`decide.outcomes.linear`.
    risk : Objective, default CVaR(0.05)
        The risk score traded against the mean (``CVaR(alpha)``, ``Variance()``,
        ``StdDev()``, ``EVaR(alpha)``, a weighted sum with non-negative weights, ...).
    space : Box, Budget, LinearConstraints, Integer, Discrete, optional
        Where to look (optional for ``from_draws`` outcomes: all options).
    n_points : int, default 20
        Points on the frontier when ``risk_aversion`` is not given (at least 2).
    risk_aversion : sequence of float, optional
        The values of :math:`\lambda \ge 0` to solve at, instead of the automatic grid.
    floors : sequence of float, optional
        Trace the frontier by moving a bound instead of a weight: each point maximizes
        the mean subject to ``risk >= floor`` (``risk <= floor`` for a measure compared
        on its conventional value as a dispersion or probability, such as ``Variance()``
        or ``ProbabilityOfShortfall(t)``), see :func:`~decide.optimize`'s
        ``subject_to``. ``VaR(alpha)`` floors are chance constraints. The table then
        has a ``floor`` column first, ``risk_aversion`` is the floor's shadow price
        (the risk aversion at which the weighted problem gives the same point; NaN
        where the solver gives none) and a floor no action reaches gives a row of NaN
        with ``converged`` False. Not with ``risk_aversion``.
    method : str, default "auto"
        ``"auto"`` or ``"cvxpy"`` re-solve one convex program
        (:class:`~decide.optimization.ConvexProblem`, whose term weights are cvxpy
        Parameters) when the outcome is affine and the risk has a DCP form;
        ``"auto"`` uses the specialized CVaR LP (``"cvar-lp"``) per point instead
        for a CVaR risk from 5000 samples on, where it is faster than a re-solve;
        otherwise every point calls :func:`~decide.optimize` with this
        method (warm-started at the previous point's action for scipy and
        ``"cvar-lp"``).
    random_seed : int or numpy.random.Generator, optional
        Seeds scipy's extra starts.
    **options
        Passed to :func:`~decide.optimize` (``solvers`` also to the convex program).

    Returns
    -------
    pandas.DataFrame
        One row per point, ordered by ``risk_aversion``: ``risk_aversion``
        (:math:`\lambda`), ``mean`` (:math:`E[Y]` at the point's action, all
        draws), ``risk`` (:math:`-\rho(Y)`, the risk on the loss scale: lower is
        better, e.g. minus the worst-5% mean for ``CVaR(0.05)``, the variance for
        ``Variance()``), ``risk_value`` (the risk measure on its own conventional
        scale, as a reader states it: a reward for a tail measure, higher is
        better, e.g. the worst-5% mean itself for ``CVaR(0.05)``, so +286,000
        where ``risk`` reads -286,000; the variance for ``Variance()``, lower is
        better; it is ``-risk.conventional_sign * risk``), ``converged``, then
        one column per flat action element.
        ``DataFrame.attrs`` holds ``risk`` (the objective), ``action_columns``,
        ``chord_slope`` (:math:`c` below), ``n_solves``, ``reuse`` (how the
        program was re-solved), ``verification`` (one
        :class:`~decide.optimization.Verification` per row) and ``extrapolation``
        (each row's ``Decision.extrapolation``: its action against the observed range,
        None without one or on the re-solved convex program's path).

    Warns
    -----
    ExtrapolationWarning
        Once per call (not per point) when some point's action leaves the observed
        range of the training data; it names the count per point and the farthest cell.

    Raises
    ------
    DecideTypeError
        If ``risk`` is not an Objective or ``outcome`` not an OutcomeModel.
    DecideValueError
        If ``n_points`` < 2 or ``risk_aversion`` holds negative or non-finite values.

    Notes
    -----
    For an exact optimum at each point, the mean and the loss-scale risk are
    both non-increasing in :math:`\lambda` (a larger :math:`\lambda` trades mean
    for a better tail). The automatic grid first solves both ends, the
    risk-neutral action (:math:`\lambda = 0`) and the minimum-risk action
    (the mean keeps a weight of :math:`10^{-6}`, so ties in risk go to the
    higher mean; reported as :math:`\lambda = 10^6`), then spreads the interior
    points evenly in :math:`u = \lambda / (\lambda + c)`, where
    :math:`c = (\mu_0 - \mu_1) / (\rho_1 - \rho_0)` is the slope of the chord
    between the ends, so the points cover the whole frontier whatever the units
    of the risk. Points are computed by maximizing
    :math:`(1-u) E[Y] + u c \rho(Y)`, which has the same maximizer.

    References
    ----------
    .. [1] Markowitz, H. (1952). Portfolio selection. Journal of Finance, 7(1), 77-91.
    .. [2] Rockafellar, R. T. and Uryasev, S. (2002). Conditional value-at-risk for
       general loss distributions. Journal of Banking & Finance, 26(7), 1443-1471.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.measures import CVaR
    >>> from decide.optimization import Budget
    >>> from decide.outcomes import linear
    >>> from decide.policies import frontier
    >>> R = np.random.default_rng(0).normal([0.08, 0.03], [0.30, 0.05], size=(1000, 2))
    >>> table = frontier(linear(R), CVaR(0.05), Budget(1.0), n_points=5)
    >>> list(table.columns)
    ['risk_aversion', 'mean', 'risk', 'risk_value', 'converged', 'action[0]', 'action[1]']
    >>> bool(np.allclose(table["risk_value"], -table["risk"]))  # CVaR as a reward
    True
    >>> bool(np.all(np.diff(table["mean"]) < 1e-7) and np.all(np.diff(table["risk"]) < 1e-7))
    True
    """
    outcome = as_outcome(outcome)
    risk = default_risk() if risk is None else risk
    if not isinstance(risk, Objective):
        raise DecideTypeError(
            f"risk must be a decide Objective (CVaR(0.05), Variance(), EVaR(0.1), ...); got "
            f"{type(risk).__name__}."
        )
    if floors is not None:
        if risk_aversion is not None:
            raise DecideValueError("give either risk_aversion or floors, not both.")
        with quiet_extrapolation():
            table = _floor_frontier(outcome, risk, space, floors, method, random_seed, options)
        warn_extrapolation_summary(
            dict(zip((f"floor {v:.6g}" for v in table["floor"]), table.attrs["extrapolation"])),
            "points", options.get("within_observed"),
        )
        return table
    with quiet_extrapolation():
        results, chord, solver = _trace(outcome, risk, space, n_points, risk_aversion, method,
                                        random_seed, options)
    cols = action_columns(outcome)
    rows = []
    for lam, d in results:
        mean, loss = mean_and_risk(d.draws, risk)
        row: dict[str, Any] = {
            "risk_aversion": lam, "mean": mean, "risk": loss,
            "risk_value": -risk.conventional_sign * loss, "converged": d.converged,
        }
        row.update(zip(cols, np.asarray(d.flat_action, dtype=np.float64).tolist()))
        rows.append(row)
    table = pd.DataFrame(rows)
    reports = [d.extrapolation for _, d in results]
    table.attrs.update(
        risk=risk, action_columns=cols, chord_slope=float(chord), n_solves=solver.solves,
        reuse=solver.reuse, verification=[d.diagnostics.verification for _, d in results],
        extrapolation=reports,
    )
    warn_extrapolation_summary(
        dict(zip((f"risk_aversion {lam:.4g}" for lam, _ in results), reports)), "points",
        options.get("within_observed"),
    )
    return table


def _trace(
    outcome: OutcomeModel, risk: Objective, space: Any, n_points: Any, risk_aversion: Any,
    method: str, random_seed: Any, options: dict[str, Any],
) -> tuple[list[tuple[float, Decision]], float, _Solver]:
    """The frontier's decisions ``(risk_aversion, Decision)``, the chord slope, the solver."""
    solver = _Solver(outcome, risk, space, method, random_seed, options)
    results: list[tuple[float, Decision]] = []
    chord = np.nan
    if risk_aversion is not None:
        for lam in np.sort(_check_risk_aversion(risk_aversion)):
            results.append((float(lam), solver.solve(1.0, float(lam))))
    else:
        if isinstance(n_points, bool) or not isinstance(n_points, numbers.Integral) or n_points < 2:
            raise DecideValueError(f"n_points must be an integer >= 2; got {n_points!r}.")
        first = solver.solve(1.0, 0.0)
        last = solver.solve(_TIE_BREAK, 1.0)
        (m0, r0), (m1, r1) = (mean_and_risk(d.draws, risk) for d in (first, last))
        scale = 1e-9 * (1.0 + abs(m0) + abs(r0))
        chord = (m0 - m1) / (r0 - r1) if (m0 - m1) > scale and (r0 - r1) > scale else 1.0
        results.append((0.0, first))
        for u in np.linspace(0.0, 1.0, int(n_points))[1:-1]:
            results.append((float(u * chord / (1.0 - u)), solver.solve(1.0 - u, u * chord)))
        results.append((1.0 / _TIE_BREAK, last))
    return results, float(chord), solver


def _floor_frontier(
    outcome: OutcomeModel, risk: Objective, space: Any, floors: Any, method: str,
    random_seed: Any, options: dict[str, Any],
) -> pd.DataFrame:
    """``max E[Y]`` subject to a bound on ``risk`` that moves along ``floors``."""
    from decide.errors import InfeasibleError
    from decide.measures import OutcomeConstraint

    try:
        values = np.asarray(floors, dtype=np.float64).reshape(-1)
    except (TypeError, ValueError):
        raise DecideTypeError(f"floors must be a sequence of numbers; got {floors!r}.") from None
    if values.size == 0 or not np.all(np.isfinite(values)):
        raise DecideValueError(f"floors must be a non-empty sequence of finite numbers; got {values.tolist()}.")
    sense = ">=" if risk.conventional_sign > 0 else "<="
    rng = as_rng(random_seed)
    cols = action_columns(outcome)
    rows = []
    reports: list[pd.DataFrame | None] = []
    for v in np.sort(values):
        con = OutcomeConstraint(risk, sense, float(v))
        row: dict[str, Any] = {"floor": float(v)}
        try:
            d = optimize(outcome, Mean(), space, method=method, random_seed=rng, subject_to=[con], **options)
        except InfeasibleError:
            row.update(risk_aversion=np.nan, mean=np.nan, risk=np.nan, risk_value=np.nan,
                       converged=False)
            row.update(dict.fromkeys(cols, np.nan))
            rows.append(row)
            reports.append(None)
            continue
        mean, loss = mean_and_risk(d.draws, risk)
        price = float(d.constraints["shadow_price"].iloc[0])
        row.update(risk_aversion=price, mean=mean, risk=loss,
                   risk_value=-risk.conventional_sign * loss, converged=d.converged)
        row.update(zip(cols, np.asarray(d.flat_action, dtype=np.float64).tolist()))
        rows.append(row)
        reports.append(d.extrapolation)
    table = pd.DataFrame(rows)
    table.attrs.update(
        risk=risk, action_columns=cols, chord_slope=np.nan, n_solves=len(rows),
        reuse=f"optimize per floor, subject_to=[{risk!r} {sense} floor]", extrapolation=reports,
    )
    return table
