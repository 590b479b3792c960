"""Tests of decide/uncertainty/_evppi.py: regression EVPPI (Strong, Oakley & Brennan 2014)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import norm

from decide.errors import DecideTypeError, DecideValueError
from decide.outcomes import from_function
from decide.uncertainty import evpi, evppi


def closed_form_evpi(m: float, s: float) -> float:
    return s * norm.pdf(m / s) + m * norm.cdf(m / s) - max(m, 0.0)


def _problem(n: int = 4000, seed: int = 0):
    """U(act) = a + b + c * 0, U(wait) = 0 with a ~ N(0.3, 1), b ~ N(0, 0.5), c unrelated."""
    rng = np.random.default_rng(seed)
    a = rng.normal(0.3, 1.0, n)
    b = rng.normal(0.0, 0.5, n)
    c = rng.normal(0.0, 1.0, n)
    draws = pd.DataFrame({"act": a + b, "wait": np.zeros(n)})
    return draws, {"a": a, "b": b, "c": c}


@pytest.mark.parametrize("method", ["gam", "gbm"])
def test_evppi_of_every_parameter_equals_evpi(method):
    draws, post = _problem()
    full = evpi(draws)
    part = evppi(draws, params=["a", "b", "c"], posterior=post, method=method, random_seed=1)
    tol = 3 * part.standard_error + (0.005 if method == "gam" else 0.03)
    assert abs(part.value - full.value) < tol
    assert part.evpi == pytest.approx(full.value)
    assert part.kind == "evppi" and part.params == ("a", "b", "c")


def test_evppi_single_parameter_closed_form():
    draws, post = _problem(n=20000, seed=2)
    # E[U(act) | a] = a ~ N(0.3, 1): EVPPI(a) is the two-action closed form with s = 1
    part = evppi(draws, params="a", posterior=post, random_seed=3)
    truth = closed_form_evpi(0.3, 1.0)
    assert abs(part.value - truth) < 4 * part.standard_error + 0.01
    # and it is clearly below the EVPI, whose closed form has s = sqrt(1.25)
    assert part.value < closed_form_evpi(0.3, np.sqrt(1.25)) - 0.02


def test_evppi_of_unrelated_parameter_is_near_zero():
    draws, post = _problem(seed=4)
    full = evpi(draws).value
    part = evppi(draws, params=["c"], posterior=post, random_seed=5)
    assert part.value < 0.05 * full


# 300 draws of a weak parameter: the regression check may rightly flag an overfit; the
# law tested here (0 <= EVPPI <= EVPI) must hold whatever the check says
@pytest.mark.filterwarnings("ignore::decide.errors.UnreliableEstimateWarning")
@settings(max_examples=15, deadline=None)
@given(
    n_actions=st.integers(2, 4),
    n_params=st.integers(1, 3),
    scale=st.floats(0.1, 10.0),
    seed=st.integers(0, 10_000),
)
def test_evppi_between_zero_and_evpi(n_actions, n_params, scale, seed):
    rng = np.random.default_rng(seed)
    n = 300
    phi = rng.normal(size=(n, n_params))
    U = scale * (phi @ rng.normal(size=(n_params, n_actions)) + rng.normal(size=(n, n_actions)))
    post = {f"p{i}": phi[:, i] for i in range(n_params)}
    part = evppi(U, params=list(post)[:1], posterior=post, n_bootstrap=0, random_seed=seed)
    full = evpi(U).value
    assert 0.0 <= part.value <= full + 1e-12
    assert part.value == min(max(part.value_raw, 0.0), full)


def test_parameters_from_the_outcome_and_vector_parameters():
    rng = np.random.default_rng(6)
    n = 2000
    beta = rng.normal([1.0, 0.8], [0.5, 0.05], size=(n, 2))
    noise = rng.normal(0.0, 1.0, size=n)
    params = {"beta": beta, "noise": noise}

    def fn(x, p):
        return p["beta"] @ x + p["noise"]

    model = from_function(fn, params, action_shape=2)
    actions = {"a": [1.0, 0.0], "b": [0.0, 1.0]}
    full = evpi(model, actions).value
    part = evppi(model, actions, params=["beta"], random_seed=7)  # two regressors from one name
    assert abs(part.value - full) < 3 * part.standard_error + 0.01  # noise is common to both
    # an explicit Dataset with chain/draw dims gives the same answer
    ds = xr.Dataset(
        {"beta": (("chain", "draw", "k"), beta.reshape(2, n // 2, 2))}
    )
    again = evppi(model, actions, params=["beta"], posterior=ds, random_seed=7)
    assert again.value == pytest.approx(part.value)


def test_constant_parameter_has_zero_evppi():
    draws, post = _problem(n=500, seed=8)
    post["k"] = np.full(500, 2.0)
    assert evppi(draws, params=["k"], posterior=post, random_seed=9).value == pytest.approx(0.0)


def test_unknown_parameter_lists_available():
    draws, post = _problem(n=100)
    with pytest.raises(DecideValueError, match=r"\['zeta'\].*available parameters: \['a', 'b', 'c'\]"):
        evppi(draws, params=["zeta"], posterior=post)


def test_bad_arguments():
    draws, post = _problem(n=100)
    with pytest.raises(DecideValueError, match="no parameter draws found"):
        evppi(draws, params=["a"])
    with pytest.raises(DecideValueError, match="at least one parameter"):
        evppi(draws, params=[], posterior=post)
    with pytest.raises(DecideTypeError, match="method must be"):
        evppi(draws, params=["a"], posterior=post, method="loess")
    with pytest.raises(DecideValueError, match="samples but the outcome has"):
        evppi(draws, params=["a"], posterior={"a": np.zeros(50)})
    with pytest.raises(DecideValueError, match="n_bootstrap must be"):
        evppi(draws, params=["a"], posterior=post, n_bootstrap=-1)
    nan = {k: np.array(v, dtype=float) for k, v in post.items()}
    nan["a"][[7, 9]] = np.nan
    with pytest.raises(DecideValueError, match=r"must be finite; got nan in sample 7 of 'a' "
                                               r"\(2 non-finite values in total\)"):
        evppi(draws, params=["a"], posterior=nan)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_evppi_at_zero_reports_the_standard_error_of_the_unclipped_estimate(seed):
    """An irrelevant parameter and a clear winner: the EVPPI sits at its bound 0, where
    every resampled value is 0 too. The standard error is then that of the unclipped
    estimate, the mean best fitted gain over the winner, which for a flat fit is a mean
    of the closest competitor's gain: sd(U_b - U_a) / sqrt(n) by numpy."""
    rng = np.random.default_rng(seed)
    n = 1000
    theta, phi = rng.normal(size=n), rng.normal(size=n)
    U = pd.DataFrame({"a": 1.0 + phi, "b": 0.5 + phi + 0.3 * rng.normal(size=n),
                      "c": 0.2 + phi})  # c - a is constant: nothing for the residual check
    ref = float((U["b"] - U["a"]).std(ddof=1) / np.sqrt(n))
    gam = evppi(U, params="theta", posterior={"theta": theta}, method="gam", random_seed=seed)
    assert gam.value == 0.0 and gam.regression.ok
    assert gam.standard_error == pytest.approx(ref, rel=0.25)
    assert "at its bound 0" in repr(gam) and "unclipped" in gam.notes[0]
    import warnings

    from decide.errors import UnreliableEstimateWarning

    with warnings.catch_warnings():  # boosted trees on pure noise may rightly flag their fit
        warnings.simplefilter("ignore", UnreliableEstimateWarning)
        gbm = evppi(U, params="theta", posterior={"theta": theta}, method="gbm", random_seed=seed)
    assert gbm.value == 0.0 and gbm.standard_error > 0.0
