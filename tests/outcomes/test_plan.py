"""Planning windows and mapped decisions against closed forms and numpy grids.

The model: weekly spend x[t, c] on two channels, geometric adstock per channel,
sales over a horizon of weeks; the expected values are written here with numpy.
"""

from __future__ import annotations

import numpy as np
import pytest

from decide.errors import DecideTypeError, DecideValueError
from decide.measures import Mean
from decide.optimization import Box, optimize, plan_space
from decide.outcomes import discount_factors, from_function, linear, linear_map, plan

CHANNELS = ["tv", "search"]


def adstock(x: np.ndarray, decay: np.ndarray) -> np.ndarray:
    """Geometric adstock along axis -2 (weeks) of x (..., weeks, channels)."""
    out = np.zeros_like(x)
    for t in range(x.shape[-2]):
        out[..., t, :] = x[..., t, :] + (decay * out[..., t - 1, :] if t else 0.0)
    return out


def make_model(n_weeks: int, decay, concave: bool, n_samples: int = 200, seed: int = 0):
    rng = np.random.default_rng(seed)
    beta = np.abs(rng.normal([1.0, 1.3], [0.2, 0.3], size=(n_samples, 2)))
    decay = np.asarray(decay, dtype=float)

    def sales(x, p):
        ad = adstock(np.asarray(x, dtype=float), decay)
        resp = np.log1p(ad) if concave else ad
        return p["beta"] @ resp.sum(axis=0)

    om = from_function(
        sales, {"beta": beta}, action_shape=(n_weeks, 2), names="spend",
        dims=("week", "channel"), coords={"channel": CHANNELS},
    )
    return om, beta, decay


def test_linear_adstock_window_puts_the_budget_on_the_best_cell_closed_form() -> None:
    # 3 history weeks, a 4-week window (weeks 3-6), 5 carry-out weeks
    om, beta, decay = make_model(12, [0.7, 0.2], concave=False)
    history = np.zeros((12, 2))
    history[:3] = [[5.0, 1.0], [4.0, 2.0], [3.0, 0.0]]
    window = plan(om, window=slice(3, 7), base=history)
    d = optimize(window, Mean(), plan_space(window, total=10.0))
    # contribution of one unit in cell (s, c) over the 12-week horizon
    coef = np.array([[beta[:, c].mean() * (1 - decay[c] ** (12 - s)) / (1 - decay[c])
                      for c in range(2)] for s in range(12)])
    best = np.unravel_index(np.argmax(coef[3:7]), (4, 2))
    expected = np.zeros((4, 2))
    expected[best] = 10.0
    np.testing.assert_allclose(d.flat_action.reshape(4, 2), expected, atol=1e-6)
    history_value = (coef[:3] * history[:3]).sum()
    assert d.value == pytest.approx(history_value + 10.0 * coef[3:7].max(), rel=1e-9)
    full = window.full_action_flat(d.flat_action).reshape(12, 2)
    np.testing.assert_array_equal(full[:3], history[:3])  # the past is never rewritten
    np.testing.assert_array_equal(full[7:], 0.0)


def _grid_weekly(om, base, weeks, total, n=2001):
    """Best weekly (tv, search) levels with 4 * (tv + search) = total, by a grid."""
    tv = np.linspace(0.0, total / len(weeks), n)
    best, arg = -np.inf, None
    for a in tv:
        x = base.copy()
        x[weeks] = [a, total / len(weeks) - a]
        v = om.draws(x).mean()
        if v > best:
            best, arg = v, a
    return arg, best


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_weekly_flights_equal_the_full_matrix_decision_by_a_grid(seed: int) -> None:
    om, _, _ = make_model(10, [0.6, 0.1], concave=True, seed=seed)
    base = np.zeros((10, 2))
    base[:2] = [[2.0, 2.0], [1.0, 3.0]]
    weeks = [2, 3, 4, 5]
    weekly = plan(om, window=weeks, flights="window", base=base)
    assert weekly.action_space.labels == ["spend[tv]", "spend[search]"]
    d = optimize(weekly, Mean(), plan_space(weekly, total=8.0))
    tv, value = _grid_weekly(om, base, weeks, 8.0)
    assert d.flat_action[0] == pytest.approx(tv, abs=2e-3)
    assert d.value == pytest.approx(value, rel=1e-6)
    assert d.flat_action.sum() * 4 == pytest.approx(8.0, rel=1e-9)


