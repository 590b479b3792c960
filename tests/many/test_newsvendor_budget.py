"""A newsvendor under one shared budget (Budget(B, equality=False)) against scipy's LP."""

from __future__ import annotations

import numpy as np
from scipy.optimize import linprog

from decide.many import newsvendor
from decide.measures import Mean
from decide.optimization import Budget, optimize


def test_newsvendor_under_a_shared_budget_matches_linprog():
    rng = np.random.default_rng(5)
    n, u = 300, 3
    demand = rng.gamma(4.0, [10.0, 20.0, 30.0], size=(n, u))
    price, cost, budget = np.array([5.0, 6.0, 8.0]), np.full(3, 3.0), 80.0
    d = optimize(newsvendor(demand, price, cost, dim="store"), Mean(),
                 Budget(budget, equality=False), random_seed=0)
    # LP: max mean_s sum_u price_u z_su - cost . q, z_su <= q_u, z_su <= D_su, sum q <= B
    k = u + n * u
    c = np.concatenate([cost, -np.tile(price, n) / n])
    a = np.zeros((n * u + 1, k))
    rows = np.arange(n * u)
    a[rows, u + rows] = 1.0
    a[rows, rows % u] = -1.0
    a[-1, :u] = 1.0
    b = np.r_[np.zeros(n * u), budget]
    bounds = [(0, None)] * u + [(None, v) for v in demand.reshape(-1)]
    lp = linprog(c, A_ub=a, b_ub=b, bounds=bounds, method="highs")
    assert lp.status == 0 and d.converged
    assert abs(d.value - (-lp.fun)) <= 1e-6 * abs(lp.fun)
    assert d.flat_action.sum() <= budget + 1e-6 and np.all(d.flat_action >= -1e-9)
