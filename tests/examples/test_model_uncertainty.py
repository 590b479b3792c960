"""Smoke test of examples/model_uncertainty.py: three causal structures fitted with PyMC."""

from __future__ import annotations

import numpy as np
import pytest


@pytest.mark.slow
def test_model_uncertainty(example, tmp_path):
    r = example("model_uncertainty").main(n_draws=150, out_dir=tmp_path)
    table, d = r["robustness"], r["decisions"]
    own = table.attrs["model_choices"]
    tv = table.attrs["action_columns"][0]
    # ignoring the confounder credits search with demand's effect: more budget on search
    assert own.loc["direct", tv] < own.loc["confounder", tv] - 1.0
    assert own.loc["direct", tv] < own.loc["mediator", tv] - 1.0
    # stacking rewards the model that conditions on visits, whatever the causal question
    assert r["stacking"]["mediator"] > 0.9
    summary = table.attrs["summary"]
    # max-min: no policy in the table has a better worst model than the worst-case choice
    assert summary.loc["worst case", "worst_value"] >= summary["worst_value"].max() - 1e-6
    assert d["worst case"].value == summary.loc["worst case", "worst_value"]
    # the mixture's choice has the best value averaged over the (equally weighted) models
    assert summary.loc["mixture", "expected_value"] >= summary["expected_value"].max() - 1e-6
    assert (table["regret"] >= -1e-9).all() and summary["converged"].all()
    assert 0.0 < r["decomposition"].structural_share < 1.0
    assert np.isclose(r["mixture"].weights.sum(), 1.0)
    assert r["figure"].stat().st_size > 0
