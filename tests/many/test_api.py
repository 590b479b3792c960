"""optimize_many: the per-unit loop against the vectorized paths, failures, inputs."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from decide.errors import DecideError, DecideTypeError, DecideValueError
from decide.many import newsvendor, optimize_many, unit_seeds
from decide.measures import CVaR, Mean, MeanCVaR, Sharpe
from decide.optimization import Box, Budget, Discrete, optimize
from decide.outcomes import from_draws, from_function, linear


def _table(seed: int = 0, n_units: int = 12, n_options: int = 5, n_samples: int = 400) -> xr.DataArray:
    rng = np.random.default_rng(seed)
    loc = rng.normal(size=(n_units, n_options, 1)) * 0.3
    return xr.DataArray(
        rng.normal(loc, 1.0, size=(n_units, n_options, n_samples)),
        dims=("store", "price", "sample"),
        coords={"store": [f"s{i}" for i in range(n_units)], "price": [f"p{k}" for k in range(n_options)]},
    )


@pytest.mark.parametrize("objective", [Mean(), CVaR(0.1), MeanCVaR(0.5, 0.05), Sharpe()])
def test_vectorized_enumeration_matches_loop_and_brute_force(objective):
    da = _table()
    fast = optimize_many(da, objective, over="store", progress=False)
    loop = optimize_many(da, objective, over="store", progress=False, vectorize=False)
    assert fast.attrs["paths"] == {"vectorized": 12, "loop": 0}
    assert loop.attrs["paths"] == {"vectorized": 0, "loop": 12}
    pd.testing.assert_frame_equal(fast, loop)
    # brute force: score every option of every store with the objective itself
    for store in da["store"].values:
        scores = [objective(da.sel(store=store, price=p).values) for p in da["price"].values]
        assert fast.loc[store, "option"] == da["price"].values[int(np.argmax(scores))]
        assert fast.loc[store, "score"] == max(scores)


def test_exact_and_near_ties_are_resolved_like_optimize():
    rng = np.random.default_rng(3)
    base = rng.normal(size=(6, 1, 300))
    # "c" holds b's draws reversed (equal CVaR up to rounding), "d" an exact copy of "b"
    table = np.concatenate([base - 1.0, base, base[:, :, ::-1], base.copy()], axis=1)
    da = xr.DataArray(table, dims=("unit", "option", "sample"), coords={"option": list("abcd")})
    fast = optimize_many(da, CVaR(0.2), over="unit", progress=False)
    loop = optimize_many(da, CVaR(0.2), over="unit", progress=False, vectorize=False)
    pd.testing.assert_frame_equal(fast, loop)
    assert set(fast["option"]) <= {"b", "c"}  # never "d": ties go to the first option listed
    for u in range(6):
        exact = [CVaR(0.2)(table[u, k]) for k in range(4)]
        assert fast.loc[u, "option"] == "abcd"[int(np.argmax(exact))]


def test_summary_columns_equal_decision_summary():
    da = _table(n_units=3)
    table = optimize_many(da, CVaR(0.1), over="store", progress=False)
    for store in da["store"].values:
        model = from_draws(da.sel(store=store), dim="price")
        summary = optimize(model, CVaR(0.1), Discrete()).summary().iloc[0]
        for col in ("mean", "sd", "q5", "q25", "q50", "q75", "q95", "cvar_5", "cvar_10", "prob_loss"):
            assert table.loc[store, col] == pytest.approx(summary[col], rel=1e-12, abs=1e-12)
        assert table.loc[store, "score"] == summary["value"]


def test_dict_of_models_dataset_and_parent_give_the_same_decisions():
    da = _table(n_units=4, n_options=3)
    by_array = optimize_many(da, Mean(), over="store", progress=False)
    models = {s: from_draws(da.sel(store=s), dim="price") for s in da["store"].values}
    by_dict = optimize_many(models, Mean(), over="store", progress=False)
    assert by_dict.attrs["paths"]["vectorized"] == 4
    pd.testing.assert_frame_equal(by_dict, by_array, check_names=False)
    ds = da.to_dataset(dim="price")
    by_ds = optimize_many(ds, Mean(), over="store", progress=False, option_dim="price")
    assert by_ds["option"].tolist() == by_array["option"].tolist()


def test_parent_outcome_with_unit_dim_matches_per_store_models():
    rng = np.random.default_rng(4)
    demand = rng.gamma(4.0, 25.0, size=(800, 6))

    def profit(q, p):
        return 5.0 * np.minimum(q, p["d"]) - 3.0 * q

    parent = from_function(profit, {"d": demand}, action_shape=(), outcome_dims=("store",))
    grid = Discrete(np.linspace(0.0, 200.0, 21)[:, None])
    fast = optimize_many(parent, Mean(), grid, units=list("abcdef"), progress=False)
    loop = optimize_many(parent, Mean(), grid, units=list("abcdef"), progress=False, vectorize=False)
    assert fast.attrs["paths"]["vectorized"] == 6
    pd.testing.assert_frame_equal(fast, loop)
    for j, store in enumerate("abcdef"):
        one = from_function(profit, {"d": demand[:, j]}, action_shape=())
        d = optimize(one, Mean(), grid)
        assert fast.loc[store, "action"] == d.flat_action[0]
        assert fast.loc[store, "score"] == d.value


def test_continuous_units_use_optimize_with_per_unit_seeds():
    rng = np.random.default_rng(5)
    models = {f"u{i}": linear(rng.normal([0.05, 0.02, 0.03], [0.2, 0.05, 0.1], size=(300, 3))) for i in range(3)}
    table = optimize_many(models, Sharpe(), Budget(1.0), random_seed=11, progress=False)
    seeds = unit_seeds(11, 3)
    for i, (name, model) in enumerate(models.items()):
        d = optimize(model, Sharpe(), Budget(1.0), random_seed=np.random.default_rng(seeds[i]))
        np.testing.assert_array_equal(table.loc[name, ["action[0]", "action[1]", "action[2]"]].to_numpy(float), d.flat_action)
        assert table.loc[name, "score"] == d.value
    again = optimize_many(models, Sharpe(), Budget(1.0), random_seed=11, progress=False)
    pd.testing.assert_frame_equal(table, again)


def test_one_unit_with_nan_draws_fails_alone():
    da = _table(n_units=5)
    values = da.values.copy()
    values[2, 1, 7] = np.nan
    bad = da.copy(data=values)
    with pytest.warns(UserWarning, match="1 of 5 units failed"):
        fast = optimize_many(bad, CVaR(0.1), over="store", progress=False)
    with pytest.warns(UserWarning, match="1 of 5 units failed"):
        loop = optimize_many(bad, CVaR(0.1), over="store", progress=False, vectorize=False)
    good = optimize_many(da, CVaR(0.1), over="store", progress=False)
    for table in (fast, loop):
        assert table.loc["s2", "error"].startswith("DecideValueError") and "finite" in table.loc["s2", "error"]
        assert np.isnan(table.loc["s2", "score"]) and not table.loc["s2", "converged"]
        ok = table.index != "s2"
        pd.testing.assert_frame_equal(table[ok], good[ok])


def test_one_newsvendor_store_with_nan_demand_fails_alone():
    rng = np.random.default_rng(6)
    demand = rng.gamma(4.0, 25.0, size=(501, 4))
    demand[10, 3] = np.nan
    model = newsvendor(demand, 5.0, 3.0, 1.0, dim="store")
    with pytest.warns(UserWarning, match="1 of 4 units failed"):
        table = optimize_many(model, Mean(), Box(0.0, 500.0), progress=False)
    assert table.attrs["paths"] == {"vectorized": 3, "loop": 1}
    assert "non-finite" in table.loc[3, "error"]
    assert table.loc[[0, 1, 2], "error"].isna().all()
    # string labels read as the user wrote them ('d', not np.str_('d')), in the error and the warning
    labelled = newsvendor(pd.DataFrame(demand, columns=list("abcd")), 5.0, 3.0, 1.0, dim="store")
    with pytest.warns(UserWarning, match=r"1 of 4 units failed \(first: 'd': .*demand of unit 'd' "):
        table = optimize_many(labelled, Mean(), Box(0.0, 500.0), progress=False)
    assert "demand of unit 'd' has non-finite" in table.loc["d", "error"]


def test_infeasible_unit_records_the_constraint():
    rng = np.random.default_rng(7)
    models = {name: linear(rng.normal(0.05, 0.1, size=(200, 2))) for name in ("a", "b", "c")}
    spaces = {"a": Budget(1.0), "b": Budget(1.0, upper=0.4), "c": Budget(2.0)}
    with pytest.warns(UserWarning, match="1 of 3 units failed"):
        table = optimize_many(models, Mean(), spaces, progress=False)
    assert table.loc["b", "error"].startswith("InfeasibleError")
    assert "Budget" in table.loc["b", "error"]
    np.testing.assert_allclose(table.loc[["a", "c"], ["action[0]", "action[1]"]].sum(axis=1), [1.0, 2.0])


def test_non_converged_units_warn_once_and_are_flagged(monkeypatch):
    from decide.errors import ConvergenceWarning

    rng = np.random.default_rng(8)
    models = {i: linear(rng.normal(0.05, 0.1, size=(100, 2))) for i in range(3)}
    table = None
    with pytest.warns(ConvergenceWarning, match="3 of 3 units did not converge"):
        table = optimize_many(models, Mean(), Budget(1.0), method="scipy", maxiter=1, progress=False)
    assert not table["converged"].any()
    assert table["warnings"].str.contains("ConvergenceWarning").all()


def test_progress_on_stderr_only_for_long_work(capsys, monkeypatch):
    import decide._config as config

    optimize_many(_table(n_units=3), Mean(), over="store", progress=True)
    assert capsys.readouterr().err == ""  # sub-second work stays quiet
    monkeypatch.setattr(config, "PROGRESS_DELAY", 0.0)
    optimize_many(_table(n_units=3), Mean(), over="store", progress=True)
    err = capsys.readouterr().err
    assert "optimize_many" in err and "3/3" in err and err.endswith("\n")


def test_bad_arguments_raise_clear_errors():
    da = _table(n_units=2)
    with pytest.raises(DecideValueError, match="over is required"):
        optimize_many(da, Mean(), progress=False)
    with pytest.raises(DecideValueError, match="'region' must be a dim"):
        optimize_many(da, Mean(), over="region", progress=False)
    with pytest.raises(DecideTypeError, match="objective must be"):
        optimize_many(da, "mean", over="store", progress=False)
    with pytest.raises(DecideValueError, match="method must be one of"):
        optimize_many(da, Mean(), over="store", method="fast", progress=False)
    with pytest.raises(DecideValueError, match="one space per unit"):
        optimize_many({"a": linear(np.ones((3, 2)))}, Mean(), {"b": Budget(1.0)}, progress=False)
    with pytest.raises(DecideTypeError, match="outcome must be"):
        optimize_many(np.ones((3, 2)), Mean(), over="store", progress=False)
    with pytest.raises(DecideValueError, match="Pass units"):
        optimize_many(
            from_function(lambda q, p: p["d"] * q, {"d": np.ones((5, 2))}, action_shape=(), outcome_dims=("store",)),
            Mean(), Box(0, 1), progress=False,
        )


def test_missing_dask_names_the_extra(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_distributed(name, *args, **kwargs):
        if name == "distributed" or name.startswith("distributed."):
            raise ImportError("No module named 'distributed'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_distributed)
    with pytest.raises(DecideError, match=r'pip install "bayes-decide\[dask\]"'):
        optimize_many(_table(n_units=2), Mean(), over="store", client="local", progress=False)


def test_unit_seeds_are_keyed_by_position_and_leave_the_root_alone():
    root = np.random.SeedSequence(5)
    a = unit_seeds(root, 4)
    assert root.n_children_spawned == 0
    b = np.random.SeedSequence(5).spawn(4)
    assert [s.generate_state(2).tolist() for s in a] == [s.generate_state(2).tolist() for s in b]
    assert unit_seeds(5, 6)[3].generate_state(1).tolist() == a[3].generate_state(1).tolist()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        with pytest.raises(DecideTypeError):
            unit_seeds("seed", 2)
