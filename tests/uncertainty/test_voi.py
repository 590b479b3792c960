"""Tests of decide/uncertainty/_voi.py and _utility.py: EVPI, expected regret, P(best)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.stats import norm

from decide.errors import DecideTypeError, DecideValueError
from decide.outcomes import from_draws, linear
from decide.uncertainty import ValueOfInformation, evpi, expected_regret, prob_best


def closed_form_evpi(m: float, s: float) -> float:
    """EVPI of choosing between d ~ N(m, s^2) and 0: E[max(d, 0)] - max(m, 0)."""
    return s * norm.pdf(m / s) + m * norm.cdf(m / s) - max(m, 0.0)


@pytest.mark.parametrize(("m", "s"), [(0.0, 1.0), (1.0, 2.0), (-0.5, 0.7), (3.0, 1.0)])
def test_evpi_two_actions_normal_closed_form(m, s):
    rng = np.random.default_rng(1)
    d = rng.normal(m, s, size=200_000)
    result = evpi({"act": d, "wait": np.zeros_like(d)})
    assert isinstance(result, ValueOfInformation)
    truth = closed_form_evpi(m, s)
    assert abs(result.value - truth) < 5 * result.standard_error + 1e-12
    assert result.best_action == ("act" if m > 0 else "wait") or m == 0.0
    assert float(result) == result.value


def test_evpi_outcome_model_action_forms_agree():
    rng = np.random.default_rng(2)
    scen = rng.normal([1.0, 1.2], [0.1, 1.0], size=(500, 2))
    model = linear(scen, dim="channel", coords=["a", "b"])
    as_dict = evpi(model, {"all_a": [1.0, 0.0], "all_b": [0.0, 1.0], "half": [0.5, 0.5]})
    as_list = evpi(model, [[1.0, 0.0], [0.0, 1.0], [0.5, 0.5]])
    from decide.optimization import Discrete

    as_space = evpi(model, Discrete({"all_a": [1.0, 0.0], "all_b": [0.0, 1.0], "half": [0.5, 0.5]}))
    assert as_dict.value == pytest.approx(as_list.value)
    assert as_dict.value == pytest.approx(as_space.value)
    assert list(as_list.expected_utility.index) == [
        "action[a]=1, action[b]=0", "action[a]=0, action[b]=1", "action[a]=0.5, action[b]=0.5",
    ]
    # brute force: per draw max over the three actions, minus the best mean
    U = scen @ np.array([[1.0, 0.0, 0.5], [0.0, 1.0, 0.5]])
    assert as_dict.value == pytest.approx(U.max(axis=1).mean() - U.mean(axis=0).max())
    assert as_dict.best_action == ["all_a", "all_b", "half"][int(U.mean(axis=0).argmax())]


def test_evpi_from_draws_options_and_replicates():
    rng = np.random.default_rng(3)
    theta = rng.normal(0.1, 1.0, size=300)
    reps = theta[:, None] + rng.normal(size=(300, 20))
    model = from_draws({"treat": reps, "control": np.zeros((300, 20))})
    result = evpi(model, debias=False)  # every option; U = mean of the replicates per draw
    U = np.column_stack([reps.mean(axis=1), np.zeros(300)])
    assert result.value == pytest.approx(U.max(axis=1).mean() - U.mean(axis=0).max())
    assert evpi(model).plug_in == pytest.approx(result.value)


def test_evpi_with_objective_is_per_draw():
    from decide.measures import CVaR

    rng = np.random.default_rng(4)
    a = rng.normal(1.0, 1.0, size=(200, 40))
    b = rng.normal(0.8, 0.2, size=(200, 40)) + rng.normal(0, 0.5, size=(200, 1))
    obj = CVaR(alpha=0.1)
    result = evpi({"a": a, "b": b}, objective=obj, debias=False)

    def per_draw(x):  # CVaR of the 40 replicates: mean of the worst 4
        return np.sort(x, axis=1)[:, :4].mean(axis=1)

    U = np.column_stack([per_draw(a), per_draw(b)])
    plug_in = U.max(axis=1).mean() - U.mean(axis=0).max()
    assert result.value == pytest.approx(plug_in)
    from decide.errors import ReplicateNoiseWarning

    with pytest.warns(ReplicateNoiseWarning):  # the true EVPI is ~0 here: noise dominates
        corrected = evpi({"a": a, "b": b}, objective=obj)
    assert corrected.plug_in == pytest.approx(plug_in)
    assert corrected.n_replicates == 40 and corrected.value < plug_in
    assert "replicates per draw" in repr(corrected)  # the note is in the repr


def test_expected_regret_and_prob_best_brute_force():
    rng = np.random.default_rng(5)
    U = rng.normal(size=(300, 4)).round(1)  # rounding makes ties
    df = pd.DataFrame(U, columns=list("wxyz"))
    regret = expected_regret(df)
    pbest = prob_best(df)
    brute_regret = np.zeros(4)
    brute_p = np.zeros(4)
    for row in U:
        best = row.max()
        brute_regret += best - row
        winners = [j for j in range(4) if row[j] == best]
        for j in winners:
            brute_p[j] += 1 / len(winners)
    np.testing.assert_allclose(regret.to_numpy(), brute_regret / 300)
    np.testing.assert_allclose(pbest.to_numpy(), brute_p / 300)
    assert list(regret.index) == list("wxyz") and regret.index.name == "action"
    assert regret.min() == pytest.approx(evpi(df).value)


@settings(max_examples=40, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 30), st.integers(2, 5)),
        elements=st.sampled_from([-1.0, 0.0, 0.5, 2.0, 3.25]),
    )
)
def test_prob_best_sums_to_one_and_regret_nonnegative(U):
    p = prob_best(U)
    assert p.sum() == pytest.approx(1.0)
    assert (p >= 0).all()
    r = expected_regret(U)
    assert (r >= 0).all()
    assert r.min() == pytest.approx(evpi(U).value, abs=1e-12)


def test_ties_split_evenly():
    p = prob_best({"a": np.array([1.0, 1.0]), "b": np.array([1.0, 0.0]), "c": np.array([0.0, 0.0])})
    assert p.to_dict() == {"a": 0.75, "b": 0.25, "c": 0.0}


def test_single_action_raises():
    model = linear(np.ones((5, 2)))
    with pytest.raises(DecideValueError, match="at least 2 distinct actions"):
        evpi(model, [[1.0, 0.0]])
    with pytest.raises(DecideValueError, match="at least 2 distinct actions"):
        evpi({"only": np.ones(5)})


def test_bad_actions():
    from decide.optimization import Box

    model = linear(np.ones((5, 2)))
    with pytest.raises(DecideTypeError, match="space="):
        evpi(model, Box(0, 1))
    with pytest.raises(DecideTypeError, match="list of actions"):
        evpi(model, 3)
    with pytest.raises(DecideValueError, match="actions must be None"):
        evpi(np.ones((5, 2)), [[1.0]])
    with pytest.raises(DecideValueError, match="same number of posterior samples"):
        evpi({"a": np.ones(5), "b": np.ones(4)})
    with pytest.raises(DecideValueError, match=r"shape \(n_samples, n_actions\)"):
        evpi(np.ones(5))
    assert math.isfinite(evpi(np.ones((5, 2))).value)


def test_objective_and_debias_are_checked():
    # a string objective failed with "'str' object is not callable"; debias="no" counted as True
    from decide.optimization import Box
    from decide.uncertainty import evppi

    draws = {"a": np.arange(6.0), "b": np.arange(6.0)[::-1]}
    for call in (lambda: evpi(draws, objective="cvar"), lambda: expected_regret(draws, objective="cvar"),
                 lambda: prob_best(draws, objective=len),
                 lambda: evpi(linear(np.ones((5, 1))), space=Box(0, 1), objective="cvar"),
                 lambda: evppi(draws, None, ["t"], posterior={"t": np.arange(6.0)}, objective="cvar")):
        with pytest.raises(DecideTypeError, match=r"objective must be a decide Objective .* got str 'cvar'"
                           r"|objective must be a decide Objective .* got builtin_function_or_method"):
            call()
    for bad in ("no", 0, None):
        with pytest.raises(DecideTypeError, match=rf"debias must be True or False; got .*{bad!r}"):
            evpi(draws, debias=bad)
    assert evpi(draws, debias=False).value == evpi(draws, debias=True).value  # no replicates
