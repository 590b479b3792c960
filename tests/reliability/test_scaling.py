"""Scaling robustness: outcomes in tiny or huge units give the same action.

For a positively homogeneous objective ``rho(c * Y) = c * rho(Y)``, so the argmax
over actions does not depend on the outcome unit ``c``. The same problem with the
outcomes multiplied by 1e-9 and by 1e9 must give the action of the unscaled problem,
for each continuous method and for enumeration. (Before the fix in ``_cvxpy.py`` the
cvxpy backend returned a wrong "optimal" action at 1e-9 and cvar-lp stopped without a
certificate.)
"""

from __future__ import annotations

import numpy as np
import pytest

from decide.measures import CVaR, Mean, MeanCVaR, Sharpe, StdDev, WorstCase
from decide.optimization import Budget, Discrete, optimize
from decide.outcomes import from_draws, linear

R = np.random.default_rng(11).normal([0.08, 0.05, 0.02], [0.3, 0.15, 0.03], size=(400, 3))
B = np.random.default_rng(12).normal(0.01, 0.02, size=400)
SPACE = Budget(1.0, upper=0.8)
SCALES = (1e-9, 1e9)

CASES = [
    ("cvxpy", CVaR(0.1), 1e-6),
    ("cvxpy", MeanCVaR(1.0, 0.1), 1e-6),
    ("cvxpy", Mean() + 2.0 * StdDev(), 1e-4),
    ("cvxpy", WorstCase(), 1e-6),
    ("cvar-lp", CVaR(0.1), 1e-6),
    ("cvar-lp", 0.5 * Mean() + 1.0 * CVaR(0.05), 1e-6),
    ("scipy", CVaR(0.1), 1e-4),
    ("scipy", Mean() + 2.0 * StdDev(), 1e-5),
    ("scipy", Sharpe(), 1e-5),
]


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize(("method", "objective", "atol"), CASES,
                         ids=[f"{m}-{o!r}" for m, o, _ in CASES])
def test_same_action_in_any_unit(method, objective, atol, scale) -> None:
    base = optimize(linear(R, B), objective, SPACE, method=method, random_seed=0)
    scaled = optimize(linear(R * scale, B * scale), objective, SPACE, method=method,
                      random_seed=0)
    assert base.converged and scaled.converged
    np.testing.assert_allclose(scaled.flat_action, base.flat_action, atol=atol)
    # the score is the same score in the new unit (a ratio such as Sharpe has no unit)
    unit = 1.0 if isinstance(objective, Sharpe) else scale
    assert scaled.value == pytest.approx(unit * base.value, rel=1e-4)


def test_the_unit_does_not_matter_where_the_answer_is_an_interior_point() -> None:
    # two assets, closed form: Mean - k*sd is maximized where the marginal mean equals k times
    # the marginal sd; check the three units against a fine grid of the unscaled problem
    objective = Mean() + 1.5 * StdDev()
    grid = np.linspace(0.0, 1.0, 20001)
    two = R[:, :2]
    y = two[:, :1] * grid + two[:, 1:2] * (1.0 - grid)
    best = grid[np.argmax(y.mean(axis=0) - 1.5 * y.std(axis=0))]
    for scale in (1.0, *SCALES):
        for method in ("cvxpy", "scipy"):
            d = optimize(linear(two * scale), objective, Budget(1.0), method=method)
            assert d.flat_action[0] == pytest.approx(best, abs=2e-4), (method, scale)


@pytest.mark.parametrize("scale", SCALES)
@pytest.mark.parametrize("objective", [Mean(), CVaR(0.05), MeanCVaR(2.0, 0.1)])
def test_enumerate_same_option_in_any_unit(objective, scale) -> None:
    rng = np.random.default_rng(5)
    table = {f"arm{k}": rng.normal(0.1 * k, 0.2 + 0.3 * k, size=500) for k in range(4)}
    base = optimize(from_draws(table), objective)
    scaled = optimize(from_draws({k: v * scale for k, v in table.items()}), objective)
    assert scaled.method == base.method == "enumerate"
    assert scaled.option == base.option
    np.testing.assert_allclose(scaled.table["value"], base.table["value"] * scale, rtol=1e-9)
    # a Discrete space over a linear outcome: the same
    options = Discrete({"a": [1.0, 0.0, 0.0], "b": [0.0, 0.5, 0.5], "c": [0.3, 0.3, 0.4]})
    lin = optimize(linear(R), objective, options)
    lin_scaled = optimize(linear(R * scale), objective, options)
    assert lin_scaled.option == lin.option
