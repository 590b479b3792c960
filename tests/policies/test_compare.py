"""Tests of decide.policies.compare against direct numpy computations on the same draws."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.special import logsumexp

from decide.errors import DecideTypeError, DecideValueError
from decide.measures import CVaR, ExpectedUtility, Exponential, Mean, MeanVariance
from decide.optimization import Budget, optimize
from decide.outcomes import from_draws, linear
from decide.policies import compare


def _cvar(x: np.ndarray, alpha: float) -> float:
    """Mean of the worst alpha share (alpha * n an integer here)."""
    k = round(alpha * x.size)
    assert math.isclose(k, alpha * x.size)
    return float(np.sort(x)[:k].mean())


def _ce(x: np.ndarray, a: float) -> float:
    return float(-(logsumexp(-a * x) - np.log(x.size)) / a)


@pytest.fixture
def two_arms() -> dict[str, np.ndarray]:
    rng = np.random.default_rng(11)
    return {"safe": rng.normal(1.0, 0.2, 2000), "risky": rng.normal(1.4, 2.0, 2000)}


def test_known_answer_from_draws(two_arms: dict[str, np.ndarray]) -> None:
    model = from_draws(two_arms)
    policies = {"neutral": Mean(), "cautious": CVaR(0.05), "status quo": "safe"}
    table = compare(model, policies, random_seed=3, target=0.5)
    assert table.index.tolist() == list(policies)
    assert table.loc["neutral", ["action[safe]", "action[risky]"]].tolist() == [0.0, 1.0]
    assert table.loc["cautious", ["action[safe]", "action[risky]"]].tolist() == [1.0, 0.0]

    test = table.attrs["held_out"]
    train = np.setdiff1d(np.arange(2000), test)
    assert test.size == 1000 and table.attrs["n_train"] == 1000
    chosen = {"neutral": two_arms["risky"], "cautious": two_arms["safe"], "status quo": two_arms["safe"]}
    s = np.concatenate(list(chosen.values())).std()
    best_held = np.max(np.column_stack([y[test] for y in chosen.values()]), axis=1)
    best_all = np.max(np.column_stack(list(chosen.values())), axis=1)
    for name, y in chosen.items():
        row = table.loc[name]
        for suffix, x, best in (("", y[test], best_held), ("_all", y, best_all)):
            assert row[f"mean{suffix}"] == pytest.approx(x.mean(), rel=1e-12)
            assert row[f"sd{suffix}"] == pytest.approx(x.std(), rel=1e-12)
            assert row[f"cvar_5{suffix}"] == pytest.approx(_cvar(x, 0.05), rel=1e-12)
            assert row[f"cvar_10{suffix}"] == pytest.approx(_cvar(x, 0.10), rel=1e-12)
            assert row[f"prob_loss{suffix}"] == pytest.approx(np.mean(x < 0.5))
            assert row[f"regret{suffix}"] == pytest.approx((best - x).mean(), abs=1e-12)
            for k in (0.5, 1.0, 2.0):
                assert row[f"ce_{k:g}{suffix}"] == pytest.approx(_ce(x, k / s), rel=1e-10)
    # in-sample value of the risk-neutral policy: the mean of its arm on the training draws
    assert table.loc["neutral", "objective_in_sample"] == pytest.approx(two_arms["risky"][train].mean())
    assert table.loc["cautious", "objective_in_sample"] == pytest.approx(
        _cvar(two_arms["safe"][train], 0.05)
    )
    assert table.loc["cautious", "objective_held_out"] == pytest.approx(_cvar(two_arms["safe"][test], 0.05))
    gap = table["objective_in_sample"] - table["objective_held_out"]
    np.testing.assert_allclose(table["optimism"], gap)
    assert table.attrs["ce_scale"] == pytest.approx(s)
    assert table["converged"].all()


def test_known_answer_linear_budget() -> None:
    rng = np.random.default_rng(5)
    R = rng.normal([0.08, 0.02], [0.30, 0.03], size=(1000, 2))
    model = linear(R)
    table = compare(
        model,
        {"neutral": Mean(), "cvar": CVaR(0.05), "mv": MeanVariance(5.0),
         "cara": ExpectedUtility(Exponential(3.0)), "equal": [0.5, 0.5]},
        Budget(1.0), random_seed=0,
    )
    X = table[["action[0]", "action[1]"]].to_numpy()
    np.testing.assert_allclose(X.sum(axis=1), 1.0, atol=1e-6)
    assert table.loc["neutral", "action[0]"] == pytest.approx(1.0, abs=1e-6)
    assert table.loc["cvar", "action[1]"] > 0.8
    for name in table.index:
        y = R @ X[table.index.get_loc(name)]
        assert table.loc[name, "mean_all"] == pytest.approx(y.mean(), rel=1e-9)
        assert table.loc[name, "cvar_5_all"] == pytest.approx(_cvar(y, 0.05), rel=1e-9)


def test_same_seed_same_table(two_arms: dict[str, np.ndarray]) -> None:
    model = from_draws(two_arms)
    policies = {"neutral": Mean(), "cautious": CVaR(0.1)}
    a = compare(model, policies, random_seed=7)
    b = compare(model, policies, random_seed=7)
    pd.testing.assert_frame_equal(a, b)
    c = compare(model, policies, random_seed=8)
    assert not np.array_equal(a.attrs["held_out"], c.attrs["held_out"])


def _many_equal_arms(seed: int, k: int = 20, n: int = 200) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {f"arm{j}": rng.normal(0.0, 1.0, n) for j in range(k)}


@pytest.mark.parametrize("holdout", [0.5, "crossfit"])
def test_optimizers_curse_is_detected(holdout: float | str) -> None:
    best, fixed = [], []
    for seed in range(12):
        model = from_draws(_many_equal_arms(seed))
        table = compare(
            model, {"best": Mean(), "fixed": "arm0"}, holdout=holdout, n_folds=4, random_seed=seed
        )
        best.append(table.loc["best", "optimism"])
        fixed.append(table.loc["fixed", "optimism"])
        assert table["held_out"].tolist() == [True, False]
        assert np.isnan(table.loc["fixed", "objective_in_sample"])
    best_arr, fixed_arr = np.array(best), np.array(fixed)
    # the maximum of 20 equal-mean sample means is biased upward; held out it is not
    se = best_arr.std(ddof=1) / np.sqrt(best_arr.size)
    assert best_arr.mean() > 4 * se
    assert best_arr.mean() > 0.1
    # a fixed action may have seen every draw: its optimism is unknown, not 0
    assert np.all(np.isnan(fixed_arr))


def test_crossfit_matches_direct_out_of_fold_computation() -> None:
    arms = _many_equal_arms(3, k=5, n=100)
    arms["arm4"] = arms["arm4"] + 0.3
    model = from_draws(arms)
    table = compare(model, {"best": Mean(), "fixed": "arm1"}, holdout="crossfit", n_folds=5, random_seed=2)
    folds = table.attrs["folds"]
    assert sorted(np.concatenate(folds).tolist()) == list(range(100))
    assert table.attrs["n_test"] == 100
    T = np.column_stack(list(arms.values()))
    oof = np.empty(100)
    in_sample = []
    for test in folds:
        train = np.setdiff1d(np.arange(100), test)
        j = int(np.argmax(T[train].mean(axis=0)))
        oof[test] = T[test, j]
        in_sample.append(T[train, j].mean())
    assert table.loc["best", "mean"] == pytest.approx(oof.mean(), rel=1e-12)
    assert table.loc["best", "cvar_10"] == pytest.approx(_cvar(oof, 0.10), rel=1e-12)
    assert table.loc["best", "objective_in_sample"] == pytest.approx(np.mean(in_sample))
    # the reported action is the one optimized on all draws
    j_all = int(np.argmax(T.mean(axis=0)))
    assert table.loc["best", f"action[arm{j_all}]"] == 1.0
    # a fixed action's out-of-fold draws are all of its draws
    assert table.loc["fixed", "mean"] == pytest.approx(arms["arm1"].mean(), rel=1e-12)
    assert table.loc["fixed", "mean_all"] == pytest.approx(arms["arm1"].mean(), rel=1e-12)


def test_dominated_policy_is_flagged() -> None:
    rng = np.random.default_rng(4)
    arms = {"good": rng.normal(1.0, 0.5, 1000), "bad": rng.normal(0.0, 1.0, 1000),
            "wild": rng.normal(1.5, 3.0, 1000)}
    table = compare(
        from_draws(arms), {"neutral": Mean(), "cautious": CVaR(0.05), "bad": "bad"}, random_seed=1
    )
    assert table.loc["bad", "dominated"]
    assert set(table.loc["bad", "dominated_by"].split(", ")) == {"cautious"}
    # neutral (wild: higher mean, worse tail) and cautious (good) do not dominate each other
    assert not table.loc["neutral", "dominated"] and not table.loc["cautious", "dominated"]
    m, c = table["mean"], table["cvar_5"]
    assert m["cautious"] > m["bad"] and c["cautious"] > c["bad"]


def test_replicates_regret_uses_the_mean_of_each_draws_replicates() -> None:
    rng = np.random.default_rng(9)
    theta = rng.normal(0, 1, (300, 1))
    arms = {"a": theta + rng.normal(0, 1, (300, 8)), "b": 0.2 - theta + rng.normal(0, 1, (300, 8))}
    table = compare(from_draws(arms), {"a": "a", "b": "b"}, random_seed=0)
    test = table.attrs["held_out"]
    ua, ub = arms["a"][test].mean(axis=1), arms["b"][test].mean(axis=1)
    best = np.maximum(ua, ub)
    assert table.loc["a", "regret"] == pytest.approx((best - ua).mean())
    assert table.loc["b", "regret"] == pytest.approx((best - ub).mean())
    assert table.loc["a", "mean"] == pytest.approx(arms["a"][test].mean())


def test_single_policy_has_zero_regret(two_arms: dict[str, np.ndarray]) -> None:
    table = compare(from_draws(two_arms), {"only": Mean()}, random_seed=0)
    assert table.loc["only", "regret"] == 0.0 and not table.loc["only", "dominated"]


def test_decision_and_dict_actions_are_fixed_policies() -> None:
    rng = np.random.default_rng(1)
    R = rng.normal([0.05, 0.01], [0.2, 0.02], size=(400, 2))
    model = linear(R, names="w")
    d = optimize(model, CVaR(0.1), Budget(1.0))
    table = compare(model, {"decided": d, "dict": {"w": [0.3, 0.7]}}, random_seed=0)
    np.testing.assert_allclose(table.loc["decided", ["w[0]", "w[1]"]], d.flat_action)
    assert table.loc["dict", "w[1]"] == 0.7
    assert table.loc["dict", "objective"] == "Mean()"


# -- bad input --------------------------------------------------------------------------
def test_empty_policies(two_arms: dict[str, np.ndarray]) -> None:
    with pytest.raises(DecideValueError, match=r"policies must name at least one policy; got an empty dict"):
        compare(from_draws(two_arms), {})


def test_policies_not_a_dict(two_arms: dict[str, np.ndarray]) -> None:
    with pytest.raises(DecideTypeError, match=r"policies must be a dict.*got list"):
        compare(from_draws(two_arms), [Mean()])


@pytest.mark.parametrize("bad", [lambda y: y.mean(), object(), None])
def test_unknown_objective_type(two_arms: dict[str, np.ndarray], bad: object) -> None:
    with pytest.raises(DecideTypeError, match=r"policies\['odd'\] must be a decide Objective"):
        compare(from_draws(two_arms), {"ok": Mean(), "odd": bad})


def test_objective_class_instead_of_instance(two_arms: dict[str, np.ndarray]) -> None:
    with pytest.raises(DecideTypeError, match=r"policies\['odd'\] is the class CVaR; pass an instance"):
        compare(from_draws(two_arms), {"odd": CVaR})


def test_label_on_outcome_without_options() -> None:
    with pytest.raises(DecideTypeError, match=r"policies\['odd'\] is the label 'mean'"):
        compare(linear(np.ones((10, 2))), {"odd": "mean"}, Budget(1.0))


def test_unknown_option_label(two_arms: dict[str, np.ndarray]) -> None:
    with pytest.raises(DecideValueError, match=r"policies\['x'\].*\['safe', 'risky'\].*'nope'"):
        compare(from_draws(two_arms), {"x": "nope"})


def test_fixed_action_of_wrong_shape(two_arms: dict[str, np.ndarray]) -> None:
    with pytest.raises(DecideValueError, match=r"policies\['x'\]"):
        compare(from_draws(two_arms), {"x": [1.0, 0.0, 0.0]})


@pytest.mark.parametrize("holdout", [0.0, 1.0, 1.5, -0.2])
def test_holdout_outside_unit_interval(two_arms: dict[str, np.ndarray], holdout: float) -> None:
    with pytest.raises(DecideValueError, match=rf"holdout must be in \(0, 1\).*got {holdout!r}"):
        compare(from_draws(two_arms), {"n": Mean()}, holdout=holdout)


@pytest.mark.parametrize(("holdout", "err"), [("kfold", DecideValueError), (True, DecideTypeError)])
def test_holdout_bad_kind(two_arms: dict[str, np.ndarray], holdout: object, err: type) -> None:
    with pytest.raises(err, match=r"holdout must be"):
        compare(from_draws(two_arms), {"n": Mean()}, holdout=holdout)


def test_holdout_leaving_too_few_draws() -> None:
    model = from_draws({"a": np.arange(5.0), "b": np.arange(5.0)[::-1]})
    with pytest.raises(DecideValueError, match=r"holdout=0.9 of 5 posterior draws leaves 1 to optimize on and 4"):
        compare(model, {"n": Mean()}, holdout=0.9)


def test_fewer_draws_than_folds() -> None:
    model = from_draws({"a": np.arange(6.0), "b": np.arange(6.0)[::-1]})
    with pytest.raises(DecideValueError, match=r"n_folds=10 needs at least 2 posterior draws per fold \(20 draws\); the outcome has 6"):
        compare(model, {"n": Mean()}, holdout="crossfit", n_folds=10)


@pytest.mark.parametrize(("n_folds", "err"), [(1, DecideValueError), (2.5, DecideTypeError)])
def test_bad_n_folds(two_arms: dict[str, np.ndarray], n_folds: object, err: type) -> None:
    with pytest.raises(err, match=r"n_folds must be an integer >= 2"):
        compare(from_draws(two_arms), {"n": Mean()}, holdout="crossfit", n_folds=n_folds)


def test_bad_target_and_ce_levels(two_arms: dict[str, np.ndarray]) -> None:
    model = from_draws(two_arms)
    with pytest.raises(DecideValueError, match=r"target must be a finite number"):
        compare(model, {"n": Mean()}, target=float("nan"))
    with pytest.raises(DecideValueError, match=r"ce_risk_aversions must be .* >= 0; got \[-1.0\]"):
        compare(model, {"n": Mean()}, ce_risk_aversions=[-1.0])


def test_outcome_must_be_a_model() -> None:
    with pytest.raises(DecideTypeError, match=r"outcome must be an OutcomeModel"):
        compare(np.ones((10, 2)), {"n": Mean()})


def test_cvar_lp_policies_chain_warm_starts_and_keep_the_exact_answer(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import importlib

    cf = importlib.import_module("decide.optimization.cvar_lp._solve")
    seen = []
    real = cf.solve_cvar_lp

    def spy(*args, **kwargs):
        seen.append(kwargs.get("warm_start") is not None)
        return real(*args, **kwargs)

    monkeypatch.setattr(cf, "solve_cvar_lp", spy)
    rng = np.random.default_rng(8)
    R = rng.normal([0.08, 0.03, 0.05], [0.30, 0.04, 0.12], size=(3000, 3))
    policies = {"cvar10": CVaR(0.1), "cvar5": CVaR(0.05), "mix": Mean() + 2.0 * CVaR(0.1)}
    table = compare(linear(R), policies, Budget(1.0), holdout="crossfit", n_folds=3,
                    random_seed=1, method="cvar-lp")
    assert seen == [False] + [True] * (len(seen) - 1)  # every solve after the first is warm
    monkeypatch.setattr(cf, "solve_cvar_lp", real)
    for name, objective in policies.items():
        cold = optimize(linear(R), objective, Budget(1.0), method="cvar-lp")
        x = table.loc[name, ["action[0]", "action[1]", "action[2]"]].to_numpy(dtype=float)
        assert float(objective(R @ x)) == pytest.approx(cold.value, rel=1e-9, abs=1e-12)


def test_a_fixed_action_outside_the_space_is_noted_and_warned():
    # a status quo spending 6 next to policies held to a budget of 1 was compared silently
    rng = np.random.default_rng(0)
    r = rng.normal([1.0, 2.0, 3.0], 1.0, size=(400, 3))
    with pytest.warns(UserWarning, match=r"'status quo' breaks Budget\(total=1, equality=True\) by 5"):
        table = compare(linear(r), {"n": Mean(), "status quo": np.full(3, 2.0),
                                    "inside": np.array([0.2, 0.3, 0.5])}, Budget(1.0), random_seed=0)
    assert any(n.startswith("outside the space: 'status quo'") and "'inside'" not in n
               for n in table.attrs["notes"])
    assert table.loc["status quo", "mean"] == pytest.approx((r[table.attrs["held_out"]] @ np.full(3, 2.0)).mean())
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # inside the space: no warning
        compare(linear(r), {"n": Mean(), "inside": np.array([0.2, 0.3, 0.5])}, Budget(1.0),
                random_seed=0)
