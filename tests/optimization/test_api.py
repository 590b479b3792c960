"""optimize(): method selection, errors naming the methods that work, public names."""

from __future__ import annotations

import importlib
import subprocess
import sys

import numpy as np
import pytest

import decide
from decide.errors import DecideTypeError, DecideValueError, InfeasibleError
from decide.measures import CVaR, Mean, VaR
from decide.optimization import Box, Budget, Discrete, Integer, available_methods, optimize
from decide.outcomes import from_function, linear

R = np.random.default_rng(0).normal([0.05, 0.02], [0.2, 0.05], size=(300, 2))


def _saturating():
    beta = np.random.default_rng(0).normal(1.0, 0.2, size=(200, 2))
    return from_function(lambda x, p: (p["beta"] * np.sqrt(1.0 + x)).sum(axis=1),
                         {"beta": beta}, action_shape=(2,))


def test_auto_choice():
    assert optimize(linear(R), CVaR(0.1), Budget(1.0)).method == "cvxpy"
    assert optimize(linear(R), Mean(), Integer(Budget(3))).method == "cvxpy"
    assert optimize(_saturating(), Mean(), Budget(1.0)).method == "scipy"
    assert optimize(linear(R), Mean(), Discrete(np.eye(2))).method == "enumerate"
    assert available_methods(_saturating(), Mean(), Box(0, 1)) == [
        "scipy", "scipy-global", "derivative-free"
    ]
    # a budget bounds every element (0 <= x_i <= total): differential evolution applies
    assert available_methods(linear(R), Mean(), Budget(1.0)) == [
        "cvxpy", "scipy", "scipy-global", "derivative-free"
    ]
    assert available_methods(linear(R), Mean(), Budget(1.0, lower=None)) == ["cvxpy", "scipy"]


def test_forced_cvxpy_without_dcp_form_lists_working_methods():
    assert not VaR(0.1).has_cvxpy
    with pytest.raises(DecideValueError, match=r"no DCP form.*Methods that work here: \['scipy'"):
        optimize(linear(R), VaR(0.1), Budget(1.0), method="cvxpy")
    with pytest.raises(DecideValueError, match="not affine in the action"):
        optimize(_saturating(), Mean(), Budget(1.0), method="cvxpy")
    with pytest.raises(DecideValueError, match="finite bounds"):
        optimize(linear(R), Mean(), Budget(1.0, lower=None), method="scipy-global")


def test_infeasible_spaces_raise_before_solving():
    with pytest.raises(InfeasibleError, match="at least 1.2"):
        optimize(linear(R), Mean(), Budget(1.0, lower=0.6))
    with pytest.raises(InfeasibleError, match="at most 0.8"):
        optimize(linear(R), Mean(), Budget(1.0, upper=0.4), method="scipy")


def test_bad_arguments():
    with pytest.raises(DecideValueError, match="method must be one of"):
        optimize(linear(R), Mean(), Budget(1.0), method="magic")
    with pytest.raises(DecideValueError, match=r"unknown options \['n_start'\]"):
        optimize(linear(R), Mean(), Budget(1.0), method="scipy", n_start=3)
    with pytest.raises(DecideValueError, match=r"unknown options \['n_starts'\] for method='cvxpy'"):
        optimize(linear(R), Mean(), Budget(1.0), method="cvxpy", n_starts=3)


def test_auto_accepts_options_of_any_method_and_notes_unused_ones():
    d = optimize(linear(R), Mean(), Budget(1.0), n_starts=2, solvers=["HIGHS"])
    assert d.method == "cvxpy" and d.diagnostics.solver == "HIGHS"
    assert "options ['n_starts'] do not apply to method 'cvxpy'" in d.diagnostics.notes[-1]
    d2 = optimize(_saturating(), Mean(), Budget(1.0), n_starts=2, random_seed=0)
    assert d2.method == "scipy" and len(d2.diagnostics.starts) == 2
    with pytest.raises(DecideTypeError, match="outcome must be an OutcomeModel"):
        optimize(R, Mean(), Budget(1.0))
    with pytest.raises(DecideTypeError, match="objective must be a decide Objective"):
        optimize(linear(R), np.mean, Budget(1.0))
    with pytest.raises(DecideValueError, match="space is required"):
        optimize(linear(R), Mean())


def test_auto_falls_back_to_scipy_when_the_program_is_not_dcp():
    # a negative weight on a concave measure is not DCP: auto records it and uses scipy
    d = optimize(linear(R), Mean() - 0.5 * CVaR(0.1), Budget(1.0, upper=0.7), random_seed=0)
    assert d.method == "scipy"
    assert d.diagnostics.fallbacks and "cvxpy" in d.diagnostics.fallbacks[0]


def test_public_names():
    for name in ("optimize", "Box", "Budget", "LinearConstraints", "Discrete", "Integer",
                 "Decision"):
        assert name in decide.__all__
    pkg = importlib.import_module("decide.optimization")
    for name in ("Diagnostics", "ConvexProblem", "solve_cvar_lp"):
        assert name in pkg.__all__
    assert set(pkg.__all__) <= set(dir(pkg))
    assert "cvar-lp" in pkg.METHODS


def test_import_decide_stays_light():
    code = "import sys, decide; print(any(m.split('.')[0] in ('cvxpy', 'pymc', 'pytensor') for m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
