"""decide/measures/_summary.py: the one risk summary, against numpy written here."""

from __future__ import annotations

import numpy as np
import pytest

from decide.measures import SUMMARY_COLUMNS, risk_summary


def _brute(x: np.ndarray, target: float) -> dict[str, float]:
    s = np.sort(x)
    out = {"mean": x.mean(), "sd": x.std(), "prob_loss": np.mean(x < target)}
    for q in (5, 25, 50, 75, 95):
        out[f"q{q}"] = np.quantile(x, q / 100)
    for a in (5, 10):  # n * alpha is an integer here: the mean of the worst n * alpha draws
        out[f"cvar_{a}"] = s[: len(x) * a // 100].mean()
    return out


@pytest.mark.parametrize("target", [0.0, 0.7])
def test_single_and_batch_match_numpy(target):
    rng = np.random.default_rng(4)
    draws = rng.normal(1.0, 2.0, size=(3, 200, 5))  # 3 units, 200 samples, 5 replicates
    batch = risk_summary(draws, target=target, batch=True)
    assert list(batch) == list(SUMMARY_COLUMNS)
    for u in range(3):
        expected = _brute(draws[u].reshape(-1), target)
        single = risk_summary(draws[u], target=target)
        for key in SUMMARY_COLUMNS:
            assert single[key] == pytest.approx(expected[key], rel=1e-12, abs=1e-12)
            assert batch[key][u] == pytest.approx(expected[key], rel=1e-12, abs=1e-12)
