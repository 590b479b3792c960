"""The verification of a decision: certificates, probe, starts, optimality gap, and their cost."""

from __future__ import annotations

import numpy as np
import pytest

from decide.measures import CVaR, Mean
from decide.optimization import Box, Budget, Discrete, Integer, Verification, optimize
from decide.optimization._api import _problem
from decide.optimization._decision import Diagnostics
from decide.optimization._verify import probe_points, verify_continuous
from decide.outcomes import from_function, linear

R = np.random.default_rng(0).normal([0.08, 0.03, 0.05], [0.3, 0.05, 0.1], size=(400, 3))
THETA = np.random.default_rng(1).normal(3.0, 0.5, size=300)


def _quad():
    return from_function(lambda a, p: p["t"] * a - a**2, {"t": THETA}, action_shape=())


def test_exact_solvers_are_verified_by_their_certificate_without_extra_work() -> None:
    d = optimize(linear(R), CVaR(0.1), Budget(1.0))
    assert d.method == "cvxpy"
    assert d.diagnostics.verification.checks == {"certificate": True}
    assert d.diagnostics.evaluations == 1
    e = optimize(linear(R), Mean(), Discrete(np.eye(3)))
    assert e.diagnostics.verification.checks == {"enumeration": True}


def test_integer_solve_is_verified_by_its_neighbours() -> None:
    om = from_function(lambda a, p: -np.sum((a - p["t"][:, None]) ** 2, axis=1), {"t": THETA},
                       action_shape=(2,))
    d = optimize(om, Mean(), Integer(Box(0, 6)), method="scipy")
    assert d.diagnostics.verification.checks == {"integer_neighbours": True}
    np.testing.assert_array_equal(d.flat_action, [3.0, 3.0])


def test_smooth_solve_costs_a_handful_of_evaluations_to_verify() -> None:
    d = optimize(_quad(), Mean(), Box(0, 5))
    ver = d.diagnostics.verification
    assert ver.passed and ver.checks["local_probe"]
    assert ver.details["evaluations"] <= 4  # two steps, two signs, one dimension
    assert d.flat_action[0] == pytest.approx(THETA.mean() / 2, abs=1e-5)
    assert "verification: verified" in repr(d)


def test_probe_stays_in_the_space_and_moves_along_the_budget() -> None:
    prob = _problem(linear(R), Mean(), Budget(1.0))
    x = np.array([1.0, 0.0, 0.0])  # a vertex
    pts = probe_points(prob.system, x)
    assert pts
    for y in pts:
        assert prob.system.feasible(y)
        assert y.sum() == pytest.approx(1.0)
        assert not np.allclose(y, x)


def test_a_planted_bad_point_fails_the_probe_and_the_gap() -> None:
    om = from_function(lambda a, p: p["t"] * a - a**2, {"t": THETA}, action_shape=(),
                       smoothness="nonsmooth")
    prob = _problem(om, Mean(), Box(0, 5))
    x = np.array([0.5])  # the optimum is near 1.5

    def resolve(sub, x0):  # the exact optimum of the batch: mean(theta) / 2
        return np.array([np.mean(sub.outcome.params["t"]) / 2])

    draws = om.draws_flat(x)
    ver = verify_continuous(prob, x, prob.value(x), draws, Diagnostics(), resolve)
    assert isinstance(ver, Verification) and not ver.passed
    assert ver.checks == {"local_probe": False, "optimality_gap": False}
    # the gap estimate is the exact loss on each batch: (m/2 - 0.5)^2 with m the batch mean
    perm = np.random.default_rng(0).permutation(THETA.size)
    losses = [(np.mean(THETA[perm[b::4]]) / 2 - 0.5) ** 2 for b in range(4)]
    assert ver.details["gap"] == pytest.approx(np.mean(losses), rel=1e-9)
    assert "more draws" in ver.advice and "feasible point near the action" in ver.advice


def test_optimize_many_carries_each_units_verification() -> None:
    from decide.many import optimize_many

    demand = np.random.default_rng(2).gamma(4.0, 25.0, size=(300, 3))
    om = from_function(lambda q, p: 5.0 * np.minimum(q, p["d"]) - 3.0 * q, {"d": demand},
                       action_shape=(), outcome_dims=("store",))
    table = optimize_many(om, Mean(), Box(0, 300), over="store", units=["a", "b", "c"])
    assert "verification" in table.columns
    assert all(v.startswith("verified") for v in table["verification"])


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_l1_projection_matches_linprog_over_many_points_on_one_instance(seed: int) -> None:
    """The reused HiGHS projector gives linprog's L1 distance for every point, in any order."""
    from scipy.optimize import linprog

    from decide.optimization._polyhedron import LinearSystem

    rng = np.random.default_rng(seed)
    n = 6
    lb, ub = np.zeros(n), np.full(n, 4.0)
    lb[0] = ub[0] = 1.5  # a fixed element
    A_ub = rng.uniform(0.0, 1.0, size=(2, n))
    A_eq = np.ones((1, n))
    system = LinearSystem(lb, ub, A_ub, np.array([6.0, 7.0]), A_eq, np.array([8.0]))
    for _ in range(12):
        y = rng.uniform(-2.0, 6.0, size=n)
        x = system.project_l1(y)
        assert x is not None and system.feasible(x)
        eye = np.eye(n)
        ref = linprog(
            np.r_[np.zeros(n), np.ones(n)],
            A_ub=np.vstack([np.hstack([eye, -eye]), np.hstack([-eye, -eye]),
                            np.hstack([A_ub, np.zeros_like(A_ub)])]),
            b_ub=np.r_[y, -y, 6.0, 7.0], A_eq=np.hstack([A_eq, np.zeros_like(A_eq)]), b_eq=[8.0],
            bounds=[*zip(lb, ub), *([(0, None)] * n)], method="highs",
        )
        assert ref.status == 0
        assert np.abs(x - y).sum() == pytest.approx(ref.fun, rel=1e-9, abs=1e-9)


def test_l1_projection_of_an_empty_polyhedron_is_none() -> None:
    from decide.optimization._polyhedron import LinearSystem

    system = LinearSystem(np.zeros(2), np.ones(2), np.zeros((0, 2)), np.zeros(0),
                          np.ones((1, 2)), np.array([5.0]))
    assert system.project_l1(np.array([0.5, 0.5])) is None


def test_a_system_that_projected_still_pickles_and_copies() -> None:
    """The projector's HiGHS instance is left out of pickles and deep copies."""
    import copy
    import pickle

    from decide.optimization._polyhedron import LinearSystem

    system = LinearSystem(np.zeros(2), np.ones(2), np.zeros((0, 2)), np.zeros(0),
                          np.ones((1, 2)), np.array([1.0]))
    np.testing.assert_allclose(np.abs(system.project_l1(np.array([2.0, 2.0])) - 2.0).sum(), 3.0)
    for other in (pickle.loads(pickle.dumps(system)), copy.deepcopy(system)):
        np.testing.assert_array_equal(other.ub, system.ub)
        np.testing.assert_allclose(np.abs(other.project_l1(np.array([2.0, 2.0])) - 2.0).sum(), 3.0)
