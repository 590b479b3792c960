"""Categorical actions of from_pymc (one-hot or index pm.Data) decided by label (issue 22).

Expected values: the expected net benefit of each treatment computed in numpy from
the posterior draws (the outcome is affine in the Bernoulli outcomes, so the mean
mode is exact).
"""

from __future__ import annotations

import numpy as np
import pytest

from decide.errors import DecideValueError
from decide.measures import Mean
from decide.optimization import Box, Discrete, optimize
from decide.policies import compare

pm = pytest.importorskip("pymc")
from decide.outcomes import from_pymc  # noqa: E402

LABELS = ["A", "B", "C"]
N, S = 20, 200
COST = np.array([0.0, 1.0, 6.0])
VALUE = 20.0


def _draws_and_x():
    rng = np.random.default_rng(3)
    x = rng.normal(size=N)
    draws = {
        "a": rng.normal(-0.5, 0.2, S),
        "b": rng.normal([0.0, 0.6, 0.9], 0.3, size=(S, 3)),
        "c": rng.normal(0.5, 0.1, S),
    }
    return x, draws, rng.integers(0, 3, N)


def _enb(x, draws):
    """Expected net benefit of giving every row treatment k, in numpy."""
    z = draws["a"][:, None, None] + draws["b"][:, None, :] + draws["c"][:, None, None] * x[None, :, None]
    p = 1.0 / (1.0 + np.exp(-z))  # (S, N, K)
    return (VALUE * p.sum(1) - N * COST).mean(0)


def _one_hot_model(x, assigned, coords=True):
    with pm.Model(coords={"row": range(N), "treatment": LABELS}) as model:
        dims = ("row", "treatment") if coords else None
        treat = pm.Data("treat", np.eye(3)[assigned], dims=dims)
        a, c = pm.Normal("a", 0, 1), pm.Normal("c", 0, 1)
        b = pm.Normal("b", 0, 1, dims="treatment")
        p = pm.math.sigmoid(a + (treat * b).sum(-1) + c * x)
        pm.Bernoulli("y", p, observed=np.zeros(N, dtype=int))
    return model


def _benefit(v):
    return VALUE * v["y"].sum() - (v["treat"] * COST).sum()


def test_one_hot_treatment_is_a_choice_by_label():
    x, draws, assigned = _draws_and_x()
    enb = _enb(x, draws)
    best = LABELS[int(np.argmax(enb))]
    assert best != LABELS[0]  # the test can tell a wrong argmax from the first option
    om = from_pymc(_one_hot_model(x, assigned), draws, action="treat", outcome=_benefit, data={})
    assert om.categorical and om.options == tuple(LABELS)
    d = optimize(om, Mean())  # Discrete over every option by default
    assert d.option == best
    np.testing.assert_allclose(om.draws(om.one_hot("B")).mean(), enb[1], rtol=1e-10)
    with pytest.raises(DecideValueError, match="categorical"):
        optimize(om, Mean(), Box(0.0, 1.0))

    table = compare(om, {"best": Mean(), "C": "C", "A": "A"}, random_seed=0)
    assert "option" in table.columns and table.shape[1] < 3 * N
    assert list(table["option"]) == [best, "C", "A"]
    np.testing.assert_allclose(table.loc["C", "mean_all"], enb[2], rtol=1e-10)


def test_index_treatment_declared_with_labels():
    x, draws, assigned = _draws_and_x()
    with pm.Model(coords={"treatment": LABELS}) as model:
        idx = pm.Data("treat_idx", assigned)
        a, c = pm.Normal("a", 0, 1), pm.Normal("c", 0, 1)
        b = pm.Normal("b", 0, 1, dims="treatment")
        pm.Bernoulli("y", pm.math.sigmoid(a + b[idx] + c * x), observed=np.zeros(N, dtype=int))

    def benefit(v):
        return VALUE * v["y"].sum() - pm.math.constant(COST)[v["treat_idx"]].sum()

    om = from_pymc(model, draws, action="treat_idx", outcome=benefit,
                   categorical={"treat_idx": LABELS}, data={})
    enb = _enb(x, draws)
    assert optimize(om, Mean(), Discrete(["A", "C"])).option == ("A" if enb[0] > enb[2] else "C")
    assert optimize(om, Mean()).option == LABELS[int(np.argmax(enb))]
    with pytest.raises(DecideValueError, match="is an index; name its categories"):
        from_pymc(model, draws, action="treat_idx", outcome=benefit, categorical="treat_idx",
                  data={})


def test_one_hot_kept_numeric_on_request():
    x, draws, assigned = _draws_and_x()
    om = from_pymc(_one_hot_model(x, assigned), draws, action="treat", outcome=_benefit, data={},
                   categorical=False)
    assert not om.categorical and om.options is None
