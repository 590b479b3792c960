"""Tests of decide/errors.py: the hierarchy users catch."""

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
