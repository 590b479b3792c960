"""Tests of decide/uncertainty/_continuous.py: EVPI over a continuous action space."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from decide.errors import DecideTypeError, DecideValueError
from decide.measures import CVaR
from decide.optimization import Box, Budget, Discrete
from decide.outcomes import from_function, linear
from decide.uncertainty import evpi


def _vertices_box(lower: np.ndarray, upper: np.ndarray) -> np.ndarray:
    return np.array(list(itertools.product(*zip(lower, upper))))


def test_linear_box_matches_vertex_enumeration():
    rng = np.random.default_rng(1)
    A = rng.normal([0.2, -0.1, 0.05], 1.0, size=(400, 3))
    b = rng.normal(size=400)
    model = linear(A, intercept=b)
    lower, upper = np.array([0.0, -1.0, 0.0]), np.array([1.0, 2.0, 3.0])
    result = evpi(model, space=Box(lower, upper))
    # a linear objective over a box is maximized at a vertex: enumerate them
    V = _vertices_box(lower, upper)
    U = A @ V.T + b[:, None]
    assert result.value == pytest.approx(U.max(axis=1).mean() - U.mean(axis=0).max())
    assert result.method == "continuous-linear"
    # and it equals the discrete EVPI over the vertices
    assert result.value == pytest.approx(evpi(model, Discrete(V)).value)


def test_linear_budget_matches_vertex_enumeration():
    rng = np.random.default_rng(2)
    A = rng.normal([1.0, 0.9, 0.8], [0.5, 0.1, 0.3], size=(300, 3))
    model = linear(A)
    result = evpi(model, space=Budget(10.0, upper=6.0))
    # vertices of {x >= 0, x <= 6, sum x = 10}: permutations of (6, 4, 0)
    V = np.array(sorted(set(itertools.permutations([6.0, 4.0, 0.0]))))
    U = A @ V.T
    assert result.value == pytest.approx(U.max(axis=1).mean() - U.mean(axis=0).max(), rel=1e-7)


def test_nonlinear_outcome_per_draw_optimization():
    rng = np.random.default_rng(3)
    theta = rng.normal(2.0, 0.5, size=(12, 1))

    def fn(x, p):  # concave in x: optimum at x = theta / 2
        return p["theta"][:, 0] * x - x**2

    model = from_function(fn, {"theta": theta}, action_shape=(), conditional_mean=True)
    result = evpi(model, space=Box(-5.0, 5.0), random_seed=4)
    t = theta[:, 0]
    # closed form: E[theta^2 / 4] - max_x (E[theta] x - x^2) = Var(theta) / 4
    assert result.value == pytest.approx(np.var(t) / 4, rel=1e-3, abs=1e-6)
    assert result.method == "continuous"


def test_max_draws_and_errors():
    rng = np.random.default_rng(5)
    model = linear(rng.normal(size=(100, 2)))
    sub = evpi(model, space=Box(0, 1), max_draws=30, random_seed=6)
    assert sub.n_samples == 30
    with pytest.raises(DecideValueError, match="not both"):
        evpi(model, [[1.0, 0.0]], space=Box(0, 1))
    with pytest.raises(DecideTypeError, match="continuous space"):
        evpi(model, space=Discrete({"a": [1.0, 0.0], "b": [0.0, 1.0]}))
    with pytest.raises(DecideValueError, match="unbounded"):
        evpi(model, space=Box(0, None))
    with pytest.raises(DecideTypeError, match="needs an OutcomeModel"):
        evpi(np.ones((5, 2)), space=Box(0, 1))
    with pytest.raises(DecideValueError, match="max_draws"):
        evpi(model, space=Box(0, 1), max_draws=1)


def test_objective_per_draw_with_replicates():
    rng = np.random.default_rng(7)
    theta = rng.normal(1.0, 0.3, size=(10, 1))

    def fn(x, p):
        return p["theta"][:, 0] * x - 0.5 * x**2

    model = from_function(fn, {"theta": theta}, action_shape=(), conditional_mean=True)
    # CVaR of a single value per draw is the value itself: same as risk neutral
    a = evpi(model, space=Box(0.0, 3.0), objective=CVaR(0.5), random_seed=8)
    b = evpi(model, space=Box(0.0, 3.0), random_seed=8)
    assert a.value == pytest.approx(b.value, rel=1e-3, abs=1e-6)
