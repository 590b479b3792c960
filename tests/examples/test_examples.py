"""Smoke tests of examples/: each runs with small settings and shows its qualitative result."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from decide.errors import ExtrapolationWarning


def _cvar(x, alpha):
    x = np.sort(np.asarray(x, float).reshape(-1))
    return float(x[: int(np.ceil(alpha * x.size))].mean())


def test_marketing_adstock(example, tmp_path):
    m = example("marketing_adstock")
    r = m.main(out_dir=tmp_path, posterior=m.known_draws(300))
    d = r["decisions"]
    social = {k: v.flat_action[1] for k, v in d.items()}
    # saturation makes the risk-neutral split interior; risk aversion cuts the uncertain channel
    assert 0.05 * m.BUDGET < social["risk-neutral"] < 0.95 * m.BUDGET
    assert social["CVaR(0.05)"] < social["risk-neutral"] - 0.1
    assert _cvar(d["CVaR(0.05)"].draws, 0.05) >= _cvar(d["risk-neutral"].draws, 0.05)
    assert d["risk-neutral"].draws.mean() >= d["CVaR(0.05)"].draws.mean()
    assert r["figure"].stat().st_size > 0


def test_treatment_choice(example, tmp_path):
    r = example("treatment_choice").main(n_draws=300, out_dir=tmp_path)
    # confounding flips the sign: raw comparison says harmful, adjusted says helpful
    assert r["naive_difference"] < 0 < r["effect"].mean()
    assert r["decision"].option == "treat" and r["prob_best"]["treat"] > 0.9
    assert 0 <= r["evpi"].value < r["expected_regret"]["no treatment"]
    assert r["figure"].stat().st_size > 0


def test_newsvendor_matches_the_critical_fractile(example, tmp_path):
    m = example("newsvendor")
    r = m.main(n_samples=20000, out_dir=tmp_path)
    shape, rate = m.posterior()
    q = int(stats.nbinom(shape, rate / (rate + 1)).ppf((m.PRICE - m.COST) / m.PRICE))
    assert r["closed_form"] == q
    assert abs(r["neutral"] - q) <= 1
    assert r["cvar"] < r["neutral"]


def test_portfolio_frontiers(example, tmp_path):
    m = example("portfolio")
    r = m.main(n_samples=2000, n_points=6, out_dir=tmp_path)
    assert r["cvar"].method == "cvxpy"
    for name in ("cvar_frontier", "mv_frontier"):
        f = r[name]
        assert np.all(np.diff(f["mean"]) <= 1e-6) and np.all(np.diff(f["risk"]) <= 1e-6)
    mv = r["mv_frontier"]
    w = mv.iloc[-1][mv.attrs["action_columns"]].to_numpy(float)
    # the most risk-averse point approaches the closed-form minimum-variance portfolio
    assert np.all(r["min_variance"] > 0)
    np.testing.assert_allclose(w, r["min_variance"], atol=0.02)


def test_ab_test_stop_rule(example, tmp_path):
    m = example("ab_test")
    r = m.main(visitors=(300, 30000), n_samples=20000, out_dir=tmp_path)
    early, late = r["looks"][300], r["looks"][30000]
    assert not early["stop"] and late["stop"] and late["best"] == "C"
    assert late["evpi"].value < early["evpi"].value
    draws = m.posterior_draws(30000, 20000, m.main.__defaults__[3] + 1)
    stacked = np.column_stack(list(draws.values()))
    loss_c = float(np.mean(stacked.max(1) - stacked[:, 2]))
    assert late["expected_loss"]["C"] == pytest.approx(loss_c, rel=1e-9, abs=1e-12)


def test_simulate_first(example, tmp_path):
    r = example("simulate_first").main(n_prior=300, n_replicates=5, out_dir=tmp_path)
    assert r["prior"]["evpi"].value > 3 * r["posterior"]["evpi"].value
    assert r["posterior"]["share_on_A"]["risk-neutral"] > 0.99
    assert r["posterior"]["share_on_A"]["CVaR(0.1)"] < 0.9


def test_causalpy_example_skips_without_causalpy(example, tmp_path, capsys):
    import importlib.util

    if importlib.util.find_spec("causalpy") is not None:
        pytest.skip("CausalPy is installed")
    m = example("causalpy_decision")
    r = m.main(out_dir=tmp_path)
    assert r == {"skipped": True, "message": m.SKIP_MESSAGE}
    assert "CausalPy is not installed" in capsys.readouterr().out


def test_media_plan_next_quarter(example):
    m = example("media_plan_next_quarter")
    # social above anything it ever spent, tv dark for 3 weeks: a legitimate extrapolation
    with pytest.warns(ExtrapolationWarning, match="OUTSIDE the observed range"):
        r = m.main(posterior=m.known_draws(200))
    d = r["decisions"]
    # within_observed keeps every window cell within the channel's training min and max
    spend = m.simulate()[0]
    kept = r["weekly"].full_action_flat(d["CVaR(0.05), within observed"].flat_action)
    cells = kept.reshape(-1, 2)[m.CARRY_IN : m.CARRY_IN + m.WINDOW]
    assert np.all(cells >= spend.min(axis=0) - 1e-7) and np.all(cells <= spend.max(axis=0) + 1e-7)
    assert not d["CVaR(0.05), within observed"].extrapolation["outside"].any()
    assert d["risk-neutral"].extrapolation["outside"].any()
    neutral, careful = d["risk-neutral"].flat_action, d["CVaR(0.05)"].flat_action
    # the uncertain new channel loses budget to the well-known one under CVaR
    assert careful[1] < neutral[1] - 0.1
    assert _cvar(d["CVaR(0.05)"].draws, 0.05) >= _cvar(d["risk-neutral"].draws, 0.05) - 1e-9
    np.testing.assert_allclose(neutral.sum(), m.WEEKLY_BUDGET, rtol=1e-6)
    flights = d["CVaR(0.05), tv in two flights"].flat_action
    np.testing.assert_allclose(5 * flights[0] + 5 * flights[1] + 13 * flights[2],
                               m.WINDOW * m.WEEKLY_BUDGET, rtol=1e-6)
    full = r["flights"].full_action_flat(flights).reshape(-1, 2)
    np.testing.assert_array_equal(full[: m.CARRY_IN], r["new_data"][: m.CARRY_IN])  # history kept
    np.testing.assert_array_equal(full[m.CARRY_IN + m.WINDOW :], 0.0)  # nothing after the window
    np.testing.assert_array_equal(full[m.CARRY_IN + 5 : m.CARRY_IN + 8, 0], 0.0)  # tv's dark weeks


def test_price_next_week(example):
    m = example("price_next_week")
    post = m.known_draws(300)
    r = m.main(posterior=post, n_replicates=30)
    # risk-neutral: argmax of E[(p - c) exp(a) (p / 10)^e] over the draws, by a numpy grid
    grid = np.linspace(6.0, 16.0, 20001)
    mean_profit = [
        np.mean((p - m.UNIT_COST) * np.exp(post["a"] + post["elasticity"] * np.log(p / 10.0)))
        for p in grid
    ]
    assert r["neutral"].flat_action[0] == pytest.approx(grid[int(np.argmax(mean_profit))], abs=0.01)
    # CVaR of profit prefers a lower price than the risk-neutral one
    assert r["careful"].flat_action[0] < r["neutral"].flat_action[0] - 0.25
    assert r["careful"].flat_action[0] in set(m.PRICES.tolist())
    assert 0.0 < r["split"].epistemic < r["split"].total
