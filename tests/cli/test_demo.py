"""Tests of decide/cli/_demo.py: the shipped posterior and the demo end to end."""

from __future__ import annotations

import numpy as np
import pytest

from decide.cli._demo import BUDGET, TRUE, load_posterior, run_demo, simulate_history


def test_shipped_posterior_agrees_with_least_squares():
    """Flat-ish priors: the posterior of the effects is close to the OLS fit of the history."""
    post = load_posterior()
    assert set(post.data_vars) == {"intercept", "beta_A", "beta_B", "sigma"}
    assert post.sizes == {"chain": 2, "draw": 500}
    spend, sales = simulate_history()
    X = np.column_stack([np.ones(len(sales)), spend])
    coef, res, *_ = np.linalg.lstsq(X, sales, rcond=None)
    s2 = float(res[0]) / (len(sales) - 3)
    se = np.sqrt(np.diag(s2 * np.linalg.inv(X.T @ X)))
    for j, name in enumerate(["intercept", "beta_A", "beta_B"]):
        draws = post[name].values.ravel()
        assert abs(draws.mean() - coef[j]) < 0.5 * se[j] + 0.05
        assert draws.std() == pytest.approx(se[j], rel=0.25)
    # the point of the demo: A's effect is far less certain than B's
    assert post["beta_A"].std() > 3 * post["beta_B"].std()
    assert abs(float(post["sigma"].mean()) - TRUE["sigma"]) < 0.4


def test_demo_end_to_end(tmp_path, capsys):
    result = run_demo(tmp_path / "demo", random_seed=3, n_replicates=10)
    shares = result["shares"]
    # risk-neutral: all on A; risk aversion moves budget toward B; CVaR(0.1) more than CARA(0.3)
    assert shares["risk-neutral"] > 0.99
    assert shares["CVaR(0.1)"] < shares["CARA(0.3)"] < shares["risk-neutral"]
    table = result["table"]
    assert table.loc["risk-neutral", "mean"] > table.loc["CVaR(0.1)", "mean"]
    assert table.loc["CVaR(0.1)", "cvar_10"] > table.loc["risk-neutral", "cvar_10"]
    np.testing.assert_allclose(table[["spend[A]", "spend[B]"]].sum(axis=1), BUDGET, atol=1e-6)
    splits = result["decompositions"]
    assert splits["risk-neutral"].epistemic_share > 0.8 > 0.5 > splits["all on B"].epistemic_share
    sweep = result["sweep"]
    assert np.all(np.diff(sweep["spend[A]"]) <= 1e-3)  # more risk aversion, less on A
    for name in ("outcomes.png", "sweep.png", "uncertainty.png", "report.md", "comparison.csv"):
        assert (tmp_path / "demo" / name).stat().st_size > 0
    report = (tmp_path / "demo" / "report.md").read_text()
    assert "| risk-neutral |" in report and "![sweep](sweep.png)" in report
    # data files are links, not images
    assert "](comparison.csv)" in report and "](demo.json)" in report
    assert "![comparison]" not in report and "![json]" not in report
    out = capsys.readouterr()
    assert "Policy comparison" in out.out and "optimizing" in out.err and "3/3" in out.err


def test_demo_quiet_prints_nothing(tmp_path, capsys, monkeypatch):
    import decide.cli._demo as demo

    calls = []
    monkeypatch.setattr(demo, "run_demo", lambda out, **kw: calls.append((out, kw)) or {
        "files": {"report": out / "report.md"}})
    from decide.cli import main

    assert main(["demo", "--out", str(tmp_path), "--seed", "5", "--quiet"]) == 0
    assert calls == [(tmp_path, {"random_seed": 5, "refit": False, "quiet": True})]
    assert capsys.readouterr().out == ""
