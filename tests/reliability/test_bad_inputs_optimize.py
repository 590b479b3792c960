"""Bad inputs to spaces, optimize, the uncertainty and policy functions: named DecideErrors.

Each case asserts the exact exception type (a DecideError) and message fragments
naming the offending argument and its value (or the constraint and its numbers).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from decide.errors import (
    DecideError,
    DecideTypeError,
    DecideValueError,
    InfeasibleError,
    UnboundedError,
)
from decide.measures import CVaR, Mean, MeanCVaR, Sharpe, VaR
from decide.optimization import (
    Box,
    Budget,
    Discrete,
    Integer,
    LinearConstraints,
    optimize,
)
from decide.outcomes import from_draws, linear
from decide.policies import compare, frontier
from decide.uncertainty import decompose, evpi, evppi, expected_regret, prob_best

_R = np.random.default_rng(3).normal([0.05, 0.02], [0.2, 0.05], size=(60, 2))
_LIN = linear(_R)
_UP = linear(np.abs(_R) + 0.1)  # every element pays: Mean() grows without limit on a ray
_ARMS = from_draws({"A": np.linspace(-1, 1, 30), "B": np.linspace(0, 0.5, 30)})


def _check(call, exc, fragments) -> None:
    with pytest.raises(exc) as info:
        call()
    assert type(info.value) is exc, f"raised {type(info.value).__name__}: {info.value}"
    assert isinstance(info.value, DecideError)
    for fragment in fragments:
        assert fragment in str(info.value), f"{fragment!r} not in {str(info.value)!r}"


CASES = [
    # infeasible spaces: the constraint and its numbers are named
    ("budget lower bounds above total", lambda: optimize(_LIN, Mean(), Budget(1.0, lower=0.6)),
     InfeasibleError, ("Budget(total=1", "at least 1.2")),
    ("budget upper bounds below total", lambda: optimize(_LIN, Mean(), Budget(1.0, upper=0.3)),
     InfeasibleError, ("Budget(total=1", "at most 0.6")),
    ("budget per-element lower above total",
     lambda: optimize(_LIN, Mean(), Budget(1.0, lower={"action": [2.0, 0.0]})),
     InfeasibleError, ("Budget(total=1", "at least 2")),
    ("box lower above upper", lambda: optimize(_LIN, Mean(), Box([0.0, 2.0], [1.0, 1.0])),
     InfeasibleError, ("element 1", "lower bound 2", "upper bound 1")),
    ("linear constraints against box",
     lambda: optimize(_LIN, Mean(), Box(0, 1) & LinearConstraints([[1.0, 1.0]], lb=3.0)),
     InfeasibleError, ("LinearConstraints row 0",)),
    ("linear constraints row lb > ub", lambda: LinearConstraints([[1.0, 1.0]], lb=2.0, ub=1.0),
     InfeasibleError, ("row 0", "lb=2", "ub=1")),
    ("two rows without a common point",
     lambda: optimize(_LIN, Mean(), Box(0, 1) & LinearConstraints(
         [[1.0, -1.0], [-1.0, 1.0]], lb=[0.5, 0.5])),
     InfeasibleError, ("no common point",)),
    # space arguments
    ("budget total nan", lambda: Budget(float("nan")), DecideValueError,
     ("total must be a finite number", "nan")),
    ("budget total inf", lambda: Budget(float("inf")), DecideValueError, ("total", "inf")),
    ("budget total text", lambda: Budget("ten"), DecideTypeError, ("total", "'ten'")),
    ("box nan bound", lambda: optimize(_LIN, Mean(), Box(np.nan, 1.0)), DecideValueError,
     ("Box lower must not contain NaN", "nan")),
    ("box wrong length", lambda: optimize(_LIN, Mean(), Box([0, 0, 0], 1.0)), DecideValueError,
     ("Box lower", "length 2", "(3,)")),
    ("box unknown action name", lambda: optimize(_LIN, Mean(), Box({"spend": 0.0}, 1.0)),
     DecideValueError, ("unknown action names ['spend']", "['action']")),
    ("linear constraints nan", lambda: LinearConstraints([[1.0, np.nan]], ub=1.0),
     DecideValueError, ("A must be a finite 2-d array", "(1, 2)")),
    ("linear constraints wrong columns",
     lambda: optimize(_LIN, Mean(), Budget(1.0) & LinearConstraints([[1, 1, 1]], ub=1)),
     DecideValueError, ("A must have 2 columns", "got 3")),
    ("space of the wrong type", lambda: optimize(_LIN, Mean(), 3), DecideTypeError,
     ("space must be", "int")),
    ("space missing", lambda: optimize(_LIN, Mean()), DecideValueError, ("space is required",)),
    ("combining a Discrete", lambda: Box(0, 1) & Discrete({"a": [1.0, 0.0]}), DecideTypeError,
     ("only Box, Budget and LinearConstraints", "Discrete")),
    # Discrete
    ("empty Discrete dict", lambda: Discrete({}), DecideValueError,
     ("Discrete needs at least one option", "got none")),
    ("empty Discrete array", lambda: Discrete(np.zeros((0, 2))), DecideValueError,
     ("at least one option",)),
    ("duplicate option labels", lambda: Discrete(np.eye(2), labels=["a", "a"]), DecideValueError,
     ("labels must be unique", "['a']")),
    ("duplicate option names", lambda: Discrete(["A", "A"]), DecideValueError,
     ("must be unique", "['A']")),
    ("label count", lambda: Discrete(np.eye(2), labels=["a"]), DecideValueError,
     ("one label per option (2)", "got 1")),
    ("option of the wrong shape", lambda: optimize(_LIN, Mean(), Discrete({"a": [1, 2, 3]})),
     DecideValueError, ("option 'a'", "length 2", "(3,)")),
    ("unknown option label", lambda: optimize(_ARMS, Mean(), Discrete(["C"])), DecideValueError,
     ("['C'] are not options", "['A', 'B']")),
    ("labels without named options", lambda: optimize(_LIN, Mean(), Discrete(["a"])),
     DecideValueError, ("are labels", "LinearOutcome")),
    # unbounded problems: one message per backend
    ("unbounded cvxpy", lambda: optimize(_UP, Mean(), Box(0, None), method="cvxpy"),
     UnboundedError, ("unbounded", "Mean()", "Box(lower=0, upper=None)")),
    ("unbounded auto", lambda: optimize(_UP, Mean(), Box(0, None)), UnboundedError,
     ("unbounded",)),
    ("unbounded scipy", lambda: optimize(_UP, Mean(), Box(0, None), method="scipy"),
     UnboundedError, ("looks unbounded", "Bound the action")),
    ("unbounded cvar-lp", lambda: optimize(_UP, CVaR(0.1), Box(0, None), method="cvar-lp"),
     UnboundedError, ("unbounded", "x[0] has no upper bound")),
    ("unbounded linear constraints",
     lambda: optimize(_UP, Mean(), LinearConstraints([[1.0, -1.0]], ub=0.0)), UnboundedError,
     ("unbounded", "LinearConstraints(k=1)")),
    # start point
    ("x0 outside the bounds",
     lambda: optimize(_LIN, Mean(), Budget(1.0, upper=0.8), method="scipy", x0=[0.9, 0.1]),
     DecideValueError, ("x0 must lie in the action space", "x0=[0.9, 0.1]", "upper bound")),
    ("x0 off the budget", lambda: optimize(_LIN, Mean(), Budget(1.0), method="scipy", x0=[2, 2]),
     DecideValueError, ("x0=[2, 2]", "Budget(total=1", "by 3")),
    ("x0 wrong shape", lambda: optimize(_LIN, Mean(), Budget(1.0), method="scipy", x0=[1, 0, 0]),
     DecideValueError, ("x0 must be a flat vector of length 2", "(3,)")),
    ("x0 nan", lambda: optimize(_LIN, Mean(), Budget(1.0), method="scipy", x0=[np.nan, 1.0]),
     DecideValueError, ("x0 must be finite", "nan")),
    # methods and options
    ("unknown method", lambda: optimize(_LIN, Mean(), Budget(1.0), method="newton"),
     DecideValueError, ("method must be one of", "'newton'")),
    ("cvxpy with a non-DCP objective (negative weight)",
     lambda: optimize(_LIN, Mean() - 1.0 * CVaR(0.1), Budget(1.0), method="cvxpy"),
     DecideValueError, ("not concave in DCP form", "-1 * CVaR(alpha=0.1)", "method='scipy'")),
    ("cvxpy with an objective without a DCP form",
     lambda: optimize(_LIN, VaR(0.1), Budget(1.0), method="cvxpy"), DecideValueError,
     ("method='cvxpy' cannot solve", "VaR(alpha=0.1)", "['scipy', 'scipy-global', 'derivative-free']")),
    ("cvxpy with a ratio objective", lambda: optimize(_LIN, Sharpe(), Budget(1.0), method="cvxpy"),
     DecideValueError, ("Sharpe(risk_free=0.0) has no DCP form",)),
    ("cvar-lp with a non mean-CVaR objective",
     lambda: optimize(_LIN, VaR(0.1), Budget(1.0), method="cvar-lp"), DecideValueError,
     ("method='cvar-lp' cannot solve",)),
    ("cvar-lp with weights",
     lambda: optimize(_LIN, CVaR(0.1), Budget(1.0), method="cvar-lp", weights=np.ones(60)),
     DecideValueError, ("method='cvar-lp' cannot solve", "no sample weights")),
    ("enumerate on a continuous space",
     lambda: optimize(_LIN, Mean(), Budget(1.0), method="enumerate"), DecideValueError,
     ("method='enumerate' cannot solve", "needs a Discrete space")),
    ("scipy-global without finite bounds",
     lambda: optimize(_LIN, MeanCVaR(1.0, 0.1), Box(0, None), method="scipy-global"),
     DecideValueError, ("method='scipy-global' cannot solve", "finite bounds")),
    ("unknown option", lambda: optimize(_LIN, Mean(), Budget(1.0), nstarts=3), DecideValueError,
     ("unknown options ['nstarts']", "n_starts")),
    ("option of another method", lambda: optimize(_LIN, Mean(), Budget(1.0), method="cvxpy",
                                                  n_starts=3),
     DecideValueError, ("unknown options ['n_starts']", "method='cvxpy'")),
    ("n_starts zero", lambda: optimize(_LIN, Mean(), Budget(1.0), method="scipy", n_starts=0),
     DecideValueError, ("n_starts must be a positive integer", "got 0")),
    ("n_starts text", lambda: optimize(_LIN, Mean(), Budget(1.0), method="scipy", n_starts="3"),
     DecideValueError, ("n_starts", "'3'")),
    ("maxiter negative", lambda: optimize(_LIN, Mean(), Budget(1.0), method="scipy", maxiter=-1),
     DecideValueError, ("maxiter must be a positive integer", "got -1")),
    ("tol nan", lambda: optimize(_LIN, Mean(), Budget(1.0), method="scipy", tol=float("nan")),
     DecideValueError, ("tol must be a positive finite number", "nan")),
    ("tol zero", lambda: optimize(_LIN, Mean(), Budget(1.0), method="scipy", tol=0.0),
     DecideValueError, ("tol", "0.0")),
    ("local method", lambda: optimize(_LIN, Mean(), Budget(1.0), method="scipy",
                                      local_method="BFGS"),
     DecideValueError, ("local_method must be one of", "'BFGS'")),
    ("random_seed text", lambda: optimize(_LIN, Mean(), Budget(1.0), random_seed="seven"),
     DecideTypeError, ("random_seed must be", "'seven'", "str")),
    ("random_seed negative", lambda: optimize(_LIN, Mean(), Budget(1.0), random_seed=-1),
     DecideValueError, ("random_seed must be a non-negative integer", "-1")),
    ("random_seed float", lambda: optimize(_LIN, Mean(), Budget(1.0), random_seed=1.5),
     DecideTypeError, ("random_seed", "1.5", "float")),
    ("objective not an Objective", lambda: optimize(_LIN, np.mean, Budget(1.0)), DecideTypeError,
     ("objective must be a decide Objective",)),
    ("outcome not an OutcomeModel", lambda: optimize(_R, Mean(), Budget(1.0)), DecideTypeError,
     ("outcome must be an OutcomeModel", "ndarray")),
    # integer spaces with non-integer bounds
    ("integer box lower", lambda: optimize(_LIN, Mean(), Integer(Box(0.5, 3.0))),
     DecideValueError, ("integer lower bounds", "lower=[0.5, 0.5]")),
    ("integer budget upper", lambda: optimize(_LIN, Mean(), Integer(Budget(3, upper=1.5))),
     DecideValueError, ("integer upper bounds", "upper=[1.5, 1.5]")),
    ("integer budget total", lambda: Integer(Budget(2.5)), DecideValueError,
     ("integer total", "total=2.5")),
    ("integer of a Discrete", lambda: Integer(Discrete({"a": [1.0, 0.0]})), DecideTypeError,
     ("Integer wraps", "Discrete")),
    ("integer infeasible after rounding",
     lambda: optimize(_LIN, Mean(), Integer(Box(0, 1) & LinearConstraints([[1.0, 1.0]], lb=2.5))),
     InfeasibleError, ("LinearConstraints row 0",)),
]

UNCERTAINTY = [
    ("decompose alpha 0", lambda: decompose(_LIN, [1.0, 0.0], alpha=0.0), DecideValueError,
     ("alpha must be in (0, 1]", "0.0")),
    ("decompose alpha nan", lambda: decompose(_LIN, [1.0, 0.0], alpha=np.nan), DecideValueError,
     ("alpha", "nan")),
    ("decompose without action", lambda: decompose(_LIN), DecideValueError,
     ("action is required",)),
    ("decompose action with draws", lambda: decompose(np.ones((4, 2)), [1.0]), DecideValueError,
     ("action must be None", "[1.0]")),
    ("decompose 1-d draws", lambda: decompose(np.ones(5)), DecideValueError,
     ("n_replicates >= 2", "(5,)")),
    ("decompose nan draws", lambda: decompose(np.full((4, 2), np.nan)), DecideValueError,
     ("outcome must be finite", "nan")),
    ("decompose no noise to split", lambda: decompose(_nomean(), 1.0),
     DecideValueError, ("no conditional mean", "n_replicates >= 2")),
    ("decompose n_replicates 0", lambda: decompose(_LIN, [1.0, 0.0], n_replicates=0),
     DecideValueError, ("n_replicates", "0")),
    ("evpi one action", lambda: evpi(_LIN, [[1.0, 0.0]]), DecideValueError,
     ("at least 2 distinct actions", "got 1")),
    ("evpi nan table", lambda: evpi(pd.DataFrame({"a": [1.0, np.nan], "b": [0.0, 1.0]})),
     DecideValueError, ("outcome['a'] must be finite", "nan")),
    ("evpi actions and space", lambda: evpi(_LIN, [[1, 0], [0, 1]], space=Budget(1.0)),
     DecideValueError, ("either actions= ", "not both")),
    ("evpi space as actions", lambda: evpi(_LIN, Budget(1.0)), DecideTypeError,
     ("continuous space", "space=")),
    ("evpi max_draws 1", lambda: evpi(_LIN, space=Budget(1.0), max_draws=1), DecideValueError,
     ("max_draws must be an integer >= 2", "got 1")),
    ("evppi unknown parameter", lambda: evppi(_LIN, [[1, 0], [0, 1]], params=["zzz"]),
     DecideValueError, ("['zzz']",)),
    ("prob_best one action", lambda: prob_best(_LIN, [[1.0, 0.0]]), DecideValueError,
     ("at least 2 distinct actions",)),
    ("expected_regret nan", lambda: expected_regret({"a": np.array([np.nan, 1.0]),
                                                     "b": np.ones(2)}),
     DecideValueError, ("outcome['a'] must be finite",)),
    ("compare holdout 0", lambda: compare(_ARMS, {"m": Mean()}, holdout=0), DecideValueError,
     ("holdout must be in (0, 1)", "got 0")),
    ("compare holdout 1", lambda: compare(_ARMS, {"m": Mean()}, holdout=1.0), DecideValueError,
     ("holdout", "1.0")),
    ("compare holdout nan", lambda: compare(_ARMS, {"m": Mean()}, holdout=np.nan),
     DecideValueError, ("holdout", "nan")),
    ("compare no policies", lambda: compare(_ARMS, {}), DecideValueError,
     ("policies must name at least one policy",)),
    ("compare policies as a list", lambda: compare(_ARMS, [Mean()]), DecideTypeError,
     ("policies must be a dict", "list")),
    ("compare unknown option", lambda: compare(_ARMS, {"m": "Z"}), DecideValueError,
     ("policies['m']", "'Z'", "['A', 'B']")),
    ("compare n_folds 1", lambda: compare(_ARMS, {"m": Mean()}, holdout="crossfit", n_folds=1),
     DecideValueError, ("n_folds must be an integer >= 2", "1")),
    ("compare target nan", lambda: compare(_ARMS, {"m": Mean()}, target=np.nan),
     DecideValueError, ("target must be a finite number", "nan")),
    ("compare ce levels", lambda: compare(_ARMS, {"m": Mean()}, ce_risk_aversions=[-1.0]),
     DecideValueError, ("ce_risk_aversions", "[-1.0]")),
    ("frontier negative risk aversion",
     lambda: frontier(_LIN, risk_aversion=[-1.0], space=Budget(1.0)), DecideValueError,
     ("risk_aversion", "[-1.0]")),
]


def _nomean():
    from decide.outcomes import from_function

    return from_function(lambda a, p: p["b"] * a, {"b": np.linspace(0, 1, 5)}, action_shape=())


@pytest.mark.parametrize(
    ("call", "exc", "fragments"),
    [pytest.param(c, e, f, id=name) for name, c, e, f in CASES + UNCERTAINTY],
)
def test_bad_input_raises_a_named_decide_error(call, exc, fragments) -> None:
    _check(call, exc, fragments)


@pytest.mark.parametrize("method", ["auto", "cvxpy", "scipy"])
def test_infeasible_budget_raises_before_any_solver(method) -> None:
    # the same InfeasibleError whatever the method: the check runs first
    _check(lambda: optimize(_LIN, Mean(), Budget(5.0, upper=[1.0, 2.0]), method=method),
           InfeasibleError, ("Budget(total=5", "at most 3"))


def test_cvxpy_on_an_integer_space_needs_a_linear_program() -> None:
    # HiGHS (the mixed-integer solver) takes LPs only: a quadratic or conic objective is
    # refused with a clear message; "auto" falls back to the integer search and says so
    from decide.measures import MeanVariance, StdDev

    space = Integer(Budget(3, upper=2))
    for objective, shown in ((MeanVariance(1.0), "MeanVariance(risk_aversion=1.0)"),
                             (Mean() + 0.5 * StdDev(), "StdDev()")):
        _check(lambda o=objective: optimize(_LIN, o, space, method="cvxpy"), DecideValueError,
               ("Integer space needs a mixed-integer linear program", shown, "method='scipy'"))
        d = optimize(_LIN, objective, space)
        assert d.method == "scipy"
        assert d.diagnostics.fallbacks[0].startswith("cvxpy: method='cvxpy' on an Integer space")
        assert np.array_equal(d.flat_action, np.round(d.flat_action))
        assert d.flat_action.sum() == 3 and d.flat_action.max() <= 2
