"""No public call modifies the user's model, posterior or input arrays.

A deep fingerprint (see ``conftest.deep_fingerprint``: every variable and graph of the
model, ``pm.Data`` values and RNG states through ``get_value``, ``rvs_to_values``,
every group, value, coordinate and attribute of the posterior, array write flags) is
taken before and compared after each public call, on small real PyMC models built
from known draws, and on numpy / pandas / xarray inputs. Outputs must not alias
inputs either: writing into a returned array leaves the input untouched.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from decide.measures import CVaR, ExpectedUtility, Exponential, Mean, MeanVariance
from decide.optimization import Box, Budget, Discrete, optimize
from decide.outcomes import from_draws, from_function, from_pymc, linear
from decide.policies import compare, frontier
from decide.uncertainty import decompose, evpi, evppi, expected_regret, prob_best

pm = pytest.importorskip("pymc")

from conftest import as_posterior, deep_fingerprint, spend_draws, spend_model  # noqa: E402

SPACE = Budget(2.0, upper=1.5)
ACTIONS = [[1.0, 1.0], [1.5, 0.5], [0.5, 1.5]]


@pytest.fixture(scope="module")
def model():
    return spend_model()


@pytest.fixture(scope="module")
def draws():
    return spend_draws(n=24)


def _sales_minus_cost(v):
    return v["sales"].sum() - 0.2 * v["spend"].sum()


# the default (compiled) backend once; FAST_COMPILE elsewhere keeps the compile time down
MODES = [
    ("mean", "profit", None, None),
    ("sample", "sales", 3, "FAST_COMPILE"),
    ("crn", _sales_minus_cost, 3, "FAST_COMPILE"),
]


def _unchanged(before: str, *objs, what: str) -> None:
    assert deep_fingerprint(*objs) == before, f"{what} modified the user's objects"


# small posteriors: compare's CARA columns rest on one or two effective draws and it warns so
# (UnreliableEstimateWarning, tested in tests/policies); these tests are about mutation only
_SMALL_SAMPLE = pytest.mark.filterwarnings("ignore::decide.errors.UnreliableEstimateWarning")


@_SMALL_SAMPLE
@pytest.mark.parametrize(("mode", "outcome", "reps", "backend"), MODES,
                         ids=[m[0] for m in MODES])
def test_from_pymc_and_everything_downstream_leave_model_and_posterior_alone(
    model, draws, mode, outcome, reps, backend
) -> None:
    post = as_posterior(draws)
    before = deep_fingerprint(model, post)
    copy_of_values = {k: v.copy() for k, v in draws.items()}
    om = from_pymc(model, post, action="spend", outcome=outcome, mode=mode, n_replicates=reps,
                   random_seed=1, backend=backend)
    _unchanged(before, model, post, what="from_pymc")
    y = om.draws([1.0, 1.0])
    y[...] = 0.0  # writing into an output never reaches the posterior
    om.sample([1.0, 1.0])
    if om.has_vjp:
        om.vjp([1.0, 1.0], np.ones(om.draws([1.0, 1.0]).shape))
    if om.has_conditional_mean:
        om.conditional_mean([1.0, 1.0])
    _unchanged(before, model, post, what="draws/sample/vjp/conditional_mean")
    if mode == "sample":  # fresh noise per call: a continuous space is refused, options are scored
        d = optimize(om, Mean(), Discrete({str(i): a for i, a in enumerate(ACTIONS)}))
    else:
        d = optimize(om, Mean(), SPACE, method="scipy", random_seed=0, n_starts=1)
    d.flat_action[...] = 99.0
    np.asarray(d.draws)[...] = 99.0
    _unchanged(before, model, post, what="optimize")
    decompose(om, [1.0, 1.0], random_seed=0)
    _unchanged(before, model, post, what="decompose")
    evpi(om, ACTIONS)
    prob_best(om, ACTIONS)
    _unchanged(before, model, post, what="evpi/prob_best")
    if mode == "sample":
        compare(om, {"neutral": Mean(), "cautious": CVaR(0.25), "status quo": np.array([1.0, 1.0])},
                space=Discrete({str(i): a for i, a in enumerate(ACTIONS)}), random_seed=0)
    else:
        compare(om, {"neutral": Mean(), "cautious": CVaR(0.25), "status quo": np.array([1.0, 1.0])},
                space=SPACE, random_seed=0, method="scipy", n_starts=1)
    _unchanged(before, model, post, what="compare")
    if mode == "mean":
        evppi(om, ACTIONS, params=["beta"], random_seed=0)
        _unchanged(before, model, post, what="evppi")
    for k, v in copy_of_values.items():
        np.testing.assert_array_equal(draws[k], v)


def test_model_fingerprint_sees_every_kind_of_change(draws) -> None:
    # the fingerprint is only a guard if it notices the mutations it is meant to catch
    model = spend_model()
    base = deep_fingerprint(model)
    assert deep_fingerprint(spend_model()) != base  # new variables are new objects
    with model:
        pm.set_data({"spend": np.array([3.0, 4.0])})
    changed_data = deep_fingerprint(model)
    assert changed_data != base
    with model:
        pm.set_data({"spend": np.ones(2)})
    assert deep_fingerprint(model) == base
    rng_var = model["beta"].owner.inputs[0]
    state = rng_var.get_value(borrow=False)
    rng_var.set_value(np.random.default_rng(123))
    assert deep_fingerprint(model) != base
    rng_var.set_value(state)
    assert deep_fingerprint(model) == base
    post = as_posterior(draws)
    before = deep_fingerprint(post)
    group = post["posterior"] if isinstance(post, xr.DataTree) else post.posterior
    group["beta"].values[0, 0, 0] += 1.0
    after_value = deep_fingerprint(post)
    assert after_value != before
    group.attrs["touched"] = True
    assert deep_fingerprint(post) != after_value


def _numpy_inputs():
    rng = np.random.default_rng(4)
    R = rng.normal([0.05, 0.02], [0.2, 0.05], size=(80, 2))
    return {
        "R": R,
        "intercept": rng.normal(size=80),
        "df": pd.DataFrame(R, columns=pd.Index(["tv", "web"], name="channel")),
        "da": xr.DataArray(R.reshape(2, 40, 2), dims=("chain", "draw", "channel"),
                           coords={"channel": ["tv", "web"]}, attrs={"unit": "EUR"}),
        "arms": {"A": rng.normal(1.0, 0.3, 80), "B": rng.normal(1.1, 1.0, 80)},
        "arms_df": pd.DataFrame({"A": rng.normal(size=80), "B": rng.normal(size=80)}),
        "arms_ds": xr.Dataset({"A": ("sample", rng.normal(size=80)),
                               "B": ("sample", rng.normal(size=80))}),
        "weights": rng.uniform(0.5, 1.5, 80),
        "lower": np.array([0.0, 0.1]),
        "upper": np.array([0.9, 0.9]),
        "x0": np.array([0.5, 0.5]),
        "params": {"theta": np.abs(rng.normal(1.0, 0.2, size=(80, 2)))},
        "replicated": rng.normal(size=(80, 5)),
        "status_quo": np.array([0.5, 0.5]),
    }


@_SMALL_SAMPLE
def test_numpy_pandas_xarray_inputs_are_never_modified() -> None:
    inp = _numpy_inputs()
    before = deep_fingerprint(inp)
    lin = linear(inp["R"], inp["intercept"])
    lin_df = linear(inp["df"])
    lin_da = linear(inp["da"])
    space = Budget(1.0, lower=inp["lower"], upper=inp["upper"])
    for outcome in (lin, lin_df, lin_da):
        for method in ("cvxpy", "scipy", "cvar-lp"):
            d = optimize(outcome, CVaR(0.1), space, method=method, random_seed=0,
                         **({"x0": inp["x0"]} if method == "scipy" else {}))
            d.flat_action[...] = -1.0
            np.asarray(d.draws)[...] = -1.0
        optimize(outcome, MeanVariance(1.0), space, weights=inp["weights"])
        optimize(outcome, Mean(), Box(inp["lower"], inp["upper"]), method="scipy-global",
                 random_seed=0)
        optimize(outcome, Mean(), Discrete({"a": inp["lower"], "b": inp["upper"]}))
        decompose(outcome, inp["x0"])
        evpi(outcome, space=space, max_draws=10, random_seed=0)
        frontier(outcome, risk_aversion=[0.0, 1.0], space=space)
    for table in (inp["arms"], inp["arms_df"], inp["arms_ds"]):
        arms = from_draws(table)
        d = optimize(arms, ExpectedUtility(Exponential(0.5)))
        np.asarray(d.draws)[...] = 0.0
        arms.draws_for("A")[...] = 0.0
        compare(arms, {"m": Mean(), "c": CVaR(0.1), "sq": "A"}, random_seed=0)
        evpi(arms)
        expected_regret(table if isinstance(table, dict) else arms)
    fo = from_function(lambda x, p: (p["theta"] * np.sqrt(x + 0.1)).sum(axis=1), inp["params"],
                       action_shape=2)
    optimize(fo, Mean(), space, random_seed=0)
    compare(fo, {"m": Mean(), "sq": inp["status_quo"]}, space=space, random_seed=0)
    decompose(inp["replicated"])
    CVaR(0.1)(inp["R"][:, 0], weights=inp["weights"])
    CVaR(0.1).grad(inp["R"][:, 0])
    assert deep_fingerprint(inp) == before
