"""``optimize``: choose the action that maximizes an objective of the outcome draws."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from decide.errors import DecideTypeError, DecideValueError, SolverError
from decide.measures import Objective
from decide.optimization._decision import Decision
from decide.optimization._discrete import Discrete, _outcome_options
from decide.optimization._polyhedron import LinearSystem
from decide.optimization._problem import Problem
from decide.optimization._robust import RobustCriterion
from decide.optimization._robust_solve import solve_robust
from decide.optimization._spaces import Space, as_space
from decide.optimization.backends import _cvar_lp as cvar_lp
from decide.outcomes import OutcomeModel

__all__ = ["METHODS", "available_methods", "optimize"]

#: Every value of ``method``.
METHODS: tuple[str, ...] = ("auto", "cvxpy", "cvar-lp", "scipy", "scipy-global", "enumerate")

_SCIPY_OPTIONS = {"x0", "n_starts", "local_method", "maxiter", "tol", "max_steps"}
_GLOBAL_OPTIONS = _SCIPY_OPTIONS | {"popsize", "de_maxiter", "de_tol", "penalty"}
_CVXPY_OPTIONS = {"solvers"}
_ALLOWED = {
    "scipy": _SCIPY_OPTIONS,
    "scipy-global": _GLOBAL_OPTIONS,
    "cvxpy": _CVXPY_OPTIONS,
    "enumerate": set(),
    "cvar-lp": {"rtol", "max_rounds", "warm_start"},
}


def available_methods(
    outcome: OutcomeModel, objective: Objective, space: Any, weights: Any = None
) -> list[str]:
    """The methods that can solve this problem (``"auto"`` picks among them).

    Parameters
    ----------
    outcome : OutcomeModel
    objective : Objective
    space : Space
    weights : array_like of shape (n_samples,), optional
        Sample weights (``"cvar-lp"`` takes equally weighted samples only).

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
    ['cvxpy', 'scipy', 'scipy-global']
    """
    space = as_space(space)
    order = ("enumerate", "cvxpy", "cvar-lp", "scipy", "scipy-global")
    return [m for m in order if _applies(m, outcome, objective, space, weights)]


def _applies(
    method: str, outcome: OutcomeModel, objective: Objective, space: Space, weights: Any
) -> bool:
    if method == "enumerate" or space.discrete:
        return method == "enumerate" and space.discrete
    if method == "cvxpy":
        return outcome.affine_form() is not None and objective.has_cvxpy
    if method == "cvar-lp":
        return cvar_lp.applies(outcome, objective, space, weights)
    if method == "scipy":
        return True
    if method == "scipy-global" and not space.integer:  # needs a bounded polyhedron
        lb, ub = space.linear_constraints(outcome.action_space).implied_bounds()
        return bool(np.all(np.isfinite(lb)) and np.all(np.isfinite(ub)))
    return False


def _auto(outcome: OutcomeModel, objective: Objective, space: Space, weights: Any) -> str:
    if int(outcome.n_samples) >= cvar_lp.AUTO_MIN_SAMPLES and _applies(
        "cvar-lp", outcome, objective, space, weights
    ):
        return "cvar-lp"
    for m in ("enumerate", "cvxpy", "scipy"):
        if _applies(m, outcome, objective, space, weights):
            return m
    raise AssertionError("unreachable: scipy always works on a linear space")


def optimize(
    outcome: OutcomeModel,
    objective: Objective,
    space: Any = None,
    method: str = "auto",
    random_seed: int | np.random.Generator | None = None,
    **options: Any,
) -> Decision:
    """Choose the action that maximizes ``objective(outcome draws under the action)``.

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
    method : {"auto", "cvxpy", "cvar-lp", "scipy", "scipy-global", "enumerate"}
        ``"auto"`` picks the exact convex program when the outcome is affine and the
        objective has a DCP form (continuous or integer space), enumeration for a
        Discrete space, else scipy (rounding plus local search for integers). For
        mean-CVaR objectives on an affine outcome with at least 20000 samples and a
        continuous space it picks ``"cvar-lp"``, an exact specialized CVaR solver.
        ``"scipy-global"`` runs differential evolution, then a local polish.
    random_seed : int or numpy.random.Generator, optional
        Seeds the extra start points and differential evolution; the same seed gives
        the same decision bit for bit.
    **options
        ``weights`` (array of shape (n_samples,): probability weights of the samples);
        scipy: ``x0`` (start action, inside the space), ``n_starts`` (default 1 for an
        affine outcome with a concave objective, else 3), ``local_method``
        (``"SLSQP"`` or ``"trust-constr"``), ``maxiter``, ``tol``, ``max_steps``
        (integer local search); scipy-global: also ``popsize``, ``de_maxiter``,
        ``de_tol``, ``penalty``; cvxpy: ``solvers`` (order to try); cvar-lp: ``rtol``
        (certified relative gap), ``max_rounds``, ``warm_start`` (a Decision from an
        earlier solve on the same draws, e.g. the previous point of a sweep: the
        solve starts at its action instead of a subsample solve; the answer is
        the same, only the time changes).

    Returns
    -------
    Decision
        ``action`` (xarray, named like the outcome's action), ``value``, ``draws``,
        ``diagnostics``, ``summary()``.

    Raises
    ------
    InfeasibleError
        If the space is empty (the message names the constraint and the numbers).
    DecideValueError
        If ``method`` cannot solve the problem (the message lists the methods that
        can), the objective is unbounded over the space, ``x0`` lies outside the
        space, or an option is unknown.
    DecideTypeError
        If ``outcome``, ``objective``, ``space`` or ``random_seed`` has the wrong type.
    SolverError
        If every solver failed (with ``method="auto"`` a failing cvar-lp or cvxpy
        solve falls back to cvxpy or scipy first; the fallback is recorded in
        ``Decision.diagnostics.fallbacks``).

    Warns
    -----
    ConvergenceWarning
        If the solver stopped without converging (``diagnostics.converged`` is False).

    Notes
    -----
    The problem is :math:`\\max_{a \\in \\mathcal{A}} \\rho(Y(a))` where
    :math:`Y(a) = (y_1(a), \\dots, y_S(a))` are the outcome draws under
    :math:`\\mathrm{do}(a)` and :math:`\\rho` the objective. The scipy backend uses
    :math:`\\nabla_a \\rho = J_Y(a)^\\top \\nabla_Y \\rho` (``objective.grad`` chained
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
    if not isinstance(outcome, OutcomeModel):
        raise DecideTypeError(
            f"outcome must be an OutcomeModel (decide.outcomes.linear, from_function, from_draws, "
            f"from_pymc, ...); got {type(outcome).__name__}."
        )
    if isinstance(objective, RobustCriterion):  # WorstModel, WassersteinCVaR: their own path
        return solve_robust(outcome, objective, space, method, random_seed, **options)
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
    valid = (*METHODS,)
    if method not in valid:
        raise DecideValueError(f"method must be one of {list(valid)}; got {method!r}.")
    rng = _as_rng(random_seed)
    weights = options.pop("weights", None)

    system: LinearSystem | None = None
    if not space.discrete:
        system = space.linear_constraints(outcome.action_space)
        system.check_feasible()
    chosen = _auto(outcome, objective, space, weights) if method == "auto" else method
    if not _applies(chosen, outcome, objective, space, weights):
        works = available_methods(outcome, objective, space, weights)
        why = _why_not(chosen, outcome, objective, space)
        raise DecideValueError(
            f"method={method!r} cannot solve this problem: {why}. Methods that work here: {works}."
        )
    # with "auto", options of any method are accepted and used where they apply
    allowed = set().union(*_ALLOWED.values()) if method == "auto" else _ALLOWED[chosen]
    unknown = sorted(set(options) - allowed)
    if unknown:
        raise DecideValueError(
            f"unknown options {unknown} for method={method!r}; valid options: "
            f"{[*sorted(allowed), 'weights']}."
        )
    prob = Problem(outcome, objective, space, system, weights, started=started)
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1, user_api="blas"):
        decision = _dispatch(chosen, method, prob, rng, options)
    unused = sorted(set(options) - _ALLOWED[decision.method])
    if unused:
        decision.diagnostics.notes.append(
            f"options {unused} do not apply to method {decision.method!r} and were ignored"
        )
    return decision


def _as_rng(random_seed: Any) -> np.random.Generator:
    """``random_seed`` as a Generator; a clear error for anything else."""
    if isinstance(random_seed, np.random.Generator):
        return random_seed
    if random_seed is None or (
        isinstance(random_seed, int | np.integer) and not isinstance(random_seed, bool)
    ):
        if random_seed is not None and random_seed < 0:
            raise DecideValueError(
                f"random_seed must be a non-negative integer, a numpy.random.Generator or None; "
                f"got {random_seed!r}."
            )
        return np.random.default_rng(random_seed)
    raise DecideTypeError(
        "random_seed must be a non-negative integer, a numpy.random.Generator or None; got "
        f"{random_seed!r} of type {type(random_seed).__name__}."
    )


def _dispatch(
    chosen: str, requested: str, prob: Problem, rng: np.random.Generator, options: dict[str, Any]
) -> Decision:
    if chosen == "enumerate":
        assert isinstance(prob.space, Discrete)
        from decide.optimization.backends._enumerate import solve_enumerate

        return solve_enumerate(prob, prob.space)
    if chosen == "cvar-lp":
        try:
            return cvar_lp.solve_cvar_lp_method(prob, **_only(options, "cvar-lp"))
        except SolverError as exc:
            if requested != "auto":
                raise
            # the exact convex program solves the same problem, only slower
            return _fallback_from_cvar_lp(prob, rng, options, exc)
    if chosen == "cvxpy":
        from decide.optimization.backends._cvxpy import ConvexProblem

        try:
            cp_prob = ConvexProblem(
                prob.outcome, prob.objective, prob.space, weights=prob.weights,
                solvers=options.get("solvers"),
            )
            decision = cp_prob.solve()
        except (SolverError, DecideValueError) as exc:
            if requested != "auto" or "unbounded" in str(exc):
                raise
            decision = _scipy(prob, rng, _only(options, "scipy"))
            decision.diagnostics.fallbacks.insert(0, f"cvxpy: {exc}")
            return decision
        decision.diagnostics.wall_time = time.perf_counter() - prob.started
        return decision
    return _scipy(prob, rng, _only(options, chosen), global_search=chosen == "scipy-global")


def _fallback_from_cvar_lp(
    prob: Problem, rng: np.random.Generator, options: dict[str, Any], exc: SolverError
) -> Decision:
    decision = _dispatch("cvxpy", "auto", prob, rng, options)
    decision.diagnostics.fallbacks.insert(0, f"cvar-lp: {exc}")
    return decision


def _only(options: dict[str, Any], method: str) -> dict[str, Any]:
    return {k: v for k, v in options.items() if k in _ALLOWED[method]}


def _scipy(
    prob: Problem, rng: np.random.Generator, options: dict[str, Any], global_search: bool = False
) -> Decision:
    if prob.space.integer:
        from decide.optimization.backends._integer import solve_integer_search

        return solve_integer_search(prob, rng=rng, **options)
    from decide.optimization.backends._scipy import solve_scipy

    options = dict(options)
    options.pop("max_steps", None)
    de = {k: options.pop(k) for k in ("popsize", "de_maxiter", "de_tol", "penalty") if k in options}
    out = solve_scipy(
        prob, rng=rng, global_search=global_search, options=de,
        method_name="scipy-global" if global_search else "scipy", **options,
    )
    assert isinstance(out, Decision)
    return out


def _why_not(method: str, outcome: OutcomeModel, objective: Objective, space: Space) -> str:
    if method == "enumerate":
        return "enumeration needs a Discrete space"
    if space.discrete:
        return f"a Discrete space is scored by enumeration, not {method!r}"
    if method == "cvxpy":
        reasons = []
        if outcome.affine_form() is None:
            reasons.append(f"the outcome {type(outcome).__name__} is not affine in the action")
        if not objective.has_cvxpy:
            reasons.append(f"the objective {objective!r} has no DCP form (to_cvxpy)")
        return " and ".join(reasons)
    if method == "cvar-lp":
        return (
            "the specialized CVaR LP needs an affine outcome, an objective CVaR, MeanCVaR or "
            "a * Mean() + c * CVaR(alpha), a continuous linear space and no sample weights"
        )
    if method == "scipy-global":
        if space.integer:
            return "differential evolution does not handle Integer spaces"
        return "differential evolution needs finite bounds on every action element"
    return "unsupported combination"
