"""The backend registry: one object per method, one rule for "auto", one place to add a backend."""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pytest

import decide._config as config
from decide.errors import DecideValueError, SolverError
from decide.measures import CVaR, Mean, Sharpe
from decide.optimization import (
    METHODS,
    Box,
    Budget,
    Discrete,
    Integer,
    available_methods,
    choose_method,
    optimize,
)
from decide.optimization.backends import Backend, backend_names, get_backend
from decide.optimization.backends import _base as registry
from decide.outcomes import from_draws, from_function, linear

R = np.random.default_rng(0).normal([0.08, 0.03], [0.3, 0.05], size=(300, 2))


def test_methods_are_auto_and_the_registered_backends():
    assert METHODS == ("auto", *backend_names())
    assert set(backend_names()) == {
        "enumerate", "cvxpy", "cvar-lp", "cvar-slp", "cvar-sqp", "scipy", "scipy-global", "derivative-free",
        "highs",
    }
    for name in backend_names():
        backend = get_backend(name)
        assert isinstance(backend, Backend) and backend.name == name
        assert backend.fallback is None or backend.fallback in backend_names()
    with pytest.raises(DecideValueError, match="method must be one of"):
        get_backend("newton")


@pytest.mark.parametrize(
    ("outcome", "objective", "space", "expected"),
    [
        (linear(R), Mean(), Budget(1.0), "cvxpy"),
        (linear(R), CVaR(0.1), Budget(1.0), "cvxpy"),
        (linear(R), Sharpe(), Budget(1.0), "scipy"),  # no DCP form
        (linear(R), Mean(), Integer(Budget(3.0)), "cvxpy"),
        (from_draws({"a": R[:, 0], "b": R[:, 1]}), Mean(), Discrete(), "enumerate"),
        (
            from_function(lambda a, p: p["r"] @ a, {"r": R}, action_shape=(2,)),
            Mean(),
            Budget(1.0),
            "scipy",
        ),
    ],
)
def test_auto_is_choose_everywhere(outcome, objective, space, expected):
    assert choose_method(outcome, objective, space) == expected
    assert optimize(outcome, objective, space).method == expected
    assert expected in available_methods(outcome, objective, space)


def test_cvar_lp_thresholds_live_in_config(monkeypatch):
    out = linear(R)
    assert choose_method(out, CVaR(0.1), Budget(1.0)) == "cvxpy"
    monkeypatch.setattr(config, "CVAR_LP_MIN_SAMPLES_REPEATED", 200)
    assert choose_method(out, CVaR(0.1), Budget(1.0), repeated=True) == "cvar-lp"
    assert choose_method(out, CVaR(0.1), Budget(1.0)) == "cvxpy"
    monkeypatch.setattr(config, "CVAR_LP_MIN_SAMPLES", 200)
    assert choose_method(out, CVaR(0.1), Budget(1.0)) == "cvar-lp"
    assert optimize(out, CVaR(0.1), Budget(1.0)).method == "cvar-lp"


class _Corner(Backend):
    """A toy backend: the best vertex of a box (exact for Mean on a linear outcome)."""

    name = "corner"
    options = frozenset({"side"})
    fallback = "scipy"
    calls: ClassVar[list[str]] = []

    def accepts(self, problem):
        if problem.space.discrete or problem.outcome.affine_form() is None:
            return "corners need a linear outcome on a box"
        return None

    def auto_rank(self, problem, *, repeated=False):
        return -1.0  # preferred over everything it accepts

    def solve(self, problem, rng, options):
        self.calls.append(options.get("side", "best"))
        if options.get("side") == "fail":
            raise SolverError("the corner backend failed on purpose")
        A, _ = problem.outcome.affine_form()
        x = np.where(A.mean(axis=0) > 0, problem.system.ub, problem.system.lb)
        from decide.optimization import Diagnostics

        return problem.finish(x, self.name, Diagnostics(status="optimal", converged=True))


@pytest.fixture
def corner(monkeypatch):
    monkeypatch.setattr(registry, "_REGISTRY", dict(registry._REGISTRY))
    _Corner.calls = []
    registry.register(_Corner)
    return _Corner


def test_a_new_backend_is_one_class(corner):
    out = linear(R)
    assert "corner" in available_methods(out, Mean(), Box(0, 1))
    assert choose_method(out, Mean(), Box(0, 1)) == "corner"
    d = optimize(out, Mean(), Box(0, 1))
    np.testing.assert_array_equal(d.flat_action, [1.0, 1.0])  # both mean returns are positive
    assert d.method == "corner" and corner.calls == ["best"]
    # its options are accepted by name, unknown ones refused
    optimize(out, Mean(), Box(0, 1), method="corner", side="best")
    with pytest.raises(DecideValueError, match="unknown options"):
        optimize(out, Mean(), Box(0, 1), method="corner", n_starts=2)
    # a failure under "auto" goes to the declared fallback and is recorded
    d = optimize(out, Mean(), Box(0, 1), side="fail")
    assert d.method == "scipy"
    assert d.diagnostics.fallbacks[0].startswith("corner: the corner backend failed")
    # asked for by name, the failure is the user's to see
    with pytest.raises(SolverError, match="on purpose"):
        optimize(out, Mean(), Box(0, 1), method="corner", side="fail")


def test_a_name_is_registered_once(corner):
    with pytest.raises(DecideValueError, match="already registered"):
        registry.register(_Corner)
