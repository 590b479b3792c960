"""``optimize``: choose the action that maximizes an objective of the outcome draws."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from decide._validation import as_rng
from decide.errors import DecideError, DecideTypeError, DecideValueError, InfeasibleError
from decide.measures import Objective
from decide.optimization._decision import Decision
from decide.optimization._discrete import Discrete, _outcome_options
from decide.optimization._guard import (
    check_factor,
    check_history,
    extrapolation_report,
    keep_within,
    pinned,
    warn_extrapolation,
)
from decide.optimization._outcome_constraints import as_constraints, check_chance
from decide.optimization._problem import Problem
from decide.optimization._robust import RobustCriterion
from decide.optimization._robust_solve import solve_robust
from decide.optimization._spaces import as_space
from decide.optimization.backends import backend_names, choose, get_backend
from decide.optimization.backends._scipy_derivative_free import free_dimensions, rule
from decide.outcomes import OutcomeModel

__all__ = ["METHODS", "available_methods", "choose_method", "optimize"]

#: Every value of ``method``: ``"auto"`` and the registered backends.
METHODS: tuple[str, ...] = ("auto", *backend_names())


def _problem(
    outcome: Any, objective: Any, space: Any, weights: Any = None, subject_to: Any = None,
    chance: str = "auto",
) -> Problem:
    """Check the three parts of a decision problem and bundle them (feasibility checked)."""
    if not isinstance(outcome, OutcomeModel):
        raise DecideTypeError(
            f"outcome must be an OutcomeModel (decide.outcomes.linear, from_function, from_draws, "
            f"from_pymc, ...); got {type(outcome).__name__}."
        )
    if not isinstance(objective, Objective):
        raise DecideTypeError(
            f"objective must be a decide Objective (Mean(), CVaR(0.05), ...); got "
            f"{type(objective).__name__}."
        )
    if space is None:
        if _outcome_options(outcome) is None:
            raise DecideValueError(
                "space is required for this outcome: pass a Box, Budget, LinearConstraints, "
                "Integer or Discrete space."
            )
        space = Discrete()
    space = as_space(space)
    if outcome.categorical and not isinstance(space, Discrete):
        raise DecideValueError(
            f"space {space!r} is continuous, but the action is categorical: one of "
            f"{list(outcome.options or ())}; a fraction of a treatment has no meaning. Pass "
            "space=Discrete() (every option) or Discrete([labels]), or no space."
        )
    system = None
    if not space.discrete:
        system = space.linear_constraints(outcome.action_space)
        system.check_feasible()
    return Problem(
        outcome, objective, space, system, weights, constraints=as_constraints(subject_to),
        chance=check_chance(chance),
    )


def _refuse_noisy(prob: Problem) -> None:
    """Optimizing an outcome that changes between calls at the same action is never right."""
    if prob.space.discrete or prob.outcome.smoothness != "noisy":
        return
    raise DecideValueError(
        "the outcome draws fresh noise at every call (smoothness='noisy', e.g. "
        "from_pymc(..., mode='sample')): over a continuous or integer space the optimizer "
        "would chase that noise and return a near-arbitrary action. Use common random "
        "numbers (from_pymc(..., mode='crn', n_replicates=...)), fix the random numbers "
        "inside the outcome function, or score a Discrete set of actions."
    )


def _may_retry(prob: Problem, backend: Any) -> bool:
    """A gradient solve under ``"auto"`` whose failed probe hands over to a derivative-free search."""
    if backend.name != "scipy" or prob.space.discrete or prob.space.integer:
        return False
    return get_backend("derivative-free").accepts(prob) is None


def _solve_or_retry(
    prob: Problem, backend: Any, rng: np.random.Generator, mine: dict[str, Any],
    options: dict[str, Any], failed: list[str],
) -> Decision:
    """Solve; on a failed local probe, solve again with ``"derivative-free"``.

    A better point nearby means a gradient method stalled on an objective that is
    not smooth.
    """
    import warnings

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        decision = backend.solve(prob, rng, mine)
    ver = decision.diagnostics.verification
    if ver is None or ver.checks.get("local_probe", True):
        for w in caught:
            warnings.warn_explicit(w.message, w.category, w.filename, w.lineno)
        return decision
    failed.append(f"{backend.name}: not verified ({ver})")
    retry = get_backend("derivative-free")
    assert prob.system is not None
    out = retry.solve(prob, rng, {k: v for k, v in options.items() if k in retry.options})
    out.diagnostics.method_reason = (
        f"method='auto' chose {backend.name!r} ({backend.reason(prob)}), but a point near its "
        f"answer scored better (the objective is not smooth where it stopped), so "
        f"'derivative-free': {rule(free_dimensions(prob.system))}"
    )
    return out


def available_methods(
    outcome: OutcomeModel, objective: Objective, space: Any, weights: Any = None,
    *, subject_to: Any = None,
) -> list[str]:
    """The methods that can solve this problem (``"auto"`` picks among them).

    Parameters
    ----------
    outcome : OutcomeModel
    objective : Objective
    space : Space
    weights : array_like of shape (n_samples,), optional
        Sample weights (``"cvar-lp"`` takes equally weighted samples only).
    subject_to : list of OutcomeConstraint, optional
        Constraints on outcomes, as in :func:`optimize`.

    Returns
    -------
    list of str

    Examples
    --------
    >>> import numpy as np
    >>> from decide.measures import Mean
    >>> from decide.optimization import Budget, available_methods
    >>> from decide.outcomes import linear
    >>> available_methods(linear(np.ones((3, 2))), Mean(), Budget(1.0))
    ['cvxpy', 'scipy', 'scipy-global', 'derivative-free']
    """
    prob = _problem(outcome, objective, space, weights, subject_to)
    return [m for m in backend_names() if get_backend(m).accepts(prob) is None]


def choose_method(
    outcome: OutcomeModel,
    objective: Objective,
    space: Any,
    weights: Any = None,
    *,
    repeated: bool = False,
    subject_to: Any = None,
) -> str:
    """The method ``method="auto"`` uses for this problem.

    Parameters
    ----------
    outcome : OutcomeModel
    objective : Objective
    space : Space
    weights : array_like of shape (n_samples,), optional
    repeated : bool
        True for one point of a warm-started sequence of solves (a frontier or a
        sweep), where the specialized CVaR LP pays off from fewer samples.
    subject_to : list of OutcomeConstraint, optional
        Constraints on outcomes, as in :func:`optimize`.

    Returns
    -------
    str

    Examples
    --------
    >>> import numpy as np
    >>> from decide.measures import CVaR
    >>> from decide.optimization import Budget, choose_method
    >>> from decide.outcomes import linear
    >>> choose_method(linear(np.ones((30, 2))), CVaR(0.1), Budget(1.0))
    'cvxpy'
    """
    prob = _problem(outcome, objective, space, weights, subject_to)
    return choose(prob, repeated=repeated).name


def optimize(
    outcome: OutcomeModel,
    objective: Objective | RobustCriterion,
    space: Any = None,
    method: str = "auto",
    random_seed: int | np.random.Generator | None = None,
    subject_to: Any = None,
    **options: Any,
) -> Decision:
    r"""Choose the action that maximizes ``objective(outcome draws under the action)``.

    Outcomes are rewards (higher is better); risk lives in the lower tail and
    ``alpha`` is the tail probability of tail measures. Draws put the sample axis
    first.

    Parameters
    ----------
    outcome : OutcomeModel
        Maps an action to outcome draws, e.g. :func:`decide.outcomes.linear`,
        ``from_function``, ``from_draws`` or ``from_pymc``.
    objective : Objective or RobustCriterion
        The score to maximize, e.g. ``Mean()``, ``CVaR(0.05)``, ``Mean() + 2 * CVaR(0.1)``;
        or a robust criterion that needs the model itself: ``WorstModel(objective,
        worst=...)`` on a mixture of candidate models, ``WassersteinCVaR(alpha, radius)``
        on a linear outcome (methods ``"auto"``, ``"cvxpy"``, ``"scipy"`` (WorstModel),
        ``"enumerate"``).
    space : Box, Budget, LinearConstraints, Integer, Discrete, or a list of linear spaces
        Where to look. A list is the intersection (same as ``a & b``). Default:
        every option of an outcome with named options (``from_draws``), else required.
    method : {"auto", "cvxpy", "cvar-lp", "cvar-slp", "cvar-sqp", "scipy", "scipy-global", "derivative-free", "highs", "enumerate"}
        ``"auto"`` picks the exact convex program when the outcome is affine and the
        objective has a DCP form (continuous or integer space), enumeration for a
        Discrete space, ``"derivative-free"`` when the objective is not smooth (the
        outcome declares ``smoothness="nonsmooth"`` or there is no gradient) on a
        bounded continuous space, else scipy (rounding plus local search for
        integers). The rule and its reason are in ``diagnostics.method_reason``. For
        mean-CVaR objectives on an affine outcome with at least 20000 samples and a
        continuous space it picks ``"cvar-lp"``, an exact specialized CVaR solver.
        ``"scipy-global"`` runs differential evolution, then a local polish.
        ``"cvar-slp"`` maximizes a mean-CVaR objective of a smooth non-linear
        outcome by trust-region sequential linear programming on the per-draw
        Jacobian (:meth:`~decide.outcomes.OutcomeModel.draws_and_jacobian`);
        ``"cvar-sqp"`` adds a BFGS curvature model to each step (trust-region SQP,
        superlinear), and ``"auto"`` picks it for such an outcome when it is not
        affine. ``"scipy"``, ``"cvar-slp"`` and ``"cvar-sqp"`` first presolve the space: elements fixed by
        their bounds and equality rows are eliminated, so the solver works on the
        free dimensions only.
    random_seed : int or numpy.random.Generator, optional
        Seeds the extra start points and differential evolution; the same seed gives
        the same decision bit for bit.
    subject_to : list of OutcomeConstraint, optional
        Constraints on outcomes, made by comparing an objective with a number:
        ``CVaR(0.05) >= -100``, ``Mean() >= 10.0``, ``VaR(0.1) >= t`` (the lower
        10% quantile is at least ``t``: ``P(outcome < t) < 0.1``),
        ``ProbabilityOfShortfall(0) <= 0.05``. Each one's value, slack, whether it
        binds and its shadow price are in ``Decision.constraints`` (see
        docs/constraints.md). With constraints, ``"auto"`` picks ``"highs"`` (one
        MILP in HiGHS) for chance constraints on a linear outcome with a
        linear-programmable objective, the CVaR LP for a mean objective with a CVaR
        floor at many samples, cvxpy for DCP forms, enumeration for a Discrete
        space, else scipy (SLSQP with the constraints' gradients through the
        outcome's vjp).
    **options
        ``weights`` (array of shape (n_samples,): probability weights of the samples);
        scipy: ``x0`` (start action, inside the space), ``n_starts`` (default 1 for an
        affine outcome with a concave objective, else 3), ``local_method``
        (``"SLSQP"`` or ``"trust-constr"``), ``maxiter``, ``tol``, ``max_steps``
        (integer local search); scipy-global: also ``popsize``, ``de_maxiter``,
        ``de_tol``, ``penalty``; derivative-free: ``grid`` (points of the one-dimensional
        grid), ``n_starts``, ``maxiter``, ``popsize``, ``de_maxiter``, ``de_tol``; cvxpy: ``solvers`` (order to try); cvar-lp: ``rtol``
        (certified relative gap), ``max_rounds``, ``warm_start`` (a Decision from an
        earlier solve on the same draws, e.g. the previous point of a sweep: the
        solve starts at its action instead of a subsample solve; the answer is
        the same, only the time changes); ``chance`` (``"auto"``, ``"exact"`` or
        ``"cvar"``: chance constraints as a mixed-integer program, or as the
        conservative convex approximation ``CVaR(alpha) >= t``; ``"auto"`` is exact
        where the method can be and the approximation elsewhere); highs:
        ``time_limit`` (seconds, default ``decide._config.CHANCE_MILP_TIME_LIMIT``),
        ``mip_rel_gap``; cvar-slp and cvar-sqp: ``x0``, ``rtol`` (stop when the
        step's model predicts a relative gain below it), ``maxiter``, ``radius``
        (first trust-region radius). Guards (any method): ``within_observed``
        (``True`` or a factor ``k >= 1``: keep every cell of the action within the
        range the training data held, :meth:`~decide.outcomes.OutcomeModel.observed_range`,
        widened ``k`` times about its midpoint; added to the space as a ``Box`` on the
        action's elements, or as ``LinearConstraints`` on the model's cells for a
        mapped decision); ``move_history`` (default False: a space that lets history
        cells of a planning window move, :meth:`~decide.outcomes.OutcomeModel.history_flat`,
        is an error; True allows it).

    Returns
    -------
    Decision
        ``action`` (xarray, named like the outcome's action), ``value``, ``draws``,
        ``diagnostics``, ``summary()``, ``extrapolation`` (the action against its
        observed range, when the outcome declares one).

    Raises
    ------
    InfeasibleError
        If the space is empty (the message names the constraint and the numbers), or
        no action meets the constraints on outcomes (the message gives the best
        value of each constraint's measure in the space).
    DecideValueError
        If ``method`` cannot solve the problem (the message lists the methods that
        can), the space would move history cells (it names them), ``within_observed``
        is set for an outcome without an observed range, the outcome is noisy (fresh
        noise per call) and the space is not Discrete, the objective is unbounded over
        the space, ``x0`` lies outside the space, or an option is unknown.
    DecideTypeError
        If ``outcome``, ``objective``, ``space`` or ``random_seed`` has the wrong type.
    SolverError
        If every solver failed (with ``method="auto"`` a failing cvar-lp or cvxpy
        solve falls back to cvxpy or scipy first; the fallback is recorded in
        ``Decision.diagnostics.fallbacks``).

    Warns
    -----
    ConvergenceWarning
        If the solver stopped without converging or the answer failed its
        verification (``diagnostics.verification``: a local probe, agreement of
        starts, a statistical optimality gap); ``diagnostics.converged`` is then
        False and the message says what failed and what to do.
    ExtrapolationWarning
        If a cell of the action is outside the range of the data the model was fitted
        on (``Decision.extrapolation``); not with ``within_observed``.

    Notes
    -----
    The problem is :math:`\max_{a \in \mathcal{A}} \rho(Y(a))` where
    :math:`Y(a) = (y_1(a), \dots, y_S(a))` are the outcome draws under
    :math:`\mathrm{do}(a)` and :math:`\rho` the objective. The scipy backend uses
    :math:`\nabla_a \rho = J_Y(a)^\top \nabla_Y \rho` (``objective.grad`` chained
    with ``outcome.vjp``); finite differences only when either is missing (noted in
    the diagnostics). BLAS is pinned to one thread during the solve.

    References
    ----------
    .. [1] Rockafellar, R. T. and Uryasev, S. (2000). Optimization of conditional
       value-at-risk. Journal of Risk, 2, 21-42.
    .. [2] Kraft, D. (1988). A software package for sequential quadratic programming.
       DFVLR-FB 88-28.

    Examples
    --------
    >>> import numpy as np
    >>> from decide.measures import CVaR, Mean
    >>> from decide.optimization import Budget, optimize
    >>> from decide.outcomes import linear
    >>> rng = np.random.default_rng(0)
    >>> R = rng.normal([0.08, 0.03], [0.30, 0.05], size=(2000, 2))
    >>> risk_neutral = optimize(linear(R), Mean(), Budget(1.0))
    >>> np.round(risk_neutral.flat_action, 3).tolist()
    [1.0, 0.0]
    >>> careful = optimize(linear(R), CVaR(0.05), Budget(1.0))
    >>> bool(careful.flat_action[1] > 0.5)
    True
    """
    started = time.perf_counter()
    within = check_factor(options.pop("within_observed", None))
    move_history = options.pop("move_history", False)
    if not isinstance(move_history, bool | np.bool_):
        raise DecideTypeError(
            f"move_history must be True or False; got {type(move_history).__name__} "
            f"{move_history!r}."
        )
    fixed = pinned(outcome, as_space(space) if space is not None else None)
    if within is not None and isinstance(outcome, OutcomeModel):
        space = keep_within(outcome, Discrete() if space is None else as_space(space), within)
        _feasible_within(outcome, space, within)
    if isinstance(objective, RobustCriterion):  # WorstModel, WassersteinCVaR: their own path
        if subject_to:
            raise DecideValueError(
                "subject_to is not supported with a robust criterion (WorstModel, "
                "WassersteinCVaR); got constraints with objective " f"{objective!r}."
            )
        if not move_history and isinstance(outcome, OutcomeModel) and space is not None:
            linear_space = as_space(space)
            if outcome.history_flat() is not None and not linear_space.discrete:
                check_history(outcome, linear_space.linear_constraints(outcome.action_space))
        decision = solve_robust(outcome, objective, space, method, random_seed, **options)
        return _guarded(outcome, decision, within, fixed)
    if method != "auto":
        get_backend(method)  # a clear error naming every valid method
    rng = as_rng(random_seed)
    weights = options.pop("weights", None)
    prob = _problem(outcome, objective, space, weights, subject_to, options.pop("chance", "auto"))
    prob.started = started
    _refuse_noisy(prob)
    if not move_history:
        check_history(outcome, prob.system)
    backend = choose(prob) if method == "auto" else get_backend(method)
    why = backend.accepts(prob)
    if why is not None:
        works = [m for m in backend_names() if get_backend(m).accepts(prob) is None]
        raise DecideValueError(
            f"method={method!r} cannot solve this problem: {why}. Methods that work here: {works}."
        )
    # with "auto", options of any method are accepted and used where they apply
    allowed = (
        frozenset().union(*(get_backend(m).options for m in backend_names()))
        if method == "auto"
        else backend.options
    )
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise DecideValueError(
            f"unknown options {unknown} for method={method!r}; valid options: "
            f"{[*sorted(allowed), 'weights', 'chance', 'within_observed', 'move_history']}."
        )
    failed: list[str] = []
    with _blas_controller().limit(limits=1, user_api="blas"):
        while True:
            mine = {k: v for k, v in options.items() if k in backend.options}
            try:
                if method == "auto" and _may_retry(prob, backend):
                    decision = _solve_or_retry(prob, backend, rng, mine, options, failed)
                    backend = get_backend(decision.method)
                else:
                    decision = backend.solve(prob, rng, mine)
                break
            except DecideError as exc:
                # under "auto" a failing backend hands the problem to its fallback
                if method != "auto" or backend.fallback is None or not backend.recoverable(exc):
                    raise
                failed.append(f"{backend.name}: {exc}")
                backend = get_backend(backend.fallback)
    decision.diagnostics.fallbacks[:0] = failed
    if not decision.diagnostics.method_reason:
        how = f"method={method!r}" if method != "auto" else f"method='auto' chose {backend.name!r}"
        decision.diagnostics.method_reason = f"{how}: {backend.reason(prob)}"
    unused = sorted(set(options) - backend.options)
    if unused:
        decision.diagnostics.notes.append(
            f"options {unused} do not apply to method {decision.method!r} and were ignored"
        )
    return _guarded(outcome, decision, within, fixed)


def _guarded(
    outcome: OutcomeModel, decision: Decision, within: float | None, fixed: np.ndarray | None
) -> Decision:
    """Attach the extrapolation report; warn when the action leaves the observed range.

    Elements the space pins (``fixed``) are not decided and not reported. With
    ``within_observed`` the action was constrained on purpose (a factor above 1
    allows leaving the observed range): no warning.
    """
    decision.extrapolation = extrapolation_report(outcome, decision.flat_action, fixed)
    if within is None:
        warn_extrapolation(decision.extrapolation, stacklevel=4)
    return decision


_CONTROLLER: list[Any] = []


def _blas_controller() -> Any:
    """One ``threadpoolctl.ThreadpoolController`` per process.

    ``threadpool_limits(...)`` scans the loaded libraries (``/proc/self/maps``) on
    every call, a fixed cost of several milliseconds per ``optimize`` (issue 17);
    the controller scans once and only sets and restores the limits afterwards.
    """
    if not _CONTROLLER:
        from threadpoolctl import ThreadpoolController

        _CONTROLLER.append(ThreadpoolController())
    return _CONTROLLER[0]


def _feasible_within(outcome: OutcomeModel, space: Any, within: float) -> None:
    """Raise when ``within_observed`` leaves the space empty, saying the bounds came from it."""
    resolved = as_space(space)
    if resolved.discrete:
        return
    try:
        resolved.linear_constraints(outcome.action_space).check_feasible()
    except InfeasibleError as exc:
        widened = "" if within == 1.0 else f", widened by the factor {within:g} about its midpoint"
        raise InfeasibleError(
            f"within_observed={within:g} leaves no feasible action: its bounds are the observed "
            f"range of each cell in the data the model was fitted on{widened}, not bounds "
            f"you set. {exc} Here: lower the total, widen the range (within_observed=k with "
            f"k > {within:g}), or drop within_observed (the plan then leaves the observed "
            "range; Decision.extrapolation reports where)."
        ) from None
