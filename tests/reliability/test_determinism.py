"""Same ``random_seed``: the same decision bit for bit; different seeds: within Monte Carlo error.

Every random step (multi-start points, differential evolution, thinning, CRN
uniforms, fresh noise, held-out splits, draws chosen for EVPI) is seeded. Two runs
with the same seed on freshly built inputs must agree exactly (``np.array_equal``,
``assert_frame_equal(check_exact=True)``); runs with different seeds must differ
but agree with the closed-form answer within a few Monte Carlo standard errors.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from decide.errors import DecideValueError
from decide.measures import CVaR, Mean, MeanCVaR, VaR
from decide.optimization import Box, Budget, Discrete, Integer, optimize
from decide.outcomes import from_draws, from_function, from_pymc, linear
from decide.policies import compare
from decide.uncertainty import decompose, evpi

pm = pytest.importorskip("pymc")

R = np.random.default_rng(21).normal([0.07, 0.04, 0.02], [0.3, 0.12, 0.04], size=(500, 3))


def _saturating():
    theta = np.abs(np.random.default_rng(2).normal([1.0, 0.7, 0.4], 0.3, size=(300, 3)))
    return from_function(lambda x, p: (p["theta"] * np.log1p(2.0 * x)).sum(axis=1),
                         {"theta": theta}, action_shape=3)


def _same(a, b) -> None:
    np.testing.assert_array_equal(a.flat_action, b.flat_action)
    assert a.value == b.value
    np.testing.assert_array_equal(a.draws, b.draws)
    assert a.method == b.method and a.option == b.option


OPTIMIZE_CASES = {
    "cvxpy": lambda s: optimize(linear(R), CVaR(0.1), Budget(1.0), method="cvxpy", random_seed=s),
    "cvar-lp": lambda s: optimize(linear(R), MeanCVaR(1.0, 0.05), Budget(1.0), method="cvar-lp",
                                  random_seed=s),
    "scipy multistart": lambda s: optimize(_saturating(), VaR(0.2), Budget(3.0, upper=2.0),
                                           method="scipy", n_starts=3, random_seed=s, maxiter=50),
    "scipy-global": lambda s: optimize(_saturating(), Mean(), Box(0.0, 2.0),
                                       method="scipy-global", random_seed=s, de_maxiter=20),
    "enumerate": lambda s: optimize(from_draws({"a": R[:, 0], "b": R[:, 1], "c": R[:, 2]}),
                                    CVaR(0.2), random_seed=s),
    "integer search": lambda s: optimize(_saturating(), Mean(), Integer(Budget(6, upper=4)),
                                         method="scipy", n_starts=3, random_seed=s),
    "integer cvxpy": lambda s: optimize(linear(R), CVaR(0.1), Integer(Budget(5, upper=3)),
                                        method="cvxpy", random_seed=s),
}


@pytest.mark.parametrize("case", list(OPTIMIZE_CASES))
def test_optimize_same_seed_same_decision(case) -> None:
    run = OPTIMIZE_CASES[case]
    _same(run(5), run(5))
    rng_a, rng_b = np.random.default_rng(5), np.random.default_rng(5)
    _same(run(rng_a), run(rng_b))


def test_compare_same_seed_same_table() -> None:
    policies = {"neutral": Mean(), "cautious": CVaR(0.1), "status quo": [1 / 3, 1 / 3, 1 / 3]}
    tables = {}
    for holdout in (0.4, "crossfit"):
        a = compare(linear(R), policies, space=Budget(1.0), holdout=holdout, random_seed=3)
        b = compare(linear(R), policies, space=Budget(1.0), holdout=holdout, random_seed=3)
        pd.testing.assert_frame_equal(a, b, check_exact=True)
        key = "held_out" if holdout == 0.4 else "folds"
        np.testing.assert_array_equal(np.hstack(a.attrs[key]), np.hstack(b.attrs[key]))
        tables[holdout] = a
    other = compare(linear(R), policies, space=Budget(1.0), holdout=0.4, random_seed=4)
    assert not np.array_equal(other.attrs["held_out"], tables[0.4].attrs["held_out"])


def test_evpi_with_sampled_draws_same_seed() -> None:
    a = evpi(_saturating(), space=Budget(2.0, upper=1.5), max_draws=8, random_seed=9)
    b = evpi(_saturating(), space=Budget(2.0, upper=1.5), max_draws=8, random_seed=9)
    assert a.value == b.value and a.standard_error == b.standard_error
    assert a.best_action == b.best_action


# -- PyMC: noise under seeds --------------------------------------------------------------
S, REPS, SIGMA = 150, 40, 0.5


def _noisy_model():
    # y ~ Normal(theta * a - a^2 / 2, SIGMA * a): with CRN noise z, the sample mean of y is
    # mean(theta) a - a^2/2 + SIGMA a mean(z), maximized at a* = mean(theta) + SIGMA mean(z)
    with pm.Model() as model:
        a = pm.Data("a", 1.0)
        theta = pm.Normal("theta", 1.0, 0.2)
        pm.Normal("y", theta * a - 0.5 * a**2, SIGMA * a, observed=np.zeros(1))
    return model


def _theta() -> np.ndarray:
    return np.random.default_rng(0).normal(1.0, 0.2, size=S)


def _om(mode: str, seed, reps=REPS):
    return from_pymc(_noisy_model(), {"theta": _theta()}, action="a", outcome="y", mode=mode,
                     n_replicates=reps, random_seed=seed, backend="FAST_COMPILE")


@pytest.mark.parametrize("mode", ["crn", "sample"])
def test_from_pymc_same_seed_same_decision(mode) -> None:
    method = "scipy"
    runs = []
    for _ in range(2):
        om = _om(mode, 11, reps=5)
        if mode == "sample":  # fresh noise per call: only a Discrete set of actions is scored
            d = optimize(om, Mean(), Discrete({f"a{v}": [v] for v in (0.5, 1.0, 1.5, 2.0)}))
        else:
            # sigma = SIGMA * a is invalid at a = 0 (pymc raises): the box starts above it
            d = optimize(om, Mean(), Box(0.1, 3.0), method=method, random_seed=0, n_starts=2)
        dec = decompose(om, d.flat_action, random_seed=0)
        runs.append((d, dec))
    _same(runs[0][0], runs[1][0])
    assert runs[0][1].epistemic == runs[1][1].epistemic
    assert runs[0][1].aleatoric == runs[1][1].aleatoric


def test_from_pymc_different_seeds_within_monte_carlo_error() -> None:
    theta_bar = _theta().mean()
    se = SIGMA / np.sqrt(S * REPS)  # sd of SIGMA * mean(z)
    a = 1.2
    exact_epistemic = np.var(_theta() * a - 0.5 * a**2)
    sd_of_var = (SIGMA * a) ** 2 * np.sqrt(2.0 / (S * REPS))
    actions = []
    for seed in (1, 2, 3):
        om = _om("crn", seed)
        d = optimize(om, Mean(), Box(0.0, 3.0), method="scipy", random_seed=0)
        assert d.converged
        actions.append(float(d.flat_action[0]))
        assert abs(actions[-1] - theta_bar) < 4.5 * se
        # the split: epistemic = var(theta a - a^2/2) exactly (theta is the only parameter),
        # aleatoric ~ (SIGMA a)^2 within the Monte Carlo error of a variance estimate
        dec = decompose(om, [a])
        assert dec.method == "exact"
        assert dec.epistemic == pytest.approx(exact_epistemic, rel=1e-9)
        assert abs(dec.aleatoric - (SIGMA * a) ** 2) < 4.5 * sd_of_var
    assert len(set(actions)) == 3  # the seed does reach the noise


def test_from_pymc_sample_mode_is_refused_on_a_continuous_space() -> None:
    # issue 22: fresh noise at every call is never optimized; the message gives the remedy
    om = _om("sample", 11, reps=5)
    assert om.smoothness == "noisy" and _om("crn", 11, reps=5).smoothness == "smooth"
    with pytest.raises(DecideValueError, match=r"mode='crn'"):
        optimize(om, Mean(), Box(0.0, 3.0))
