"""Tests of decide.policies.sweep against one optimize call per value."""

from __future__ import annotations

import numpy as np
import pytest

from decide.errors import DecideTypeError, DecideValueError
from decide.measures import CVaR, Mean
from decide.optimization import Box, Budget, optimize
from decide.outcomes import from_draws, linear
from decide.policies import sweep


@pytest.fixture(scope="module")
def R() -> np.ndarray:
    return np.random.default_rng(1).normal([0.08, 0.03, 0.05], [0.3, 0.05, 0.1], size=(400, 3))


def test_risk_aversion_sweep_matches_optimize(R: np.ndarray) -> None:
    lams = [0.0, 0.3, 1.0, 4.0]
    table = sweep(linear(R), lambda lam: Mean() + lam * CVaR(0.1), lams, Budget(1.0), parameter="lam")
    assert table["lam"].tolist() == lams
    verification = table.attrs.pop("verification")
    assert table.attrs.pop("extrapolation") == [None] * len(lams)  # linear(R): no observed range
    assert table.attrs == {"parameter": "lam", "action_columns": ["action[0]", "action[1]", "action[2]"]}
    assert [v.checks for v in verification] == [{"certificate": True}] * len(lams)
    for lam, (_, row) in zip(lams, table.iterrows()):
        d = optimize(linear(R), Mean() + lam * CVaR(0.1), Budget(1.0))
        y = R @ row[["action[0]", "action[1]", "action[2]"]].to_numpy(dtype=float)
        assert row["objective"] == pytest.approx(d.value, abs=1e-7)
        assert row["mean"] == pytest.approx(y.mean(), abs=1e-12)
        assert row["sd"] == pytest.approx(y.std(), abs=1e-12)
        assert row["cvar_5"] == pytest.approx(np.sort(y)[:20].mean(), abs=1e-12)
        assert row["prob_loss"] == pytest.approx(np.mean(y < 0))
    assert table["converged"].all()


def test_budget_sweep_with_a_space_factory(R: np.ndarray) -> None:
    totals = [1.0, 2.5, 4.0]
    table = sweep(linear(R), Mean(), totals, lambda t: Budget(t), parameter="total")
    best = int(np.argmax(R.mean(axis=0)))
    np.testing.assert_allclose(table[f"action[{best}]"], totals, atol=1e-6)
    np.testing.assert_allclose(table[["action[0]", "action[1]", "action[2]"]].sum(axis=1), totals, atol=1e-6)


def test_alpha_sweep_on_discrete_options() -> None:
    rng = np.random.default_rng(0)
    arms = {"safe": rng.normal(1.0, 0.1, 1000), "risky": rng.normal(1.3, 1.0, 1000)}
    table = sweep(from_draws(arms), CVaR, [0.9, 0.5, 0.01], parameter="alpha")
    def tail_mean(x: np.ndarray, alpha: float) -> float:
        return float(np.sort(x)[: round(alpha * x.size)].mean())

    for alpha, (_, row) in zip([0.9, 0.5, 0.01], table.iterrows()):
        best = max(arms, key=lambda k: tail_mean(arms[k], alpha))
        assert row[f"action[{best}]"] == 1.0
        assert row["objective"] == pytest.approx(tail_mean(arms[best], alpha))
    # CVaR at alpha near 1 is nearly the mean (risky wins); a thin tail picks safe
    assert table["action[risky]"].iloc[0] == 1.0 and table["action[safe]"].iloc[-1] == 1.0


def test_bad_factory_and_values(R: np.ndarray) -> None:
    with pytest.raises(DecideTypeError, match=r"objective_factory must be a callable"):
        sweep(linear(R), "mean", [1.0], Budget(1.0))
    with pytest.raises(DecideTypeError, match=r"objective_factory\(1.0\) must return a decide Objective; got float"):
        sweep(linear(R), lambda v: v, [1.0], Budget(1.0))
    with pytest.raises(DecideValueError, match=r"values must hold at least one"):
        sweep(linear(R), Mean(), [], Budget(1.0))
    with pytest.raises(DecideValueError, match=r"parameter='mean' clashes"):
        sweep(linear(R), Mean(), [1.0], Budget(1.0), parameter="mean")
    with pytest.raises(DecideValueError, match=r"alpha"):
        sweep(linear(R), CVaR, [1.5], Box(0, 1))


def test_cvar_lp_sweep_over_budgets_starts_each_solve_at_the_previous_action(R: np.ndarray) -> None:
    # the previous action lies outside the next budget's space: the warm start must not matter
    totals = [1.0, 2.0, 0.5]
    table = sweep(linear(R), Mean() + 2.0 * CVaR(0.1), totals, lambda t: Budget(t),
                  parameter="total", method="cvar-lp")
    for t, (_, row) in zip(totals, table.iterrows()):
        cold = optimize(linear(R), Mean() + 2.0 * CVaR(0.1), Budget(t), method="cvar-lp")
        assert row["objective"] == pytest.approx(cold.value, rel=1e-9, abs=1e-12)
        assert row[["action[0]", "action[1]", "action[2]"]].sum() == pytest.approx(t, abs=1e-9)
