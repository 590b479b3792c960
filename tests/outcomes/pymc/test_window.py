"""A declared planning window on a PyMC adstock model through ``from_pymc(data=..., window=)``.

The model: 20 training weeks x 2 channels, a 3-week geometric adstock (decay per
channel from the posterior), a linear effect per channel; the outcome is the discounted
sum of ``mu`` over the window model's weeks, linear in spend, so the posterior mean
is ``c @ spend + sum_t d_t`` with
``c[t, ch] = sum_{k < 3, t + k < n} d_{t+k} mean_s beta[s, ch] alpha[s, ch]^k``
(computed here in numpy) and its optimum over a budget and caps is scipy's linprog.
The window model holds 2 carry-in weeks (training dates), 4 window weeks and 2
carry-out weeks (new dates, spend 0).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from scipy.optimize import linprog

pm = pytest.importorskip("pymc")
pt = pytest.importorskip("pytensor.tensor")

from decide.errors import DecideTypeError, DecideValueError, ExtrapolationWarning  # noqa: E402
from decide.measures import Mean  # noqa: E402
from decide.optimization import Box, Budget, optimize, plan_space  # noqa: E402
from decide.outcomes import from_pymc, plan  # noqa: E402

RNG = np.random.default_rng(23)
T, C, L = 20, 2, 3
DATES = pd.date_range("2024-01-07", periods=T, freq="W-SUN")
X = RNG.uniform([2.0, 5.0], [6.0, 9.0], size=(T, C))
Y = RNG.normal(10.0, 1.0, size=T)
S = 40
BETA = RNG.uniform([0.5, 0.9], [1.5, 1.4], size=(S, C))
ALPHA = RNG.uniform([0.6, 0.1], [0.9, 0.3], size=(S, C))  # tv carries over, search barely
NEW = pd.date_range(DATES[-1] + pd.Timedelta("7D"), periods=6, freq="W-SUN")
WINDOW_DATES = DATES[-2:].append(NEW)  # 2 carry-in, 4 window, 2 carry-out
N = len(WINDOW_DATES)
XW = np.vstack([X[-2:], np.zeros((6, C))])
WINDOW = (str(NEW[0].date()), str(NEW[3].date()))
CAP, TOTAL = 3.0, 7.5  # per window cell; over the window
DISC = 0.97 ** np.arange(N)  # weekly discount: no two cells have the same coefficient


def adstock_model() -> pm.Model:
    with pm.Model(coords={"date": DATES, "channel": ["tv", "search"]}) as m:
        spend = pm.Data("spend", X, dims=("date", "channel"))
        target = pm.Data("target", Y, dims="date")
        beta = pm.HalfNormal("beta", 1.0, dims="channel")
        alpha = pm.Beta("alpha", 2.0, 2.0, dims="channel")
        ad = spend
        for k in range(1, L):  # geometric adstock over L weeks, built by shifting
            shifted = pt.concatenate([pt.zeros((k, spend.shape[1])), spend[:-k]], axis=0)
            ad = ad + alpha**k * shifted
        mu = pm.Deterministic("mu", 1.0 + (beta * ad).sum(axis=1), dims="date")
        pm.Normal("y", mu, 1.0, observed=target, dims="date")
    return m


def coefficients() -> np.ndarray:
    """d E[sum_t DISC_t mu_t] / d spend[t, ch], shape (N, C), by numpy."""
    c = np.zeros((N, C))
    for t in range(N):
        for k in range(L):
            if t + k < N:
                c[t] += DISC[t + k] * (BETA * ALPHA**k).mean(axis=0)
    return c


def window_outcome(**kw: object) -> object:
    return from_pymc(adstock_model(), {"beta": BETA, "alpha": ALPHA}, "spend",
                     lambda v: (v["mu"] * DISC).sum(), data={"spend": XW, "target": np.zeros(N)},
                     coords={"date": WINDOW_DATES}, **kw)


def lp_optimum(free: np.ndarray, total: float, bounds: list | None = None) -> np.ndarray:
    """linprog: max c @ x over the free cells, sum = total, 0 <= x <= CAP; others at XW."""
    c = coefficients().reshape(-1)
    idx = np.flatnonzero(free.reshape(-1))
    res = linprog(-c[idx], A_eq=np.ones((1, idx.size)), b_eq=[total],
                  bounds=bounds or [(0.0, CAP)] * idx.size, method="highs")
    assert res.status == 0
    x = XW.reshape(-1).copy()
    x[idx] = res.x
    return x.reshape(N, C)


def carry_in_box() -> Box:
    """Pins the 2 carry-in weeks only; window and carry-out weeks in [0, CAP]."""
    lo = np.vstack([X[-2:], np.zeros((6, C))])
    hi = np.vstack([X[-2:], np.full((6, C), CAP)])
    return Box(lo, hi)


def test_box_pinning_only_carry_in_is_refused_naming_the_carry_out_cells() -> None:
    om = window_outcome(window=WINDOW)
    w = om.planning_window()
    assert (w.dim, w.start, w.end, w.positions.tolist()) == ("date", WINDOW[0], WINDOW[1], [2, 3, 4, 5])
    big = 4 * C * CAP + 3.0  # more than the window's caps take: the rest goes after it
    budget = Budget(float(X[-2:].sum()) + big)
    out1, out2 = (str(d.date()) for d in NEW[4:])
    with pytest.raises(DecideValueError, match=(
        rf"4 after the window \(carry-out\): spend\[{out1}, tv\], spend\[{out1}, search\], "
        rf"spend\[{out2}, tv\], spend\[{out2}, search\]")):
        optimize(om, Mean(), carry_in_box() & budget)
    # what the guard prevents: without the declared window the same space spends after it
    plain = window_outcome()
    with pytest.warns(ExtrapolationWarning):  # zeros below the training minima
        silent = optimize(plain, Mean(), carry_in_box() & budget)
    free = np.zeros((N, C), bool)
    free[2:] = True
    np.testing.assert_allclose(silent.flat_action.reshape(N, C), lp_optimum(free, big), atol=1e-4)
    np.testing.assert_allclose(silent.flat_action.reshape(N, C)[6:].sum(), 3.0, atol=1e-4)
    # move_history=True allows it on the windowed outcome: the same optimum as linprog
    with pytest.warns(ExtrapolationWarning):
        moved = optimize(om, Mean(), carry_in_box() & budget, move_history=True)
    np.testing.assert_allclose(moved.flat_action, silent.flat_action, atol=1e-4)


def test_window_optimum_equals_linprog_over_the_window_cells_and_keeps_the_rest() -> None:
    om = window_outcome(window=WINDOW)
    free = np.zeros((N, C), bool)
    free[2:6] = True
    expected = lp_optimum(free, TOTAL)
    # the raw matrix with every outside cell pinned at its data
    lo = np.where(free, 0.0, XW)
    hi = np.where(free, CAP, XW)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the plan may leave the training range (not tested here)
        d = optimize(om, Mean(), Box(lo, hi) & Budget(float(XW.sum()) + TOTAL))
        # plan(om) decides the declared window by default
        weekly = plan(om)
        assert weekly.action_space.labels[0] == f"spend[{WINDOW[0]}, tv]"
        p = optimize(weekly, Mean(), plan_space(weekly, total=TOTAL, upper=CAP))
    x = d.flat_action.reshape(N, C)
    np.testing.assert_allclose(x, expected, atol=1e-4)
    np.testing.assert_array_equal(x[:2], X[-2:])  # carry-in unchanged
    np.testing.assert_array_equal(x[6:], 0.0)  # carry-out unchanged
    full = weekly.full_action_flat(p.flat_action).reshape(N, C)
    np.testing.assert_allclose(full, expected, atol=1e-4)
    np.testing.assert_array_equal(full[:2], X[-2:])
    np.testing.assert_array_equal(full[6:], 0.0)
    np.testing.assert_allclose(p.value, float(coefficients().reshape(-1) @ expected.reshape(-1)
                                              + DISC.sum()), rtol=1e-6)
    # the extrapolation report covers the window's cells only
    assert len(d.extrapolation) == 4 * C and len(p.extrapolation) == 4 * C
    assert set(d.extrapolation.index) == set(p.extrapolation.index)
    assert all(WINDOW[0] <= lab[6:16] <= WINDOW[1] for lab in d.extrapolation.index)
    # within_observed bounds the window's cells by the training range (linprog with
    # those bounds); the carry-out zeros, below the range, stay as they are
    lo_obs, hi_obs = X.min(axis=0), X.max(axis=0)
    total = 4 * float(lo_obs.sum()) + 6.0
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        k = optimize(weekly, Mean(), plan_space(weekly, total=total), within_observed=True)
    kept = weekly.full_action_flat(k.flat_action).reshape(N, C)
    ref = lp_optimum(free, total, [(lo_obs[j], hi_obs[j]) for _ in range(4) for j in range(C)])
    np.testing.assert_allclose(kept, ref, atol=1e-4)
    np.testing.assert_array_equal(kept[6:], 0.0)
    assert not k.extrapolation["outside"].any()


def test_bad_windows_name_the_argument_range_and_value() -> None:
    with pytest.raises(DecideValueError, match=r"window=\('2023-01-01'.*within the periods of dim "
                       r"'date': 2024-05-12 \.\. 2024-06-30"):
        window_outcome(window=("2023-01-01", WINDOW[1]))
    with pytest.raises(DecideValueError, match="start must be <= end"):
        window_outcome(window=(WINDOW[1], WINDOW[0]))
    with pytest.raises(DecideValueError, match=r"dim 'date' holds dates"):
        window_outcome(window=(2, 5))
    with pytest.raises(DecideValueError, match=r"names dim 'week'.*\['date', 'channel'\]"):
        window_outcome(window={"week": WINDOW})
    with pytest.raises(DecideTypeError, match=r"window must be \(start, end\)"):
        window_outcome(window="2024-06-02")
    # the last training week inside the window: refused at declaration, naming it
    last = str(DATES[-1].date())
    with pytest.raises(DecideValueError, match=(
            rf"holds 1 periods the model was fitted on: {last}\. A planning window holds the new "
            rf"periods.*start it at {NEW[0].date()}")):
        window_outcome(window=(last, WINDOW[1]))


def test_coords_of_another_length_than_the_data_are_refused() -> None:
    with pytest.raises(DecideValueError, match=(
            r"coords\['date'\] has 7 labels but data\['spend'\] has 8 rows along 'date'")):
        from_pymc(adstock_model(), {"beta": BETA, "alpha": ALPHA}, "spend", "mu",
                  data={"spend": XW, "target": np.zeros(N)}, coords={"date": WINDOW_DATES[:-1]})
