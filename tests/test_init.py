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


def test_optimize_is_both_the_subpackage_and_the_function():
    import numpy as np

    import decide
    from decide import optimize
    from decide.optimize import _cvar_fast  # the private modules stay importable by name

    assert optimize is decide.optimize
    assert decide.optimize.Box is decide.Box
    assert callable(_cvar_fast.solve_cvar_lp)
    scenarios = np.array([[1.0, 0.0], [0.0, 1.0], [2.0, -1.0]])
    via_module = decide.optimize(decide.linear(scenarios), decide.Mean(), space=decide.Box(0, 1))
    via_function = decide.optimize.optimize(
        decide.linear(scenarios), decide.Mean(), space=decide.Box(0, 1)
    )
    np.testing.assert_array_equal(via_module.action.values, via_function.action.values)
