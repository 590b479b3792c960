"""Tests of decide/__init__.py and decide/errors.py: the public namespace and the error hierarchy."""

from __future__ import annotations

import pytest

from decide import errors


@pytest.mark.parametrize(
    ("cls", "builtin"),
    [
        (errors.DecideValueError, ValueError),
        (errors.DecideTypeError, TypeError),
        (errors.InfeasibleError, ValueError),
        (errors.SolverError, RuntimeError),
    ],
)
def test_errors_are_decide_errors_and_builtins(cls, builtin):
    assert issubclass(cls, errors.DecideError)
    assert issubclass(cls, builtin)


def test_import_decide_is_light():
    import subprocess
    import sys

    code = "import sys, decide; print(sorted(m for m in ('pymc', 'pytensor', 'cvxpy') if m in sys.modules))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"


def test_optimize_is_the_function_and_optimization_the_subpackage():
    import importlib
    import inspect

    import numpy as np

    import decide
    from decide import optimize

    assert inspect.isfunction(decide.optimize)
    assert optimize is decide.optimization.optimize
    assert decide.optimization.Box is decide.Box
    with pytest.raises(ModuleNotFoundError):
        importlib.import_module("decide.optimize")
    scenarios = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, -1.3]])
    d = decide.optimize(decide.linear(scenarios), decide.Mean(), space=decide.Box(0, 1))
    np.testing.assert_allclose(d.flat_action, [1.0, 0.0], atol=1e-7)


# every public name of DESIGN.md that a user types, at top level (the contract)
_CONTRACT = """
Mean Variance StdDev SemiVariance VaR CVaR EVaR EntropicRisk WorstCase Spectral MeanVariance
MeanCVaR Sharpe Sortino ProbabilityOfShortfall ExpectedShortfallBelow ExpectedUtility
CertaintyEquivalent Linear Exponential Power Log Quadratic PiecewiseLinear
Box Budget LinearConstraints Discrete Integer
from_pymc from_function from_draws linear OutcomeModel
optimize Decision InfeasibleError optimize_many
decompose evpi evppi expected_regret prob_best compare frontier
""".split()


def test_top_level_is_curated():
    import decide

    missing = [n for n in _CONTRACT if not hasattr(decide, n)]
    assert missing == []
    assert all(not n.startswith("_") or n == "__version__" for n in decide.__all__)
    assert len(decide.__all__) == len(set(decide.__all__))
    # each public object once: no two top-level names for the same thing
    objs = [id(getattr(decide, n)) for n in decide.__all__]
    assert len(objs) == len(set(objs))
    # solver internals stay in their subpackages
    for internal in ("LinearSystem", "ConvexProblem", "solve_cvar_lp", "METHODS", "unit_seeds"):
        assert internal not in decide.__all__
