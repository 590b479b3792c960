"""Bad inputs to measures and outcome sources raise a DecideError that names the argument and value.

Each case is ``(id, call, exception type, fragments)``: the call must raise exactly
that type (a :class:`decide.errors.DecideError`), and the message must contain every
fragment (the argument's name and the offending value, or the valid range).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from decide.errors import DecideError, DecideTypeError, DecideValueError
from decide.measures import CertaintyEquivalent as CE
from decide.measures import (
    CVaR,
    EntropicRisk,
    EVaR,
    ExpectedUtility,
    Exponential,
    Log,
    Mean,
    MeanCVaR,
    MeanVariance,
    Power,
    Spectral,
    VaR,
    cvar,
    value_at_risk,
)
from decide.outcomes import from_draws, from_function, linear

Case = tuple[str, Callable[[], Any], type[Exception], tuple[str, ...]]

_X = np.array([1.0, 2.0, 3.0])


def _check(call: Callable[[], Any], exc: type[Exception], fragments: tuple[str, ...]) -> None:
    with pytest.raises(exc) as info:
        call()
    assert type(info.value) is exc, f"raised {type(info.value).__name__}, expected {exc.__name__}"
    assert isinstance(info.value, DecideError)
    message = str(info.value)
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"


# -- draws --------------------------------------------------------------------------------
DRAWS: list[Case] = [
    ("nan", lambda: Mean()(np.array([1.0, np.nan, 2.0])), DecideValueError,
     ("draws must be finite", "nan", "index (1,)")),
    ("inf", lambda: CVaR(0.1)(np.array([1.0, 2.0, np.inf])), DecideValueError,
     ("draws must be finite", "inf", "index (2,)")),
    ("-inf 2-d", lambda: Mean()(np.array([[1.0, 2.0], [-np.inf, 0.0]])), DecideValueError,
     ("draws must be finite", "-inf", "index (1, 0)")),
    ("empty", lambda: Mean()(np.array([])), DecideValueError,
     ("draws must not be empty", "(0,)")),
    ("0-d", lambda: CVaR(0.1)(np.float64(3.5)), DecideValueError,
     ("draws must have a sample axis", "0-d value 3.5")),
    ("3-d", lambda: Mean()(np.ones((2, 3, 4))), DecideValueError,
     ("draws must have shape", "(2, 3, 4)")),
    ("ragged", lambda: Mean()([[1.0, 2.0], [3.0]]), DecideTypeError,
     ("draws must be a numeric array", "ragged")),
    ("strings", lambda: Mean()(["a", "b"]), DecideTypeError,
     ("draws must be a numeric array", "'a'")),
    ("dataset", lambda: Mean()(xr.Dataset({"y": ("sample", _X)})), DecideTypeError,
     ("draws must be an array", "Dataset", "['y']")),
    ("dataarray without sample dim", lambda: Mean()(xr.DataArray(_X, dims="obs")),
     DecideValueError, ("draws must have the dims", "('obs',)")),
    ("function nan", lambda: cvar(np.array([np.nan, 1.0]), 0.5), DecideValueError,
     ("draws must be finite", "nan")),
]

# -- weights ------------------------------------------------------------------------------
WEIGHTS: list[Case] = [
    ("negative", lambda: Mean()(_X, weights=[1.0, -0.5, 1.0]), DecideValueError,
     ("weights must be non-negative", "-0.5", "index 1")),
    ("nan", lambda: CVaR(0.5)(_X, weights=[1.0, np.nan, 1.0]), DecideValueError,
     ("weights must be finite", "1 non-finite")),
    ("inf", lambda: Mean()(_X, weights=[np.inf, 1.0, 1.0]), DecideValueError,
     ("weights must be finite",)),
    ("wrong length", lambda: Mean()(_X, weights=[1.0, 1.0]), DecideValueError,
     ("weights must have shape (3,)", "got shape (2,)")),
    ("2-d", lambda: Mean()(_X, weights=np.ones((3, 1))), DecideValueError,
     ("weights must have shape (3,)", "(3, 1)")),
    ("all zero", lambda: Mean()(_X, weights=[0.0, 0.0, 0.0]), DecideValueError,
     ("weights must have a positive sum", "sum 0.0")),
]

# -- alpha: at or outside (0, 1) ------------------------------------------------------------
_ALPHA_MEASURES: list[tuple[str, Callable[[float], Any]]] = [
    ("CVaR", CVaR),
    ("VaR", VaR),
    ("EVaR", EVaR),
    ("MeanCVaR", lambda a: MeanCVaR(1.0, a)),
    ("cvar()", lambda a: cvar(_X, a)),
    ("value_at_risk()", lambda a: value_at_risk(_X, a)),
]
ALPHA: list[Case] = [
    (f"{name} alpha={a!r}", (lambda f=f, a=a: f(a)), DecideValueError,
     ("alpha must be in (0, 1)", f"got {float(a)!r}"))
    for name, f in _ALPHA_MEASURES
    for a in (0.0, 1.0, -0.05, 1.5, float("nan"), float("inf"))
] + [
    ("CVaR alpha='x'", lambda: CVaR("x"), DecideTypeError, ("alpha must be a real number", "'x'")),
    ("CVaR alpha=None", lambda: CVaR(None), DecideTypeError, ("alpha", "None")),
]

# -- risk aversion ------------------------------------------------------------------------
_RA: list[tuple[str, Callable[[float], Any], str, str]] = [
    ("Exponential", Exponential, "risk_aversion", "[0, inf)"),
    ("Power", Power, "risk_aversion", "[0, inf)"),
    ("MeanVariance", MeanVariance, "risk_aversion", "[0, inf)"),
    ("MeanCVaR", lambda r: MeanCVaR(r, 0.1), "risk_aversion", "[0, inf)"),
    ("EntropicRisk", EntropicRisk, "theta", "(0, inf)"),
]
RISK_AVERSION: list[Case] = [
    (f"{name}({v!r})", (lambda f=f, v=v: f(v)), DecideValueError, (arg, rng_, f"got {float(v)!r}"))
    for name, f, arg, rng_ in _RA
    for v in (-1.0, -1e-12, float("nan"), float("inf"))
]

# -- utility domain -----------------------------------------------------------------------
DOMAIN: list[Case] = [
    ("Power on a negative draw", lambda: ExpectedUtility(Power(2.0))(np.array([1.0, -0.5])),
     DecideValueError, ("Power(risk_aversion=2.0)", "positive outcomes", "-0.5")),
    ("Power on zero", lambda: CE(Power(0.5))(np.array([0.0, 1.0])), DecideValueError,
     ("Power(risk_aversion=0.5)", "positive outcomes", "0.0")),
    ("Log on zero", lambda: ExpectedUtility(Log())(np.array([2.0, 0.0])), DecideValueError,
     ("Log()", "positive outcomes", "0.0")),
    ("Log on a negative draw", lambda: CE(Log())(np.array([-3.0, 1.0])), DecideValueError,
     ("Log()", "positive outcomes", "-3.0")),
    ("Log gradient on a negative draw", lambda: ExpectedUtility(Log()).grad(np.array([-1.0, 1.0])),
     DecideValueError, ("Log()", "-1.0")),
]

# -- other measure parameters ----------------------------------------------------------------
PARAMS: list[Case] = [
    ("objective weight nan", lambda: Mean() + float("nan") * CVaR(0.1), DecideValueError,
     ("weight must be a finite number", "nan")),
    ("Spectral negative weight", lambda: Spectral([1.0, -1.0]), DecideValueError,
     ("weights", "[1.0, -1.0]")),
]


# -- outcome sources ------------------------------------------------------------------------
def _df_dup() -> pd.DataFrame:
    return pd.DataFrame(np.ones((3, 2)), columns=["A", "A"])


OUTCOMES: list[Case] = [
    ("from_draws mismatched draw counts", lambda: from_draws({"A": np.ones(5), "B": np.ones(6)}),
     DecideValueError, ("table['B'] has 6 draws", "table['A'] has 5")),
    ("from_draws mismatched replicates",
     lambda: from_draws({"A": np.ones((5, 2)), "B": np.ones((5, 3))}), DecideValueError,
     ("table['B'] has shape (5, 3)", "(5, 2)")),
    ("from_draws nan", lambda: from_draws({"A": np.array([1.0, np.nan]), "B": np.ones(2)}),
     DecideValueError, ("table['A'] must be finite", "nan")),
    ("from_draws empty", lambda: from_draws({}), DecideValueError, ("at least one option",)),
    ("from_draws no rows", lambda: from_draws(pd.DataFrame({"A": [], "B": []})),
     DecideValueError, ("at least one row", "got 0")),
    ("from_draws single draw", lambda: from_draws({"A": [1.0], "B": [2.0]}), DecideValueError,
     ("at least 2 posterior samples", "got 1")),
    ("from_draws duplicate option names", lambda: from_draws(_df_dup()), DecideValueError,
     ("option names must be unique", "['A']")),
    ("from_draws 0-d option", lambda: from_draws({"A": 1.0, "B": 2.0}), DecideValueError,
     ("table['A']", "0-d value 1.0")),
    ("from_draws ragged", lambda: from_draws({"A": [[1.0, 2.0], [3.0]], "B": [1.0, 2.0]}),
     DecideTypeError, ("table['A']", "ragged")),
    ("from_draws list", lambda: from_draws([1.0, 2.0]), DecideTypeError,
     ("table must be a dict", "list")),
    ("from_draws dataarray missing dim",
     lambda: from_draws(xr.DataArray(np.ones((4, 2)), dims=("sample", "arm"))), DecideValueError,
     ("no option dim 'action'", "'arm'")),
    ("linear nan", lambda: linear(np.array([[1.0, np.nan], [0.0, 1.0]])), DecideValueError,
     ("scenarios must be finite", "nan", "(0, 1)")),
    ("linear 1-d", lambda: linear(np.ones(3)), DecideValueError,
     ("scenarios must be 2-d", "(3,)")),
    ("linear empty", lambda: linear(np.ones((0, 2))), DecideValueError,
     ("at least one sample", "(0, 2)")),
    ("linear duplicate columns",
     lambda: linear(pd.DataFrame(np.ones((2, 2)), columns=["tv", "tv"])), DecideValueError,
     ("scenarios columns must be unique", "['tv']")),
    ("linear intercept length", lambda: linear(np.ones((4, 2)), intercept=np.ones(3)),
     DecideValueError, ("intercept", "(4,)", "(3,)")),
    ("linear intercept nan", lambda: linear(np.ones((4, 2)), intercept=np.nan), DecideValueError,
     ("intercept must be finite", "nan")),
    ("from_function params nan",
     lambda: from_function(lambda a, p: p["b"] * a, {"b": np.array([1.0, np.nan, 2.0])},
                           action_shape=()),
     DecideValueError, ("params['b'] must be finite", "first at sample 1")),
    ("from_function params single draw",
     lambda: from_function(lambda a, p: p["b"] * a, {"b": np.array([1.0])}, action_shape=()),
     DecideValueError, ("at least 2 posterior draws", "got 1", "['b']")),
    ("from_function params strings",
     lambda: from_function(lambda a, p: a, {"b": np.array(["x", "y"])}, action_shape=()),
     DecideTypeError, ("params['b'] must be numeric", "<U1")),
    ("from_function params mismatched",
     lambda: from_function(lambda a, p: a, {"b": np.ones(3), "c": np.ones(4)}, action_shape=()),
     DecideValueError, ("share their first (sample) axis", "'b': 3", "'c': 4")),
    ("from_function empty params", lambda: from_function(lambda a, p: a, {}, action_shape=()),
     DecideValueError, ("params must hold at least one parameter",)),
    ("from_function no shape", lambda: from_function(lambda a, p: a, {"b": np.ones(3)}),
     DecideValueError, ("needs the action's shape", "action_shape")),
    ("from_function fn returns nan",
     lambda: from_function(lambda a, p: p["b"] * a + np.where(p["b"] > 1, np.nan, 0.0),
                           {"b": np.array([1.0, 2.0])}, action_shape=()).draws(1.0),
     DecideValueError, ("fn returned 1 non-finite values", "first at sample 1")),
    ("from_function fn wrong rows",
     lambda: from_function(lambda a, p: np.ones(5), {"b": np.ones(3)}, action_shape=()).draws(1.0),
     DecideValueError, ("n_samples=3", "(5,)")),
    ("from_function var_names missing",
     lambda: from_function(lambda a, p: a, {"b": np.ones(3)}, action_shape=(), var_names=["z"]),
     DecideValueError, ("var_names", "['z']", "['b']")),
]

# -- actions --------------------------------------------------------------------------------
_LIN = linear(np.random.default_rng(0).normal(size=(6, 2)))
ACTIONS: list[Case] = [
    ("too long", lambda: _LIN.draws([1.0, 2.0, 3.0]), DecideValueError,
     ("action must be a flat vector of length 2", "(3,)")),
    ("2-d", lambda: _LIN.draws(np.ones((2, 2))), DecideValueError, ("length 2", "(2, 2)")),
    ("nan", lambda: _LIN.draws([np.nan, 1.0]), DecideValueError,
     ("action must be finite", "nan")),
    ("unknown key", lambda: _LIN.draws({"spend": [1.0, 2.0]}), DecideValueError,
     ("exactly the keys ['action']", "unknown ['spend']")),
    ("strings", lambda: _LIN.draws(["a", "b"]), DecideTypeError, ("action must be numeric",)),
    ("vjp cotangent shape", lambda: from_draws({"A": _X, "B": _X}).vjp([1.0, 0.0], np.ones(2)),
     DecideValueError, ("cotangent must have the shape", "(3,)", "(2,)")),
]

ALL = [
    *(("draws", *c) for c in DRAWS),
    *(("weights", *c) for c in WEIGHTS),
    *(("alpha", *c) for c in ALPHA),
    *(("risk aversion", *c) for c in RISK_AVERSION),
    *(("domain", *c) for c in DOMAIN),
    *(("params", *c) for c in PARAMS),
    *(("outcome", *c) for c in OUTCOMES),
    *(("action", *c) for c in ACTIONS),
]


@pytest.mark.parametrize(
    ("call", "exc", "fragments"),
    [pytest.param(c, e, f, id=f"{group}: {name}") for group, name, c, e, f in ALL],
)
def test_bad_input_raises_a_named_decide_error(call, exc, fragments) -> None:
    _check(call, exc, fragments)


def test_weights_reach_optimize_and_are_checked() -> None:
    from decide.optimization import Budget, optimize

    _check(lambda: optimize(_LIN, Mean(), Budget(1.0), weights=np.ones(4)), DecideValueError,
           ("weights must have shape (6,)", "(4,)"))
    _check(lambda: optimize(_LIN, CVaR(0.2), Budget(1.0), weights=-np.ones(6)),
           DecideValueError, ("weights must be non-negative", "-1.0"))


def test_every_error_class_is_a_builtin_too() -> None:
    # callers using ``except ValueError`` / ``except TypeError`` still catch them
    with pytest.raises(ValueError):
        CVaR(0.0)
    with pytest.raises(TypeError):
        Mean()([[1.0], [2.0, 3.0]])
