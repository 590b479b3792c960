"""Tests of decide.policies.robustness: value, regret and rank of each choice under each model."""

from __future__ import annotations

import numpy as np
import pytest

from decide.errors import DecideTypeError, DecideValueError
from decide.measures import CVaR, Mean
from decide.optimization import Budget, WorstModel, optimize
from decide.outcomes import from_draws, linear, mixture
from decide.policies import robustness


def _models(seed, sd=0.05):
    rng = np.random.default_rng(seed)
    return rng.normal([1.0, 0.4], sd, (300, 2)), rng.normal([0.3, 1.0], sd, (300, 2))


def _cvar(y, alpha):
    return np.sort(y)[: int(np.ceil(alpha * y.size))].mean()


def test_mean_regrets_match_a_direct_computation():
    Ra, Rb = _models(0)
    w = {"a": 0.7, "b": 0.3}
    mix = mixture({"a": linear(Ra), "b": linear(Rb)}, weights=w)
    table = robustness({"mixture": Mean(), "worst case": WorstModel(Mean())}, mix,
                       space=Budget(1.0), random_seed=0)
    ma, mb = Ra.mean(0), Rb.mean(0)
    x0 = (mb[1] - ma[1]) / (ma[0] - ma[1] - mb[0] + mb[1])  # where the two models' lines cross
    actions = {"mixture": [1.0, 0.0], "worst case": [x0, 1 - x0], "best for a": [1.0, 0.0],
               "best for b": [0.0, 1.0]}
    best = {"a": ma.max(), "b": mb.max()}  # the best corner of the budget simplex
    for p, x in actions.items():
        for m, mean in (("a", ma), ("b", mb)):
            row = table.loc[(p, m)]
            np.testing.assert_allclose(row[["action[0]", "action[1]"]].to_numpy(float), x, atol=1e-6)
            assert row["value"] == pytest.approx(mean @ x, abs=1e-7)
            assert row["best"] == pytest.approx(best[m], abs=1e-7)
            assert row["regret"] == pytest.approx(best[m] - mean @ x, abs=1e-7)
            assert row["weight"] == w[m]
    ranks = table["rank"].unstack("model", sort=False)
    assert ranks.loc["mixture"].tolist() == [1, 3] and ranks.loc["best for b"].tolist() == [4, 1]
    summary = table.attrs["summary"]
    # the worst-case choice has the smallest worst regret here; the mixture the best average
    assert summary["max_regret"].idxmin() == "worst case"
    assert summary["expected_value"].idxmax() in ("mixture", "best for a")
    # for Mean, the mixture's expected regret is the value of learning which model is right
    pooled = 0.7 * ma + 0.3 * mb
    assert summary.loc["mixture", "expected_regret"] == pytest.approx(
        0.7 * ma.max() + 0.3 * mb.max() - pooled.max(), abs=1e-7)
    assert table.attrs["objective"] == "Mean()" and table.attrs["objective_source"] == "from the policies"
    own = table.attrs["model_choices"]
    assert own.loc["b", "value"] == pytest.approx(mb.max(), abs=1e-7)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_cvar_values_match_numpy(seed):
    Ra, Rb = _models(seed, sd=0.4)
    mix = mixture({"a": linear(Ra), "b": linear(Rb)})
    d = optimize(mix, CVaR(0.1), Budget(1.0))
    table = robustness(d, mix)
    for m, R in (("a", Ra), ("b", Rb)):
        assert table.loc[("decision", m), "value"] == pytest.approx(_cvar(R @ d.flat_action, 0.1), rel=1e-9)
        own = optimize(linear(R), CVaR(0.1), Budget(1.0))
        assert table.loc[("decision", m), "best"] == pytest.approx(own.value, abs=1e-7)
    assert (table["regret"] >= 0).all()
    assert table.attrs["objective"] == "CVaR(alpha=0.1)"


def test_fixed_actions_labels_and_a_dict_of_models():
    rng = np.random.default_rng(4)
    a = from_draws({"A": rng.normal(1.0, 0.2, 200), "B": rng.normal(0.5, 0.2, 200)})
    b = from_draws({"A": rng.normal(0.0, 0.2, 200), "B": rng.normal(0.6, 0.2, 200)})
    table = robustness({"pick A": "A", "pick B": [0.0, 1.0]}, {"a": a, "b": b})
    assert table.attrs["objective_source"] == "default Mean()"
    assert table.loc[("pick B", "a"), "value"] == pytest.approx(a.draws_for("B").mean())
    assert table.loc[("pick A", "b"), "regret"] == pytest.approx(
        b.draws_for("B").mean() - b.draws_for("A").mean())
    assert table.loc[("pick A", "a"), "weight"] == 0.5
    no_choices = robustness({"pick A": "A"}, {"a": a, "b": b}, model_choices=False)
    assert no_choices.index.get_level_values("policy").unique().tolist() == ["pick A"]


def test_bad_input():
    Ra, Rb = _models(5)
    mix = mixture({"a": linear(Ra), "b": linear(Rb)})
    d1 = optimize(mix, Mean(), Budget(1.0))
    d2 = optimize(mix, CVaR(0.1), Budget(1.0))
    with pytest.raises(DecideValueError, match="different objectives"):
        robustness({"mean": d1, "cvar": d2}, mix)
    assert robustness({"mean": d1, "cvar": d2}, mix, objective=CVaR(0.1)).attrs["objective_source"] == "given"
    with pytest.raises(DecideTypeError, match="mixture"):
        robustness(d1, linear(Ra))
    with pytest.raises(DecideTypeError, match="Decision or a non-empty dict"):
        robustness([d1], mix)
    with pytest.raises(DecideValueError, match="space="):
        robustness({"x": [0.5, 0.5]}, mix)
    with pytest.raises(DecideValueError, match="pass space="):
        robustness({"m": Mean()}, mix)
    with pytest.raises(DecideValueError, match="reserved"):
        robustness({"best for a": d1}, mix)
    with pytest.raises(DecideTypeError, match="no named options"):
        robustness({"x": "A"}, mix, space=Budget(1.0))
    with pytest.raises(DecideValueError, match="shape"):
        robustness({"x": [1.0, 0.0, 0.0]}, mix, space=Budget(1.0))