def test_carry_out_shifts_spend_to_the_slow_decaying_channel() -> None:
    # tv decays slowly (0.8), search not at all; both concave; counting the weeks
    # after the window gives tv's late effect its due, so tv's share grows
    shares = []
    for horizon in (6, 26):
        om, _, _ = make_model(horizon, [0.8, 0.0], concave=True, seed=3)
        base = np.zeros((horizon, 2))
        weekly = plan(om, window=slice(2, 6), flights="window", base=base)
        d = optimize(weekly, Mean(), plan_space(weekly, total=8.0))
        tv, _ = _grid_weekly(om, base, list(range(2, 6)), 8.0)
        assert d.flat_action[0] == pytest.approx(tv, abs=2e-3)
        shares.append(d.flat_action[0] / d.flat_action.sum())
    assert shares[1] > shares[0] + 0.05


def test_shares_decide_totals_spread_by_a_profile() -> None:
    om, _, _ = make_model(8, [0.5, 0.5], concave=False)
    profile = [1.0, 2.0, 1.0]
    totals = plan(om, window=[2, 3, 4], shares={"tv": profile}, base=np.zeros((8, 2)))
    assert totals.action_space.labels == ["spend[tv total]", "spend[search total]"]
    full = totals.full_action_flat(np.array([8.0, 3.0])).reshape(8, 2)
    np.testing.assert_allclose(full[2:5, 0], [2.0, 4.0, 2.0])
    np.testing.assert_allclose(full[2:5, 1], [1.0, 1.0, 1.0])
    assert full[[0, 1, 5, 6, 7]].sum() == 0.0


def test_flights_and_caps_against_linprog() -> None:
    from scipy.optimize import linprog

    coef = np.array([3.0, 1.0, 2.0, 5.0, 4.0, 1.0])  # 6 weeks x 1 channel, linear
    om = linear(np.tile(coef, (3, 1)), names="spend")
    base = np.zeros(6)
    runs = plan(om, window=slice(0, 6), flights={"all": [[0, 1], [3, 4, 5]]}, base=base)
    assert runs.action_space.labels == ["spend[all flight 0]", "spend[all flight 1]"]
    space = plan_space(runs, total=12.0, equality=False, per_period=2.5, cumulative=[2, 4, 4, 6, 9, 12])
    d = optimize(runs, Mean(), space)
    # the same LP on the weekly cells, written directly: x = M z
    M = runs.matrix
    A_ub = np.vstack([M.sum(0), M, np.cumsum(M, axis=0)])
    b_ub = np.r_[12.0, np.full(6, 2.5), [2, 4, 4, 6, 9, 12]]
    ref = linprog(-(coef @ M), A_ub=A_ub, b_ub=b_ub, bounds=[(0, None)] * 2, method="highs")
    assert d.value == pytest.approx(-ref.fun, rel=1e-8)
    np.testing.assert_allclose(d.flat_action, ref.x, atol=1e-7)


def test_linear_map_passes_gradients_and_affine_form() -> None:
    rng = np.random.default_rng(1)
    R = rng.normal(size=(50, 3))
    om = linear(R)
    M = np.array([[1.0, 0.0], [1.0, 1.0], [0.0, 2.0]])
    x0 = np.array([0.5, 0.0, -1.0])
    mapped = linear_map(om, M, x0, name="z", labels=["a", "b"])
    z = np.array([0.3, -0.7])
    np.testing.assert_allclose(mapped.draws(z), R @ (x0 + M @ z))
    cot = rng.normal(size=50)
    np.testing.assert_allclose(mapped.vjp(z, cot), M.T @ (R.T @ cot))
    draws, jac = mapped.draws_and_jacobian(z)
    assert mapped.has_jacobian
    np.testing.assert_allclose(draws, R @ (x0 + M @ z))
    np.testing.assert_allclose(jac, R @ M)
    A, b = mapped.affine_form()
    np.testing.assert_allclose(A @ z + b, R @ (x0 + M @ z))
    sub = mapped.subset([0, 1, 2])
    np.testing.assert_allclose(sub.draws(z), (R @ (x0 + M @ z))[:3])


