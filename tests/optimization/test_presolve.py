"""Presolve: fixed elements and equality rows eliminated (x = T y + t).

Expected values come from scipy's linprog and from cvxpy on the full problem.
"""

from __future__ import annotations

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from decide.measures import Mean, Variance
from decide.optimization import Box, LinearConstraints, optimize
from decide.optimization._presolve import presolve
from decide.outcomes import ActionSpec, linear


def _space(seed: int, n: int, n_fixed: int, n_eq: int, n_ub: int, redundant: bool):
    """A random Box & LinearConstraints space around an interior point (always feasible)."""
    rng = np.random.default_rng(seed)
    x_star = rng.uniform(-1.0, 1.0, n)
    lb, ub = x_star - rng.uniform(0.2, 1.0, n), x_star + rng.uniform(0.2, 1.0, n)
    fixed = rng.choice(n, size=n_fixed, replace=False)
    lb[fixed] = ub[fixed] = x_star[fixed]
    rows, lo, hi = [], [], []
    A_eq = rng.normal(size=(n_eq, n))
    if redundant and n_eq:
        A_eq = np.vstack([A_eq, 2.0 * A_eq[0]])
    for a in A_eq:
        rows.append(a)
        lo.append(a @ x_star)
        hi.append(a @ x_star)
    for _ in range(n_ub):
        a = rng.normal(size=n)
        rows.append(a)
        lo.append(-np.inf)
        hi.append(a @ x_star + rng.uniform(0.0, 0.3))
    space = Box(lb, ub)
    if rows:
        space = space & LinearConstraints(np.array(rows), np.array(lo), np.array(hi))
    return space


def _system(space, n: int):
    return space.linear_constraints(ActionSpec(("action",), ((n,),)))


_SPACES = st.tuples(
    st.integers(0, 10_000), st.integers(3, 7), st.integers(0, 2), st.integers(0, 2),
    st.integers(0, 2), st.booleans(),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_SPACES)
def test_the_map_is_onto_the_polyhedron(args) -> None:
    seed, n, n_fixed, n_eq, n_ub, redundant = args
    system = _system(_space(seed, n, n_fixed, n_eq, n_ub, redundant), n)
    red = presolve(system)
    if n_fixed == 0 and n_eq == 0:
        assert red is None
        return
    assert red is not None
    free = system.ub - system.lb > 0
    rank = np.linalg.matrix_rank(system.A_eq[:, free]) if system.A_eq.shape[0] else 0
    assert red.system.n == n - n_fixed - rank
    assert red.system.A_eq.shape[0] == 0
    rng = np.random.default_rng(seed)
    kw = system.linprog_kwargs()
    for _ in range(3):  # vertices of the full polyhedron map to feasible y and back
        res = linprog(rng.normal(size=n), **kw, method="highs")
        assert res.status == 0
        y = red.project(res.x)
        assert red.system.feasible(y, 1e-7)
        np.testing.assert_allclose(red.lift(y), res.x, atol=1e-8)
    if red.system.n:
        rkw = red.system.linprog_kwargs()
        for _ in range(3):  # vertices of the reduced polyhedron lift to feasible x
            res = linprog(rng.normal(size=red.system.n), **rkw, method="highs")
            assert res.status == 0
            assert system.feasible(red.lift(res.x), 1e-7)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_SPACES)
def test_same_optimum_as_the_full_problem(args) -> None:
    seed, n, n_fixed, n_eq, n_ub, redundant = args
    space = _space(seed, n, n_fixed, n_eq, n_ub, redundant)
    rng = np.random.default_rng(seed + 1)
    scen = rng.normal(0.5, 1.0, size=(200, n))
    om = linear(scen)
    system = _system(space, n)
    # the mean: a linear program on the full polyhedron
    lp = linprog(-scen.mean(axis=0), **system.linprog_kwargs(), method="highs")
    d = optimize(om, Mean(), space, method="scipy", n_starts=1)
    assert d.converged
    np.testing.assert_allclose(d.value, -lp.fun, rtol=1e-7, atol=1e-9)
    # mean - variance (strictly concave), cvxpy on the full problem
    obj = Mean() + 0.5 * Variance()  # Variance scores -var (higher is better)
    ref = optimize(om, obj, space, method="cvxpy")
    d = optimize(om, obj, space, method="scipy", n_starts=1)
    # two iterative solvers: agreement to 1e-8 of the outcome's scale (draws of sd 1),
    # not of the value, which can be near 0 (-0.0229 and 4.5e-9 apart for seed 426)
    np.testing.assert_allclose(d.value, ref.value, rtol=1e-7, atol=1e-8)