def test_discount_factors_closed_form() -> None:
    np.testing.assert_allclose(discount_factors(0.1, 4), 1.1 ** -np.arange(4))
    np.testing.assert_allclose(
        discount_factors(0.08, 3, periods_per_year=52, start=2), 1.08 ** (-(np.arange(3) + 2) / 52)
    )


def test_bad_input_names_the_argument() -> None:
    om, _, _ = make_model(6, [0.5, 0.5], concave=False)
    base = np.zeros((6, 2))
    with pytest.raises(DecideValueError, match=r"window: positions must be in \[0, 5\]"):
        plan(om, window=[4, 6], base=base)
    with pytest.raises(DecideValueError, match="window selects no period"):
        plan(om, window=slice(3, 3), base=base)
    with pytest.raises(DecideValueError, match="overlap"):
        plan(om, window=slice(0, 4), flights={"tv": [[0, 1], [1, 2]]}, base=base)
    with pytest.raises(DecideValueError, match=r"not among \['tv', 'search'\]"):
        plan(om, window=slice(0, 4), flights={"radio": [[0]]}, base=base)
    with pytest.raises(DecideValueError, match=r"shares\['tv'\] must be 4 finite weights"):
        plan(om, window=slice(0, 4), shares={"tv": [1, -1, 1, 1]}, base=base)
    with pytest.raises(DecideValueError, match="not both"):
        plan(om, window=slice(0, 4), shares={}, flights="window", base=base)
    with pytest.raises(DecideValueError, match="period_dim must be one of"):
        plan(om, window=slice(0, 4), period_dim="day", base=base)
    with pytest.raises(DecideValueError, match=r"carry_out=3 periods after the window are needed but 'spend' has 2"):
        plan(om, window=slice(0, 4), base=base, carry_out=3)
    assert plan(om, window=slice(0, 4), base=base, carry_out=2).action_space.size == 8
    with pytest.raises(DecideValueError, match="has no default action: pass base="):
        plan(om, window=slice(0, 4))
    with pytest.raises(DecideTypeError, match="planning window"):
        plan_space(linear_map(om, np.ones((12, 1))), total=1.0)
    with pytest.raises(DecideValueError, match=r"matrix must have shape \(outcome.action_space.size, k\)"):
        linear_map(om, np.ones((5, 1)))
    with pytest.raises(DecideValueError, match="per_period must be a number or 4 numbers"):
        plan_space(plan(om, window=slice(0, 4), base=base), per_period=[1.0, 2.0])
    with pytest.raises(DecideValueError, match="rate must be a finite number > -1"):
        discount_factors(-1.0, 3)
    assert isinstance(plan_space(plan(om, window=slice(0, 4), base=base)), Box)


def test_a_tuple_of_positions_is_a_range_on_a_dim_without_labels() -> None:
    om, _, _ = make_model(6, [0.5, 0.5], concave=False)
    base = np.zeros((6, 2))
    p = plan(om, window=(1, 3), base=base)  # positions 1, 2 and 3 (both ends included)
    full = p.full_action_flat(np.arange(1.0, 7.0)).reshape(6, 2)
    expected = np.zeros((6, 2))
    expected[1:4] = np.arange(1.0, 7.0).reshape(3, 2)
    np.testing.assert_array_equal(full, expected)
    assert plan(om, window=[1, 3], base=base).action_space.size == 4  # a list: weeks 1 and 3
